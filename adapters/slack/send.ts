// Delivers Replies through Slack's Web API (@slack/web-api WebClient): in the DM, or in the
// thread of a channel mention; a refusal to someone who clicked another traveller's button is
// ephemeral. Progress shows within a second: an hourglass reaction on the traveller's message
// once Brek has taken PROGRESS_REACTION_DELAY_MS without an answer (a quick answer needs no
// marker, so no add and no removal), or the clicked message replaced by what is happening (which
// also retires its buttons). In an
// assistant thread (Slack's AI app container) progress is the thread's status instead
// (assistant.threads.setStatus, which Slack clears when the answer is posted: no call to clear
// it after a reply this process saw arrive), what the traveller can say next becomes
// the thread's suggested prompts, and a shortlist titles the thread with the search.
//
// Exactly once (core/delivery.ts): the WebClient never retries (a retried chat.postMessage whose
// answer was lost is a second message); each failure is classified here, and every posted reply
// carries message metadata naming its turn and part, so after an ambiguous failure `find` looks
// for it in the conversation (conversations.history / .replies with include_all_metadata) before
// anything is posted again. Ephemeral messages cannot be looked up: those stay at most once.
import { WebClient, type WebAPICallResult } from '@slack/web-api';
import { DeliveryError, PermanentSendError, type ChannelSender, type FailureClass, type PartContext } from '../../core/delivery.ts';
import type { Logger } from '../../core/log.ts';
import { clipText, type Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import type { ProgressNote } from '../../core/wording.ts';
import { ASSISTANT_BLOCK_PREFIX, slackReference } from './normalize.ts';
import { escapeMrkdwn, renderClicked, renderSlack, renderSlackAssistant, type SlackMessage, type SuggestedPrompts } from './render.ts';
import { plainReplyText } from '../../core/plain-text.ts';

const PROGRESS_REACTION = 'hourglass_flowing_sand';
/** How long a DM or mention waits before its hourglass goes on: an answer by then is the progress. */
export const PROGRESS_REACTION_DELAY_MS = 700;
/**
 * A reaction timer this much later than asked was frozen with its process (a Lambda between
 * invocations): its turn is long over, so nothing goes on that nobody would take off.
 */
const FROZEN_TIMER_MS = 2_000;
/** Turns whose hourglass this process tracks (one that never finished must not pile up). */
const REACTIONS_KEPT = 1_000;
/** The metadata event type of the bridge's replies (Slack: letters, digits and underscores). */
export const REPLY_EVENT_TYPE = 'brek_bridge_reply';
/** Slack's own words for "we failed, and something may have happened" (its docs say so of fatal_error). */
const AMBIGUOUS_ERRORS = new Set(['internal_error', 'fatal_error', 'request_timeout', 'service_unavailable']);
/** Refusals of what the message is, not of who sends it: the plain text may still pass. */
const CONTENT_ERRORS = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'invalid_attachments', 'too_many_attachments', 'invalid_metadata_format']);
/**
 * Slack's answers meaning "this workspace's token no longer works": the app uninstalled, the token
 * revoked or rotated away, the workspace gone. Permanent, counted as `not_installed` (no retry or
 * other token changes them until the workspace installs again).
 */
const NOT_INSTALLED_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'team_not_found', 'app_uninstalled', 'team_disabled']);
export const NOT_INSTALLED = 'not_installed';
/** How far back a lookup reaches before the delivery began: clocks differ a little. */
const LOOKUP_SKEW_SECONDS = 60;
const LOOKUP_PAGES = 5;
/** assistant.threads.setStatus rotates through at most ten loading messages. */
const MAX_LOADING_MESSAGES = 10;
/** Our own caps: a status line and a thread title stay one short line. */
const STATUS_MAX = 100;
const TITLE_MAX = 60;
/** Travellers whose users.info is kept (tz and tz_offset from one call), and for how long. */
const PEOPLE_KEPT = 5_000;
const PERSON_TTL_MS = 6 * 3_600_000;

/**
 * An empty token (every workspace installed through OAuth) makes a client each call names its token for.
 * @slack/web-api 8 calls through the global fetch (no axios, no agent to give): Node's fetch keeps
 * its connections alive, so a warm worker reuses one to Slack across calls and turns.
 */
