// Teams in the local stack: a real bot registration when TEAMS_APP_ID is set, otherwise the fake
// Bot Framework (dev/fakes/teams.ts: metadata, keys, token, connector), and its console pane.
import { loadTeamsConfig, type TeamsConfig } from '../../adapters/teams/config.ts';
import { ChannelRequestError, expectOk, type PaneMessage, type SimulatedChannel } from '../console/channels.ts';
import { startFakeTeams, type ConnectorCall, type FakeTeams } from '../fakes/teams.ts';
import { executeActivity, messageActivity, postActivity, suggestedActionActivity, type SuggestedActionSent, type TeamsUser } from '../simulate/teams.ts';
import { isObj } from '../../core/util.ts';
import { userIdFor } from '../simulate/users.ts';
import type { LocalChannel } from './index.ts';

declare module '../stack.ts' {
  interface Stack {
    teams: TeamsConfig;
    fakeTeams?: FakeTeams;
  }
  interface StackInfo {
    fakeTeamsUrl?: string;
  }
}

/** The simulated person called `name`, in their personal chat with the bot. */
export function teamsUserFor(name: string): TeamsUser & { conversationId: string } {
  const aadObjectId = `aad-${userIdFor(name).toLowerCase()}`;
  return { tenantId: 'tenant-local', aadObjectId, name, conversationId: `a:${aadObjectId}` };
}

export const localChannel: LocalChannel = {
  async prepare({ env }) {
    let fake: FakeTeams | undefined;
    if (!env.TEAMS_APP_ID) {
      fake = await startFakeTeams();
      env.TEAMS_APP_ID = fake.appId;
      env.TEAMS_APP_PASSWORD = fake.appPassword;
      env.TEAMS_OPENID_METADATA_URL ??= fake.openIdMetadataUrl;
      env.TEAMS_TOKEN_URL ??= fake.tokenUrl;
      env.TEAMS_CONNECTOR_HOSTS ??= '127.0.0.1';
    }
    return {
      ...(fake ? { close: () => fake.close() } : {}),
      join({ url, env, console }) {
        const teams = loadTeamsConfig(env, 'local');
        if (fake) console.addChannel(simulatedTeams(url, fake, console.emit));
        return {
          part: { name: 'Teams (Bot Framework)', where: fake ? fake.url : `app ${teams.appId}`, embedded: Boolean(fake) },
          howTo: fake ? 'Teams is simulated — talk to it with: npm run chat -- --channel teams' : 'Teams is real: set the bot’s messaging endpoint to /teams/messages (through a tunnel).',
          info: fake ? { fakeTeamsUrl: fake.url } : {},
          fields: { teams, ...(fake ? { fakeTeams: fake } : {}) },
        };
      },
    };
  },
};

/** The console's Teams pane: messages and card clicks as the Bot Framework posts them, signed. */
function simulatedTeams(stackUrl: () => string, fake: FakeTeams, emit: (m: PaneMessage) => void): SimulatedChannel {
  fake.on((call: ConnectorCall) => {
    if (!call.delivered || !call.id || call.body.type !== 'message') return;
    const op = call.method === 'PUT' ? 'update' : 'post';
    emit({ channel: 'teams', address: call.conversationId, id: call.id, op, from: 'bot', payload: call.body, at: Date.now() });
  });
  const post = async (activity: Record<string, unknown>) => {
    const token = fake.signInbound({ serviceUrl: fake.serviceUrl });
    return expectOk(await postActivity(stackUrl(), activity, token));
  };
  return {
    channel: 'teams',
    address: (name) => teamsUserFor(name).conversationId,
    async send(name, text) {
      const { conversationId, ...user } = teamsUserFor(name);
      const activity = messageActivity(user, text, { serviceUrl: fake.serviceUrl, conversationId });
      emit({ channel: 'teams', address: conversationId, id: `user:${String(activity.id)}`, op: 'post', from: 'user', payload: { text }, at: Date.now() });
      await post(activity);
    },
    async click(input) {
      const { conversationId, ...user } = teamsUserFor(input.name);
      // A tapped suggested action: Teams posts it as the traveller's message (messageBack: its displayText shows).
      if (input.actionId === 'suggested') {
        if (!isObj(input.data) || typeof input.data.type !== 'string') throw new ChannelRequestError('a suggested action needs the action as sent');
        const chip = input.data as unknown as SuggestedActionSent;
        const activity = suggestedActionActivity(user, chip, { serviceUrl: fake.serviceUrl, conversationId });
        const shown = chip.type === 'messageBack' ? (chip.displayText ?? chip.text ?? '') : String(chip.value ?? '');
        if (shown) emit({ channel: 'teams', address: conversationId, id: `user:${String(activity.id)}`, op: 'post', from: 'user', payload: { text: shown }, at: Date.now() });
        await post(activity);
        return {};
      }
      if (!input.verb) throw new ChannelRequestError('a Teams card click needs the action’s verb');
      const res = await post(executeActivity(user, input.verb, input.data, input.messageId, { serviceUrl: fake.serviceUrl, conversationId }));
      // The invoke's answer: the replacement card, or a message Teams shows at once.
      return (await res.json()) as unknown;
    },
  };
}
