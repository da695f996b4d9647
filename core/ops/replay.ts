// Replaying a failed turn, as `npm run ops -- replay` and the console's button do: found by its id
// (one Scan), refused unless it failed, then run by the worker's own processTurn.
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InboxRecord } from '../store/inbox.ts';
import { INBOX_SK_PREFIX } from '../store/table.ts';
import { threadKey, type ThreadRecord } from '../store/threads.ts';
import { processTurn, type TurnDeps, type TurnOutcome } from '../turn.ts';
import { live, scanAll } from './scan.ts';
import { turnView, type TurnView } from './views.ts';

/** An operator asked to replay a turn that cannot be: unknown, not failed, or named twice. */
export class TurnReplayError extends Error {
  constructor(
    readonly reason: 'not_found' | 'not_failed' | 'ambiguous',
    message: string,
  ) {
    super(message);
    this.name = 'TurnReplayError';
  }
}

/**
 * One turn by its id (the dedupe key), with the whole inbox record — what a replay needs — and
 * its view. Undefined when there is no such turn (or it has expired). The whole table is scanned,
 * so an id found in two threads (Teams activity ids are unique only per conversation) is refused
 * rather than guessed.
 */
async function findTurn(
  db: DynamoDBDocumentClient,
  tableName: string,
  id: string,
  now: number = Date.now(),
): Promise<{ record: InboxRecord; view: TurnView } | undefined> {
  const found: InboxRecord[] = [];
  await scanAll(db, { TableName: tableName, FilterExpression: 'sk = :sk', ExpressionAttributeValues: { ':sk': `${INBOX_SK_PREFIX}${id}` } }, (item) => {
    if (live(item, now)) found.push(item as unknown as InboxRecord);
  });
  if (found.length > 1) throw new TurnReplayError('ambiguous', `The id "${id}" names ${found.length} turns in different conversations; replay it with the worker's stream record instead.`);
  const record = found[0];
  if (!record) return undefined;
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: threadKey(record), ConsistentRead: true }));
  return { record, view: turnView(record, Item as ThreadRecord | undefined, now) };
}

/** The failed turn `id`, ready to replay; a TurnReplayError says why not otherwise. */
export async function replayableTurn(db: DynamoDBDocumentClient, tableName: string, id: string): Promise<InboxRecord> {
  const found = await findTurn(db, tableName, id);
  if (!found) {
    throw new TurnReplayError('not_found', `No turn "${id}" in table ${tableName} (ids are what \`npm run ops -- turns\` prints; turns are kept 48 h).`);
  }
  if (found.view.state !== 'failed' && found.view.state !== 'unknown') {
    throw new TurnReplayError('not_failed', `Turn "${id}" is ${found.view.state}, not failed: only a failed turn (or one whose delivery is unknown) is replayed.`);
  }
  return found.record;
}

/**
 * Runs a failed turn again, as the worker would (`processTurn` with `replayFailed`): a reply whose
 * delivery failed or stayed unknown is resumed (what the channel shows already is not sent again;
 * where the channel cannot be asked, an unknown part stays unknown), otherwise Brek is asked again
 * under the same idempotency key. A turn not failed is refused with a TurnReplayError.
 */
export async function replayTurn(id: string, deps: TurnDeps & { db: DynamoDBDocumentClient; tableName: string }): Promise<TurnOutcome> {
  return processTurn(await replayableTurn(deps.db, deps.tableName, id), deps, { replayFailed: true });
}

