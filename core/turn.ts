// processTurn: the worker's whole job for one inbox record. Claim its thread, get the thread's
// Brek session, send the turn to POST /events under its idempotency key, turn the result into a
// Reply, hand that to the channel's sender, and record the outcome on the thread. Every failure
// ends in a reply (an apology at worst) and a visible `failed` record — never a silent drop.
// A steady-state turn costs two DynamoDB requests here (claim, finish): see store/threads.ts.
import type { AttemptInfo, BrekClient, SendEventInput } from './brek/client.ts';
import { BrekError, isBrekError } from './brek/errors.ts';
import { idempotencyKey, type Channel } from './identity.ts';
import type { Logger } from './log.ts';
import { replyFromResult, textReply, type Reply } from './reply.ts';
import type { InboxRecord, InboxStore, StoredBrekResult } from './store/inbox.ts';
import { threadKey, type ThreadRecord, type ThreadStore, type ThreadUpdate, type Thread } from './store/threads.ts';

/** The bridge's own words, kept together so every channel says the same thing. */
export const MESSAGES = {
  cardNumber:
    'For your security I did not read or keep that message: it looked like a card number. Please never send card details in chat — use the secure payment link instead.',
  unsupported: (what: string) => `Sorry, I can only read text messages, not ${what}. Please type your request.`,
  notYourButton: 'That button belongs to someone else’s conversation, so I did not act on it. Send me a message to start your own search.',
  busy: 'Sorry — the booking service is busy right now, so I could not handle that message. Please try again in a minute.',
  unavailable: 'Sorry — something went wrong on our side and I could not handle that message. Please try again later.',
  optedOut: 'You are unsubscribed and will not get messages from us. Reply START to resume.',
  optedIn: 'Welcome back! Tell me where and when you would like to stay.',
  help: 'I find and book hotels. Tell me a city and dates (e.g. "Seattle Mar 20-23"), reply with an option’s number to book, and follow the secure payment link. Reply STOP to unsubscribe.',
  pickInRange: (count: number) => `Please reply with a number from 1 to ${count} to book one of the options above.`,
  forgotten:
    'Done — I have deleted your conversations and messages with me, in every chat where we talked. If you write to me again, I will start afresh.',
  welcome:
    'Hi! I can find and book hotels for you. Tell me where and when — for example "Seattle Mar 20-23, 1 room, refundable" — and I will show you options to book.',
} as const;

