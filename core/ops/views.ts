// Turns as an operator sees them: one inbox record (the message) joined with its thread's outcome
// for it, reduced to what says what happened — never the traveller's text or reply reference.
// Read by `npm run ops` (dev/ops.ts) and the local stack's console; channel-neutral, like all of core/.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../identity.ts';
import { scrubText } from '../log.ts';
import type { InboxRecord } from '../store/inbox.ts';
import { INBOX_SK_PREFIX, THREAD_SK } from '../store/table.ts';
import type { ThreadRecord } from '../store/threads.ts';
import { live, projection, scanAll } from './scan.ts';

export type TurnViewState = 'received' | 'processing' | 'replied' | 'failed' | 'unknown' | 'ignored';

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
  } else if (!leased && (inbox.state === 'failed' || inbox.state === 'unknown')) {
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
    .filter((view) => !options.failed || view.state === 'failed' || view.state === 'unknown')
    .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || a.id.localeCompare(b.id));
  return views.slice(0, options.limit ?? 50);
}

