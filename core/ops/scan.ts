// Whole-table reads for operators. The table is keyed for the worker (by thread), not for "every
// turn, newest first", and an operator's occasional look does not justify an index that every
// write would pay for. A Scan reads the whole table, so this is for operators, never the hot path.
import { ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { epochSeconds } from '../store/table.ts';

/** Only what a view needs is read: no message text, no reply reference (a WhatsApp number). */
export const VIEW_ATTRIBUTES = [
  'pk', 'sk', 'dedupeKey', 'channel', 'actorId', 'conversationId', 'channelMessageId', 'receivedAt', 'state',
  'lastError', 'replyStatus', 'brek.requestId', 'brek.result.traceId', 'expiresAt', 'turns', 'leaseKey', 'leaseUntil',
];

export function projection(attributes: string[] = VIEW_ATTRIBUTES): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  const names: Record<string, string> = {};
  const paths = attributes.map((path) =>
    path
      .split('.')
      .map((part) => {
        names[`#${part}`] = part;
        return `#${part}`;
      })
      .join('.'),
  );
  return { ProjectionExpression: paths.join(', '), ExpressionAttributeNames: names };
}

export type Item = Record<string, unknown> & { pk?: string; sk?: string; expiresAt?: number };

export async function scanAll(db: DynamoDBDocumentClient, input: ScanCommandInput, each: (item: Item) => boolean | void): Promise<void> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ ...input, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const item of (page.Items ?? []) as Item[]) if (each(item) === false) return;
    start = page.LastEvaluatedKey;
  } while (start);
}

export const live = (item: Item, now: number) => typeof item.expiresAt !== 'number' || item.expiresAt >= epochSeconds(now);

