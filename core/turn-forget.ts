// "Forget me", the one turn that erases instead of answering: every item of the traveller goes,
// in every conversation, and they are told so. Nothing goes to Brek.
import type { InboxRecord, SendingStep } from './store/inbox.ts';
import { threadKey } from './store/threads.ts';
import type { TurnAttempt } from './delivery.ts';
import type { Logger } from './log.ts';
import { textReply } from './reply.ts';
import type { TurnDeps, TurnOutcome } from './turn.ts';
import { deliver } from './turn-send.ts';
import { MESSAGES } from './wording.ts';

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
export async function forgetTraveller(record: InboxRecord, attempt: TurnAttempt, deps: TurnDeps, log: Logger): Promise<TurnOutcome> {
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
