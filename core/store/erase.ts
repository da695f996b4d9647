// Erasing travellers: every item of one actor ("forget me", core/turn.ts), or of every actor of a
// workspace (a Slack workspace that uninstalled the app: `slack:T123:`, core/workspace-erase.ts).
//
// An actor's items are all under `pk = T#{actorId}#{conversationId}` (store/table.ts): the
// THREAD record of each conversation (Brek session, offers, reply reference, turn outcomes) and
// the IN#… inbox record of each message. Each carries the owner index's key, so an erase is a
// Query of that index — it reads the keys of what it deletes and nothing else, however many other
// travellers the table holds — and BatchWriteItem deletes, 25 at a time, page by page (progress
// is kept if the caller runs out of time: running it again finishes it).
//
// The index is eventually consistent: an item written in the last moment may not be in it yet.
// The erase paths run after the traveller's own write (forget) or after the platform said the
// workspace left (no new turns are answered), so that window holds nothing of theirs in practice.
//
// Items written before the index existed carry no owner key; they expire by TTL within days, and
// meanwhile an operator erases them with `npm run ops -- erase <id> --scan` (scanErase below: a
// Scan of the whole table, which no traveller or platform request can start).
import { createHash } from 'node:crypto';
import { BatchWriteCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger, type Logger } from '../log.ts';
import { OWNER_INDEX, workspacePrefixOf, type ItemKey } from './table.ts';

/** BatchWriteItem's limit. */
const BATCH = 25;
/** Tries of one batch while DynamoDB hands items back unprocessed (throttling). */
const BATCH_ATTEMPTS = 8;

export interface EraseOptions {
  /** Items one Query (or Scan) page returns (DynamoDB's `Limit`); unset, DynamoDB's own 1 MB pages. */
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
  const { deleted } = await eraseByOwner(db, tableName, { ownerPk: workspacePrefixOf(actorId) ?? actorId, ownerSkPrefix: `${actorId}#` }, options);
  // The actor id only as a hash: enough to tie this line to an operator's request, nothing more.
  (options.logger ?? createLogger()).info('actor erased', { actorHash: hash(actorId), itemsDeleted: deleted });
  return deleted;
}

/**
 * Deletes the items of every actor of one workspace (`slack:T123:`), page by page until done or
 * until `deadline` (epoch ms) has passed after a page; the caller then continues another time
 * (core/workspace-erase.ts). The caller logs the outcome.
 */
export async function eraseWorkspaceItems(
  db: DynamoDBDocumentClient,
  tableName: string,
  workspacePrefix: string,
  options: EraseOptions & { deadline?: number; now?: () => number } = {},
): Promise<{ deleted: number; done: boolean }> {
  if (!WORKSPACE_PREFIX.test(workspacePrefix)) throw new ErasePrefixError('refused to erase: not a workspace prefix `{channel}:{workspace}:`');
  return eraseByOwner(db, tableName, { ownerPk: workspacePrefix }, options);
}

/** Deletes the given keys (at most a few: the forget turn's own thread and message). */
export async function deleteKeys(db: DynamoDBDocumentClient, tableName: string, keys: ItemKey[], options: Pick<EraseOptions, 'backoffMs'> = {}): Promise<void> {
  for (let i = 0; i < keys.length; i += BATCH) await deleteBatch(db, tableName, keys.slice(i, i + BATCH), options.backoffMs ?? 50);
}

/** One owner's items, from the index: a workspace (ownerPk alone) or one actor of it (with the ownerSk prefix). */
async function eraseByOwner(
  db: DynamoDBDocumentClient,
  tableName: string,
  owner: { ownerPk: string; ownerSkPrefix?: string },
  options: EraseOptions & { deadline?: number; now?: () => number },
): Promise<{ deleted: number; done: boolean }> {
  const kept = new Set((options.except ?? []).map((key) => `${key.pk}\n${key.sk}`));
  const now = options.now ?? Date.now;
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: OWNER_INDEX.name,
        KeyConditionExpression: owner.ownerSkPrefix ? '#owner = :owner AND begins_with(#ownerSk, :actor)' : '#owner = :owner',
        ExpressionAttributeNames: { '#owner': OWNER_INDEX.partitionKey, ...(owner.ownerSkPrefix ? { '#ownerSk': OWNER_INDEX.sortKey } : {}) },
        ExpressionAttributeValues: { ':owner': owner.ownerPk, ...(owner.ownerSkPrefix ? { ':actor': owner.ownerSkPrefix } : {}) },
        // The index holds keys only: the traveller's text and reply reference are never read.
        ...(options.pageSize ? { Limit: options.pageSize } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const keys = ((page.Items ?? []) as ItemKey[]).filter((item) => !kept.has(`${item.pk}\n${item.sk}`)).map(({ pk, sk }) => ({ pk, sk }));
    await deleteKeys(db, tableName, keys, options);
    deleted += keys.length;
    start = page.LastEvaluatedKey;
    // Out of time: what is deleted stays deleted, and the next run's Query starts from what is left.
    if (start && options.deadline !== undefined && now() >= options.deadline) return { deleted, done: false };
  } while (start);
  return { deleted, done: true };
}

/**
 * For operators only (`npm run ops -- erase … --scan`): the items of an actor (`{actorId}#`) or a
 * workspace (`{channel}:{workspace}:`) found by a Scan of the whole table — the ones written before
 * the owner index existed. Never on a path a traveller or a platform can start: it costs the table.
 */
export async function scanErase(db: DynamoDBDocumentClient, tableName: string, actorIdPrefix: string, options: EraseOptions = {}): Promise<number> {
  checkActorPrefix(actorIdPrefix);
  const pkPrefix = `T#${actorIdPrefix}`;
  const belongs = (item: ScannedItem) => item.actorId === undefined || (typeof item.actorId === 'string' && `${item.actorId}#`.startsWith(actorIdPrefix));
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': pkPrefix },
        ProjectionExpression: 'pk, sk, actorId',
        ...(options.pageSize ? { Limit: options.pageSize } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const keys = ((page.Items ?? []) as ScannedItem[])
      .filter((item) => typeof item.pk === 'string' && item.pk.startsWith(pkPrefix) && belongs(item))
      .map(({ pk, sk }) => ({ pk, sk }));
    // Deleting what a page found does not disturb the Scan: a start key need not exist any more.
    await deleteKeys(db, tableName, keys, options);
    deleted += keys.length;
    start = page.LastEvaluatedKey;
  } while (start);
  const shown = actorIdPrefix.endsWith(':') ? { prefix: actorIdPrefix } : { actorHash: hash(actorIdPrefix.slice(0, -1)) };
  (options.logger ?? createLogger()).info('erased by a table scan (operator)', { ...shown, itemsDeleted: deleted });
  return deleted;
}

type ScannedItem = { pk: string; sk: string; actorId?: unknown };

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
