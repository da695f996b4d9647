// processTurn: the worker's whole job for one inbox record. Claim its thread, get the thread's
// Brek session, send the turn to POST /events under its idempotency key, turn the result into a
// Reply, hand that to the channel's sender, and record the outcome on the thread. Every failure
// ends in a reply (an apology at worst) and a visible `failed` record — never a silent drop.
// Brek is called at the pace of its quota, shared by every worker (brek/quota.ts): a turn waits its
// place, bounded, and is told once when that takes a while. A steady-state turn costs four
// DynamoDB requests here (claim, its place in the quota, sending step, finish): see store/threads.ts.
import type { AttemptInfo, BrekClient, RequestGate, SendEventInput } from './brek/client.ts';
import { BrekError, isBrekError } from './brek/errors.ts';
import { QuotaQueueFull, TurnQueue, type BrekQuota } from './brek/quota.ts';
import { idempotencyKey, type Channel } from './identity.ts';
import type { Logger } from './log.ts';
import { numberChoice, replyFromResult, textReply, type Reply } from './reply.ts';
import type { InboxRecord, InboxStore, SendingStep, StoredBrekResult } from './store/inbox.ts';
import { threadKey, type ThreadRecord, type ThreadStore, type ThreadUpdate, type Thread, type TurnState } from './store/threads.ts';
import { DeliveryError, deliverParts, newAttempt, sendFailureCode, type ChannelSender, type DeliveryPolicy, type DeliveryResult, type FailureKind, type TurnAttempt } from './delivery.ts';


/** The bridge's own words, kept together so every channel says the same thing. */
export const MESSAGES = {
  cardNumber:
    'For your security I did not read or keep that message: it looked like a card number. Please never send card details in chat — use the secure payment link instead.',
  unsupported: (what: string) => `Sorry, I can only read text messages, not ${what}. Please type your request.`,
  notYourButton: 'That button belongs to someone else’s conversation, so I did not act on it. Send me a message to start your own search.',
  busy: 'Sorry — the booking service is busy right now, so I could not handle that message. Please try again in a minute.',
  stillWorking: 'Lots of travellers are asking right now — I have your message and will answer here as soon as I can.',
  queueFull: 'Sorry — so many travellers are asking right now that I could not get to your message in time. Please send it again in a few minutes.',
  unavailable: 'Sorry — something went wrong on our side and I could not handle that message. Please try again later.',
  optedOut: 'You are unsubscribed and will not get messages from us. Reply START to resume.',
  optedIn: 'Welcome back! Tell me where and when you would like to stay.',
  help: 'I find and book hotels. Tell me a city and dates (e.g. "Seattle Mar 20-23"), reply with an option’s number to book, and follow the secure payment link. Reply STOP to unsubscribe.',
  pickBookable: (numbers: readonly number[]) => `Please reply with ${numberChoice(numbers)} to book one of the options above.`,
  nothingBookable: 'None of the options above can be booked here. Tell me more about what you need and I will look again.',
  forgotten:
    'Done — I have deleted your conversations and messages with me, in every chat where we talked. If you write to me again, I will start afresh.',
  welcome:
    'Hi! I can find and book hotels for you. Tell me where and when — for example "Seattle Mar 20-23, 1 room, refundable" — and I will show you options to book.',
} as const;

export interface TurnDeps {
  inbox: InboxStore;
  threads: ThreadStore;
  brek: BrekClient;
  senders: Partial<Record<Channel, ChannelSender>>;
  idempotencyPrefix: string;
  logger: Logger;
  /** How long one turn may hold its thread; longer than Brek's worst case with retries. */
  leaseMs?: number;
  /** How the delivery layer retries and checks (core/delivery.ts); defaults there. */
  delivery?: Partial<DeliveryPolicy>;
  /** Sees each step of every turn (metrics, the local stack's console); must not throw. */
  observe?: (event: TurnEvent) => void;
  /** Brek's quota, paced across every worker (core/brek/quota.ts); without it calls go unpaced. */
  quota?: QuotaPacing;
}

