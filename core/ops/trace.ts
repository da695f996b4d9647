// One turn's whole path, for `npm run ops -- trace` and the console: found by any id an operator
// has in hand (a channel message id, Brek's request id or traceId, an actor), told as steps from
// what the table knows. Only ids, states and times are read: never the traveller's text.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../identity.ts';
import { scrubText } from '../log.ts';
import { INBOX_SK_PREFIX, THREAD_SK } from '../store/table.ts';
import type { ThreadRecord } from '../store/threads.ts';
import { printableConversation, shortActor } from './present.ts';
import { live, projection, scanAll, VIEW_ATTRIBUTES, type Item } from './scan.ts';
import { turnView, type InboxFields, type ThreadFields, type TurnViewState } from './views.ts';

type TurnStepKind = 'received' | 'taken_up' | 'brek' | 'reply' | 'earlier_attempt' | 'finished';

/** One step of a turn as the table knows it; `at` only where the table keeps the time. */
export interface TurnStep {
  step: TurnStepKind;
  at?: string;
  text: string;
}

/** A Brek answer the inbox record keeps because its delivery failed (a replay re-sends it). */
interface KeptAnswer {
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

type TraceMatch = 'message' | 'brek' | 'actor';

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
