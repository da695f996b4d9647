// Turns as an operator sees them: one inbox record (the message) joined with its thread's outcome
// for it, reduced to what says what happened — never the traveller's text or reply reference.
// Read by `npm run ops` (dev/ops.ts) and the local stack's console; channel-neutral, like all of core/.
//
// Listing and finding use a Scan: the table is keyed for the worker (by thread), not for "every
// turn, newest first", and an operator's occasional look does not justify an index that every
// write would pay for. A Scan reads the whole table, so this is for operators, never the hot path.
import { createHash } from 'node:crypto';
import { GetCommand, ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../identity.ts';
import { scrubText } from '../log.ts';
import { processTurn, type TurnDeps, type TurnOutcome } from '../turn.ts';
import type { InboxRecord } from './inbox.ts';
import { epochSeconds, INBOX_SK_PREFIX, THREAD_SK } from './table.ts';
import { threadKey, type ThreadRecord } from './threads.ts';

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

/** Only what a view needs is read: no message text, no reply reference (a WhatsApp number). */
const VIEW_ATTRIBUTES = [
  'pk', 'sk', 'dedupeKey', 'channel', 'actorId', 'conversationId', 'channelMessageId', 'receivedAt', 'state',
  'lastError', 'replyStatus', 'brek.requestId', 'brek.result.traceId', 'expiresAt', 'turns', 'leaseKey', 'leaseUntil',
];

function projection(attributes: string[] = VIEW_ATTRIBUTES): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
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
    .filter((view) => !options.failed || view.state === 'failed' || view.state === 'unknown')
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

// ---- stories: one turn's whole path, for `npm run ops -- trace` ---------------------------------

/** `slack:T0LOCAL:UADA` stays; `whatsapp:` + 32 hex characters becomes `whatsapp:3f9a…c41d` (as `turns` prints it). */
export function shortActor(actorId: string, width = 22): string {
  if (actorId.length <= width) return actorId;
  const head = actorId.slice(0, width - 7);
  return `${head}…${actorId.slice(-6)}`;
}

/**
 * A conversation id as it may be printed. WhatsApp's is `wa:` + an HMAC of the number pair (see
 * adapters/whatsapp/normalize.ts): pseudonymous, so shown. Anything else from WhatsApp, or any id
 * that holds a phone number, is shown only as a hash of itself — enough to tell two apart.
 */
export function printableConversation(channel: Channel, conversationId: string): string {
  const hashedPair = channel === 'whatsapp' && /^wa:[0-9a-f]{32}$/.test(conversationId);
  const personal = (channel === 'whatsapp' && !hashedPair) || scrubText(conversationId) !== conversationId || /\+\d{6,}/.test(conversationId);
  return personal ? `sha256:${createHash('sha256').update(conversationId).digest('hex').slice(0, 16)}` : conversationId;
}

export type TurnStepKind = 'received' | 'taken_up' | 'brek' | 'reply' | 'earlier_attempt' | 'finished';

/** One step of a turn as the table knows it; `at` only where the table keeps the time. */
export interface TurnStep {
  step: TurnStepKind;
  at?: string;
  text: string;
}

/** A Brek answer the inbox record keeps because its delivery failed (a replay re-sends it). */
export interface KeptAnswer {
  status: string;
  sessionId?: string;
  brekRequestId?: string;
  traceId?: string;
}

export interface TurnStory {
  /** The turn's dedupe key (what `turns` prints and `replay` takes). */
  id: string;
  channel: Channel;
  /** Pseudonymous (a WhatsApp number is hashed before anything is stored). */
  actorId: string;
  /** The conversation id, or a hash of it when it could be personal (printableConversation). */
  conversation: string;
  /** The id the logs carry (`channelMessageId`): Slack event id, Teams activity id, Twilio MessageSid. */
  channelMessageId?: string;
  receivedAt?: string;
  state: TurnViewState;
  status?: string;
  error?: string;
  /** Brek's `x-request-id` of the turn's answer, or of the Brek call that failed; and the answer's traceId. */
  brekRequestId?: string;
  traceId?: string;
  /** The conversation's Brek session now (the thread record's). */
  brekSessionId?: string;
  keptAnswer?: KeptAnswer;
  latencyMs?: number;
  finishedAt?: string;
  steps: TurnStep[];
  /** The message's record has expired (kept 48 h): the thread's outcome is all that is left. */
  messageExpired?: true;
}

/** What a story reads from an inbox record: a view's fields and the kept answer's ids, never its text. */
export type InboxStoryFields = InboxFields & {
  brek?: { sessionId?: string; requestId?: string; result?: { status?: string; traceId?: string } };
};

/** What a story reads from a thread record: never its reference (a WhatsApp number) or offers. */
export type ThreadStoryFields = ThreadFields & Partial<Pick<ThreadRecord, 'pk' | 'channel' | 'actorId' | 'conversationId' | 'sessionId' | 'deliveryStatuses'>>;

const STORY_ATTRIBUTES = [
  ...VIEW_ATTRIBUTES.filter((path) => !path.startsWith('brek.')),
  'brek.requestId', 'brek.sessionId', 'brek.result.status', 'brek.result.traceId', 'sessionId', 'deliveryStatuses',
];

/** What the platform later said of the turn's messages (Twilio status callbacks): the latest per message. */
function platformSaid(thread: ThreadStoryFields | undefined, id: string): string {
  const receipts = thread?.turns?.[id]?.receipts ?? [];
  const latest = new Map<string, string>();
  for (const s of thread?.deliveryStatuses ?? []) {
    if (receipts.includes(s.messageId)) latest.set(s.messageId, `${s.status}${s.errorCode ? ` (error ${s.errorCode})` : ''}`);
  }
  return latest.size ? `; the channel says: ${[...latest].map(([messageId, said]) => `${messageId} ${said}`).join(', ')}` : '';
}

function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One turn's story from its inbox record and/or its thread (at least one of them). Pure: the
 * steps say only what the table knows — the time a message was received and a turn finished,
 * not when the worker took it up (a lease says so only while it holds the turn).
 */
export function turnStory(
  id: string,
  inbox: InboxStoryFields | undefined,
  thread: ThreadStoryFields | undefined,
  now: number = Date.now(),
): TurnStory {
  const outcome = thread?.turns?.[id];
  const channel = (inbox?.channel ?? thread?.channel)!;
  const actorId = (inbox?.actorId ?? thread?.actorId)!;
  const conversationId = inbox?.conversationId ?? thread?.conversationId ?? '';
  const leased = thread?.leaseKey === id && thread.leaseUntil !== undefined && thread.leaseUntil >= now;
  const story: TurnStory = {
    id,
    channel,
    actorId,
    conversation: printableConversation(channel, conversationId),
    state: 'received',
    steps: [],
  };
  if (inbox) {
    const view = turnView(inbox, thread, now);
    Object.assign(story, {
      channelMessageId: view.channelMessageId,
      receivedAt: view.receivedAt,
      state: view.state,
      ...pick(view, ['status', 'error', 'brekRequestId', 'traceId', 'latencyMs', 'finishedAt']),
    });
  } else if (outcome) {
    story.messageExpired = true;
    story.state = leased ? 'processing' : outcome.state;
    if (!leased) {
      story.status = outcome.status;
      if (outcome.error) story.error = scrubText(outcome.error);
      story.finishedAt = new Date(outcome.at).toISOString();
    }
    if (outcome.brekRequestId) story.brekRequestId = outcome.brekRequestId;
    if (outcome.traceId) story.traceId = outcome.traceId;
  }
  if (thread?.sessionId) story.brekSessionId = thread.sessionId;
  const kept = inbox?.brek;
  if (kept?.result?.status) {
    story.keptAnswer = {
      status: kept.result.status,
      ...(kept.sessionId ? { sessionId: kept.sessionId } : {}),
      ...(kept.requestId ? { brekRequestId: kept.requestId } : {}),
      ...(kept.result.traceId ? { traceId: kept.result.traceId } : {}),
    };
  }
  story.steps = stepsOf(story, inbox, thread, leased, outcome !== undefined);
  return story;
}

function pick<T extends object, K extends keyof T>(from: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}

function stepsOf(story: TurnStory, inbox: InboxStoryFields | undefined, thread: ThreadStoryFields | undefined, leased: boolean, hasOutcome: boolean): TurnStep[] {
  const steps: TurnStep[] = [];
  const ids = (requestId?: string, traceId?: string) =>
    [requestId ? `x-request-id ${requestId}` : '', traceId ? `traceId ${traceId}` : ''].filter(Boolean).join(', ');
  steps.push(
    story.receivedAt
      ? { step: 'received', at: story.receivedAt, text: `accepted by the ${story.channel} ingress (channel message id ${story.channelMessageId})` }
      : { step: 'received', text: 'the message record has expired (kept 48 h); the thread kept the outcome' },
  );
  if (leased) {
    steps.push({ step: 'taken_up', text: `the worker holds it now (lease until ${new Date(thread!.leaseUntil!).toISOString()})` });
    return steps;
  }
  const finished = hasOutcome || story.state === 'failed' || story.state === 'unknown';
  if (!finished) {
    steps.push({ step: 'taken_up', text: 'not yet: waiting for the worker (if for long, see the worker’s log)' });
    return steps;
  }
  steps.push({ step: 'taken_up', text: 'by the worker' });

  const { state, status = '-', error } = story;
  // A failed send reads `send: <why>` then, if Brek had failed too, `; <Brek's error>` (core/turn.ts).
  const sendError = error?.startsWith('send: ') ? error.slice(6).split('; ')[0] : undefined;
  const brekError = error === undefined ? undefined : sendError !== undefined ? error.slice(6 + sendError.length + 2) || undefined : error;
  const answered = story.keptAnswer ?? (state !== 'failed' && story.brekRequestId ? { status, brekRequestId: story.brekRequestId, traceId: story.traceId } : undefined);
  if (state === 'failed' && brekError) {
    steps.push({
      step: 'brek',
      text: story.brekRequestId && !story.keptAnswer ? `failed: ${brekError} (x-request-id ${story.brekRequestId})` : `no answer: ${brekError}`,
    });
  } else if (answered) {
    steps.push({ step: 'brek', text: `answered ${answered.status} (${ids(answered.brekRequestId, answered.traceId) || 'no request id'})` });
  } else if (state === 'ignored') {
    steps.push({ step: 'brek', text: `not called: the turn was ignored (${status})` });
  } else {
    steps.push({ step: 'brek', text: status === 'none' ? 'not called' : `not called: the bridge answered itself (${status})` });
  }

  if (state === 'replied') steps.push({ step: 'reply', text: `${status} delivered${platformSaid(thread, story.id)}` });
  else if (state === 'ignored') steps.push({ step: 'reply', text: 'nothing sent' });
  else if (state === 'unknown') {
    steps.push({ step: 'reply', text: `delivery unknown: ${sendError ?? 'the channel could not say'} (a replay checks the channel before sending again)` });
  } else if (sendError !== undefined) {
    steps.push({ step: 'reply', text: `not delivered: ${sendError}${story.keptAnswer ? ' (Brek’s answer is kept: a replay re-sends it)' : ''}` });
  } else steps.push({ step: 'reply', text: `apology sent (${status})` });

  // A replayed turn: the message record still says how the first attempt ended.
  if (inbox?.state === 'failed' && hasOutcome && state !== 'failed' && inbox.lastError) {
    steps.push({ step: 'earlier_attempt', text: `an earlier attempt failed (${scrubText(inbox.lastError)}); replayed since` });
  }
  steps.push({
    step: 'finished',
    ...(story.finishedAt ? { at: story.finishedAt } : {}),
    text: `${state}${story.latencyMs !== undefined ? `, ${duration(story.latencyMs)} after it was received` : ''}`,
  });
  return steps;
}

export type TraceMatch = 'message' | 'brek' | 'actor';

export interface TraceResult {
  /** What the id was found as: a channel message id, a Brek request id or traceId, an actor id. */
  match: TraceMatch;
  /** Newest first; for an actor, the newest `limit`. */
  stories: TurnStory[];
  /** How many turns matched (more than `stories` when an actor has more than `limit`). */
  total: number;
}

interface Candidate {
  key: string;
  inbox?: InboxStoryFields;
  thread?: ThreadStoryFields;
}

/**
 * Finds the turns an id names among scanned items (inbox and thread records). Tried in order:
 * a channel message id — the dedupe key, the inbox sort key, the logs' `channelMessageId`, or the
 * raw channel id at the end of one (a Slack ts in `msg:D…:<ts>`); a Brek request id or traceId
 * (a turn's outcome, or an answer the inbox keeps); an actor id, whole or as `turns` shortens it.
 * A turn whose message record has expired is still found through its thread's outcome.
 */
export function traceItems(items: Record<string, unknown>[], id: string, options: { limit?: number; now?: number } = {}): TraceResult | undefined {
  const now = options.now ?? Date.now();
  const wanted = id.trim();
  if (!wanted) return undefined;
  const threads = new Map<string, ThreadStoryFields>();
  const inboxes: InboxStoryFields[] = [];
  for (const item of items as Item[]) {
    if (!live(item, now) || typeof item.pk !== 'string' || typeof item.sk !== 'string') continue;
    if (item.sk === THREAD_SK) threads.set(item.pk, item as unknown as ThreadStoryFields);
    else if (item.sk.startsWith(INBOX_SK_PREFIX)) inboxes.push(item as unknown as InboxStoryFields);
  }
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const inbox of inboxes) {
    const thread = threads.get(inbox.pk);
    candidates.push({ key: inbox.dedupeKey, inbox, ...(thread ? { thread } : {}) });
    seen.add(`${inbox.pk}\n${inbox.dedupeKey}`);
  }
  for (const [pk, thread] of threads) {
    for (const key of Object.keys(thread.turns ?? {})) if (!seen.has(`${pk}\n${key}`) && thread.actorId && thread.channel) candidates.push({ key, thread });
  }

  const endsWith = (value: string | undefined) => wanted.length >= 6 && value !== undefined && value.endsWith(`:${wanted}`);
  const byMessage = candidates.filter(
    ({ key, inbox }) =>
      key === wanted || `${INBOX_SK_PREFIX}${key}` === wanted || inbox?.channelMessageId === wanted || endsWith(key) || endsWith(inbox?.channelMessageId),
  );
  const byBrek = candidates.filter(({ key, inbox, thread }) => {
    const outcome = thread?.turns?.[key];
    return [outcome?.brekRequestId, outcome?.traceId, inbox?.brek?.requestId, inbox?.brek?.result?.traceId].includes(wanted);
  });
  const actorOf = (c: Candidate) => (c.inbox?.actorId ?? c.thread?.actorId)!;
  const byActor = candidates.filter((c) => actorOf(c) === wanted || shortActor(actorOf(c)) === wanted);
  const [match, found] = byMessage.length ? (['message', byMessage] as const) : byBrek.length ? (['brek', byBrek] as const) : byActor.length ? (['actor', byActor] as const) : [];
  if (!match) return undefined;
  const stories = found
    .map((c) => turnStory(c.key, c.inbox, c.thread, now))
    .sort((a, b) => (b.receivedAt ?? b.finishedAt ?? '').localeCompare(a.receivedAt ?? a.finishedAt ?? '') || a.id.localeCompare(b.id));
  return { match, stories: match === 'actor' ? stories.slice(0, options.limit ?? 10) : stories, total: stories.length };
}

/**
 * The turns an id names (traceItems), from one Scan of the table. Neither a Brek request id nor
 * an actor is a key here (the table is keyed by thread), so this reads every inbox and thread
 * record, page by page — fine for an operator tracing a complaint, never for a turn's path.
 * Only ids, states and times are read: never the traveller's text or a reply reference.
 */
export async function traceTurns(
  db: DynamoDBDocumentClient,
  tableName: string,
  id: string,
  options: { limit?: number; now?: number } = {},
): Promise<TraceResult | undefined> {
  const items: Record<string, unknown>[] = [];
  await scanAll(db, { TableName: tableName, ...projection(STORY_ATTRIBUTES) }, (item) => void items.push(item));
  return traceItems(items, id, options);
}
