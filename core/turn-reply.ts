// What a turn answers. The bridge answers for itself where Brek has nothing to add (a card number
// refused, an unsupported message, a keyword, someone else's button, a number outside the open
// shortlist); everything else is Brek's answer, asked at the pace of its quota, with the progress
// marker shown alongside. When Brek cannot answer the traveller gets an apology (a TurnFailure).
import { BrekError, isBrekError } from './brek/errors.ts';
import type { EventResult } from './brek/results.ts';
import { QuotaQueueFull } from './brek/quota.ts';
import { bareNumber, newSession, sendToBrek, type TurnSession } from './brek/turn-call.ts';
import { sendFailureCode, type TurnAttempt } from './delivery.ts';
import type { Logger } from './log.ts';
import { ACTION_WORDS, textReply, replyFromResult, type Reply } from './reply.ts';
import type { InboxRecord, StoredBrekResult } from './store/inbox.ts';
import type { ThreadRecord, ThreadUpdate } from './store/threads.ts';
import type { TurnDeps } from './turn.ts';
import { localizeReply } from './reply-time.ts';
import { quotaQueue } from './turn-queue.ts';
import { MESSAGES, progressNote } from './wording.ts';

/** What a turn produced besides its reply: changes for its thread, and Brek's answer if any. */
export interface TurnWork {
  update: ThreadUpdate;
  answer?: StoredBrekResult;
}

/** Brek could not answer: the apology to send, and why, for the record. */
export class TurnFailure extends Error {
  constructor(
    readonly reply: Reply,
    message: string,
    /** The failed Brek call's `x-request-id`, kept with the outcome for tracing. */
    readonly brekRequestId?: string,
  ) {
    super(message);
  }
}

export async function produceReply(record: InboxRecord, claimed: ThreadRecord, work: TurnWork, attempt: TurnAttempt, deps: TurnDeps, log: Logger): Promise<Reply> {
  const owner = record.actorId;
  if (record.cardNumberRemoved) return textReply(owner, 'bridge_card_number_refused', MESSAGES.cardNumber);
  const input = record.input;
  if (input.type === 'unsupported') return textReply(owner, 'bridge_unsupported_input', MESSAGES.unsupported(input.what));
  if (input.type === 'welcome') return textReply(owner, 'bridge_welcome', MESSAGES.welcome, ACTION_WORDS.samples);
  if (input.type === 'keyword') {
    if (input.keyword === 'forget') throw new Error('a forget turn is handled by forgetTraveller');
    // HELP is a carrier keyword on WhatsApp: its answer stays the one text.
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
    attempt.progress = sender.progress(record, progressNote(input, live)).then(
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
      session = live ?? (await newSession(record, work.update, attempt, deps, log, false, gate));
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
        session = await newSession(record, work.update, attempt, deps, log, true, gate);
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
    ...(result.artifacts.booking?.status === 'cancelled' && result.artifacts.booking.bookingId ? { cancelledBookingId: result.artifacts.booking.bookingId } : {}),
  };
  return brekReply(result, record, claimed, work);
}

/**
 * Brek's answer as the traveller's Reply, its dates in their time zone: the thread's (learnt with
 * the session), the message's own, or UTC.
 */
export function brekReply(result: EventResult, record: InboxRecord, claimed: ThreadRecord, work: TurnWork): Reply {
  const timeZone = work.update.session?.timeZone ?? claimed.timeZone ?? record.timeZone ?? 'UTC';
  return localizeReply(replyFromResult(result, record.actorId), timeZone);
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
