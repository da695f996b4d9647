// Slack's requests → InboundTurns. Events API JSON (DMs, mentions, thread replies) and
// interactivity payloads (button clicks) arrive on the same route; everything else is answered
// 200 and dropped, as Slack expects of events an app does not handle.
import { json, mediaType, text, type HttpRequest } from '../../core/http.ts';
import { slackActorId } from './profile.ts';
import { encodeReference, keywordOf, OWN_MENTION, readReference, withoutOwnMention, type InboundTurn, type Json, type TurnInput } from '../../core/inbound.ts';
import { actionInputOf } from '../../core/reply.ts';
import { isObj, str } from '../../core/util.ts';
import type { Normalized } from '../../core/ingress.ts';
import { readButton } from './render.ts';

const ok = (note: string): Normalized => ({ type: 'respond', response: json(200, { ok: true }), note });
const bad = (reason: string): Normalized => ({ type: 'reject', status: 400, reason });

type Obj = Record<string, unknown>;

/** Message subtypes that are still a person writing to us; every other subtype is ignored. */
const PERSON_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

/** Where and how the worker answers a turn: written here, read back by the sender (send.ts). */
export interface SlackReference {
  channel?: string;
  /** The thread the reply goes in (a channel mention's own ts starts one). */
  threadTs?: string;
  /** The traveller's message, for the progress reaction. */
  messageTs?: string;
  teamId?: string;
  userId?: string;
  enterpriseId?: string;
  isEnterpriseInstall?: boolean;
  /** A click: the message it was on (its buttons are retired at once), what was clicked. */
  clickedMessageTs?: string;
  clickedAction?: string;
  clickedLabel?: string;
  responseUrl?: string;
  /**
   * The turn is in an assistant thread (Slack's AI app container, `threadTs` its thread): progress
   * is the thread's status, suggestions are its suggested prompts, a shortlist titles the thread.
   */
  assistantThread?: boolean;
}

const REFERENCE_STRINGS = ['channel', 'threadTs', 'messageTs', 'teamId', 'userId', 'enterpriseId', 'clickedMessageTs', 'clickedAction', 'clickedLabel', 'responseUrl'] as const;

/**
 * What marks the blocks of a reply posted in an assistant thread (their block_id's prefix): a
 * click's payload names its block, so a click there is known to belong to that thread's conversation.
 */
export const ASSISTANT_BLOCK_PREFIX = 'assistant:';

const encodeSlackReference = (reference: SlackReference) => encodeReference(reference);

export function slackReference(record: { reference: Record<string, Json> }): SlackReference {
  return readReference(record.reference, REFERENCE_STRINGS, ['isEnterpriseInstall', 'assistantThread']);
}

export interface SlackNormalizeOptions {
  appId?: string;
}

export function normalizeSlack(request: HttpRequest, options: SlackNormalizeOptions = {}): Normalized {
  const type = mediaType(request);
  const raw = request.body.toString('utf8');
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return bad('Malformed JSON body');
    }
    return isObj(body) ? fromEnvelope(body, options) : bad('Expected a JSON object');
  }
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(raw);
    const payload = form.get('payload');
    if (payload === null) {
      // Slash commands and the like are not part of this app.
      return form.has('command') ? ok('slash command not handled') : bad('Form body without a payload');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return bad('Malformed interactivity payload');
    }
    return isObj(parsed) ? fromInteraction(parsed, options) : bad('Expected an interactivity payload object');
  }
  return { type: 'reject', status: 415, reason: `Unsupported content type "${type || 'none'}"` };
}