/** A send the channel refused for good (a blocked number, outside a messaging window): not retried. */
export class PermanentSendError extends Error {
  constructor(
    message: string,
    /** The channel's own error code, for metrics (e.g. Twilio's 63016). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A send that failed after the sender's retries; `code` is the channel's error code or HTTP status. */
export class SendFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The code a refused send is counted under: the channel's own, else the error's kind. */
export function sendFailureCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const { code, data, name } = error as { code?: unknown; data?: { error?: unknown }; name?: unknown };
  // Slack's WebClient: a platform error's own code (e.g. channel_not_found) is in data.error.
  if (typeof data?.error === 'string') return data.error;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  if (error instanceof PermanentSendError) return 'permanent';
  return typeof name === 'string' && name !== 'Error' ? name : 'unknown';
}

export interface ChannelSender {
  /** Delivers one Reply for one inbox record; throws when the channel refused it. */
  send(reply: Reply, record: InboxRecord): Promise<void>;
  /** Shows the traveller that work started (before a Brek call that may take seconds). Best effort. */
  progress?(record: InboxRecord): Promise<void>;
  /** The traveller's UTC offset in minutes, when the channel can tell; asked once per new session. */
  timezoneOffsetMinutes?(record: InboxRecord): Promise<number | undefined>;
}

export interface TurnDeps {
  inbox: InboxStore;
  threads: ThreadStore;
  brek: BrekClient;
  senders: Partial<Record<Channel, ChannelSender>>;
  idempotencyPrefix: string;
  logger: Logger;
  /** How long one turn may hold its thread; longer than Brek's worst case with retries. */
  leaseMs?: number;
  /** Tries per reply delivery, and the first backoff between them. */
  sendAttempts?: number;
  sendBackoffMs?: number;
  /** Sees each step of every turn (metrics, the local stack's console); must not throw. */
  observe?: (event: TurnEvent) => void;
}

/** A step of one turn, for observers: taken up, answered by Brek, a send refused, finished. */
export type TurnEvent =
  | { kind: 'processing'; record: InboxRecord }
  | { kind: 'send_failed'; record: InboxRecord; code: string }
  | { kind: 'brek'; record: InboxRecord; answer: StoredBrekResult }
  | {
      kind: 'finished';
      record: InboxRecord;
      state: 'replied' | 'failed' | 'ignored';
      status: string;
      error?: string;
      reply?: Reply;
      /** Brek's request id of the answer, or of the call that failed. */
      brekRequestId?: string;
      traceId?: string;
    };

export type TurnOutcome =
  | { outcome: 'replied'; status: string }
  | { outcome: 'failed'; status: string; error: string }
  | { outcome: 'ignored'; reason: string }
  /** Another turn holds the thread (or a re-delivery while the first try still runs): retry later. */
  | { outcome: 'busy' }
  | { outcome: 'skipped' };

const DEFAULT_LEASE_MS = 90_000;

/** One observer made of several (metrics and the console both watch the local stack's turns). */
export function allObservers(...observers: ((event: TurnEvent) => void)[]): (event: TurnEvent) => void {
  return (event) => {
    for (const observe of observers) observe(event);
  };
}

/** Brek's call for a turn: what to send and the `action` part of its idempotency key. */
interface BrekCall {
  action: string;
  event: Omit<SendEventInput, 'sessionId' | 'idempotencyKey'>;
}

class TurnFailure extends Error {
  constructor(
    readonly reply: Reply,
    message: string,
    /** The failed Brek call's `x-request-id`, kept with the outcome for tracing. */
    readonly brekRequestId?: string,
  ) {
    super(message);
  }
}

/** What a turn produced besides its reply: changes for its thread, and Brek's answer if any. */
interface TurnWork {
  update: ThreadUpdate;
  answer?: StoredBrekResult;
}

export async function processTurn(record: InboxRecord, deps: TurnDeps, options: { replayFailed?: boolean } = {}): Promise<TurnOutcome> {
  const thread: Thread = { channel: record.channel, actorId: record.actorId, conversationId: record.conversationId };
  const claim = await deps.threads.claimTurn(thread, record.dedupeKey, {
    leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS,
    replayFailed: options.replayFailed ?? false,
    // A thread reply in a shared channel is for the bridge only where it already talks to this traveller.
    knownThreadOnly: Boolean(record.onlyInKnownThread) && !record.brek,
  });
  const log = deps.logger.child({ channel: record.channel, channelMessageId: record.channelMessageId, actorId: record.actorId });
  if (!claim.thread) {
    if (claim.reason === 'held') return { outcome: 'busy' };
    if (claim.reason === 'done') return { outcome: 'skipped' };
    log.debug('thread message ignored: the traveller has no conversation with the bridge here');
    return { outcome: 'ignored', reason: 'not_in_conversation' };
  }
  deps.observe?.({ kind: 'processing', record });
  try {
    return await runClaimedTurn(record, claim.thread, deps, log);
  } catch (error) {
    // Unexpected (the table unreachable mid-turn): free the thread so the retry need not wait.
    await deps.threads.releaseTurn(thread, record.dedupeKey);
    throw error;
  }
}

async function runClaimedTurn(record: InboxRecord, claimed: ThreadRecord, deps: TurnDeps, log: Logger): Promise<TurnOutcome> {
  if (record.input.type === 'keyword' && record.input.keyword === 'forget') return forgetTraveller(record, deps, log);
  const key = { pk: record.pk, sk: record.sk };
  const work: TurnWork = { update: { reference: record.reference } };
  let failedBrekRequestId: string | undefined;
  const finish = async (state: 'replied' | 'failed' | 'ignored', status: string, error?: string, reply?: Reply) => {
    const answer = work.answer ?? record.brek;
    const brekRequestId = answer?.requestId ?? failedBrekRequestId;
    const ids = { ...(brekRequestId ? { brekRequestId } : {}), ...(answer?.result.traceId ? { traceId: answer.result.traceId } : {}) };
    const held = await deps.threads.finishTurn(claimed, record.dedupeKey, { state, status, ...(error ? { error } : {}), ...ids }, work.update);
    if (!held) log.warn('turn outlived its lease; another delivery may have answered too', { state });
    deps.observe?.({ kind: 'finished', record, state, status, ...(error ? { error } : {}), ...(reply ? { reply } : {}), ...ids });
  };

  // A traveller who said STOP hears nothing until they say START (or ask for HELP).
  if (record.input.type !== 'keyword' && !record.brek && claimed.optedOut) {
    await finish('ignored', 'opted_out');
    return { outcome: 'ignored', reason: 'opted_out' };
  }

  let reply: Reply;
  let failure: string | undefined;
  try {
    reply = record.brek ? replyFromResult(record.brek.result, record.actorId) : await produceReply(record, claimed, work, deps, log);
  } catch (error) {
    if (error instanceof TurnFailure) {
      reply = error.reply;
      failure = error.message;
      failedBrekRequestId = error.brekRequestId;
    } else {
      log.error('turn failed unexpectedly', { error });
      reply = textReply(record.actorId, 'bridge_unavailable', MESSAGES.unavailable);
      failure = error instanceof Error ? error.message : String(error);
    }
  }

  const sendError = await deliver(reply, record, deps, log);
  if (sendError || failure) {
    const error = sendError ? `send: ${sendError}${failure ? `; ${failure}` : ''}` : failure!;
    const replyStatus = sendError ? 'none' : reply.status;
    // The details and any undelivered Brek answer stay on the message, for a replay.
    const answer = sendError ? (work.answer ?? record.brek) : undefined;
    await deps.inbox.markFailed(key, { error, replyStatus, ...(answer ? { brek: answer } : {}) });
    await finish('failed', replyStatus, error, sendError ? undefined : reply);
    if (sendError) log.error('reply not delivered', { status: reply.status, error: sendError });
    else log.warn('turn failed; apology sent', { status: reply.status, error: failure });
    return { outcome: 'failed', status: reply.status, error: sendError ?? failure! };
  }
  await finish('replied', reply.status, undefined, reply);
  log.info('turn replied', { status: reply.status });
  return { outcome: 'replied', status: reply.status };
}

/**
 * "Forget me": every item of this actor is deleted — in all their conversations, the thread
 * (Brek session, what was offered, the reply reference, turn outcomes) and every message — and the
 * traveller is told so. Nothing goes to Brek: its session simply expires. In this order:
 *  1. everything but this conversation's thread and this message (a Scan: store/erase.ts), so the
 *     confirmation is true when it is sent;
 *  2. the confirmation, still under the thread's lease: the conversation's next message waits,
 *     and a re-delivery of this one meanwhile is a duplicate of the stored message;
 *  3. this thread and this message (two known keys). No outcome is written: it would be an item
 *     of the actor. A failed confirmation is only logged: the data is gone all the same.
 * A failure to erase throws: processTurn frees the lease and the turn is retried (the traveller may
 * then hear the confirmation twice). A re-delivery after the turn finds no message stored, so it
 * is taken as new: answered again, and erased again — nothing of the actor is left either way.
 */
async function forgetTraveller(record: InboxRecord, deps: TurnDeps, log: Logger): Promise<TurnOutcome> {
  const own = [threadKey(record), { pk: record.pk, sk: record.sk }];
  // The erase's own line names the actor only as a hash.
  const eraseLog = deps.logger.child({ channel: record.channel, channelMessageId: record.channelMessageId });
  const erased = await deps.threads.eraseActor(record.actorId, { except: own, logger: eraseLog });
  const reply = textReply(record.actorId, 'bridge_forgotten', MESSAGES.forgotten);
  const sendError = await deliver(reply, record, deps, log);
  await deps.threads.deleteItems(own);
  const itemsDeleted = erased + own.length;
  if (sendError) {
    const error = `send: ${sendError}`;
    deps.observe?.({ kind: 'finished', record, state: 'failed', status: 'none', error });
    log.error('traveller forgotten; confirmation not delivered', { itemsDeleted, error: sendError });
    return { outcome: 'failed', status: reply.status, error: sendError };
  }
  deps.observe?.({ kind: 'finished', record, state: 'replied', status: reply.status, reply });
  log.info('traveller forgotten', { itemsDeleted });
  return { outcome: 'replied', status: reply.status };
}

async function deliver(reply: Reply, record: InboxRecord, deps: TurnDeps, log: Logger): Promise<string | undefined> {
  const sender = deps.senders[record.channel];
  if (!sender) return `no sender for channel ${record.channel}`;
  const attempts = deps.sendAttempts ?? 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await sender.send(reply, record);
      return undefined;
    } catch (error) {
      lastError = error;
      log.warn('reply send failed', { attempt, error: messageOf(error), code: sendFailureCode(error) });
      if (error instanceof PermanentSendError) break;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, (deps.sendBackoffMs ?? 200) * 2 ** (attempt - 1)));
    }
  }
  deps.observe?.({ kind: 'send_failed', record, code: sendFailureCode(lastError) });
  return messageOf(lastError);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function produceReply(record: InboxRecord, claimed: ThreadRecord, work: TurnWork, deps: TurnDeps, log: Logger): Promise<Reply> {
  const owner = record.actorId;
  if (record.cardNumberRemoved) return textReply(owner, 'bridge_card_number_refused', MESSAGES.cardNumber);
  const input = record.input;
  if (input.type === 'unsupported') return textReply(owner, 'bridge_unsupported_input', MESSAGES.unsupported(input.what));
  if (input.type === 'welcome') return textReply(owner, 'bridge_welcome', MESSAGES.welcome);
  if (input.type === 'keyword') {
    if (input.keyword === 'forget') throw new Error('a forget turn is handled by forgetTraveller');
    if (input.keyword === 'help') return textReply(owner, 'bridge_help', MESSAGES.help);
    work.update.optedOut = input.keyword === 'stop';
    return textReply(owner, input.keyword === 'stop' ? 'bridge_opted_out' : 'bridge_opted_in', input.keyword === 'stop' ? MESSAGES.optedOut : MESSAGES.optedIn);
  }
  if (input.type === 'action' && input.ownerActorId !== record.actorId) {
    return textReply(owner, 'bridge_not_your_button', MESSAGES.notYourButton);
  }

  // A number outside the open shortlist is answered here: Brek would only guess.
  const live = deps.threads.liveSession(claimed);
  const number = input.type === 'text' ? bareNumber(input.text) : undefined;
  if (number !== undefined && live?.lastStatus === 'shortlist' && live.shortlist?.length && (number < 1 || number > live.shortlist.length)) {
    return textReply(owner, 'bridge_pick_in_range', MESSAGES.pickInRange(live.shortlist.length));
  }

  const sender = deps.senders[record.channel];
  await sender?.progress?.(record).catch((error: unknown) => log.warn('progress indicator failed', { error }));

  let session: TurnSession;
  try {
    session = live ?? (await newSession(record, work, deps, log));
  } catch (error) {
    throw failureFor(error, record, log);
  }
  let answer: StoredBrekResult;
  try {
    answer = await sendToBrek(record, session, deps, log);
  } catch (error) {
    // Brek lost the session (or it is not this actor's): a new one, and the turn replayed once.
    if (!isBrekError(error, 'session_not_found') && !isBrekError(error, 'actor_mismatch')) throw failureFor(error, record, log);
    log.warn('brek session lost; creating a new one', { brekRequestId: error.requestId, kind: error.kind });
    try {
      session = await newSession(record, work, deps, log);
      answer = await sendToBrek(record, session, deps, log);
    } catch (again) {
      throw failureFor(again, record, log);
    }
  }
  work.answer = answer;
  deps.observe?.({ kind: 'brek', record, answer });
  const result = answer.result;
  work.update.answered = {
    status: result.status,
    ...(result.status === 'shortlist' ? { shortlist: (result.artifacts.shortlist ?? []).map((o) => o.optionId ?? '') } : {}),
    ...(result.status === 'payment_confirmation_required' && result.artifacts.payment?.paymentMethodId
      ? { paymentMethodId: result.artifacts.payment.paymentMethodId }
      : {}),
  };
  return replyFromResult(result, owner);
}

