// A turn's reply through its channel's sender, by the delivery protocol (delivery.ts), and the
// progress marker cleared after it, whatever happened.
import { deliverParts, sendFailureCode, type DeliveryResult, type TurnAttempt } from './delivery.ts';
import type { Logger } from './log.ts';
import type { Reply } from './reply.ts';
import type { InboxRecord, SendingStep } from './store/inbox.ts';
import type { TurnDeps } from './turn.ts';

/** The reply through the channel's sender, by the delivery protocol; the progress marker goes after. */
export async function deliver(reply: Reply, record: InboxRecord, step: SendingStep, resumed: boolean, attempt: TurnAttempt, deps: TurnDeps, log: Logger): Promise<DeliveryResult> {
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
