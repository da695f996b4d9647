// The worker's side of the table stream: new inbox records in, one processTurn each. Records of
// one thread (partition key) run strictly in order; threads run side by side.
import type { ItemKey } from './store/table.ts';
import { INBOX_SK_PREFIX } from './store/table.ts';

/** The part of a DynamoDB stream record the worker reads (as Lambda delivers it). */
export interface StreamRecord {
  eventName?: string;
  dynamodb?: {
    Keys?: Record<string, { S?: string } | undefined>;
    SequenceNumber?: string;
  };
}

export interface BatchResult {
  /** Lambda's ReportBatchItemFailures answer: retry from the first of these. */
  batchItemFailures: { itemIdentifier: string }[];
}

export function inboxKeyOf(record: StreamRecord): ItemKey | undefined {
  if (record.eventName !== 'INSERT') return undefined;
  const pk = record.dynamodb?.Keys?.pk?.S;
  const sk = record.dynamodb?.Keys?.sk?.S;
  return pk && sk?.startsWith(INBOX_SK_PREFIX) ? { pk, sk } : undefined;
}

/**
 * `process` fails a record by throwing or by answering `busy` (another invocation still holds it:
 * Lambda re-delivered it after a timeout), so Lambda retries it later instead of dropping it.
 */
export async function handleStreamBatch(records: StreamRecord[], process: (key: ItemKey) => Promise<{ outcome: string }>): Promise<BatchResult> {
  const byThread = new Map<string, { key: ItemKey; sequence: string }[]>();
  for (const record of records) {
    const key = inboxKeyOf(record);
    if (!key) continue;
    const list = byThread.get(key.pk) ?? [];
    list.push({ key, sequence: record.dynamodb?.SequenceNumber ?? '' });
    byThread.set(key.pk, list);
  }
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    [...byThread.values()].map(async (turns) => {
      for (const turn of turns) {
        try {
          const result = await process(turn.key);
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
