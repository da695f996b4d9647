// processTurn: the worker's whole job for one inbox record. Claim its thread, get the thread's
// Brek session, send the turn to POST /events under its idempotency key, turn the result into a
// Reply, hand that to the channel's sender, and record the outcome on the thread. Every failure
// ends in a reply (an apology at worst) and a visible `failed` record — never a silent drop.
// Brek is called at the pace of its quota, shared by every worker (brek/quota.ts): a turn waits its
// place, bounded, and is told once when that takes a while. A steady-state turn costs four
// DynamoDB requests here (claim, its place in the quota, sending step, finish): see store/threads.ts.
// This file is the orchestration; what is answered is turn-reply.ts (Brek's call: brek/turn-call.ts,
// the bridge's own words: wording.ts), the queue turn-queue.ts, the send turn-send.ts.
import type { BrekClient } from './brek/client.ts';
import { QuotaQueueFull } from './brek/quota.ts';
import { DeliveryError, newAttempt, type ChannelSender, type DeliveryPolicy, type FailureKind, type TurnAttempt } from './delivery.ts';
import type { Channel } from './identity.ts';
import type { Logger } from './log.ts';
import { textReply, type Reply } from './reply.ts';
import type { InboxRecord, InboxStore, SendingStep, StoredBrekResult } from './store/inbox.ts';
import type { ThreadRecord, ThreadStore, Thread, TurnState } from './store/threads.ts';
import { forgetTraveller } from './turn-forget.ts';
import { DEFAULT_LEASE_MS, type QuotaPacing } from './turn-queue.ts';
import { brekReply, produceReply, TurnFailure, type TurnWork } from './turn-reply.ts';
import { deliver } from './turn-send.ts';
import { MESSAGES } from './wording.ts';

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

/** One observer made of several (metrics and the console both watch the local stack's turns). */
export function allObservers(...observers: ((event: TurnEvent) => void)[]): (event: TurnEvent) => void {
  return (event) => {
    for (const observe of observers) observe(event);
  };
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
      reply = record.brek ? brekReply(record.brek.result, record, claimed, work) : await produceReply(record, claimed, work, attempt, deps, log);
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

