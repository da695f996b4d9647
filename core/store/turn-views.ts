// Turns as an operator sees them: one inbox record (the message) joined with its thread's outcome
// for it, reduced to what says what happened — never the traveller's text or reply reference.
// Read by `npm run ops` (dev/ops.ts) and the local stack's console; channel-neutral, like all of core/.
//
// Listing and finding use a Scan: the table is keyed for the worker (by thread), not for "every
// turn, newest first", and an operator's occasional look does not justify an index that every
// write would pay for. A Scan reads the whole table, so this is for operators, never the hot path.
import { GetCommand, ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../identity.ts';
import { scrubText } from '../log.ts';
import { processTurn, type TurnDeps, type TurnOutcome } from '../turn.ts';
import type { InboxRecord } from './inbox.ts';
import { epochSeconds, INBOX_SK_PREFIX, THREAD_SK } from './table.ts';
import { threadKey, type ThreadRecord } from './threads.ts';

export type TurnViewState = 'received' | 'processing' | 'replied' | 'failed' | 'ignored';

export interface TurnView {
  /** The turn's dedupe key: what `npm run ops -- turns` prints and `replay` takes. */
  id: string;
  channel: Channel;
  /** Pseudonymous already (a WhatsApp number is hashed before anything is stored). */
  actorId: string;
  conversationId: string;
  channelMessageId: string;
  /** ISO time the ingress accepted the message. */
  receivedAt: string;
  state: TurnViewState;
  /** The reply's status (`shortlist`, `bridge_apology`…), or why nothing was said. */
  status?: string;
  error?: string;
  /** Brek's `x-request-id` and `traceId` of the turn's answer. */
  brekRequestId?: string;
  traceId?: string;
  /** From the message's arrival to the turn's outcome (a replay's outcome, after one). */
  latencyMs?: number;
  /** ISO time of the outcome. */
  finishedAt?: string;
}

/** The parts of an inbox record a view needs (a full record will do). */
export type InboxFields = Pick<
  InboxRecord,
  'pk' | 'sk' | 'dedupeKey' | 'channel' | 'actorId' | 'conversationId' | 'channelMessageId' | 'receivedAt' | 'state' | 'lastError' | 'replyStatus'
> & { brek?: { requestId?: string; result?: { traceId?: string } } };

/** The parts of a thread record a view needs. */
export type ThreadFields = Pick<ThreadRecord, 'turns' | 'leaseKey' | 'leaseUntil'>;

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
 * What became of one turn. The thread's outcome for it wins; without one, a live lease on this
 * turn means the worker has it now; otherwise the inbox record's own state. A live lease on a
 * turn that has a (failed) outcome is a replay under way, so that one reads `processing` too.
 */
export function turnView(inbox: InboxFields, thread: ThreadFields | undefined, now: number = Date.now()): TurnView {
  const id = inbox.dedupeKey;
  const outcome = thread?.turns?.[id];
  const leased = thread?.leaseKey === id && thread.leaseUntil !== undefined && thread.leaseUntil >= now;
  const view: TurnView = {
    id,
    channel: inbox.channel,
    actorId: inbox.actorId,
    conversationId: inbox.conversationId,
    channelMessageId: inbox.channelMessageId,
    receivedAt: inbox.receivedAt,
    state: leased ? 'processing' : (outcome?.state ?? inbox.state),
  };
  if (!leased && outcome) {
    view.status = outcome.status;
    if (outcome.error) view.error = outcome.error;
    const received = Date.parse(inbox.receivedAt);
    if (Number.isFinite(received)) view.latencyMs = Math.max(0, outcome.at - received);
    view.finishedAt = new Date(outcome.at).toISOString();
  } else if (!leased && inbox.state === 'failed') {
    if (inbox.replyStatus) view.status = inbox.replyStatus;
    if (inbox.lastError) view.error = inbox.lastError;
  }
  const brekRequestId = outcome?.brekRequestId ?? inbox.brek?.requestId;
  const traceId = outcome?.traceId ?? inbox.brek?.result?.traceId;
  if (brekRequestId) view.brekRequestId = brekRequestId;
  if (traceId) view.traceId = traceId;
  // Errors come from Brek's and the channels' answers: scrubbed like a log line before anyone sees them.
  if (view.error) view.error = scrubText(view.error);
  return view;
}

/** Only what a view needs is read: no message text, no reply reference (a WhatsApp number). */
const VIEW_ATTRIBUTES = [
  'pk', 'sk', 'dedupeKey', 'channel', 'actorId', 'conversationId', 'channelMessageId', 'receivedAt', 'state',
  'lastError', 'replyStatus', 'brek.requestId', 'brek.result.traceId', 'expiresAt', 'turns', 'leaseKey', 'leaseUntil',
];

function projection(): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  const names: Record<string, string> = {};
  const paths = VIEW_ATTRIBUTES.map((path) =>
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

type Item = Record<string, unknown> & { pk?: string; sk?: string; expiresAt?: number };

async function scanAll(db: DynamoDBDocumentClient, input: ScanCommandInput, each: (item: Item) => boolean | void): Promise<void> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ ...input, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const item of (page.Items ?? []) as Item[]) if (each(item) === false) return;
    start = page.LastEvaluatedKey;
  } while (start);
}

const live = (item: Item, now: number) => typeof item.expiresAt !== 'number' || item.expiresAt >= epochSeconds(now);

/**
 * The table's turns, newest first (by receivedAt), each joined with its thread — both come from
 * the same Scan. `failed` keeps failed turns only; `limit` (default 50) applies after that.
 */
export async function listTurns(
  db: DynamoDBDocumentClient,
  tableName: string,
  options: { failed?: boolean; limit?: number; now?: number } = {},
): Promise<TurnView[]> {
  const now = options.now ?? Date.now();
  const inboxes: InboxFields[] = [];
  const threads = new Map<string, ThreadFields>();
  await scanAll(db, { TableName: tableName, ...projection() }, (item) => {
    if (!live(item, now) || typeof item.pk !== 'string' || typeof item.sk !== 'string') return;
    if (item.sk === THREAD_SK) threads.set(item.pk, item as unknown as ThreadFields);
    else if (item.sk.startsWith(INBOX_SK_PREFIX)) inboxes.push(item as unknown as InboxFields);
  });
  const views = inboxes
    .map((inbox) => turnView(inbox, threads.get(inbox.pk), now))
    .filter((view) => !options.failed || view.state === 'failed')
    .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || a.id.localeCompare(b.id));
  return views.slice(0, options.limit ?? 50);
}

/**
 * One turn by its id (the dedupe key), with the whole inbox record — what a replay needs — and
 * its view. Undefined when there is no such turn (or it has expired). The whole table is scanned,
 * so an id found in two threads (Teams activity ids are unique only per conversation) is refused
 * rather than guessed.
 */
export async function findTurn(
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
  if (found.view.state !== 'failed') {
    throw new TurnReplayError('not_failed', `Turn "${id}" is ${found.view.state}, not failed: only a failed turn is replayed.`);
  }
  return found.record;
}

/**
 * Runs a failed turn again, as the worker would (`processTurn` with `replayFailed`): Brek's kept
 * answer is re-sent if only the delivery failed, otherwise Brek is asked again under the same
 * idempotency key. A turn that is unknown or not failed is refused with a TurnReplayError.
 */
export async function replayTurn(id: string, deps: TurnDeps & { db: DynamoDBDocumentClient; tableName: string }): Promise<TurnOutcome> {
  return processTurn(await replayableTurn(deps.db, deps.tableName, id), deps, { replayFailed: true });
}