/** The Brek session a turn talks to; only its id and what its last answer offered matter here. */
type TurnSession = Pick<ThreadRecord, 'shortlist' | 'lastStatus' | 'paymentMethodId'> & { sessionId: string };

/** A new Brek session for the thread; safe without a lock, because the turn holds the thread. */
async function newSession(record: InboxRecord, work: TurnWork, deps: TurnDeps, log: Logger): Promise<TurnSession> {
  // Asked only here, so once per session: the channel lookup may cost an API call.
  const timezoneOffsetMinutes =
    record.timezoneOffsetMinutes ?? (await deps.senders[record.channel]?.timezoneOffsetMinutes?.(record).catch(() => undefined));
  const created = await deps.brek.createSession(
    {
      actor: {
        actorId: record.actorId,
        ...(timezoneOffsetMinutes === undefined ? {} : { timezoneOffsetMinutes }),
      },
      ...(record.workspaceId ? { channel: { workspaceId: record.workspaceId } } : {}),
      // The channel's name only: conversation ids can be personal (a WhatsApp number pair).
      conversation: { channelId: record.channel },
    },
    { onAttempt: logFailedTries(log) },
  );
  const sessionId = created.data.sessionId;
  work.update.session = { sessionId, ...(timezoneOffsetMinutes === undefined ? {} : { timezoneOffsetMinutes }) };
  return { sessionId };
}