function fromEnvelope(body: Obj, options: SlackNormalizeOptions): Normalized {
  switch (body.type) {
    case 'url_verification': {
      const challenge = str(body.challenge);
      return challenge ? { type: 'respond', response: text(200, challenge) } : bad('url_verification without a challenge');
    }
    case 'event_callback':
      break;
    case 'app_rate_limited':
      return ok('app_rate_limited');
    default:
      return bad(`Unknown Slack request type "${String(body.type)}"`);
  }
  if (options.appId && body.api_app_id !== options.appId) return ok('event for another app');
  const event = body.event;
  const eventId = str(body.event_id);
  const teamId = str(body.team_id);
  if (!isObj(event) || !eventId || !teamId) return bad('event_callback without event, event_id or team_id');
  // Leaving: the app uninstalled, or its bot token revoked (a user token alone changes nothing).
  const enterpriseId = str(body.enterprise_id);
  const isEnterpriseInstall = body.is_enterprise_install === true;
  const leaving = event.type === 'app_uninstalled' || (event.type === 'tokens_revoked' && isObj(event.tokens) && Array.isArray(event.tokens.bot) && event.tokens.bot.length > 0);
  if (leaving) {
    return {
      type: 'erase_workspace',
      workspace: { workspaceId: teamId, ...(enterpriseId ? { enterpriseId } : {}), ...(isEnterpriseInstall ? { isEnterpriseInstall } : {}) },
      reason: String(event.type),
      ...(str(body.event_id) ? { requestId: str(body.event_id) } : {}),
      response: json(200, { ok: true }),
    };
  }
  if (event.type === 'assistant_thread_started') return fromAssistantThreadStarted(body, event, eventId, teamId);
  // The channel the traveller is looking at: the bridge reads no channel (no scope for it), so
  // there is nothing to keep and nothing to answer.
  if (event.type === 'assistant_thread_context_changed') return ok('assistant thread context changed: nothing to answer');
  if (event.type !== 'message' && event.type !== 'app_mention') return ok(`event ${String(event.type)} not handled`);
  // Slackbot and every app or integration (bot_id, bot_profile, bot_message) are not travellers:
  // answering them invites bot-to-bot loops.
  if (event.bot_id || isObj(event.bot_profile) || event.subtype === 'bot_message' || event.user === SLACKBOT) return ok('message from Slackbot or a bot');
  if (!PERSON_SUBTYPES.has(event.subtype as string | undefined)) return ok('edit, deletion or other subtype');
  const user = str(event.user);
  const channel = str(event.channel);
  const ts = str(event.ts);
  if (!user || !channel || !ts) return ok('message without user, channel or ts');

  const botUserId = botUserOf(body);
  if (botUserId && user === botUserId) return ok('our own message');
  const rawText = typeof event.text === 'string' ? event.text : '';
  const mentionsBot = event.type === 'app_mention' || (botUserId !== undefined && mentionedUsers(rawText).includes(botUserId));
  const isDm = channel.startsWith('D') || event.channel_type === 'im';
  const threadTs = str(event.thread_ts);
  // In channels: mentions start or continue a conversation; other thread replies count only
  // where the traveller already talks with us; everything else is people talking to each other.
  if (!isDm && !mentionsBot && !threadTs) return ok('channel message not addressed to the app');

  const ownMention = botUserId ?? (event.type === 'app_mention' ? guessedBotMention(rawText) : undefined);
  const textWithoutMention = readableText(rawText, ownMention);
  const hasFiles = Array.isArray(event.files) && event.files.length > 0;
  const keyword = keywordOf(textWithoutMention);
  const input: TurnInput = keyword
    ? { type: 'keyword', keyword }
    : textWithoutMention !== ''
      ? { type: 'text', text: textWithoutMention }
      : hasFiles
        ? { type: 'unsupported', what: 'files' }
        : { type: 'text', text: 'help' };

  // Slack marks a message in an assistant thread with `assistant_thread` (its action_token).
  const assistantThread = isDm && threadTs !== undefined && isObj(event.assistant_thread);
  // A DM is one conversation, and so is each assistant thread; in a channel, a thread is (a
  // top-level mention starts one).
  const conversationId = assistantThread ? `${channel}:${threadTs}` : isDm ? channel : `${channel}:${threadTs ?? ts}`;
  const replyThreadTs = isDm ? threadTs : (threadTs ?? ts);
  const reference = encodeSlackReference({ channel, messageTs: ts, teamId, userId: user, threadTs: replyThreadTs, ...(assistantThread ? { assistantThread } : {}), ...workspaceOf(body) });
  const turn: InboundTurn = {
    channel: 'slack',
    channelMessageId: eventId,
    // One message can arrive as two events (message.im + app_mention) or be retried with a new
    // event id: the message's own (channel, ts) is what makes it one.
    dedupeKey: `msg:${channel}:${ts}`,
    actorId: slackActorId(teamId, user),
    conversationId,
    input,
    reference,
    workspaceId: teamId,
  };
  // Seconds, as Slack sends it; a value no Date can hold (docs examples carry microseconds) is left out.
  const receivedAt = typeof body.event_time === 'number' ? new Date(body.event_time * 1000) : undefined;
  if (receivedAt && Number.isFinite(receivedAt.getTime())) turn.receivedAt = receivedAt.toISOString();
  if (!isDm && !mentionsBot) turn.onlyInKnownThread = true;
  return { type: 'turn', turn };
}

