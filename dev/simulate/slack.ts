// Requests exactly as Slack sends them (signed Events API JSON and interactivity forms), for the
// test suite, `npm run chat` and the console. The signature is Slack's documented v0 scheme.
import { createHmac, randomUUID } from 'node:crypto';
import { slackActorId, slackProfile } from '../../adapters/slack/profile.ts';
import { digest, messageKey, type TravellerSimulator } from './traveller.ts';

export interface SlackUser {
  teamId: string;
  userId: string;
}

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

export function signSlack(body: string, signingSecret: string, timestampSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestampSeconds), 'x-slack-signature': `v0=${signature}` };
}

let tsCounter = 0;
/** A Slack-style message timestamp, unique within this process. */
export function slackTs(now = Date.now()): string {
  tsCounter = (tsCounter + 1) % 1000;
  return `${Math.floor(now / 1000)}.${String(now % 1000).padStart(3, '0')}${String(tsCounter).padStart(3, '0')}`;
}

export interface MessageEventOptions {
  text: string;
  channel?: string;
  ts?: string;
  threadTs?: string;
  type?: 'message' | 'app_mention';
  channelType?: 'im' | 'channel' | 'group';
  eventId?: string;
  botUserId?: string;
  appId?: string;
  /** Sent in an assistant thread (`threadTs`): Slack adds `assistant_thread` with an action_token. */
  assistantThread?: boolean;
  extra?: Record<string, unknown>;
}

export function messageEvent(user: SlackUser, options: MessageEventOptions): Record<string, unknown> {
  const channel = options.channel ?? `D${user.userId}`;
  const event: Record<string, unknown> = {
    type: options.type ?? 'message',
    user: user.userId,
    text: options.text,
    ts: options.ts ?? slackTs(),
    channel,
    event_ts: options.ts ?? slackTs(),
    ...(options.type === 'app_mention' ? {} : { channel_type: options.channelType ?? (channel.startsWith('D') ? 'im' : 'channel') }),
    ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
    ...(options.assistantThread ? { parent_user_id: options.botUserId ?? 'UBOT', assistant_thread: { action_token: `${Date.now()}.${randomUUID().replace(/-/g, '')}` } } : {}),
    ...options.extra,
  };
  return envelope(user, event, options);
}

/** The Events API wrapper around one event, as Slack posts it. */
function envelope(user: SlackUser, event: Record<string, unknown>, options: { eventId?: string; botUserId?: string; appId?: string }): Record<string, unknown> {
  return {
    token: 'deprecated-verification-token',
    team_id: user.teamId,
    api_app_id: options.appId ?? 'A0LOCAL',
    event,
    type: 'event_callback',
    event_id: options.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: user.teamId, user_id: options.botUserId ?? 'UBOT', is_bot: true }],
  };
}

export interface AssistantThreadOptions {
  /** The DM channel the container is (D…), and the thread the fake opened (FakeSlack.openAssistantThread). */
  channel: string;
  threadTs: string;
  /** The channel the user is looking at: the event's context. */
  contextChannel?: string;
  eventId?: string;
  appId?: string;
}

/**
 * assistant_thread_started (the user opened the app's container: a new thread) or
 * assistant_thread_context_changed (they moved to another channel with it open), as Slack sends them.
 */
export function assistantThreadEvent(user: SlackUser, type: 'assistant_thread_started' | 'assistant_thread_context_changed', options: AssistantThreadOptions): Record<string, unknown> {
  const context = { ...(options.contextChannel ? { channel_id: options.contextChannel } : {}), team_id: user.teamId, enterprise_id: null };
  return envelope(
    user,
    { type, assistant_thread: { user_id: user.userId, context, channel_id: options.channel, thread_ts: options.threadTs }, event_ts: slackTs() },
    options,
  );
}

export interface BlockActionOptions {
  actionId: string;
  value?: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  actionTs?: string;
  appId?: string;
  /** The clicked button's block (Slack names it in the payload). */
  blockId?: string;
}

export function blockAction(user: SlackUser, options: BlockActionOptions): Record<string, unknown> {
  return {
    type: 'block_actions',
    api_app_id: options.appId ?? 'A0LOCAL',
    team: { id: user.teamId, domain: 'local' },
    user: { id: user.userId, username: user.userId, team_id: user.teamId },
    container: {
      type: 'message',
      message_ts: options.messageTs,
      channel_id: options.channel,
      is_ephemeral: false,
      ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
    },
    channel: { id: options.channel, name: 'directmessage' },
    message: { type: 'message', ts: options.messageTs, ...(options.threadTs ? { thread_ts: options.threadTs } : {}) },
    response_url: `https://hooks.slack.com/actions/T/1/${randomUUID()}`,
    trigger_id: `${Date.now()}.trigger`,
    actions: [
      {
        type: 'button',
        action_id: options.actionId,
        block_id: options.blockId ?? 'b',
        ...(options.value ? { value: options.value } : {}),
        action_ts: options.actionTs ?? `${(Date.now() / 1000).toFixed(6)}`,
      },
    ],
  };
}

/** Signs and encodes an Events API body (JSON) or an interactivity payload (form). */
export function slackRequest(
  payload: Record<string, unknown>,
  signingSecret: string,
  options: { form?: boolean; timestampSeconds?: number; retryNum?: number } = {},
): SignedRequest {
  const body = options.form ? new URLSearchParams({ payload: JSON.stringify(payload) }).toString() : JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json',
      ...signSlack(body, signingSecret, options.timestampSeconds),
      ...(options.retryNum ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
    },
  };
}

export async function postSlack(baseUrl: string, request: SignedRequest): Promise<Response> {
  return fetch(`${baseUrl}/slack/events`, { method: 'POST', headers: request.headers, body: request.body });
}

/** A traveller in their DM with the app (dev/simulate/traveller.ts), in the workspace TREL. */
export const simulateTraveller: TravellerSimulator = (stack, name) => {
  const user = { teamId: 'TREL', userId: `U${digest(name, 10).toUpperCase()}` };
  const dm = `D${user.userId}`;
  const posts = () => stack.fakeSlack!.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === dm && c.delivered);
  // A retried delivery is the same event: the same event id and message ts.
  const sentAt = new Map<string, string>();
  return {
    channel: 'slack',
    actorId: slackActorId(user.teamId, user.userId),
    personal: [],
    conversation: dm,
    request(text, options) {
      const key = messageKey(options);
      const ts = sentAt.get(key) ?? slackTs();
      if (options?.id) sentAt.set(key, ts);
      const eventId = `Ev${digest(key, 10).toUpperCase()}`;
      const signed = slackRequest(messageEvent(user, { text, channel: dm, ts, eventId }), stack.slack.signingSecret, options?.retry ? { retryNum: options.retry } : {});
      return { path: slackProfile.route, ...signed };
    },
    replies: () => posts().map((c) => JSON.stringify({ text: c.args.text, blocks: c.args.blocks })),
    replyTimes: () => posts().map((c) => c.at),
  };
};
