// Delivers Replies through Slack's Web API (@slack/web-api WebClient): in the DM, or in the
// thread of a channel mention; a refusal to someone who clicked another traveller's button is
// ephemeral. Progress shows within a second: an hourglass reaction on the traveller's message,
// or the clicked message replaced by what is happening (which also retires its buttons).
//
// Exactly once (core/delivery.ts): the WebClient never retries (a retried chat.postMessage whose
// answer was lost is a second message); each failure is classified here, and every posted reply
// carries message metadata naming its turn and part, so after an ambiguous failure `find` looks
// for it in the conversation (conversations.history / .replies with include_all_metadata) before
// anything is posted again. Ephemeral messages cannot be looked up: those stay at most once.
import { WebClient, type WebAPICallResult } from '@slack/web-api';
import { DeliveryError, PermanentSendError, type ChannelSender, type FailureClass, type PartContext } from '../../core/delivery.ts';
import type { Logger } from '../../core/log.ts';
import type { Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { slackReference } from './normalize.ts';
import { escapeMrkdwn, renderClicked, renderSlack, type SlackMessage } from './render.ts';
import { plainReplyText } from '../../core/plain-text.ts';

const PROGRESS_REACTION = 'hourglass_flowing_sand';
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

/** An empty token (every workspace installed through OAuth) makes a client each call names its token for. */
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
  ) {}

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
    const user = slackReference(record).userId;
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
    const thread = threadTs ? { thread_ts: threadTs } : {};
    const { text } = part.message;
    // A plain-text fallback has no blocks: the text is the message.
    const blocks = part.message.blocks.length ? { blocks: part.message.blocks } : {};
    return this.withToken(context.record, async (auth) => {
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

  async progress(record: InboxRecord): Promise<void> {
    const ref = slackReference(record);
    if (!ref.channel) return;
    const channel = ref.channel;
    await this.withToken(record, async (auth) => {
      if (record.input.type === 'action' && ref.clickedMessageTs) {
        // An update: safe to repeat, so an ambiguous failure here needs no check.
        const message = renderClicked(ref.clickedLabel, ref.clickedAction ?? record.input.action);
        await this.web.chat.update({ ...auth, channel, ts: ref.clickedMessageTs, text: message.text, blocks: message.blocks });
        return;
      }
      if (ref.messageTs) await this.web.reactions.add({ ...auth, channel, timestamp: ref.messageTs, name: PROGRESS_REACTION });
    });
  }

  async clearProgress(record: InboxRecord, _outcome?: { delivered: boolean }): Promise<void> {
    const ref = slackReference(record);
    if (!ref.channel || !ref.messageTs || record.input.type !== 'text') return;
    const auth = await this.auth(record);
    // A reaction that is already gone (or never went on) is fine.
    await this.web.reactions.remove({ ...auth, channel: ref.channel, timestamp: ref.messageTs, name: PROGRESS_REACTION }).catch(() => undefined);
  }

  async timezoneOffsetMinutes(record: InboxRecord): Promise<number | undefined> {
    const user = slackReference(record).userId;
    if (!user) return undefined;
    const info = await this.withToken(record, (auth) => this.web.users.info({ ...auth, user }));
    const seconds = info.user?.tz_offset;
    return typeof seconds === 'number' ? Math.round(seconds / 60) : undefined;
  }
}