/**
 * The traveller opened the app's assistant container (a new thread): the bridge's welcome, whose
 * sample searches become the thread's suggested prompts. One welcome per thread, however often
 * Slack delivers the event.
 */
function fromAssistantThreadStarted(body: Obj, event: Obj, eventId: string, teamId: string): Normalized {
  const thread = isObj(event.assistant_thread) ? event.assistant_thread : {};
  const user = str(thread.user_id);
  const channel = str(thread.channel_id);
  const threadTs = str(thread.thread_ts);
  if (!user || !channel || !threadTs) return ok('assistant_thread_started without user_id, channel_id or thread_ts');
  const turn: InboundTurn = {
    channel: 'slack',
    channelMessageId: eventId,
    dedupeKey: `assistant:${channel}:${threadTs}`,
    actorId: slackActorId(teamId, user),
    conversationId: `${channel}:${threadTs}`,
    input: { type: 'welcome' },
    reference: encodeSlackReference({ channel, threadTs, teamId, userId: user, assistantThread: true, ...workspaceOf(body) }),
    workspaceId: teamId,
  };
  const receivedAt = typeof body.event_time === 'number' ? new Date(body.event_time * 1000) : undefined;
  if (receivedAt && Number.isFinite(receivedAt.getTime())) turn.receivedAt = receivedAt.toISOString();
  return { type: 'turn', turn };
}

/** The app's own bot user: from `authorizations`, or the older single-entry `authed_users`. */
function botUserOf(body: Obj): string | undefined {
  const authorizations = Array.isArray(body.authorizations) ? body.authorizations : [];
  for (const auth of authorizations) if (isObj(auth) && auth.is_bot === true && str(auth.user_id)) return auth.user_id as string;
  const authed = Array.isArray(body.authed_users) ? body.authed_users : [];
  return authed.length === 1 ? str(authed[0]) : undefined;
}

/** What finds the workspace's installation: its enterprise, and whether the install is org-wide. */
function workspaceOf(body: Obj): Pick<SlackReference, 'enterpriseId' | 'isEnterpriseInstall'> {
  const enterpriseId = str(body.enterprise_id) ?? (isObj(body.enterprise) ? str(body.enterprise.id) : undefined);
  return { ...(enterpriseId ? { enterpriseId } : {}), ...(body.is_enterprise_install === true ? { isEnterpriseInstall: true } : {}) };
}

const SLACKBOT = 'USLACKBOT';

const OWN = OWN_MENTION;

/** Slack's three escapes, decoded in one pass so that a typed "&amp;lt;" stays "&lt;". */
const unescapeSlack = (text: string) => text.replace(/&(amp|lt|gt);/g, (_m, name: string) => (name === 'amp' ? '&' : name === 'lt' ? '<' : '>'));

/** The users a message mentions, in order (`<@U…>` or the older `<@U…|name>`). */
function mentionedUsers(text: string): string[] {
  return [...text.matchAll(/<@([A-Z0-9]+)(?:\|[^<>]*)?>/g)].map((m) => m[1]!);
}

/**
 * An app_mention that names no bot user (an old payload without authorizations): the app is the
 * only user mentioned, or else the one the message starts or ends with.
 */
function guessedBotMention(text: string): string | undefined {
  const ids = mentionedUsers(text);
  if (new Set(ids).size === 1) return ids[0];
  return /^\s*<@([A-Z0-9]+)/.exec(text)?.[1] ?? /<@([A-Z0-9]+)(?:\|[^<>]*)?>[\s.!?]*$/.exec(text)?.[1];
}

/**
 * Slack's mrkdwn as a traveller would read it aloud
 * (https://docs.slack.dev/messaging/formatting-message-text): links, mentions and channel names
 * as words, the escapes decoded, the app's own mention removed wherever it stands. Brek gets what
 * the traveller saw, never markup that could ping a channel if it were echoed back.
 */
