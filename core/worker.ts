// The worker's side of the table stream: new inbox records in, one processTurn each. Records of
// one thread (partition key) run strictly in order; threads run side by side.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { newAttempt, type TurnAttempt } from './delivery.ts';
import type { InboxRecord } from './store/inbox.ts';
import { INBOX_SK_PREFIX } from './store/table.ts';

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
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
  const item = unmarshall(record.dynamodb.NewImage) as InboxRecord;
  return typeof item.pk === 'string' && typeof item.sk === 'string' && item.sk.startsWith(INBOX_SK_PREFIX) ? item : undefined;
}

/**
 * `process` fails a record by throwing or by answering `busy` (another invocation still holds it:
 * Lambda re-delivered it after a timeout), so Lambda retries it later instead of dropping it.
 */
export async function handleStreamBatch(records: StreamRecord[], process: (record: InboxRecord) => Promise<{ outcome: string }>): Promise<BatchResult> {
  const byThread = new Map<string, { inbox: InboxRecord; sequence: string }[]>();
  for (const record of records) {
    const inbox = inboxRecordOf(record);
    if (!inbox) continue;
    const list = byThread.get(inbox.pk) ?? [];
    list.push({ inbox, sequence: record.dynamodb?.SequenceNumber ?? '' });
    byThread.set(inbox.pk, list);
  }
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    [...byThread.values()].map(async (turns) => {
      for (const turn of turns) {
        try {
          const result = await process(turn.inbox);
          if (result.outcome === 'busy') throw new Error('held by another invocation');
        } catch {
          // Stop this thread here so its order holds; Lambda re-delivers from this record, and
          // records already replied are skipped by their state.
          failures.push({ itemIdentifier: turn.sequence });
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
      if (attempt >= attempts) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, (options.backoffMs ?? 200) * 2 ** (attempt - 1)));
  }
}
