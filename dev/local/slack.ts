// Slack in the local stack: real credentials when SLACK_BOT_TOKEN or SLACK_CLIENT_ID is set,
// otherwise the local bot token and the fake Web API (dev/fakes/slack.ts), and its console pane.
import { loadSlackConfig, type SlackConfig } from '../../adapters/slack/config.ts';
import { LOCAL_SLACK_BOT_TOKEN } from '../../adapters/slack/profile.ts';
import { ChannelRequestError, expectOk, type PaneMessage, type SimulatedChannel } from '../console/channels.ts';
import { startFakeSlack, type FakeSlack, type SlackCall } from '../fakes/slack.ts';
import { blockAction, messageEvent, postSlack, slackRequest, type SlackUser } from '../simulate/slack.ts';
import { userIdFor } from '../simulate/users.ts';
import type { LocalChannel } from './index.ts';

declare module '../stack.ts' {
  interface Stack {
    slack: SlackConfig;
    fakeSlack?: FakeSlack;
  }
  interface StackInfo {
    fakeSlackUrl?: string;
  }
  interface DevSecrets {
    slackSigningSecret: string;
    /** Seals Slack installations in the local table (multi-workspace mode). */
    installationKey: string;
  }
}

/** The simulated person called `name`, in their DM with the app. */
export function slackUserFor(name: string): SlackUser & { channel: string } {
  const userId = userIdFor(name);
  // The bot's direct-message channel with this user.
  return { teamId: 'T0LOCAL', userId, channel: `D${userId}` };
}

export const localChannel: LocalChannel = {
  async prepare({ env, secret }) {
    let fake: FakeSlack | undefined;
    if (!env.SLACK_BOT_TOKEN && !env.SLACK_CLIENT_ID) {
      fake = await startFakeSlack({ token: LOCAL_SLACK_BOT_TOKEN });
      env.SLACK_BOT_TOKEN = LOCAL_SLACK_BOT_TOKEN;
      env.SLACK_API_URL ??= fake.apiUrl;
    }
    env.SLACK_SIGNING_SECRET ??= secret('slackSigningSecret');
    return {
      ...(fake ? { close: () => fake.close() } : {}),
      listening(_url, env) {
        // Seals Slack installations in the local table when the app is distributed (SLACK_CLIENT_ID).
        if (env.SLACK_CLIENT_ID) env.INSTALLATION_KEY ??= secret('installationKey');
      },
      join({ url, env, console }) {
        const slack = loadSlackConfig(env, 'local');
        if (fake) console.addChannel(simulatedSlack(url, fake, slack.signingSecret, console.emit));
        return {
          part: { name: 'Slack Web API', where: slack.apiUrl, embedded: Boolean(fake) },
          howTo: fake
            ? 'Slack is simulated — talk to it with: npm run chat -- --channel slack'
            : 'Slack is real: point your app’s Event Subscriptions and Interactivity URLs at /slack/events (through a tunnel).',
          ...(slack.oauth ? { routes: [`GET  ${url()}/slack/install  (Add to Slack; redirect URI ${slack.oauth.redirectUri ?? `${url()}/slack/oauth_redirect`})`] } : {}),
          info: fake ? { fakeSlackUrl: fake.url } : {},
          fields: { slack, ...(fake ? { fakeSlack: fake } : {}) },
        };
      },
    };
  },
};

/** The console's Slack pane: messages as signed Events API posts, clicks as interactivity forms. */
function simulatedSlack(stackUrl: () => string, fake: FakeSlack, signingSecret: string, emit: (m: PaneMessage) => void): SimulatedChannel {
  fake.on((call: SlackCall) => {
    if (!call.delivered) return;
    const address = String(call.args.channel ?? '');
    const payload = { text: call.args.text, blocks: call.args.blocks };
    const at = call.at;
    if (call.method === 'chat.postMessage' && call.ts) emit({ channel: 'slack', address, id: call.ts, op: 'post', from: 'bot', payload, at });
    if (call.method === 'chat.update') emit({ channel: 'slack', address, id: String(call.args.ts), op: 'update', from: 'bot', payload, at });
    if (call.method === 'chat.postEphemeral' && call.ts) emit({ channel: 'slack', address, id: call.ts, op: 'post', from: 'bot', payload, ephemeral: true, at });
  });
  return {
    channel: 'slack',
    address: (name) => slackUserFor(name).channel,
    async send(name, text) {
      const { teamId, userId, channel } = slackUserFor(name);
      const event = messageEvent({ teamId, userId }, { text, channel });
      const ts = String((event.event as { ts?: unknown } | undefined)?.ts ?? Date.now());
      emit({ channel: 'slack', address: channel, id: `user:${ts}`, op: 'post', from: 'user', payload: { text }, at: Date.now() });
      await expectOk(await postSlack(stackUrl(), slackRequest(event, signingSecret)));
    },
    async click(input) {
      const { teamId, userId, channel } = slackUserFor(input.name);
      if (!input.actionId) throw new ChannelRequestError('a Slack click needs the button’s action_id');
      const payload = blockAction({ teamId, userId }, { actionId: input.actionId, ...(input.value ? { value: input.value } : {}), channel, messageTs: input.messageId });
      await expectOk(await postSlack(stackUrl(), slackRequest(payload, signingSecret, { form: true })));
      return {};
    },
  };
}