function readableText(raw: string, botUserId: string | undefined): string {
  const marked = raw.split(OWN).join('').replace(/<([^<>]*)>/g, (_m, inner: string) => readToken(inner, botUserId));
  return withoutOwnMention(unescapeSlack(marked));
}

/** One `<…>` token; what it becomes is still escaped (decoded with the rest of the text). */
function readToken(inner: string, botUserId: string | undefined): string {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : inner.slice(bar + 1).trim() || undefined;
  switch (target[0]) {
    case '@': {
      if (target.slice(1) === botUserId) return OWN;
      return label ? `@${label.replace(/^@/, '')}` : '@someone';
    }
    case '#':
      return `#${label?.replace(/^#/, '') ?? 'channel'}`;
    case '!': {
      // Special mentions as plain words: nothing Brek says back can notify a whole channel.
      const [command] = target.slice(1).split('^');
      if (command === 'here' || command === 'channel' || command === 'everyone') return `@${command}`;
      if (command === 'subteam') return label ? `@${label.replace(/^@/, '')}` : '@team';
      // <!date^…|fallback> and the like: the fallback text Slack gives for older clients.
      return label ?? '';
    }
  }
  if (target.startsWith('mailto:')) {
    const address = target.slice('mailto:'.length);
    return !label || label === address ? address : `${label} (${address})`;
  }
  if (!label || label === target) return target;
  // An autolinked "example.com" arrives as <http://example.com|example.com>: what was typed.
  if (label === target.replace(/^[a-z][a-z0-9+.-]*:(?:\/\/)?/i, '').replace(/\/$/, '')) return label;
  return `${label} (${target})`;
}

function fromInteraction(payload: Obj, options: SlackNormalizeOptions): Normalized {
  if (payload.type !== 'block_actions') return ok(`interaction ${String(payload.type)} not handled`);
  if (options.appId && payload.api_app_id !== undefined && payload.api_app_id !== options.appId) return ok('interaction for another app');
  const user = isObj(payload.user) ? str(payload.user.id) : undefined;
  const teamId = isObj(payload.team) ? str(payload.team.id) : isObj(payload.user) ? str(payload.user.team_id) : undefined;
  const container = isObj(payload.container) ? payload.container : {};
  const channel = str(container.channel_id) ?? (isObj(payload.channel) ? str(payload.channel.id) : undefined);
  const messageTs = str(container.message_ts);
  const action = Array.isArray(payload.actions) && isObj(payload.actions[0]) ? payload.actions[0] : undefined;
  if (!user || !teamId || !action) return bad('block_actions without user, team or action');
  if (!channel || !messageTs) return ok('click outside a message');
  const actionTs = str(action.action_ts);
  if (!actionTs) return bad('action without action_ts');

  const button = readButton(str(action.action_id) ?? '', str(action.value));
  const input = button && actionInputOf(button);
  if (!button || !input) return ok(`action ${String(action.action_id)} needs no turn`);

  const message = isObj(payload.message) ? payload.message : {};
  const threadTs = str(container.thread_ts) ?? str(message.thread_ts);
  const isDm = channel.startsWith('D');
  // A button on a reply in an assistant thread: that thread is the conversation (see ASSISTANT_BLOCK_PREFIX).
  const assistantThread = isDm && threadTs !== undefined && (str(action.block_id)?.startsWith(ASSISTANT_BLOCK_PREFIX) ?? false);
  const conversationId = assistantThread ? `${channel}:${threadTs}` : isDm ? channel : `${channel}:${threadTs ?? messageTs}`;
  const reference = encodeSlackReference({
    ...(assistantThread ? { assistantThread } : {}),
    channel,
    teamId,
    userId: user,
    clickedMessageTs: messageTs,
    clickedAction: button.action,
    clickedLabel: button.label,
    threadTs: isDm ? threadTs : (threadTs ?? messageTs),
    responseUrl: str(payload.response_url),
    ...workspaceOf(payload),
  });
  const channelMessageId = `${user}:${actionTs}`;
  return {
    type: 'turn',
    turn: {
      channel: 'slack',
      channelMessageId,
      actorId: slackActorId(teamId, user),
      conversationId,
      input,
      reference,
      workspaceId: teamId,
    },
  };
}