export function slackWebClient(token: string, apiUrl: string, options: { timeoutMs?: number } = {}): WebClient {
  return new WebClient(token || undefined, {
    slackApiUrl: apiUrl,
    // The delivery layer decides what is retried; a 429 comes back at once with its Retry-After.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 10_000,
    allowAbsoluteUrls: false,
  });
}

/** The WebClient's error shapes (see @slack/web-api errors.ts), as far as classifying needs them. */
interface WebApiFailure {
  code?: string;
  retryAfter?: number;
  statusCode?: number;
  data?: { error?: unknown };
  original?: { code?: unknown };
}

/** What a failed Web API call means for a retry. */
export function classifySlackError(error: unknown): FailureClass {
  if (error instanceof DeliveryError) return error.failure;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as WebApiFailure;
  switch (failure.code) {
    case 'slack_webapi_rate_limited_error':
      return { kind: 'not_delivered', code: 'ratelimited', retryAfterMs: (failure.retryAfter ?? 1) * 1000 };
    case 'slack_webapi_platform_error': {
      const code = typeof failure.data?.error === 'string' ? failure.data.error : 'platform_error';
      if (code === 'ratelimited') return { kind: 'not_delivered', code };
      // Everything else Slack names (channel_not_found, invalid_blocks…) is refused for good.
      if (AMBIGUOUS_ERRORS.has(code)) return { kind: 'ambiguous', code };
      if (NOT_INSTALLED_ERRORS.has(code)) return { kind: 'permanent', code: NOT_INSTALLED };
      return { kind: 'permanent', code, ...(CONTENT_ERRORS.has(code) ? { content: true } : {}) };
    }
    case 'slack_webapi_http_error': {
      const status = failure.statusCode ?? 0;
      if (status === 429) return { kind: 'not_delivered', code: '429' };
      return { kind: status >= 500 ? 'ambiguous' : 'permanent', code: String(status || 'http') };
    }
    case 'slack_webapi_request_error': {
      // Refused before a byte was sent: certainly nothing posted. Resets and timeouts may have posted.
      const cause = typeof failure.original?.code === 'string' ? failure.original.code : 'network';
      return { kind: cause === 'ECONNREFUSED' ? 'not_delivered' : 'ambiguous', code: cause };
    }
    default:
      return { kind: 'ambiguous', code: 'unknown' };
  }
}

/** A workspace's bot token for a turn (multi-workspace installs); undefined = the client's own. */
export interface SlackTokenFor {
  (record: InboxRecord): Promise<string | undefined>;
  /** Slack refused this token as not installed: a cached copy is dropped, not used again. */
  refused?(record: InboxRecord, token: string): void;
}

/** One Slack message of a reply: posted to the conversation, or shown only to one user. */
export interface SlackPart {
  message: SlackMessage;
  ephemeralFor?: string;
  /** In an assistant thread: the prompts set before the message, and the title set after it. */
  assistant?: {
    prompts?: SuggestedPrompts;
    /** Posted instead of `message` when the prompts cannot be set: the suggestions as buttons. */
    withButtons?: SlackMessage;
    title?: string;
  };
}

/** What users.info says of a traveller's time zone. */
interface PersonZone {
  timeZone?: string;
  offsetMinutes?: number;
}

/** The thread's title from the traveller's search: what they asked, cut to one line. */
function threadTitle(record: InboxRecord): string | undefined {
  const input = record.input;
  const text = input.type === 'text' || (input.type === 'action' && input.action === 'say') ? input.text.replace(/\s+/g, ' ').trim() : '';
  return text ? clipText(text, TITLE_MAX) : undefined;
}

/**
 * A turn's hourglass in this process: waiting for its delay, called off (the answer came first),
 * or added (its Web API call, settled or not) and so to be taken off.
 */
type TurnReaction = { state: 'waiting'; timer: ReturnType<typeof setTimeout> } | { state: 'called_off' } | { state: 'added'; call: Promise<unknown> };

export interface SlackSenderOptions {
  /** How long a DM or mention waits before its hourglass (default PROGRESS_REACTION_DELAY_MS; 0: at once). */
  progressReactionDelayMs?: number;
}

interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

export class SlackSender implements ChannelSender<SlackPart> {
  constructor(
    private readonly web: WebClient,
    private readonly logger?: Logger,
    private readonly tokenFor?: SlackTokenFor,
    options: SlackSenderOptions = {},
  ) {
    this.reactionDelayMs = options.progressReactionDelayMs ?? PROGRESS_REACTION_DELAY_MS;
  }

