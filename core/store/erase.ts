// Erasing travellers: every item of one actor ("forget me", core/turn.ts), or of every actor whose
// id starts with a prefix (a Slack workspace that uninstalled the app: `slack:T123:`).
//
// An actor's items are all under `pk = T#{actorId}#{conversationId}` (store/table.ts): the
// THREAD record of each conversation (Brek session, offers, reply reference, turn outcomes) and
// the IN#… inbox record of each message. The table is keyed by thread, with no index by actor,
// so this is a paginated Scan with `begins_with(pk, …)` and BatchWriteItem deletes, 25 at a time,
// page by page (progress is kept even if the caller runs out of time: running it again finishes
// it). A Scan reads the whole table, so this is for rare requests, never a turn's usual path.
import { createHash } from 'node:crypto';
import { BatchWriteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger, type Logger } from '../log.ts';
import type { ItemKey } from './table.ts';

/** BatchWriteItem's limit. */
const BATCH = 25;
/** Tries of one batch while DynamoDB hands items back unprocessed (throttling). */
const BATCH_ATTEMPTS = 8;

export interface EraseOptions {
  /** Items a Scan page examines (DynamoDB's `Limit`); unset, DynamoDB's own 1 MB pages. */
  pageSize?: number;
  /** Keys left in place: the forget turn's own thread and message, deleted after its reply. */
  except?: ItemKey[];
  /** Where the one summary line goes (no personal data); default JSON lines on stdout. */
  logger?: Logger;
  /** First wait before re-sending unprocessed deletes; doubled each time, with jitter. */
  backoffMs?: number;
}

/** A prefix that would erase someone it should not: empty, a whole channel, not ending a segment. */
export class ErasePrefixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ErasePrefixError';
  }
}

/** `{channel}:{workspace}:` — every actor of one Slack workspace or Teams tenant. */
const WORKSPACE_PREFIX = /^[a-z]+:[^:#\s]+:$/;
/** Actor ids as core/identity.ts builds them: `{channel}:{…}`, no empty segment, `#` or whitespace. */
const ACTOR_ID = /^[a-z]+(?::[^:#\s]+)+$/;

/**
 * Refuses a prefix unless it names one workspace (`slack:T123:`, the trailing colon matters:
 * `slack:T12:` must not match `slack:T123:`) or one whole actor (`{actorId}#`). So it is never
 * empty, never a channel alone (`slack:`), never a partial id.
 */
export function checkActorPrefix(prefix: string): void {
  const wholeActor = typeof prefix === 'string' && prefix.endsWith('#') && ACTOR_ID.test(prefix.slice(0, -1));
  if (typeof prefix !== 'string' || !(WORKSPACE_PREFIX.test(prefix) || wholeActor)) {
    throw new ErasePrefixError(
      'refused to erase by this prefix: it must be `{channel}:{workspace}:` (ending with ":") or a whole actor id followed by "#"',
    );
  }
}

/** Deletes every item of one actor (all its conversations' threads and messages); returns how many. */
export async function eraseActor(db: DynamoDBDocumentClient, tableName: string, actorId: string, options: EraseOptions = {}): Promise<number> {
  if (typeof actorId !== 'string' || !ACTOR_ID.test(actorId)) throw new ErasePrefixError('refused to erase: not an actor id');
  const deleted = await erasePk(db, tableName, `T#${actorId}#`, options, (item) => item.actorId === undefined || item.actorId === actorId);
  // The actor id only as a hash: enough to tie this line to an operator's request, nothing more.
  (options.logger ?? createLogger()).info('actor erased', { actorHash: hash(actorId), itemsDeleted: deleted });
  return deleted;
}

/**
 * Deletes every item of every actor whose id starts with `actorIdPrefix` (checked by
 * checkActorPrefix first); returns how many. The Slack uninstall path calls it with `slack:{team}:`.
 */
export async function eraseActorPrefix(db: DynamoDBDocumentClient, tableName: string, actorIdPrefix: string, options: EraseOptions = {}): Promise<number> {
  checkActorPrefix(actorIdPrefix);
  const deleted = await erasePk(db, tableName, `T#${actorIdPrefix}`, options, (item) =>
    item.actorId === undefined || (typeof item.actorId === 'string' && `${item.actorId}#`.startsWith(actorIdPrefix)),
  );
  // A workspace prefix is pseudonymous (team or tenant ids); a single actor's is shown as a hash.
  const shown = actorIdPrefix.endsWith(':') ? { prefix: actorIdPrefix } : { actorHash: hash(actorIdPrefix.slice(0, -1)) };
  (options.logger ?? createLogger()).info('actors erased by prefix', { ...shown, itemsDeleted: deleted });
  return deleted;
}

/** Deletes the given keys (at most a few: the forget turn's own thread and message). */
export async function deleteKeys(db: DynamoDBDocumentClient, tableName: string, keys: ItemKey[], options: Pick<EraseOptions, 'backoffMs'> = {}): Promise<void> {
  for (let i = 0; i < keys.length; i += BATCH) await deleteBatch(db, tableName, keys.slice(i, i + BATCH), options.backoffMs ?? 50);
}

type ScannedItem = { pk: string; sk: string; actorId?: unknown };

async function erasePk(
  db: DynamoDBDocumentClient,
  tableName: string,
  pkPrefix: string,
  options: EraseOptions,
  belongs: (item: ScannedItem) => boolean,
): Promise<number> {
  const kept = new Set((options.except ?? []).map((key) => `${key.pk}\n${key.sk}`));
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': pkPrefix },
        // Keys and the owner only: the traveller's text and reply reference are never read.
        ProjectionExpression: 'pk, sk, actorId',
        ...(options.pageSize ? { Limit: options.pageSize } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const keys = ((page.Items ?? []) as ScannedItem[])
      .filter((item) => typeof item.pk === 'string' && item.pk.startsWith(pkPrefix) && belongs(item) && !kept.has(`${item.pk}\n${item.sk}`))
      .map(({ pk, sk }) => ({ pk, sk }));
    // Deleting what a page found does not disturb the Scan: a start key need not exist any more.
    await deleteKeys(db, tableName, keys, options);
    deleted += keys.length;
    start = page.LastEvaluatedKey;
  } while (start);
  return deleted;
}

async function deleteBatch(db: DynamoDBDocumentClient, tableName: string, keys: ItemKey[], backoffMs: number): Promise<void> {
  let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 1; requests.length > 0; attempt++) {
    const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
    requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
    if (requests.length === 0) return;
    if (attempt >= BATCH_ATTEMPTS) throw new Error(`erase: ${requests.length} deletes still unprocessed after ${attempt} tries (throttled)`);
    const wait = backoffMs * 2 ** (attempt - 1);
    await new Promise((resolve) => setTimeout(resolve, wait / 2 + Math.random() * (wait / 2)));
  }
}

const hash = (value: string) => `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