function bareNumber(text: string): number | undefined {
  const match = /^\s*#?(\d{1,2})\s*[.)]?\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

const YES = /^\s*(yes|y|yep|yeah|ok|okay|confirm)\s*[.!]*\s*$/i;

/**
 * Maps a turn to Brek's event. While a shortlist is open a bare number means "book that option";
 * while a card confirmation is open "yes" means "use that card" (and "no" stays text, Brek's
 * decline).
 */
export function brekCallFor(record: InboxRecord, session: Pick<ThreadRecord, 'shortlist' | 'lastStatus' | 'paymentMethodId'>): BrekCall {
  const input = record.input;
  const actor = { actorId: record.actorId };
  if (input.type === 'action') {
    switch (input.action) {
      case 'book_option':
        return { action: 'action_book_option', event: { actor, kind: 'action_book_option', payload: { optionId: input.optionId } } };
      case 'confirm_payment_card':
        return {
          action: 'action_confirm_payment_card',
          event: { actor, kind: 'action_confirm_payment_card', payload: input.paymentMethodId ? { paymentMethodId: input.paymentMethodId } : {} },
        };
      case 'cancel_booking':
        return { action: 'action_cancel_booking', event: { actor, kind: 'action_cancel_booking', payload: { bookingId: input.bookingId } } };
      case 'decline_payment':
        // Brek has no decline kind; "no" is how its guide declines (scenario C).
        return { action: 'decline', event: { actor, text: 'no' } };
    }
  }
  const text = input.type === 'text' ? input.text : '';
  const number = bareNumber(text);
  const optionId = number !== undefined && session.lastStatus === 'shortlist' ? session.shortlist?.[number - 1] : undefined;
  if (optionId) return { action: 'action_book_option', event: { actor, kind: 'action_book_option', payload: { optionId } } };
  if (session.lastStatus === 'payment_confirmation_required' && session.paymentMethodId && YES.test(text)) {
    return { action: 'action_confirm_payment_card', event: { actor, kind: 'action_confirm_payment_card', payload: { paymentMethodId: session.paymentMethodId } } };
  }
  return { action: 'text', event: { actor, text } };
}

async function sendToBrek(record: InboxRecord, session: TurnSession, deps: TurnDeps, log: Logger): Promise<StoredBrekResult> {
  const call = brekCallFor(record, session);
  const key = idempotencyKey(deps.idempotencyPrefix, session.sessionId, call.action, record.channelMessageId);
  const response = await deps.brek.sendEvent({ ...call.event, sessionId: session.sessionId, idempotencyKey: key }, { onAttempt: logFailedTries(log) });
  log.info('brek event', {
    brekRequestId: response.meta.requestId,
    traceId: response.data.result.traceId,
    brekStatus: response.data.result.status,
    brekAttempts: response.meta.attempts,
    action: call.action,
  });
  return { sessionId: session.sessionId, result: response.data.result, ...(response.meta.requestId ? { requestId: response.meta.requestId } : {}) };
}

/**
 * Every failed try of a Brek call is a log line with its x-request-id (the id Brek support asks
 * for), in the turn's context, so a trace by channel message id finds the retries too.
 */
function logFailedTries(log: Logger): (info: AttemptInfo) => void {
  return (info) => {
    if (!info.error) return;
    log.warn('brek call failed', {
      operation: info.operation,
      attempt: info.attempt,
      kind: info.error.kind,
      ...(info.status === undefined ? {} : { status: info.status }),
      brekRequestId: info.requestId ?? null,
      ...(info.retryInMs === undefined ? { final: true } : { retryInMs: Math.round(info.retryInMs) }),
    });
  };
}

/** What the traveller hears when Brek cannot answer, and what the record says. */
function failureFor(error: unknown, record: InboxRecord, log: Logger): TurnFailure {
  if (!(error instanceof BrekError)) {
    log.error('brek call failed', { error });
    return new TurnFailure(textReply(record.actorId, 'bridge_unavailable', MESSAGES.unavailable), String(error));
  }
  const fields = { brekRequestId: error.requestId, kind: error.kind, status: error.status, code: error.code, brekAttempts: error.attempts };
  if (error.retryable) {
    log.warn('brek unavailable after retries', fields);
    return new TurnFailure(textReply(record.actorId, 'bridge_apology', MESSAGES.busy), error.message, error.requestId);
  }
  // 401/403 need a human (a rotated or wrong key): logged loudly, never retried.
  log.error(error.kind === 'auth' ? 'brek rejected our credentials' : 'brek refused the turn', fields);
  return new TurnFailure(textReply(record.actorId, 'bridge_unavailable', MESSAGES.unavailable), error.message, error.requestId);
}