  private readonly reactionDelayMs: number;
  /** Each turn's hourglass by its dedupe key, so it costs a removal only where it went on. */
  private readonly reactions = new Map<string, TurnReaction>();
  /** Turns whose answer this process posted into their assistant thread: Slack cleared the status with it. */
  private readonly statusCleared = new Set<string>();

  /** users.info per traveller (`team:user`): one call serves both the zone and the offset. */
  private readonly people = new Map<string, { at: number; zone: Promise<PersonZone> }>();

  /** The `token` argument of every Web API call for this turn's workspace. */
  private async auth(record: InboxRecord): Promise<{ token?: string }> {
    const token = await this.tokenFor?.(record);
    return token ? { token } : {};
  }

  /** Web API calls with this turn's token; one Slack refuses as not installed is not used again. */
  private async withToken<T>(record: InboxRecord, calls: (auth: { token?: string }) => Promise<T>): Promise<T> {
    const auth = await this.auth(record);
    try {
      return await calls(auth);
    } catch (error) {
      if (auth.token && classifySlackError(error).code === NOT_INSTALLED) this.tokenFor?.refused?.(record, auth.token);
      throw error;
    }
  }

  classify(error: unknown): FailureClass {
    return classifySlackError(error);
  }

  async ready(record: InboxRecord): Promise<void> {
    // A workspace without an installation refuses here, before Brek hears of the turn.
    await this.auth(record);
  }

  compose(reply: Reply, record: InboxRecord): SlackPart[] {
    const ref = slackReference(record);
    const user = ref.userId;
    if (ref.assistantThread && ref.threadTs && reply.status !== 'bridge_not_your_button') {
      const { message, prompts, withButtons } = renderSlackAssistant(reply, ASSISTANT_BLOCK_PREFIX);
      const title = reply.kind === 'shortlist' ? threadTitle(record) : undefined;
      const assistant = { ...(prompts ? { prompts } : {}), ...(withButtons && prompts ? { withButtons } : {}), ...(title ? { title } : {}) };
      return [{ message, ...(Object.keys(assistant).length ? { assistant } : {}) }];
    }
    const message = renderSlack(reply);
    return [reply.status === 'bridge_not_your_button' && user ? { message, ephemeralFor: user } : { message }];
  }

  /** The reply as mrkdwn-escaped plain text, links written out (Slack links them itself). */
  plain(reply: Reply, record: InboxRecord): SlackPart[] {
    const [part] = this.compose(reply, record);
    return [{ message: { text: escapeMrkdwn(plainReplyText(reply)), blocks: [] }, ...(part?.ephemeralFor ? { ephemeralFor: part.ephemeralFor } : {}) }];
  }

  async post(part: SlackPart, context: PartContext): Promise<string> {
    const { channel, threadTs } = slackReference(context.record);
    if (!channel) throw new PermanentSendError('slack reference without a channel', 'no_channel');
    // The answer is on its way: an hourglass not yet on never needs to go on.
    this.callOffReaction(context.record.dedupeKey);
    const thread = threadTs ? { thread_ts: threadTs } : {};
    return this.withToken(context.record, async (auth) => {
      // Set before the message, so the traveller sees the suggestions with it; setting them again
      // (a retried post) changes nothing. Refused, the suggestions go in the message as buttons.
      let message = part.message;
      const prompts = part.assistant?.prompts;
      if (prompts && threadTs) {
        await this.web.assistant.threads.setSuggestedPrompts({ ...auth, channel_id: channel, thread_ts: threadTs, title: prompts.title, prompts: prompts.prompts }).catch((error: unknown) => {
          if (classifySlackError(error).code === NOT_INSTALLED) throw error;
          this.logger?.warn('suggested prompts not set', { error: classifySlackError(error).code });
          if (part.assistant?.withButtons) message = part.assistant.withButtons;
        });
      }
      const { text } = message;
      // A plain-text fallback has no blocks: the text is the message.
      const blocks = message.blocks.length ? { blocks: message.blocks } : {};
      if (part.ephemeralFor) {
        const result = await this.web.chat.postEphemeral({ ...auth, channel, user: part.ephemeralFor, text, ...blocks, ...thread });
        return String(result.message_ts ?? 'ephemeral');
      }
      const result = await this.web.chat.postMessage({
        ...auth,
        channel,
        text,
        ...blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...thread,
        metadata: { event_type: REPLY_EVENT_TYPE, event_payload: { part: context.tag } },
      });
      if (threadTs && slackReference(context.record).assistantThread) this.noteStatusCleared(context.record.dedupeKey);
      const title = part.assistant?.title;
      if (title && threadTs) {
        // Best effort: the answer is out; an untitled thread is still the traveller's.
        await this.web.assistant.threads
          .setTitle({ ...auth, channel_id: channel, thread_ts: threadTs, title })
          .catch((error: unknown) => this.logger?.warn('assistant thread title not set', { error: classifySlackError(error).code }));
      }
      return String(result.ts);
    });
  }

