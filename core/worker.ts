// The worker's side of the table stream: new inbox records in, one processTurn each, and a
// workspace's erase requests (core/workspace-erase.ts). Records of one partition (a thread, or a
// workspace's erase) run strictly in order; partitions run side by side.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { QuotaQueueFull } from './brek/quota.ts';
import { newAttempt, type TurnAttempt } from './delivery.ts';
import type { InboxRecord } from './store/inbox.ts';
import { ERASE_SK_PREFIX, INBOX_SK_PREFIX } from './store/table.ts';
import type { WorkspaceEraseRecord } from './workspace-erase.ts';

/** The part of a DynamoDB stream record the worker reads (as Lambda delivers it). */
export interface StreamRecord {
  eventName?: string;
  dynamodb?: {
    Keys?: Record<string, { S?: string } | undefined>;
    /** The stream's view type is NEW_IMAGE: the record as the ingress wrote it, so no read is needed. */
    NewImage?: Record<string, AttributeValue>;
    SequenceNumber?: string;
  };
}

export interface BatchResult {
  /** Lambda's ReportBatchItemFailures answer: retry from the first of these. */
  batchItemFailures: { itemIdentifier: string }[];
}

export function inboxRecordOf(record: StreamRecord): InboxRecord | undefined {
  const item = insertedItem(record);
  return item?.sk.startsWith(INBOX_SK_PREFIX) ? (item as unknown as InboxRecord) : undefined;
}

export function eraseRequestOf(record: StreamRecord): WorkspaceEraseRecord | undefined {
  const item = insertedItem(record);
  return item?.sk.startsWith(ERASE_SK_PREFIX) && item.type === 'erase_workspace' ? (item as unknown as WorkspaceEraseRecord) : undefined;
}

function insertedItem(record: StreamRecord): ({ pk: string; sk: string } & Record<string, unknown>) | undefined {
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
  const item = unmarshall(record.dynamodb.NewImage) as Record<string, unknown>;
  return typeof item.pk === 'string' && typeof item.sk === 'string' ? (item as { pk: string; sk: string } & Record<string, unknown>) : undefined;
}

/** What the worker does with each kind of record; a workspace's erase is optional (a worker without one leaves it to the stream's retries). */
export interface StreamHandlers {
  turn: (record: InboxRecord) => Promise<{ outcome: string }>;
  erase?: (request: WorkspaceEraseRecord) => Promise<unknown>;
}

/**
 * `turn` fails a record by throwing or by answering `busy` (another invocation still holds it:
 * Lambda re-delivered it after a timeout), so Lambda retries it later instead of dropping it.
 */
export async function handleStreamBatch(records: StreamRecord[], handlers: StreamHandlers): Promise<BatchResult> {
  const { turn: process, erase } = handlers;
  type Work = { run: () => Promise<unknown>; sequence: string };
  const byPartition = new Map<string, Work[]>();
  for (const record of records) {
    const inbox = inboxRecordOf(record);
    const request = inbox ? undefined : eraseRequestOf(record);
    const run = inbox
      ? async () => {
          const result = await process(inbox);
          if (result.outcome === 'busy') throw new Error('held by another invocation');
        }
      : request
        ? async () => {
            if (!erase) throw new Error('this worker cannot erase workspaces');
            await erase(request);
          }
        : undefined;
    if (!run) continue;
    const pk = (inbox ?? request)!.pk;
    const list = byPartition.get(pk) ?? [];
    list.push({ run, sequence: record.dynamodb?.SequenceNumber ?? '' });
    byPartition.set(pk, list);
  }
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    [...byPartition.values()].map(async (work) => {
      for (const item of work) {
        try {
          await item.run();
        } catch {
          // Stop this partition here so its order holds; Lambda re-delivers from this record, and
          // records already replied are skipped by their state.
          failures.push({ itemIdentifier: item.sequence });
          return;
        }
      }
    }),
  );
  return { batchItemFailures: failures };
}

/**
 * A turn that failed or found its thread busy is tried again after a backoff, a few times, before
 * it is handed back (to Lambda's stream retries) or given up (the local stack, logged). Every try
 * is the same attempt (one lease token): a claim whose answer was lost is found to be its own.
 */
export async function processWithRetries(
  process: (attempt: TurnAttempt) => Promise<{ outcome: string }>,
  options: { attempts?: number; backoffMs?: number } = {},
): Promise<{ outcome: string }> {
  const attempts = options.attempts ?? 6;
  const turnAttempt = newAttempt();
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await process(turnAttempt);
      if (result.outcome !== 'busy' || attempt >= attempts) return result;
    } catch (error) {
      // The invocation's time is what ran out: only a later invocation can do better.
      if (attempt >= attempts || (error instanceof QuotaQueueFull && error.invocationEnding)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, (options.backoffMs ?? 200) * 2 ** (attempt - 1)));
  }
}