export interface QuotaPacing {
  schedule: BrekQuota;
  /** The longest a turn waits for its place before it is apologised for (ms). */
  maxWaitMs?: number;
  /** A wait beyond this is told to the traveller, once (ms). */
  noticeAfterMs?: number;
}

/** A few minutes: past that a traveller has likely given up, and the queue would only grow. */
export const DEFAULT_MAX_QUOTA_WAIT_MS = 240_000;
export const DEFAULT_QUOTA_NOTICE_AFTER_MS = 10_000;
/** What a turn needs after its last Brek slot (the call with its retries, and the reply). */
const AFTER_SLOT_MS = 90_000;

/** A step of one turn, for observers: taken up, answered by Brek, a send refused, finished. */
export type TurnEvent =
  | { kind: 'processing'; record: InboxRecord }
  | { kind: 'send_failed'; record: InboxRecord; code: string; failure: FailureKind }
  | { kind: 'brek'; record: InboxRecord; answer: StoredBrekResult }
  /** The turn waited for Brek's quota (`waitedMs` in all), or gave up waiting (`gaveUp`). */
  | { kind: 'queued'; record: InboxRecord; waitedMs: number; gaveUp: boolean }
  | {
      kind: 'finished';
      record: InboxRecord;
      state: TurnState;
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
  /** The reply may have reached the traveller: the platform could not say. Never re-sent blindly. */
  | { outcome: 'unknown'; status: string; error: string }
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

export async function processTurn(
  record: InboxRecord,
  deps: TurnDeps,
  /** `deadline`: when the invocation running the turn ends (epoch ms), if it does. */
  options: { replayFailed?: boolean; attempt?: TurnAttempt; deadline?: number } = {},
): Promise<TurnOutcome> {
  const attempt = options.attempt ?? newAttempt();
  const thread: Thread = { channel: record.channel, actorId: record.actorId, conversationId: record.conversationId };
  const log = deps.logger.child({ channel: record.channel, channelMessageId: record.channelMessageId, actorId: record.actorId });
  // Before anything is written or asked: a workspace that no longer has the app gets nothing, and
  // no thread or Brek session is made for it (an uninstall may have just erased them).
  const refusal = await notAnswerable(record, deps, log);
  if (refusal) return refusal;
  const claim = await deps.threads.claimTurn(thread, record.dedupeKey, {
    leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS,
    token: attempt.token,
    replayFailed: options.replayFailed ?? false,
    // A thread reply in a shared channel is for the bridge only where it already talks to this traveller.
    knownThreadOnly: Boolean(record.onlyInKnownThread) && !record.brek && !record.sending,
  });
  if (!claim.thread) {
    if (claim.reason === 'held') return { outcome: 'busy' };
    if (claim.reason === 'done') return { outcome: 'skipped' };
    log.debug('thread message ignored: the traveller has no conversation with the bridge here');
    return { outcome: 'ignored', reason: 'not_in_conversation' };
  }
  deps.observe?.({ kind: 'processing', record });
  try {
    if (options.deadline !== undefined) attempt.deadline = options.deadline;
    // The traveller's wait counts from their message (a turn held in the stream has waited too);
    // an operator's replay of an old turn starts afresh.
    const arrived = Date.parse(record.receivedAt);
    attempt.waitingSince ??= options.replayFailed || !Number.isFinite(arrived) ? Date.now() : arrived;
    return await runClaimedTurn(record, claim.thread, attempt, deps, log);
  } catch (error) {
    // Unexpected (the table unreachable mid-turn): free the thread so the retry need not wait.
    await deps.threads.releaseTurn(thread, attempt.token);
    throw error;
  }
}

async function notAnswerable(record: InboxRecord, deps: TurnDeps, log: Logger): Promise<TurnOutcome | undefined> {
  const sender = deps.senders[record.channel];
  try {
    await sender?.ready?.(record);
    return undefined;
  } catch (error) {
    // Anything but a refusal for good (the table or the platform briefly down) is retried.
    if (!(error instanceof DeliveryError) || error.failure.kind !== 'permanent') throw error;
    const message = `send: ${error.message}`;
    log.warn('turn cannot be answered here; nothing asked, nothing sent', { code: error.failure.code });
    await deps.inbox.markFailed({ pk: record.pk, sk: record.sk }, { error: message, replyStatus: 'none' });
    deps.observe?.({ kind: 'finished', record, state: 'failed', status: 'none', error: message });
    return { outcome: 'failed', status: 'none', error: message };
  }
}

async function runClaimedTurn(record: InboxRecord, claimed: ThreadRecord, attempt: TurnAttempt, deps: TurnDeps, log: Logger): Promise<TurnOutcome> {
  if (record.input.type === 'keyword' && record.input.keyword === 'forget') return forgetTraveller(record, attempt, deps, log);
  // An earlier attempt of this turn got as far as sending (a crash, a lost answer, an operator's
  // replay of a failed or unknown delivery): that very reply is finished, checking what arrived.
  const earlier = claimed.delivery?.turn === record.dedupeKey ? claimed.delivery : record.sending;
  const work: TurnWork = earlier ? { update: earlier.update ?? {}, ...(earlier.answer ? { answer: earlier.answer } : {}) } : { update: { reference: record.reference } };
  let failedBrekRequestId = earlier?.brekRequestId;
  const finish = async (state: TurnState, status: string, extra: { error?: string; reply?: Reply; receipts?: Record<string, string> } = {}) => {
    const answer = work.answer ?? record.brek;
    const brekRequestId = answer?.requestId ?? failedBrekRequestId;
    const ids = { ...(brekRequestId ? { brekRequestId } : {}), ...(answer?.result.traceId ? { traceId: answer.result.traceId } : {}) };
    const receipts = Object.values(extra.receipts ?? {});
    const outcome = { state, status, ...(extra.error ? { error: extra.error } : {}), ...(receipts.length ? { receipts } : {}), ...ids };
    const held = await deps.threads.finishTurn(claimed, record.dedupeKey, attempt.token, outcome, work.update);
    if (!held) log.warn('turn outlived its lease; another delivery may have answered too', { state });
    deps.observe?.({ kind: 'finished', record, state, status, ...(extra.error ? { error: extra.error } : {}), ...(extra.reply ? { reply: extra.reply } : {}), ...ids });
  };

  // A traveller who said STOP hears nothing until they say START (or ask for HELP).
  if (!earlier && record.input.type !== 'keyword' && !record.brek && claimed.optedOut) {
    await finish('ignored', 'opted_out');
    return { outcome: 'ignored', reason: 'opted_out' };
  }

  let reply: Reply;
  let failure = earlier?.failure;
  if (earlier) reply = earlier.reply;
  else {
    try {
      reply = record.brek ? replyFromResult(record.brek.result, record.actorId) : await produceReply(record, claimed, work, attempt, deps, log);
    } catch (error) {
      // The invocation ends before the turn's place in Brek's queue: the stream retries it, lease freed.
      if (error instanceof QuotaQueueFull && error.invocationEnding) throw error;
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
  }

  const placeholder = earlier ? undefined : await attempt.progress;
  const step: SendingStep = earlier ?? {
    turn: record.dedupeKey,
    reply,
    since: Date.now(),
    token: attempt.token,
    ...(placeholder ? { placeholder } : {}),
    update: work.update,
    ...(work.answer ? { answer: work.answer } : {}),
    ...(failure ? { failure } : {}),
    ...(failedBrekRequestId ? { brekRequestId: failedBrekRequestId } : {}),
  };
  // The `sending` step, before the first post — unless this thread already holds it for this turn.
  if (claimed.delivery?.turn !== record.dedupeKey && !(await deps.threads.beginDelivery(claimed, attempt.token, step))) {
    log.warn('turn lost its thread before sending (lease taken, or the thread erased): nothing sent');
    return { outcome: 'ignored', reason: 'lease_lost' };
  }
  const delivery = await deliver(reply, record, step, Boolean(earlier), attempt, deps, log);
  const key = { pk: record.pk, sk: record.sk };
  if (delivery.state !== 'delivered') {
    const state = delivery.state === 'unknown' ? 'unknown' : 'failed';
    const error = `send: ${delivery.error}${failure ? `; ${failure}` : ''}`;
    const replyStatus = delivery.state === 'unknown' ? 'unknown' : 'none';
    // The reply (and what arrived of it) stays on the message: a replay resumes it, checking first.
    const answer = work.answer ?? record.brek;
    await deps.inbox.markFailed(key, { state, error, replyStatus, sending: { ...step, receipts: delivery.receipts, maybe: delivery.maybe }, ...(answer ? { brek: answer } : {}) });
    await finish(state, replyStatus, { error, receipts: delivery.receipts });
    if (state === 'unknown') log.error('reply delivery unknown: the platform may show it; not sent again', { status: reply.status, error: delivery.error });
    else log.error('reply not delivered', { status: reply.status, error: delivery.error });
    return { outcome: state, status: reply.status, error: delivery.error };
  }
  if (failure) {
    await deps.inbox.markFailed(key, { error: failure, replyStatus: reply.status });
    await finish('failed', reply.status, { error: failure, reply, receipts: delivery.receipts });
    log.warn('turn failed; apology sent', { status: reply.status, error: failure });
    return { outcome: 'failed', status: reply.status, error: failure };
  }
  await finish('replied', reply.status, { reply, receipts: delivery.receipts });
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
async function forgetTraveller(record: InboxRecord, attempt: TurnAttempt, deps: TurnDeps, log: Logger): Promise<TurnOutcome> {
  const own = [threadKey(record), { pk: record.pk, sk: record.sk }];
  // The erase's own line names the actor only as a hash.
  const eraseLog = deps.logger.child({ channel: record.channel, channelMessageId: record.channelMessageId });
  const erased = await deps.threads.eraseActor(record.actorId, { except: own, logger: eraseLog });
  const reply = textReply(record.actorId, 'bridge_forgotten', MESSAGES.forgotten);
  // No sending step: it would be an item of the actor, kept after the erase.
  const step: SendingStep = { turn: record.dedupeKey, reply, since: Date.now(), token: attempt.token };
  const delivery = await deliver(reply, record, step, false, attempt, deps, log);
  await deps.threads.deleteItems(own);
  const itemsDeleted = erased + own.length;
  if (delivery.state !== 'delivered') {
    const error = `send: ${delivery.error}`;
    const state = delivery.state === 'unknown' ? 'unknown' : 'failed';
    deps.observe?.({ kind: 'finished', record, state, status: 'none', error });
    log.error('traveller forgotten; confirmation not delivered', { itemsDeleted, delivery: delivery.state, error: delivery.error });
    return { outcome: state, status: reply.status, error: delivery.error };
  }
  deps.observe?.({ kind: 'finished', record, state: 'replied', status: reply.status, reply });
  log.info('traveller forgotten', { itemsDeleted });
  return { outcome: 'replied', status: reply.status };
}

/** The reply through the channel's sender, by the delivery protocol; the progress marker goes after. */
async function deliver(reply: Reply, record: InboxRecord, step: SendingStep, resumed: boolean, attempt: TurnAttempt, deps: TurnDeps, log: Logger): Promise<DeliveryResult> {
  const sender = deps.senders[record.channel];
  if (!sender) return { state: 'not_delivered', error: `no sender for channel ${record.channel}`, code: 'no_sender', receipts: {}, maybe: [] };
  let result: DeliveryResult | undefined;
  try {
    result = await deliverParts(sender, reply, record, {
      attempt,
      journal: step,
      resumed,
      logger: log,
      ...(deps.delivery ? { policy: deps.delivery } : {}),
      onFailure: ({ code, kind }) => deps.observe?.({ kind: 'send_failed', record, code, failure: kind }),
    });
    return result;
  } finally {
    // An undelivered reply leaves no "working on it" behind (an unknown one may be the placeholder's update: kept).
    const delivered = result?.state !== 'not_delivered';
    const outcome = { delivered, ...(!delivered && step.placeholder ? { placeholder: step.placeholder } : {}) };
    await sender.clearProgress?.(record, outcome).catch((error: unknown) => log.warn('progress marker not removed', { error: sendFailureCode(error) }));
  }
}

async function produceReply(record: InboxRecord, claimed: ThreadRecord, work: TurnWork, attempt: TurnAttempt, deps: TurnDeps, log: Logger): Promise<Reply> {
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

  // A number that books nothing in the open shortlist (outside it, or an option Brek gave no id)
  // is answered here: Brek would only guess, and "2" must never book something else.
  const live = deps.threads.liveSession(claimed);
  const number = input.type === 'text' ? bareNumber(input.text) : undefined;
  if (number !== undefined && live?.lastStatus === 'shortlist' && live.shortlist?.length) {
    const bookable = live.shortlist.flatMap((optionId, i) => (optionId ? [i + 1] : []));
    if (!bookable.includes(number)) {
      return textReply(owner, 'bridge_pick_in_range', bookable.length ? MESSAGES.pickBookable(bookable) : MESSAGES.nothingBookable);
    }
  }

  // Once per attempt: a retry after the table failed must not post a second placeholder.
  const sender = deps.senders[record.channel];
  if (sender?.progress && !attempt.progress) {
    // Alongside the Brek call, not before it: the traveller sees progress at once, and a slow
    // placeholder post still gets its id (the reply waits for it, below).
    attempt.progress = sender.progress(record).then(
      (placeholder) => placeholder || undefined,
      (error: unknown) => void log.warn('progress indicator failed', { error: sendFailureCode(error) }),
    );
  }


  // Its place in the queue for Brek's quota: a new session and its event are reserved together.
  const queue = quotaQueue(record, claimed, attempt, deps, log, live || attempt.session ? 1 : 2);
  const gate = queue?.gate;
  let session: TurnSession;
  let answer: StoredBrekResult;
  try {
    try {
      session = live ?? (await newSession(record, work, attempt, deps, log, false, gate));
    } catch (error) {
      throw failureFor(error, record, log);
    }
    try {
      answer = await sendToBrek(record, session, deps, log, gate);
    } catch (error) {
      // Brek lost the session (or it is not this actor's): a new one, and the turn replayed once.
      if (!isBrekError(error, 'session_not_found') && !isBrekError(error, 'actor_mismatch')) throw failureFor(error, record, log);
      log.warn('brek session lost; creating a new one', { brekRequestId: error.requestId, kind: error.kind });
      try {
        session = await newSession(record, work, attempt, deps, log, true, gate);
        answer = await sendToBrek(record, session, deps, log, gate);
      } catch (again) {
        throw failureFor(again, record, log);
      }
    }
  } finally {
    queue?.report();
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

/**
 * The turn's place in the queue for Brek's quota, when the deployment paces it. A long wait keeps
 * the thread's lease for as long, and the traveller is told once that the answer is coming.
 */
function quotaQueue(record: InboxRecord, claimed: ThreadRecord, attempt: TurnAttempt, deps: TurnDeps, log: Logger, expectedCalls: number): { gate: RequestGate; report: () => void } | undefined {
  const pacing = deps.quota;
  if (!pacing) return undefined;
  const queue = new TurnQueue(
    pacing.schedule,
    {
      giveUpAt: (attempt.waitingSince ?? Date.now()) + (pacing.maxWaitMs ?? DEFAULT_MAX_QUOTA_WAIT_MS),
      ...(attempt.deadline === undefined ? {} : { invocationEndsAt: attempt.deadline - AFTER_SLOT_MS }),
      noticeAfterMs: pacing.noticeAfterMs ?? DEFAULT_QUOTA_NOTICE_AFTER_MS,
      onScheduleError: (error) => log.warn('brek quota schedule unreachable; calling unpaced', { error: error instanceof Error ? error.message : String(error) }),
      onLongWait: async (slotAt, first) => {
        if (!(await deps.threads.extendLease(claimed, attempt.token, slotAt + (deps.leaseMs ?? DEFAULT_LEASE_MS)))) {
          log.warn('turn lost its thread while waiting for brek quota');
        }
        if (!first) return;
        log.info('turn waits for brek quota; traveller told', { waitMs: Math.round(slotAt - Date.now()) });
        await tellStillWorking(record, attempt, deps, log);
      },
    },
    expectedCalls,
  );
  return {
    gate: queue,
    report: () => {
      if (queue.waitedMs > 0 || queue.gaveUp) deps.observe?.({ kind: 'queued', record, waitedMs: Math.round(queue.waitedMs), gaveUp: queue.gaveUp });
    },
  };
}

/**
 * "Still working on it", once, while the turn waits. Best effort, under tags of its own; on Teams
 * it takes the placeholder's place, which the reply then replaces in turn.
 */
async function tellStillWorking(record: InboxRecord, attempt: TurnAttempt, deps: TurnDeps, log: Logger): Promise<void> {
  const sender = deps.senders[record.channel];
  if (!sender) return;
  const placeholder = await attempt.progress;
  const notice = { ...record, dedupeKey: `${record.dedupeKey}#notice` };
  const result = await deliverParts(sender, textReply(record.actorId, 'bridge_still_working', MESSAGES.stillWorking), notice, {
    attempt: newAttempt(),
    journal: { turn: notice.dedupeKey, since: Date.now(), token: attempt.token, ...(placeholder ? { placeholder } : {}) },
    resumed: false,
    logger: log,
    ...(deps.delivery ? { policy: deps.delivery } : {}),
  }).catch((error: unknown) => ({ state: 'failed', error: String(error) }));
  if (result.state !== 'delivered') log.warn('still-working notice not delivered', { state: result.state });
}

/** The Brek session a turn talks to; only its id and what its last answer offered matter here. */
type TurnSession = Pick<ThreadRecord, 'shortlist' | 'lastStatus' | 'paymentMethodId'> & { sessionId: string };

/** A new Brek session for the thread; safe without a lock, because the turn holds the thread. */
async function newSession(record: InboxRecord, work: TurnWork, attempt: TurnAttempt, deps: TurnDeps, log: Logger, replacing: boolean, gate?: RequestGate): Promise<TurnSession> {
  // A retry of this attempt (the table failed after Brek made the session) keeps that session,
  // so the turn's idempotency key — and so Brek's event — stays the same.
  if (attempt.session && !replacing) {
    work.update.session = attempt.session;
    return { sessionId: attempt.session.sessionId };
  }
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
    { onAttempt: logFailedTries(log), ...(gate ? { gate } : {}) },
  );
  const sessionId = created.data.sessionId;
  work.update.session = { sessionId, ...(timezoneOffsetMinutes === undefined ? {} : { timezoneOffsetMinutes }) };
  attempt.session = work.update.session;
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

async function sendToBrek(record: InboxRecord, session: TurnSession, deps: TurnDeps, log: Logger, gate?: RequestGate): Promise<StoredBrekResult> {
  const call = brekCallFor(record, session);
  const key = idempotencyKey(deps.idempotencyPrefix, session.sessionId, call.action, record.channelMessageId);
  const response = await deps.brek.sendEvent({ ...call.event, sessionId: session.sessionId, idempotencyKey: key }, { onAttempt: logFailedTries(log), ...(gate ? { gate } : {}) });
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
function failureFor(error: unknown, record: InboxRecord, log: Logger): TurnFailure | QuotaQueueFull {
  if (error instanceof QuotaQueueFull) {
    if (error.invocationEnding) return error;
    log.warn('brek quota queue too long; turn apologised for', { error: error.message });
    return new TurnFailure(textReply(record.actorId, 'bridge_apology', MESSAGES.queueFull), error.message);
  }
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
