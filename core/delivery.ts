// The delivery protocol: how a Reply reaches the traveller exactly once. The one retry layer of
// the bridge's channel sends lives here; senders never retry, they say what a failure means:
//   not_delivered — the platform certainly did nothing (429, a refusal before processing):
//                   retried as it is, after the platform's Retry-After;
//   permanent     — refused for good (revoked token, unknown channel, bad payload): never retried;
//   ambiguous     — the platform may have posted (timeout, dropped connection, 5xx): before any
//                   second try the sender's `find` asks the platform whether the part arrived; a
//                   sender that cannot ask leaves the part `unknown` — never a blind second copy.
// Before the first post a turn records a `sending` step on its thread (store/threads.ts) with the
// Reply itself, so a later attempt of the same turn — an in-process retry, a stream redelivery
// after a crash, an operator's replay — resumes that very reply and checks before re-posting.
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from './log.ts';
import type { Reply } from './reply.ts';
import type { InboxRecord } from './store/inbox.ts';
import type { ProgressNote } from './wording.ts';

export type FailureKind = 'not_delivered' | 'permanent' | 'ambiguous';

/** What a failed platform call means for a retry; `code` is the platform's (for metrics and logs). */
export interface FailureClass {
  kind: FailureKind;
  code: string;
  /** The platform's Retry-After, for not_delivered. */
  retryAfterMs?: number;
  /** Refused for what it is (invalid blocks, too long): the reply as plain text may still pass. */
  content?: boolean;
}

/** A sender's failure, already classified. Senders throw it; core reads `failure`. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly failure: FailureClass,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** A send the channel refused for good (a blocked number, outside a messaging window): never retried. */
export class PermanentSendError extends DeliveryError {
  constructor(message: string, code = 'permanent') {
    super(message, { kind: 'permanent', code });
    this.name = 'PermanentSendError';
  }
}

/** The code a failed send is counted under. */
export function sendFailureCode(error: unknown): string {
  return error instanceof DeliveryError ? error.failure.code : 'unknown';
}

/** Where one part of one reply goes, and what marks it as this turn's (for `find`). */
export interface PartContext {
  record: InboxRecord;
  /** Position of the part in the reply (WhatsApp splits long replies). */
  index: number;
  /** A short stable tag for (turn, part): Slack carries it in message metadata. */
  tag: string;
  /** When the delivery began (epoch ms): a lookup need not search before it. */
  since: number;
}

/**
 * One channel's outbound half. `Part` is the channel's own rendered message (Block Kit message,
 * activity, WhatsApp body); core only orders, journals and retries them.
 */
export interface ChannelSender<Part = unknown> {
  /**
   * The messages one reply becomes, in order. Pure: the same reply gives the same parts.
   * `placeholder`: the id of the progress message this turn posted (see `progress`), to replace.
   */
  compose(reply: Reply, record: InboxRecord, placeholder?: string): Part[];
  /** Posts one part; resolves to the platform's id for it (ts, activity id, Message SID). */
  post(part: Part, context: PartContext): Promise<string>;
  /**
   * After an ambiguous failure: the platform's id when the part did arrive, null when it certainly
   * did not, undefined when this part cannot be looked up (it stays `unknown`); throws when the
   * platform cannot tell now. A sender without `find` leaves every ambiguous part `unknown`.
   */
  find?(part: Part, context: PartContext): Promise<string | null | undefined>;
  /**
   * Posting this part again is harmless (an update of a message already there): an ambiguous
   * failure is then simply tried again, and a resumed delivery posts it without looking first.
   */
  repeatable?(part: Part): boolean;
  /**
   * The reply as plain text, links written out: what is posted instead when the platform refused
   * its rendering for what it is (a failure classified `content`: Slack invalid_blocks, a Teams
   * 413, Twilio 21617). Posted once, under tags of its own.
   */
  plain?(reply: Reply, record: InboxRecord, placeholder?: string): Part[];
  /** What a failure of post/find means. Anything not a DeliveryError is ambiguous unless said otherwise. */
  classify?(error: unknown): FailureClass;
  /** Checked before any work: the turn can be answered at all (e.g. the workspace still has the app). */
  ready?(record: InboxRecord): Promise<void>;
  /**
   * Shows the traveller that work started (before a Brek call that may take seconds). Best effort,
   * called once per attempt. Resolves to the id of a placeholder message the reply is then to
   * replace, where the channel posts one (Teams: an update in place is safe to repeat).
   */
  progress?(record: InboxRecord, note: ProgressNote): Promise<string | void>;
  /**
   * Takes the progress marker away once the turn is over, whatever its outcome. Best effort.
   * `outcome.placeholder`: the placeholder the reply was to replace, when the reply did not arrive.
   */
  clearProgress?(record: InboxRecord, outcome: { delivered: boolean; placeholder?: string }): Promise<void>;
  /** The traveller's UTC offset in minutes, when the channel can tell; asked once per new session. */
  timezoneOffsetMinutes?(record: InboxRecord): Promise<number | undefined>;
  /** The traveller's IANA time zone, when the channel can tell (Slack `users.info` tz); asked with the offset. */
  timeZone?(record: InboxRecord): Promise<string | undefined>;
}