  /** The message of this turn and part in the conversation, by its metadata; null when absent. */
  async find(part: SlackPart, context: PartContext): Promise<string | null | undefined> {
    if (part.ephemeralFor) return undefined; // no API shows another user's ephemeral messages
    const { channel, threadTs } = slackReference(context.record);
    if (!channel) return null;
    const oldest = String(Math.floor(context.since / 1000) - LOOKUP_SKEW_SECONDS);
    return this.withToken(context.record, async (auth) => {
      let cursor: string | undefined;
      for (let page = 0; page < LOOKUP_PAGES; page++) {
        const args = { ...auth, channel, oldest, inclusive: true, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) };
        const result: WebAPICallResult & { messages?: HistoryMessage[] } = threadTs
          ? await this.web.conversations.replies({ ...args, ts: threadTs })
          : await this.web.conversations.history(args);
        const mine = result.messages?.find((m) => m.metadata?.event_type === REPLY_EVENT_TYPE && m.metadata.event_payload?.part === context.tag);
        if (mine?.ts) return mine.ts;
        cursor = result.response_metadata?.next_cursor || undefined;
        if (!cursor) return null;
      }
      // More than LOOKUP_PAGES pages since the delivery began: too busy a channel to be sure.
      throw new Error('too many messages since the delivery began to look through');
    });
  }

  async progress(record: InboxRecord, note?: ProgressNote): Promise<void> {
    const ref = slackReference(record);
    if (!ref.channel) return;
    const channel = ref.channel;
    await this.withToken(record, async (auth) => {
      const clicked = record.input.type === 'action' && ref.clickedMessageTs;
      if (clicked) {
        // An update: safe to repeat, so an ambiguous failure here needs no check.
        const message = renderClicked(ref.clickedLabel, ref.clickedAction ?? (record.input.type === 'action' ? record.input.action : ''));
        await this.web.chat.update({ ...auth, channel, ts: clicked, text: message.text, blocks: message.blocks });
      }
      if (ref.assistantThread && ref.threadTs) {
        // The thread's own "is working" line, rotating through what Brek is doing; Slack clears it
        // when the answer is posted (and drops it after two minutes without one).
        const status = clipText(note?.status ?? 'Working on it…', STATUS_MAX);
        const loading = (note?.loading ?? []).slice(0, MAX_LOADING_MESSAGES).map((line) => clipText(line, STATUS_MAX));
        await this.web.assistant.threads.setStatus({ ...auth, channel_id: channel, thread_ts: ref.threadTs, status, ...(loading.length ? { loading_messages: loading } : {}) });
        return;
      }
      if (!clicked && ref.messageTs) await this.reactLater(record, channel, ref.messageTs);
    });
  }

  /** The hourglass, once the delay passes without the answer (at once with no delay). */
  private async reactLater(record: InboxRecord, channel: string, timestamp: string): Promise<void> {
    const key = record.dedupeKey;
    if (this.reactions.has(key)) return; // this turn's hourglass is already in hand
    const add = (): Promise<unknown> => {
      const call = this.withToken(record, (auth) => this.web.reactions.add({ ...auth, channel, timestamp, name: PROGRESS_REACTION }));
      this.track(key, { state: 'added', call });
      return call;
    };
    if (this.reactionDelayMs <= 0) {
      await add();
      return;
    }
    const due = Date.now() + this.reactionDelayMs;
    const timer = setTimeout(() => {
      if (this.reactions.get(key)?.state !== 'waiting') return;
      if (Date.now() - due > FROZEN_TIMER_MS) {
        // No clearProgress may come for this turn here; one that does removes without knowing, as before.
        this.reactions.delete(key);
        return;
      }
      add().catch((error: unknown) => this.logger?.warn('progress indicator failed', { error: classifySlackError(error).code }));
    }, this.reactionDelayMs);
    // A pending hourglass never keeps a process alive.
    timer.unref?.();
    this.track(key, { state: 'waiting', timer });
  }

  private track(key: string, reaction: TurnReaction): void {
    this.reactions.delete(key);
    this.reactions.set(key, reaction);
    if (this.reactions.size <= REACTIONS_KEPT) return;
    // Oldest first out (a Map keeps insertion order): a turn that never finished here.
    const [oldest, dropped] = this.reactions.entries().next().value!;
    if (dropped.state === 'waiting') clearTimeout(dropped.timer);
    this.reactions.delete(oldest);
  }

  private noteStatusCleared(key: string): void {
    this.statusCleared.add(key);
    // Oldest first out: a turn whose clearProgress never came here.
    if (this.statusCleared.size > REACTIONS_KEPT) this.statusCleared.delete(this.statusCleared.values().next().value!);
  }

  private callOffReaction(key: string): void {
    const reaction = this.reactions.get(key);
    if (reaction?.state !== 'waiting') return;
    clearTimeout(reaction.timer);
    this.reactions.set(key, { state: 'called_off' });
  }

  async clearProgress(record: InboxRecord, _outcome?: { delivered: boolean }): Promise<void> {
    const ref = slackReference(record);
    if (!ref.channel) return;
    if (ref.assistantThread && ref.threadTs) {
      // The answer cleared it already where it was posted (and seen to arrive) here.
      if (this.statusCleared.delete(record.dedupeKey)) return;
      if (record.input.type !== 'text' && record.input.type !== 'action') return;
      // An empty status ends one left by a failed turn, or by an answer whose arrival is unknown.
      const auth = await this.auth(record);
      await this.web.assistant.threads.setStatus({ ...auth, channel_id: ref.channel, thread_ts: ref.threadTs, status: '' }).catch(() => undefined);
      return;
    }
    if (!ref.messageTs) return;
    const reaction = this.reactions.get(record.dedupeKey);
    if (reaction) {
      this.reactions.delete(record.dedupeKey);
      if (reaction.state === 'waiting') clearTimeout(reaction.timer);
      // Never put on by this process: nothing to take off.
      if (reaction.state !== 'added') return;
      // After the add has settled (an ambiguous failure may still have added it), never before it.
      await reaction.call.catch(() => undefined);
    } else if (record.input.type !== 'text') return;
    // Untracked here (a turn resumed after a crash elsewhere) it is removed without knowing, as always.
    // A reaction that is already gone (or never went on) is fine.
    const auth = await this.auth(record);
    await this.web.reactions.remove({ ...auth, channel: ref.channel, timestamp: ref.messageTs, name: PROGRESS_REACTION }).catch(() => undefined);
  }

  async timezoneOffsetMinutes(record: InboxRecord): Promise<number | undefined> {
    return (await this.zoneOf(record)).offsetMinutes;
  }

  /** The traveller's IANA zone (users.info `tz`): every date they read is written in it. */
  async timeZone(record: InboxRecord): Promise<string | undefined> {
    return (await this.zoneOf(record)).timeZone;
  }

  /** One users.info per traveller, shared by the zone and the offset (asked together) and kept a while. */
  private zoneOf(record: InboxRecord): Promise<PersonZone> {
    const { teamId, userId } = slackReference(record);
    if (!userId) return Promise.resolve({});
    const key = `${teamId ?? ''}:${userId}`;
    const now = Date.now();
    const known = this.people.get(key);
    if (known && now - known.at < PERSON_TTL_MS) return known.zone;
    const zone = this.withToken(record, (auth) => this.web.users.info({ ...auth, user: userId })).then(({ user }) => {
      const seconds = user?.tz_offset;
      return { ...(typeof user?.tz === 'string' && user.tz ? { timeZone: user.tz } : {}), ...(typeof seconds === 'number' ? { offsetMinutes: Math.round(seconds / 60) } : {}) };
    });
    // A failed lookup is not kept: the next session asks again.
    zone.catch(() => this.people.get(key)?.zone === zone && this.people.delete(key));
    this.people.delete(key);
    this.people.set(key, { at: now, zone });
    // Oldest first out (a Map keeps insertion order).
    if (this.people.size > PEOPLE_KEPT) this.people.delete(this.people.keys().next().value!);
    return zone;
  }
}
