// Slack in the local stack: real credentials when SLACK_BOT_TOKEN or SLACK_CLIENT_ID is set,
// otherwise the local bot token and the fake Web API (dev/fakes/slack.ts), and its console pane.
import { loadSlackConfig, type SlackConfig } from '../../adapters/slack/config.ts';
import { LOCAL_SLACK_BOT_TOKEN } from '../../adapters/slack/profile.ts';
import { ChannelRequestError, expectOk, type PaneMessage, type SimulatedChannel } from '../console/channels.ts';
import { startFakeSlack, type FakeSlack, type SlackCall } from '../fakes/slack.ts';
import { assistantThreadEvent, blockAction, messageEvent, postSlack, slackRequest, type SlackUser } from '../simulate/slack.ts';
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

/** How long the pane waits for a new thread's greeting before the traveller's first message goes in. */
const GREETING_WAIT_MS = 5_000;

/**
 * The console's Slack pane is the app's assistant container (Slack's AI app surface): opening the
 * pane as someone opens a thread (its root message, then assistant_thread_started, answered with
 * the greeting and suggested prompts), and what they write goes in that thread. Messages are
 * signed Events API posts, clicks interactivity forms; the thread's status line, suggested
 * prompts and title are sent to the page as one `assistant` message each time they change.
 */
function simulatedSlack(stackUrl: () => string, fake: FakeSlack, signingSecret: string, emit: (m: PaneMessage) => void): SimulatedChannel {
  /** Each person's open thread (the DM channel's), by name. */
  const threads = new Map<string, string>();
  let states = 0;
  /** Threads whose prompts were set since the person last wrote: Slack shows them until then. */
  const promptsShown = new Set<string>();
  const emitThread = (channel: string, threadTs: string, at: number) => {
    const thread = fake.assistantThreads.get(`${channel}:${threadTs}`);
    if (!thread) return;
    const { status, loadingMessages, promptsTitle, title } = thread;
    const prompts = promptsShown.has(`${channel}:${threadTs}`) ? thread.prompts : [];
    // A new id each time: the page shows the newest state, after the messages it follows.
    emit({ channel: 'slack', address: channel, id: `assistant:${threadTs}:${++states}`, op: 'post', from: 'bot', payload: { assistant: { status, loadingMessages, prompts, ...(promptsTitle ? { promptsTitle } : {}), ...(title ? { title } : {}) } }, at });
  };
  fake.on((call: SlackCall) => {
    if (!call.delivered) return;
    const address = String(call.args.channel ?? '');
    const payload = { text: call.args.text, blocks: call.args.blocks };
    const at = call.at;
    if (call.method === 'chat.postMessage' && call.ts) emit({ channel: 'slack', address, id: call.ts, op: 'post', from: 'bot', payload, at });
    if (call.method === 'chat.update') emit({ channel: 'slack', address, id: String(call.args.ts), op: 'update', from: 'bot', payload, at });
    if (call.method === 'chat.postEphemeral' && call.ts) emit({ channel: 'slack', address, id: call.ts, op: 'post', from: 'bot', payload, ephemeral: true, at });
    // The answer ends the status line (the fake clears it, as Slack does): the page hears of that too.
    if (call.method === 'chat.postMessage' && call.args.thread_ts) emitThread(address, String(call.args.thread_ts), at);
    if (call.method === 'assistant.threads.setSuggestedPrompts') promptsShown.add(`${String(call.args.channel_id)}:${String(call.args.thread_ts)}`);
    if (call.method.startsWith('assistant.threads.')) emitThread(String(call.args.channel_id ?? ''), String(call.args.thread_ts ?? ''), at);
  });
  /** The thread `name` talks in: opened on their first message, greeted before it goes in. */
  const opening = new Map<string, Promise<string>>();
  /** People who wrote before the page showed them (a script posting to the console): they stay in the DM. */
  const inDm = new Set<string>();
  const threadFor = (name: string): Promise<string> => {
    const known = opening.get(name);
    if (known) return known;
    const opened = openThread(name);
    opening.set(name, opened);
    opened.catch(() => opening.delete(name));
    return opened;
  };
  const openThread = async (name: string): Promise<string> => {
    const { teamId, userId, channel } = slackUserFor(name);
    const thread = fake.openAssistantThread(userId, channel);
    threads.set(name, thread.threadTs);
    const greeted = new Promise<void>((resolve) => {
      const timer = setTimeout(() => stop(resolve), GREETING_WAIT_MS);
      const stop = (done: () => void) => {
        clearTimeout(timer);
        off();
        done();
      };
      const off = fake.on((call) => {
        if (call.method === 'chat.postMessage' && call.delivered && call.args.channel === channel && call.args.thread_ts === thread.threadTs) stop(resolve);
      });
    });
    await expectOk(await postSlack(stackUrl(), slackRequest(assistantThreadEvent({ teamId, userId }, 'assistant_thread_started', { channel, threadTs: thread.threadTs }), signingSecret)));
    await greeted;
    return thread.threadTs;
  };
  return {
    channel: 'slack',
    address(name) {
      // The page asks when a person opens the pane (or becomes someone else): they open the container.
      if (!opening.has(name) && !inDm.has(name)) void threadFor(name).catch(() => undefined);
      return slackUserFor(name).channel;
    },
    async send(name, text) {
      const { teamId, userId, channel } = slackUserFor(name);
      // Someone the page never showed (a script posting to the console) writes in the DM.
      const threadTs = opening.has(name) ? await threadFor(name) : undefined;
      if (!threadTs) inDm.add(name);
      const event = messageEvent({ teamId, userId }, { text, channel, ...(threadTs ? { threadTs, assistantThread: true } : {}) });
      const ts = String((event.event as { ts?: unknown } | undefined)?.ts ?? Date.now());
      emit({ channel: 'slack', address: channel, id: `user:${ts}`, op: 'post', from: 'user', payload: { text }, at: Date.now() });
      if (threadTs) {
        promptsShown.delete(`${channel}:${threadTs}`);
        emitThread(channel, threadTs, Date.now());
      }
      await expectOk(await postSlack(stackUrl(), slackRequest(event, signingSecret)));
    },
    async click(input) {
      const { teamId, userId, channel } = slackUserFor(input.name);
      if (!input.actionId) throw new ChannelRequestError('a Slack click needs the button’s action_id');
      const threadTs = threads.get(input.name);
      if (threadTs) promptsShown.delete(`${channel}:${threadTs}`);
      // Slack's payload names the clicked button's block and the message's thread: read off the message.
      const message = fake.messages.get(`${channel}:${input.messageId}`);
      const blocks = (Array.isArray(message?.blocks) ? message.blocks : []) as { block_id?: string; accessory?: { action_id?: string }; elements?: { action_id?: string }[] }[];
      const block = blocks.find((b) => b.accessory?.action_id === input.actionId || b.elements?.some((e) => e.action_id === input.actionId));
      const payload = blockAction(
        { teamId, userId },
        {
          actionId: input.actionId,
          ...(input.value ? { value: input.value } : {}),
          channel,
          messageTs: input.messageId,
          ...(message?.threadTs ? { threadTs: message.threadTs } : {}),
          ...(block?.block_id ? { blockId: block.block_id } : {}),
        },
      );
      await expectOk(await postSlack(stackUrl(), slackRequest(payload, signingSecret, { form: true })));
      return {};
    },
  };
}