/** What the delivery layer reads of a turn's `sending` step: which turn, since when, by which attempt. */
export interface DeliveryJournal {
  turn: string;
  since: number;
  token: string;
  /** Platform ids of parts known to have arrived, by index (written when the turn finishes). */
  receipts?: Record<string, string>;
  /** The progress message the reply replaces (sender.progress), when the channel posted one. */
  placeholder?: string;
  /**
   * Set once the attempt that wrote it finished: the parts that may have arrived unseen (an
   * ambiguous failure nobody could check). Every other part without a receipt certainly did not.
   * Unset (the attempt crashed mid-delivery): any part without a receipt may have arrived.
   */
  maybe?: number[];
}

/**
 * One processing of one inbox record, across the in-process retries of it: the lease token the
 * thread claim carries (so the SDK's retry of a claim whose answer was lost finds its own lease),
 * and what this process itself posted (so a retry knows which parts it never tried).
 */
export interface TurnAttempt {
  token: string;
  posted: Map<number, string | 'attempted'>;
  /** A Brek session this attempt created, kept for its retries (one session, one idempotency key). */
  session?: { sessionId: string; timezoneOffsetMinutes?: number; timeZone?: string };
  /** Progress shown by this attempt (so its retries do not show it again): the placeholder's id, if one was posted. */
  progress?: Promise<string | undefined>;
  /** When the invocation processing this record ends (epoch ms), if it does (a Lambda's time limit). */
  deadline?: number;
  /** Since when the traveller has waited for this turn (epoch ms): the bound on a wait for Brek's quota counts from it. */
  waitingSince?: number;
}

export function newAttempt(): TurnAttempt {
  return { token: randomBytes(9).toString('base64url'), posted: new Map() };
}

export type DeliveryResult =
  | { state: 'delivered'; receipts: Record<string, string> }
  | { state: 'not_delivered'; error: string; code: string; receipts: Record<string, string>; maybe: number[] }
  | { state: 'unknown'; error: string; code: string; receipts: Record<string, string>; maybe: number[] };

