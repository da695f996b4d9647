// A turn's place in the queue for Brek's quota (brek/quota.ts), when the deployment paces it: its
// calls are reserved together, a long wait keeps the thread's lease for as long, and the traveller
// is told once that the answer is coming. Past the longest wait the turn is apologised for.
import type { RequestGate } from './brek/client.ts';
import { TurnQueue, type BrekQuota } from './brek/quota.ts';
import { deliverParts, newAttempt, type ChannelSender, type DeliveryPolicy, type TurnAttempt } from './delivery.ts';
import type { Channel } from './identity.ts';
import type { Logger } from './log.ts';
import { textReply } from './reply.ts';
import type { InboxRecord } from './store/inbox.ts';
import type { ThreadRecord, ThreadStore } from './store/threads.ts';
import type { TurnEvent } from './turn.ts';
import { MESSAGES } from './wording.ts';

export interface QuotaPacing {
  schedule: BrekQuota;
  /** The longest a turn waits for its place before it is apologised for (ms). */
  maxWaitMs?: number;
  /** A wait beyond this is told to the traveller, once (ms). */
  noticeAfterMs?: number;
}

/** What the queue needs from the worker. */
interface QueueDeps {
  threads: ThreadStore;
  senders: Partial<Record<Channel, ChannelSender>>;
  leaseMs?: number;
  delivery?: Partial<DeliveryPolicy>;
  observe?: (event: TurnEvent) => void;
  quota?: QuotaPacing;
}

/** How long one turn holds its thread by default; longer than Brek's worst case with retries. */
export const DEFAULT_LEASE_MS = 90_000;
/** A few minutes: past that a traveller has likely given up, and the queue would only grow. */
const DEFAULT_MAX_QUOTA_WAIT_MS = 240_000;
const DEFAULT_QUOTA_NOTICE_AFTER_MS = 10_000;
/** What a turn needs after its last Brek slot (the call with its retries, and the reply). */
const AFTER_SLOT_MS = 90_000;

/** The turn's place in the queue; undefined when Brek's calls go unpaced. */
export function quotaQueue(
  record: InboxRecord,
  claimed: ThreadRecord,
  attempt: TurnAttempt,
  deps: QueueDeps,
  log: Logger,
  expectedCalls: number,
): { gate: RequestGate; report: () => void } | undefined {
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
async function tellStillWorking(record: InboxRecord, attempt: TurnAttempt, deps: QueueDeps, log: Logger): Promise<void> {
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
