// The console's three simulated platforms. Sending goes through the bridge's real routes, signed
// exactly as each platform signs (the request builders of dev/simulate, shared with `npm run chat`);
// what the bridge sends back is read off the local fake APIs as they answer it.
import type { Channel } from '../../core/identity.ts';
import type { FakeSlack, SlackCall } from '../fakes/slack.ts';
import type { ConnectorCall, FakeTeams } from '../fakes/teams.ts';
import type { FakeTwilio, TwilioMessage } from '../fakes/twilio.ts';
import { blockAction, messageEvent, postSlack, slackRequest } from '../simulate/slack.ts';
import { executeActivity, messageActivity, postActivity } from '../simulate/teams.ts';
import { slackUserFor, teamsUserFor, whatsappUserFor } from '../simulate/users.ts';
import { inboundMessage, postTwilio } from '../simulate/whatsapp.ts';

/** A message in a pane: the platform's own payload, to be rendered the way that platform shows it. */
export interface PaneMessage {
  channel: Channel;
  /** Whose pane: the Slack DM channel, the Teams conversation, the WhatsApp address. */
  address: string;
  /** Posts and updates of one message share it. */
  id: string;
  op: 'post' | 'update';
  from: 'bot' | 'user';
  /** Slack: { text, blocks }; Teams: the activity; WhatsApp: { body }; the user's own: { text }. */
  payload: unknown;
  /** Slack ephemeral messages: shown to this user only. */
  ephemeral?: boolean;
  at: number;
}

/** A click as the page reports it; the fields are the platform's own (action_id/value, verb/data). */
export interface ClickInput {
  name: string;
  messageId: string;
  actionId?: string;
  value?: string;
  verb?: string;
  data?: unknown;
}

export interface SimulatedChannel {
  channel: Channel;
  address(name: string): string;
  send(name: string, text: string): Promise<void>;
  /** Teams answers a card click itself (the replacement card); others answer later with a message. */
  click(input: ClickInput): Promise<unknown>;
}

export class ChannelRequestError extends Error {}

async function expectOk(res: Response): Promise<Response> {
  if (res.status !== 200) throw new ChannelRequestError(`the bridge answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res;
}

export function simulatedSlack(stackUrl: () => string, fake: FakeSlack, signingSecret: string, emit: (m: PaneMessage) => void): SimulatedChannel {
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

export function simulatedTeams(stackUrl: () => string, fake: FakeTeams, emit: (m: PaneMessage) => void): SimulatedChannel {
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
      if (!input.verb) throw new ChannelRequestError('a Teams card click needs the action’s verb');
      const res = await post(executeActivity(user, input.verb, input.data, input.messageId, { serviceUrl: fake.serviceUrl, conversationId }));
      // The invoke's answer: the replacement card, or a message Teams shows at once.
      return (await res.json()) as unknown;
    },
  };
}

export function simulatedWhatsApp(
  fake: FakeTwilio,
  settings: { targetUrl: () => string; signedUrl: () => string; authToken: string; from: string },
  emit: (m: PaneMessage) => void,
): SimulatedChannel {
  fake.on((message: TwilioMessage) => {
    emit({ channel: 'whatsapp', address: message.to, id: message.sid, op: 'post', from: 'bot', payload: { body: message.body }, at: Date.now() });
  });
  return {
    channel: 'whatsapp',
    address: (name) => whatsappUserFor(name).address,
    async send(name, text) {
      const { address, ...user } = whatsappUserFor(name);
      const params = inboundMessage(user, settings.from, text);
      emit({ channel: 'whatsapp', address, id: `user:${params.MessageSid ?? Date.now()}`, op: 'post', from: 'user', payload: { text }, at: Date.now() });
      // Twilio signs the URL configured as the webhook (WHATSAPP_WEBHOOK_URL), wherever it is delivered.
      await expectOk(await postTwilio(settings.targetUrl(), settings.signedUrl(), settings.authToken, params));
    },
    async click() {
      throw new ChannelRequestError('WhatsApp messages have no buttons here: reply with the number or word instead');
    },
  };
}