export interface DeliveryPolicy {
  /** Posts of one part that the platform certainly refused before we give up. */
  maxPosts: number;
  /** First backoff between tries; doubles, with jitter. */
  backoffMs: number;
  /** A Retry-After longer than this fails the delivery (the turn is failed and replayable). */
  maxRetryAfterMs: number;
  /** Wait after an ambiguous failure before asking the platform: a slow post may still land. */
  settleMs: number;
  /** Lookups of one part whose answer is "cannot tell now" before the part is left unknown. */
  maxLookups: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { maxPosts: 4, backoffMs: 250, maxRetryAfterMs: 10_000, settleMs: 1_000, maxLookups: 3 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function classifyWith(sender: ChannelSender, error: unknown): FailureClass {
  if (error instanceof DeliveryError) return error.failure;
  return sender.classify?.(error) ?? { kind: 'ambiguous', code: 'unknown' };
}

/** A short tag naming (turn, part) that carries nothing of the traveller. */
function partTag(dedupeKey: string, index: number): string {
  return `${createHash('sha256').update(dedupeKey).digest('base64url').slice(0, 16)}.${index}`;
}

/** Observers of sends (metrics): each failed platform call, with its class. */
export type SendObserver = (event: { code: string; kind: FailureKind }) => void;

/**
 * Delivers every part of `reply` not yet known to have arrived. `resumed`: an earlier attempt of
 * this turn recorded a `sending` step, so each part it may have posted is looked up first.
 */
export async function deliverParts<Part>(
  sender: ChannelSender<Part>,
  reply: Reply,
  record: InboxRecord,
  options: {
    attempt: TurnAttempt;
    journal: DeliveryJournal;
    resumed: boolean;
    policy?: Partial<DeliveryPolicy>;
    logger: Logger;
    onFailure?: SendObserver;
  },
): Promise<DeliveryResult> {
  const policy = { ...DEFAULT_DELIVERY_POLICY, ...options.policy };
  const { attempt, journal, logger } = options;
  if (!options.resumed) attempt.posted.clear();
  const receipts: Record<string, string> = { ...journal.receipts };
  // An earlier attempt already fell back to plain text: finish that.
  if (sender.plain && Object.keys(receipts).some((index) => Number(index) >= FALLBACK_INDEX)) {
    return deliverFallback(sender, sender.plain(reply, record, journal.placeholder), record, { ...options, policy }, { error: 'refused for its content earlier', code: 'content' });
  }
  const parts = sender.compose(reply, record, journal.placeholder);
  // Parts an earlier attempt, of which we know too little, may have posted unseen.
  const earlierMayHave = (index: number) => options.resumed && journal.token !== attempt.token && (journal.maybe === undefined || journal.maybe.includes(index));
  for (const [index, part] of parts.entries()) {
    if (receipts[index]) continue;
    const context: PartContext = { record, index, tag: partTag(record.dedupeKey, index), since: journal.since };
    const mine = attempt.posted.get(index);
    if (mine && mine !== 'attempted') {
      receipts[index] = mine;
      continue;
    }
    // Posted (maybe) by this process, or by an earlier attempt: ask first.
    const mayHaveArrived = mine === 'attempted' || earlierMayHave(index);
    const result = await deliverPart(sender, part, context, { mayHaveArrived, policy, attempt, logger, ...(options.onFailure ? { onFailure: options.onFailure } : {}) });
    // Refused for what it is, before anything of the reply arrived: the plain version, once.
    if (result.state === 'not_delivered' && result.failure?.content && Object.keys(receipts).length === 0 && sender.plain) {
      logger.warn('reply refused for its content; sending it as plain text', { code: result.code });
      return deliverFallback(sender, sender.plain(reply, record, journal.placeholder), record, { ...options, policy }, result);
    }
    if (result.state !== 'delivered') {
      // This part may have arrived only if it stayed unknown; later ones only if an earlier attempt may have posted them.
      const later = parts.map((_, i) => i).filter((i) => i > index && !receipts[i] && earlierMayHave(i));
      const maybe = [...(result.state === 'unknown' ? [index] : []), ...later];
      return { ...result, receipts, maybe };
    }
    receipts[index] = result.id;
  }
  return { state: 'delivered', receipts };
}

type PartResult = { state: 'delivered'; id: string } | { state: 'not_delivered' | 'unknown'; error: string; code: string; failure?: FailureClass };

/** Fallback parts take tags of their own (index 100+), so a resumed delivery can look them up too. */
const FALLBACK_INDEX = 100;

async function deliverFallback<Part>(
  sender: ChannelSender<Part>,
  parts: Part[],
  record: InboxRecord,
  options: { attempt: TurnAttempt; journal: DeliveryJournal; resumed: boolean; policy: DeliveryPolicy; logger: Logger; onFailure?: SendObserver },
  refused: { error: string; code: string },
): Promise<DeliveryResult> {
  const receipts: Record<string, string> = { ...options.journal.receipts };
  for (const [i, part] of parts.entries()) {
    const index = FALLBACK_INDEX + i;
    if (receipts[index]) continue;
    const context: PartContext = { record, index, tag: partTag(record.dedupeKey, index), since: options.journal.since };
    const mayHaveArrived = options.attempt.posted.get(index) === 'attempted' || (options.resumed && options.journal.token !== options.attempt.token);
    const result = await deliverPart(sender, part, context, { mayHaveArrived, policy: options.policy, attempt: options.attempt, logger: options.logger, ...(options.onFailure ? { onFailure: options.onFailure } : {}) });
    if (result.state !== 'delivered') {
      return { state: result.state, error: `${refused.error}; the plain text too: ${result.error}`, code: refused.code, receipts, maybe: result.state === 'unknown' ? [index] : [] };
    }
    receipts[index] = result.id;
  }
  return { state: 'delivered', receipts };
}

async function deliverPart<Part>(
  sender: ChannelSender<Part>,
  part: Part,
  context: PartContext,
  options: { mayHaveArrived: boolean; policy: DeliveryPolicy; attempt: TurnAttempt; logger: Logger; onFailure?: SendObserver },
): Promise<PartResult> {
  const { policy, attempt, logger } = options;
  const repeatable = sender.repeatable?.(part) ?? false;
  if (options.mayHaveArrived && !repeatable) {
    const found = await lookup(sender, part, context, policy, logger, false);
    if (found.state !== 'absent') return found;
  }
  let refused = 0;
  let mayShow = false;
  for (;;) {
    attempt.posted.set(context.index, 'attempted');
    try {
      const id = await sender.post(part, context);
      attempt.posted.set(context.index, id);
      return { state: 'delivered', id };
    } catch (error) {
      const failure = classifyWith(sender, error);
      options.onFailure?.({ code: failure.code, kind: failure.kind });
      logger.warn('reply send failed', { part: context.index, kind: failure.kind, code: failure.code, error: messageOf(error) });
      if (failure.kind === 'permanent') {
        attempt.posted.delete(context.index);
        return { state: 'not_delivered', error: messageOf(error), code: failure.code, failure };
      }
      // Asked again: a part can stop being repeatable (Teams: its placeholder was gone, so it was posted new).
      if (failure.kind === 'not_delivered' || (failure.kind === 'ambiguous' && (sender.repeatable?.(part) ?? false))) {
        attempt.posted.delete(context.index);
        refused += 1;
        // A repeated update that failed after the work may well be showing: that is unknown, not undelivered.
        if (failure.kind === 'ambiguous') mayShow = true;
        const wait = failure.retryAfterMs ?? policy.backoffMs * 2 ** (refused - 1) * (0.5 + Math.random());
        if (refused >= policy.maxPosts || wait > policy.maxRetryAfterMs) {
          return { state: mayShow ? 'unknown' : 'not_delivered', error: messageOf(error), code: failure.code };
        }
        await sleep(wait);
        continue;
      }
      // Ambiguous: the platform may show it already. Never post again without asking.
      const found = await lookup(sender, part, context, policy, logger, true);
      if (found.state !== 'absent') return found.state === 'unknown' ? { ...found, error: `${messageOf(error)}; ${found.error}`, code: failure.code } : found;
      attempt.posted.delete(context.index);
      refused += 1;
      if (refused >= policy.maxPosts) return { state: 'not_delivered', error: messageOf(error), code: failure.code };
    }
  }
}

/** Asks the platform whether a part arrived: delivered, absent (certainly not), or unknown. */
async function lookup<Part>(
  sender: ChannelSender<Part>,
  part: Part,
  context: PartContext,
  policy: DeliveryPolicy,
  logger: Logger,
  afterFailure: boolean,
): Promise<PartResult | { state: 'absent' }> {
  if (!sender.find) return { state: 'unknown', error: 'the channel cannot say whether it arrived', code: 'unverifiable' };
  if (afterFailure) await sleep(policy.settleMs);
  let last: unknown;
  for (let tries = 1; tries <= policy.maxLookups; tries++) {
    try {
      const id = await sender.find(part, context);
      if (id === undefined) return { state: 'unknown', error: 'this message cannot be looked up on the channel', code: 'unverifiable' };
      logger.info(id ? 'reply found on the platform: not sent again' : 'reply not on the platform: sending', { part: context.index });
      return id ? { state: 'delivered', id } : { state: 'absent' };
    } catch (error) {
      last = error;
      logger.warn('could not check whether the reply arrived', { part: context.index, error: messageOf(error) });
      if (tries < policy.maxLookups) await sleep(policy.backoffMs * 2 ** (tries - 1));
    }
  }
  return { state: 'unknown', error: `could not check whether it arrived: ${messageOf(last)}`, code: 'lookup_failed' };
}
