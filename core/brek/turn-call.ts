// A turn as Brek's call: which event a message, a number or a button is (brekCallFor), the
// session it goes to (made once per thread), and the call itself under the turn's idempotency key.
// Every failed try is a log line with Brek's x-request-id, in the turn's context.
import type { ChannelSender, TurnAttempt } from '../delivery.ts';
import { idempotencyKey, type Channel } from '../identity.ts';
import type { Logger } from '../log.ts';
import type { InboxRecord, StoredBrekResult } from '../store/inbox.ts';
import type { ThreadRecord, ThreadUpdate } from '../store/threads.ts';
import type { AttemptInfo, BrekClient, RequestGate, SendEventInput } from './client.ts';

/** What the Brek calls of a turn need from the worker. */
export interface BrekCallDeps {
  brek: BrekClient;
  senders: Partial<Record<Channel, ChannelSender>>;
  idempotencyPrefix: string;
}

/** Brek's call for a turn: what to send and the `action` part of its idempotency key. */
interface BrekCall {
  action: string;
  event: Omit<SendEventInput, 'sessionId' | 'idempotencyKey'>;
}

/** The Brek session a turn talks to; only its id and what its last answer offered matter here. */
export type TurnSession = Pick<ThreadRecord, 'shortlist' | 'lastStatus' | 'paymentMethodId'> & { sessionId: string };

/** "2", "#2", "2." or "2)": a traveller's pick from a numbered list. */
export function bareNumber(text: string): number | undefined {
  const match = /^\s*#?(\d{1,2})\s*[.)]?\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

const YES = /^\s*(yes|y|yep|yeah|ok|okay|confirm)\s*[.!]*\s*$/i;

/**
 * Maps a turn to Brek's event. While a shortlist is open a bare number means "book that option";
 * while a card confirmation is open "yes" means "use that card" (and "no" stays text, Brek's
 * decline).
 */
function brekCallFor(record: InboxRecord, session: Pick<ThreadRecord, 'shortlist' | 'lastStatus' | 'paymentMethodId'>): BrekCall {
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
      case 'say':
        // A tapped suggestion is the traveller's message, as if typed.
        return { action: 'text', event: { actor, text: input.text } };
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

/** A new Brek session for the thread; safe without a lock, because the turn holds the thread. */
export async function newSession(
  record: InboxRecord,
  update: ThreadUpdate,
  attempt: TurnAttempt,
  deps: BrekCallDeps,
  log: Logger,
  replacing: boolean,
  gate?: RequestGate,
): Promise<TurnSession> {
  // A retry of this attempt (the table failed after Brek made the session) keeps that session,
  // so the turn's idempotency key — and so Brek's event — stays the same.
  if (attempt.session && !replacing) {
    update.session = attempt.session;
    return { sessionId: attempt.session.sessionId };
  }
  // Asked only here, so once per session: the channel lookup may cost an API call.
  const sender = deps.senders[record.channel];
  const [timezoneOffsetMinutes, timeZone] = await Promise.all([
    record.timezoneOffsetMinutes ?? sender?.timezoneOffsetMinutes?.(record).catch(() => undefined),
    record.timeZone ?? sender?.timeZone?.(record).catch(() => undefined),
  ]);
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
  update.session = { sessionId, ...(timezoneOffsetMinutes === undefined ? {} : { timezoneOffsetMinutes }), ...(timeZone ? { timeZone } : {}) };
  attempt.session = update.session;
  return { sessionId };
}

/** The turn's event, under the key made of the session, the action and the channel message id. */
export async function sendToBrek(record: InboxRecord, session: TurnSession, deps: BrekCallDeps, log: Logger, gate?: RequestGate): Promise<StoredBrekResult> {
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
