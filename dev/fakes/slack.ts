// A fake Slack Web API for tests and the local stack: the real WebClient talks to it over HTTP
// (slackApiUrl). It records every call, answers like Slack for the methods the bridge uses
// (posting with message metadata, reading history and threads back), and fails the way Slack
// does (dev/fakes/faults.ts): refusing before the work (429 with Retry-After, an error code), or
// posting and then losing the answer (dropped connection, HTTP 5xx, an answer past the timeout).
// Assistant threads (Slack's AI app container) are opened with openAssistantThread, as a
// traveller opening the container would; assistant.threads.* then set their status, suggested
// prompts and title as Slack documents, refusing what Slack refuses.
import { slackRefusal } from './blockkit-limits.ts';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyFault, faultLabel, FaultPlan, isFault, writeAnswer, type Answer, type Chaos, type Fault, type FaultAnswers, type FaultKind } from './faults.ts';

export interface SlackCall {
  method: string;
  token?: string;
  args: Record<string, unknown>;
  at: number;
  /** Set when the call met an injected fault: `refuse:429`, `refuse:channel_not_found`, `drop_after`, `error_after:500`, `slow_after`. */
  fault?: string;
  /** The message ts the fake assigned (chat.postMessage, chat.postEphemeral). */
  ts?: string;
  /** The fake did the call's work (posted, updated, answered the read), whatever answer the client got. */
  delivered: boolean;
}

/** The first `fail()` shape: a refusal before the work (429 with Retry-After, else HTTP 200 `ok:false`). */
interface LegacySlackFault {
  method: string;
  status?: 429;
  retryAfter?: number;
  error?: string;
}

/** A one-shot fault for the next call of `method` (`'*'`: any method). */
type SlackFault = LegacySlackFault | (Fault & { method: string });

/** Message metadata as Slack stores it (chat.postMessage / chat.update `metadata`). */
interface SlackMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** A message as its channel shows it now. */
interface SlackMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown;
  ephemeralFor?: string;
  metadata?: SlackMetadata;
  /** The bot user that posted it, and its bot id (from the token's workspace). */
  user?: string;
  botId?: string;
  /** A thread reply also sent to the channel (reply_broadcast): it shows in the history too. */
  replyBroadcast?: boolean;
  /** The root message Slack posts for an assistant thread (as the user who opened it). */
  subtype?: 'assistant_app_thread';
}

/** An assistant thread as the container shows it: its status line, suggested prompts and title. */
interface FakeAssistantThread {
  channel: string;
  threadTs: string;
  userId: string;
  /** "" when none shows. */
  status: string;
  loadingMessages: string[];
  prompts: { title: string; message: string }[];
  promptsTitle?: string;
  title?: string;
}

/**
 * What assistant.threads.* accept. Slack documents "up to four" prompts and "a maximum of 10"
 * loading messages; it publishes no length for a status, a prompt or a title, so these are the
 * fake's stand-ins, generous enough for anything a person can read at a glance.
 */
const ASSISTANT_LIMITS = { prompts: 4, loadingMessages: 10, status: 250, promptTitle: 75, promptMessage: 4000, promptsTitle: 150, title: 255 } as const;

/** A message as conversations.history / conversations.replies return it. */
interface SlackHistoryMessage {
  type: 'message';
  subtype?: 'thread_broadcast' | 'assistant_app_thread';
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  reply_count?: number;
  blocks?: unknown;
  metadata?: SlackMetadata;
}

/** What chaos applies to unless told otherwise: the calls that post. */
const SLACK_POSTING_METHODS = ['chat.postMessage', 'chat.update', 'chat.postEphemeral'] as const;

/** A workspace that can install the app through the fake OAuth flow (multi-workspace mode). */
interface FakeWorkspace {
  teamId: string;
  teamName: string;
  enterpriseId?: string;
  botUserId: string;
  /** Issue rotating tokens (token rotation enabled for the app): expires_in seconds. */
  expiresIn?: number;
}

export interface FakeSlack {
  url: string;
  /** The base for WebClient's slackApiUrl. */
  apiUrl: string;
  calls: SlackCall[];
  /** TCP connections accepted so far: fewer than calls when clients keep them alive. */
  connections(): number;
  /** Messages as a channel would show them, posts and updates applied (ephemeral ones too), by `channel:ts`. */
  messages: Map<string, SlackMessage>;
  /** Queue a one-shot fault for the next call of `fault.method` (oauth.v2.access included). */
  fail(fault: SlackFault): void;
  /** A seeded chaos policy (null: off); default methods SLACK_POSTING_METHODS. */
  chaos(settings: Chaos | null): void;
  /** Faults injected so far, by kind. */
  injected(): Record<FaultKind, number>;
  faults: FaultPlan;
  /** The truth: every message `channel` (or every channel) shows now, in post order, updates applied, no ephemerals. */
  posted(channel?: string): SlackMessage[];
  /** users.info's tz_offset (and tz, the zone's IANA name) for a user; default America/Los_Angeles. */
  setTimezone(userId: string, tzOffsetSeconds: number, tz?: string): void;
  /**
   * The user opens the app's assistant container: a new thread, its root message posted as Slack
   * does (subtype assistant_app_thread). Send assistant_thread_started for it (dev/simulate/slack.ts).
   */
  openAssistantThread(userId: string, channel?: string): FakeAssistantThread;
  /** Assistant threads by `channel:thread_ts`, as they show now. */
  assistantThreads: Map<string, FakeAssistantThread>;
  /** OAuth v2: the app's client credentials, and the workspaces that will approve an install. */
  oauth: {
    clientId: string;
    clientSecret: string;
    /** The authorize page (`authorizationUrl`): approves at once, redirecting with a code. */
    authorizeUrl: string;
    addWorkspace(workspace: FakeWorkspace): void;
    /** Valid bot tokens and their workspace (revoke() invalidates one's tokens). */
    tokens: Map<string, string>;
    revoke(teamId: string): void;
    /** Counts of oauth.v2.access grants, by grant type. */
    grants: { authorization_code: number; refresh_token: number };
  };
  on(listener: (call: SlackCall) => void): () => void;
  close(): Promise<void>;
}

function parseArgs(req: IncomingMessage, raw: string): Record<string, unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type === 'application/json') return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // WebClient form-encodes objects as JSON strings.
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** A ts as a number of microseconds, for ordering ("1700000000.000100"); undefined if it is no ts. */
function tsMicros(ts: string): bigint | undefined {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts);
  if (!match) return undefined;
  return BigInt(match[1]!) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

function compareTs(a: string, b: string): number {
  const [x, y] = [tsMicros(a), tsMicros(b)];
  if (x === undefined || y === undefined) return a < b ? -1 : a > b ? 1 : 0;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Slack's form booleans: the WebClient sends `true` as "true"; Slack also takes 1. */
function flag(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** Slack's cursors are opaque base64 strings; this one names the ts the next page starts at. */
const encodeCursor = (ts: string) => Buffer.from(`next_ts:${ts}`).toString('base64');
function decodeCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  return /^next_ts:\d+\.\d+$/.test(text) ? text.slice('next_ts:'.length) : undefined;
}

/** `metadata` arrives JSON-encoded in a form field, or as an object (or a JSON string) in a JSON body. */
function parseMetadata(value: unknown): SlackMetadata | 'invalid' | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'string' ? safeJson(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'invalid';
  const { event_type: type, event_payload: payload } = parsed as Record<string, unknown>;
  if (typeof type !== 'string' || !type || typeof payload !== 'object' || payload === null || Array.isArray(payload)) return 'invalid';
  return { event_type: type, event_payload: payload as Record<string, unknown> };
}

/** Slack's ts format ("seconds.micros"): the only kind of ts Slack ever issues. */
const CANONICAL_TS = /^\d+\.\d{6}$/;

const slackAnswers: FaultAnswers = {
  refuse: (fault) => {
    if (fault.status === 429 || (fault.status === undefined && fault.error === undefined)) {
      return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(fault.retryAfter ?? 1) } };
    }
    // A 5xx before the work (Slack's edge failing): the client sees an HTTP error, nothing was posted.
    if (fault.status !== undefined && fault.status >= 500) return { status: fault.status, body: { ok: false, error: fault.error ?? 'internal_error' } };
    return { status: 200, body: { ok: false, error: fault.error ?? 'internal_error' } };
  },
  serverError: (status) => ({ status, body: { ok: false, error: 'internal_error' } }),
};

function refusalLabel(fault: Fault): string {
  if (fault.status === 429 || (fault.status === undefined && fault.error === undefined)) return faultLabel(fault, 429);
  return faultLabel(fault, fault.error ?? (fault.status !== undefined && fault.status >= 500 ? fault.status : 'internal_error'));
}

/** The old shape (no `kind`) was always a refusal: 429 when it said so, else an error code. */
function toFault(fault: SlackFault): Fault {
  if (isFault(fault)) return fault;
  return { kind: 'refuse', ...(fault.status ? { status: fault.status } : {}), ...(fault.retryAfter === undefined ? {} : { retryAfter: fault.retryAfter }), error: fault.error ?? (fault.status === 429 ? 'ratelimited' : 'internal_error') };
}

export async function startFakeSlack(options: { token?: string; port?: number; host?: string } = {}): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const plan = new FaultPlan(SLACK_POSTING_METHODS, { refuse: { status: 429, retryAfter: 1 }, error_after: [{ status: 500 }, { status: 503 }] });
  const timezones = new Map<string, { offset: number; tz: string }>();
  const assistantThreads = new Map<string, FakeAssistantThread>();
  const messages: FakeSlack['messages'] = new Map();
  const listeners = new Set<(call: SlackCall) => void>();
  let lastMicros = 0;
  const oauthClient = { clientId: '1234567890.0987654321', clientSecret: 'fake-client-secret-0123456789' };
  const workspaces = new Map<string, FakeWorkspace>();
  /** Authorization codes → the workspace approving (and the redirect_uri it was issued for). */
  const codes = new Map<string, { teamId: string; redirectUri: string | null }>();
  const refreshTokens = new Map<string, string>();
  const tokens = new Map<string, string>();
  const grants = { authorization_code: 0, refresh_token: 0 };
  let nextWorkspace = 0;
  let serial = 0;
  const issueTokens = (workspace: FakeWorkspace, refreshed = false) => {
    serial += 1;
    const access = `xoxb-${workspace.teamId}-${serial}-${randomBytes(12).toString('hex')}`;
    tokens.set(access, workspace.teamId);
    const rotation: Record<string, unknown> = {};
    if (workspace.expiresIn) {
      const refresh = `xoxe-1-${randomBytes(16).toString('hex')}`;
      refreshTokens.set(refresh, workspace.teamId);
      // A refreshed token lives 12 h, as Slack's do; the first one as long as the workspace says.
      Object.assign(rotation, { refresh_token: refresh, expires_in: refreshed ? 43_200 : workspace.expiresIn });
    }
    return { access, rotation };
  };
  // A ts is the post's wall-clock time in microseconds, as Slack's are (a lookup bounded by
  // `oldest` = when the delivery began must find it), kept unique and increasing.
  const nextTs = () => {
    lastMicros = Math.max(lastMicros + 1, Date.now() * 1000);
    return `${Math.floor(lastMicros / 1_000_000)}.${String(lastMicros % 1_000_000).padStart(6, '0')}`;
  };
  /** Who posts with a token: its workspace's bot, or the single-workspace app's. */
  const botOf = (teamId: string | undefined) => {
    const workspace = teamId ? workspaces.get(teamId) : undefined;
    return workspace ? { user: workspace.botUserId, botId: `B${workspace.teamId}` } : { user: 'UBOT', botId: 'BBOT' };
  };
  const ok = (body: Record<string, unknown>): Answer => ({ status: 200, body: { ok: true, ...body } });
  const refused = (error: string): Answer => ({ status: 200, body: { ok: false, error } });

  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => writeAnswer(res, { status, body, headers });

  /** A stored message as the read methods return it. */
  const view = (message: SlackMessage, withMetadata: boolean): SlackHistoryMessage => {
    const replies = message.threadTs ? 0 : [...messages.values()].filter((m) => m.channel === message.channel && m.threadTs === message.ts && !m.ephemeralFor).length;
    return {
      type: 'message',
      ...(message.replyBroadcast ? { subtype: 'thread_broadcast' as const } : message.subtype ? { subtype: message.subtype } : {}),
      ts: message.ts,
      text: message.text ?? '',
      ...(message.user ? { user: message.user } : {}),
      ...(message.botId ? { bot_id: message.botId } : {}),
      // Slack marks a thread's parent with its own ts and a reply count.
      ...(message.threadTs ? { thread_ts: message.threadTs } : replies > 0 ? { thread_ts: message.ts, reply_count: replies } : {}),
      ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
      ...(withMetadata && message.metadata ? { metadata: message.metadata } : {}),
    };
  };

  /** oldest/latest bounds (exclusive unless `inclusive`), as history and replies apply them. */
  const withinBounds = (args: Record<string, unknown>) => {
    const inclusive = flag(args.inclusive);
    const oldest = typeof args.oldest === 'string' || typeof args.oldest === 'number' ? String(args.oldest) : undefined;
    const latest = typeof args.latest === 'string' || typeof args.latest === 'number' ? String(args.latest) : undefined;
    return (m: SlackMessage) => {
      if (oldest !== undefined && oldest !== '0') {
        const order = compareTs(m.ts, oldest);
        if (order < 0 || (order === 0 && !inclusive)) return false;
      }
      if (latest !== undefined) {
        const order = compareTs(m.ts, latest);
        if (order > 0 || (order === 0 && !inclusive)) return false;
      }
      return true;
    };
  };

  /** One page of `list` (already in answer order) from the cursor on; Answer when the cursor is bad. */
  const page = (list: SlackMessage[], args: Record<string, unknown>, maxLimit: number, defaultLimit: number, newestFirst: boolean): { items: SlackMessage[]; next: string } | Answer => {
    const requested = Number(args.limit ?? defaultLimit);
    const limit = Number.isFinite(requested) && requested > 0 ? Math.min(Math.floor(requested), maxLimit) : defaultLimit;
    let start = 0;
    if (typeof args.cursor === 'string' && args.cursor) {
      const from = decodeCursor(args.cursor);
      if (!from) return refused('invalid_cursor');
      // Anchored on a ts, not an offset: posts arriving between pages do not shift it.
      start = list.findIndex((m) => (newestFirst ? compareTs(m.ts, from) <= 0 : compareTs(m.ts, from) >= 0));
      if (start < 0) start = list.length;
    }
    const items = list.slice(start, start + limit);
    const rest = list[start + limit];
    return { items, next: rest ? encodeCursor(rest.ts) : '' };
  };

  function history(args: Record<string, unknown>): Answer {
    const channel = String(args.channel ?? '');
    if (!channel) return refused('channel_not_found');
    const list = [...messages.values()]
      .filter((m) => m.channel === channel && !m.ephemeralFor && (!m.threadTs || m.replyBroadcast))
      .filter(withinBounds(args))
      .sort((a, b) => compareTs(b.ts, a.ts));
    const result = page(list, args, 999, 100, true);
    if ('status' in result) return result;
    const withMetadata = flag(args.include_all_metadata);
    return ok({ messages: result.items.map((m) => view(m, withMetadata)), has_more: result.next !== '', pin_count: 0, response_metadata: { next_cursor: result.next } });
  }

  function replies(args: Record<string, unknown>): Answer {
    const channel = String(args.channel ?? '');
    const ts = String(args.ts ?? '');
    if (!channel) return refused('channel_not_found');
    const parent = messages.get(`${channel}:${ts}`);
    const known = parent && !parent.ephemeralFor && !parent.threadTs ? parent : undefined;
    const thread = [...messages.values()].filter((m) => m.channel === channel && m.threadTs === ts && !m.ephemeralFor);
    if (!ts || (!known && thread.length === 0)) return refused('thread_not_found');
    const list = thread.filter(withinBounds(args)).sort((a, b) => compareTs(a.ts, b.ts));
    // The parent leads the first page whatever the bounds, as Slack's does; later pages omit it.
    const first = !(typeof args.cursor === 'string' && args.cursor);
    const result = page(first && known ? [known, ...list] : list, args, 1000, 1000, false);
    if ('status' in result) return result;
    const withMetadata = flag(args.include_all_metadata);
    return ok({ messages: result.items.map((m) => view(m, withMetadata)), has_more: result.next !== '', response_metadata: { next_cursor: result.next } });
  }

  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    // What the bridge sent, for `npm run chat` and the console: GET /__fake/calls?since=N
    if (req.method === 'GET' && req.url?.startsWith('/__fake/calls')) {
      const since = Number(new URL(req.url, 'http://fake').searchParams.get('since') ?? 0) || 0;
      return reply(res, 200, { calls: calls.slice(since), next: calls.length });
    }
    // A user opening the assistant container, for `npm run chat` (another process): POST
    // /__fake/assistant_threads {user, channel?} → the thread; GET lists them as they show now.
    if (req.url === '/__fake/assistant_threads') {
      if (req.method === 'GET') return reply(res, 200, { threads: [...assistantThreads.values()] });
      const asked = safeJson(raw);
      const user = typeof asked === 'object' && asked !== null ? (asked as Record<string, unknown>).user : undefined;
      const channel = typeof asked === 'object' && asked !== null ? (asked as Record<string, unknown>).channel : undefined;
      if (req.method !== 'POST' || typeof user !== 'string' || !user) return reply(res, 400, { ok: false, error: 'invalid_arguments' });
      return reply(res, 200, { thread: openThread(user, typeof channel === 'string' && channel ? channel : undefined) });
    }
    // The user's side of the OAuth flow: Slack's authorize page, approving at once for the next
    // workspace added with oauth.addWorkspace (in order), redirecting back with a code. A `team`
    // naming an added workspace (Slack's own parameter to preselect one) approves that one instead.
    if (req.method === 'GET' && req.url?.startsWith('/oauth/v2/authorize')) {
      const query = new URL(req.url, 'http://fake').searchParams;
      const chosen = workspaces.get(query.get('team') ?? '');
      const workspace = chosen ?? [...workspaces.values()][nextWorkspace++ % Math.max(workspaces.size, 1)];
      const redirectUri = query.get('redirect_uri');
      if (!workspace || query.get('client_id') !== oauthClient.clientId || !redirectUri) return reply(res, 400, { ok: false, error: 'invalid_request' });
      const code = `code-${randomBytes(8).toString('hex')}`;
      codes.set(code, { teamId: workspace.teamId, redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', query.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const token = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    let args: Record<string, unknown>;
    try {
      args = parseArgs(req, raw);
    } catch {
      return reply(res, 200, { ok: false, error: 'invalid_json' });
    }
    if (typeof args.token === 'string' && !token) delete args.token;
    const call: SlackCall = { method, ...(token ? { token } : {}), args, at: Date.now(), delivered: false };
    calls.push(call);
    // Listeners hear of each call once: as soon as its work is done (an answer lost later does not
    // hide the post), or else once it is answered, so they see the ts the fake assigned.
    let heard = false;
    const notify = () => {
      if (heard) return;
      heard = true;
      for (const listener of listeners) listener(call);
    };
    res.on('close', notify);
    const done = (answer: Answer, ts?: string): Answer => {
      call.delivered = true;
      if (ts) call.ts = ts;
      notify();
      return answer;
    };

    const run = (work: () => Answer) => {
      const fault = plan.next(method);
      if (fault) call.fault = fault.kind === 'refuse' ? refusalLabel(fault) : faultLabel(fault);
      applyFault(req, res, fault, work, slackAnswers);
    };

    if (method === 'oauth.v2.access') return run(() => oauthAccess(req, args, done));
    const tokenTeam = token ? tokens.get(token) : undefined;
    if (options.token ? token !== options.token && !tokenTeam : token !== undefined && tokens.size > 0 && !tokenTeam) {
      return reply(res, 200, { ok: false, error: 'invalid_auth' });
    }

    const channel = String(args.channel ?? '');
    run(() => {
      switch (method) {
        case 'chat.postMessage': {
          if (!channel) return refused('channel_not_found');
          const metadata = parseMetadata(args.metadata);
          if (metadata === 'invalid') return refused('invalid_metadata_format');
          const refusal = slackRefusal(args);
          if (refusal) return refused(refusal);
          const ts = nextTs();
          const bot = botOf(tokenTeam);
          const threadTs = args.thread_ts ? String(args.thread_ts) : undefined;
          const message: SlackMessage = {
            channel,
            ts,
            ...(threadTs ? { threadTs } : {}),
            text: String(args.text ?? ''),
            blocks: args.blocks,
            ...(metadata ? { metadata } : {}),
            user: bot.user,
            botId: bot.botId,
            ...(threadTs && flag(args.reply_broadcast) ? { replyBroadcast: true } : {}),
          };
          messages.set(`${channel}:${ts}`, message);
          // The app's answer in an assistant thread ends its status line, as Slack's does.
          const assistantThread = threadTs ? assistantThreads.get(`${channel}:${threadTs}`) : undefined;
          if (assistantThread) Object.assign(assistantThread, { status: '', loadingMessages: [] });
          const echoed = { type: 'message', text: message.text, user: bot.user, bot_id: bot.botId, ts, ...(threadTs ? { thread_ts: threadTs } : {}), ...(metadata ? { metadata } : {}), ...(args.blocks === undefined ? {} : { blocks: args.blocks }) };
          return done(ok({ channel, ts, message: echoed }), ts);
        }
        case 'chat.update': {
          const ts = String(args.ts ?? '');
          const key = `${channel}:${ts}`;
          const existing = messages.get(key);
          // Slack answers message_not_found for a ts it never issued in that channel. A ts Slack
          // could not have issued at all (not "seconds.micros": test/e2e/slack.test.ts's clicks invent
          // them from Date.now()) is still taken as a message posted before the fake started.
          if ((!existing || existing.ephemeralFor) && (CANONICAL_TS.test(ts) || !ts)) return refused(ts ? 'message_not_found' : 'no_text');
          const metadata = parseMetadata(args.metadata);
          if (metadata === 'invalid') return refused('invalid_metadata_format');
          const refusal = slackRefusal(args);
          if (refusal) return refused(refusal);
          const base: SlackMessage = existing ?? { channel, ts };
          const updated: SlackMessage = { ...base, text: String(args.text ?? ''), blocks: args.blocks, ...(metadata ? { metadata } : {}) };
          messages.set(key, updated);
          return done(ok({ channel, ts, text: args.text, message: { type: 'message', text: updated.text, ts, ...(updated.user ? { user: updated.user } : {}), ...(updated.botId ? { bot_id: updated.botId } : {}) } }));
        }
        case 'chat.postEphemeral': {
          const refusal = slackRefusal(args);
          if (refusal) return refused(refusal);
          const ts = nextTs();
          messages.set(`${channel}:${ts}`, { channel, ts, text: String(args.text ?? ''), blocks: args.blocks, ephemeralFor: String(args.user) });
          return done(ok({ message_ts: ts }), ts);
        }
        case 'conversations.history': {
          const answer = history(args);
          return (answer.body as { ok?: unknown }).ok ? done(answer) : answer;
        }
        case 'conversations.replies': {
          const answer = replies(args);
          return (answer.body as { ok?: unknown }).ok ? done(answer) : answer;
        }
        case 'reactions.add':
        case 'reactions.remove':
          return done(ok({}));
        case 'users.info': {
          const user = String(args.user ?? '');
          const zone = timezones.get(user) ?? { offset: -28_800, tz: 'America/Los_Angeles' };
          return done(ok({ user: { id: user, tz: zone.tz, tz_offset: zone.offset } }));
        }
        case 'assistant.threads.setStatus':
        case 'assistant.threads.setSuggestedPrompts':
        case 'assistant.threads.setTitle': {
          const answer = assistantCall(method, args);
          return (answer.body as { ok?: unknown }).ok ? done(answer) : answer;
        }
        case 'auth.test': {
          const workspace = tokenTeam ? workspaces.get(tokenTeam) : undefined;
          if (workspace) return done(ok({ user_id: workspace.botUserId, team_id: workspace.teamId, bot_id: `B${workspace.teamId}`, url: `https://${workspace.teamId.toLowerCase()}.slack.test/` }));
          return done(ok({ user_id: 'UBOT', team_id: 'T0LOCAL', bot_id: 'BBOT' }));
        }
        default:
          return refused('unknown_method');
      }
    });
  });
  function openThread(userId: string, channel = `D${userId}`): FakeAssistantThread {
    const threadTs = nextTs();
    messages.set(`${channel}:${threadTs}`, { channel, ts: threadTs, text: `Chats from ${new Date().toISOString()}`, user: userId, subtype: 'assistant_app_thread' });
    const thread: FakeAssistantThread = { channel, threadTs, userId, status: '', loadingMessages: [], prompts: [] };
    assistantThreads.set(`${channel}:${threadTs}`, thread);
    return thread;
  }

  /**
   * assistant.threads.*: channel_id and thread_ts name an assistant thread (missing: Slack's
   * invalid_arguments; no such thread: invalid_thread_ts, or channel_not_found for a channel
   * with none), then each method's own arguments, within ASSISTANT_LIMITS.
   */
  function assistantCall(method: string, args: Record<string, unknown>): Answer {
    const invalid = (message: string): Answer => ({ status: 200, body: { ok: false, error: 'invalid_arguments', response_metadata: { messages: [`[ERROR] ${message}`] } } });
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const channel = text(args.channel_id);
    const threadTs = text(args.thread_ts);
    if (!channel) return invalid('missing required field: channel_id');
    if (!threadTs) return invalid('missing required field: thread_ts');
    const thread = assistantThreads.get(`${channel}:${threadTs}`);
    if (!thread) return refused([...assistantThreads.values()].some((t) => t.channel === channel) ? 'invalid_thread_ts' : 'channel_not_found');
    switch (method) {
      case 'assistant.threads.setStatus': {
        const status = text(args.status);
        if (status === undefined) return invalid('missing required field: status');
        if (status.length > ASSISTANT_LIMITS.status) return invalid(`must be less than ${ASSISTANT_LIMITS.status + 1} characters [json-pointer:/status]`);
        const loading = args.loading_messages ?? [];
        if (!Array.isArray(loading) || loading.some((line) => typeof line !== 'string' || !line.trim() || line.length > ASSISTANT_LIMITS.status)) return invalid('loading_messages must be an array of non-empty strings');
        if (loading.length > ASSISTANT_LIMITS.loadingMessages) return invalid(`no more than ${ASSISTANT_LIMITS.loadingMessages} items allowed [json-pointer:/loading_messages]`);
        Object.assign(thread, { status, loadingMessages: status ? (loading as string[]) : [] });
        return ok({});
      }
      case 'assistant.threads.setSuggestedPrompts': {
        const prompts = args.prompts;
        if (!Array.isArray(prompts) || prompts.length === 0) return invalid('missing required field: prompts');
        if (prompts.length > ASSISTANT_LIMITS.prompts) return invalid(`no more than ${ASSISTANT_LIMITS.prompts} items allowed [json-pointer:/prompts]`);
        const read: { title: string; message: string }[] = [];
        for (const prompt of prompts) {
          const title = typeof prompt === 'object' && prompt !== null ? text((prompt as Record<string, unknown>).title) : undefined;
          const message = typeof prompt === 'object' && prompt !== null ? text((prompt as Record<string, unknown>).message) : undefined;
          if (!title?.trim() || !message?.trim()) return invalid('each prompt needs a title and a message');
          if (title.length > ASSISTANT_LIMITS.promptTitle || message.length > ASSISTANT_LIMITS.promptMessage) return invalid('prompt title or message too long');
          read.push({ title, message });
        }
        const title = args.title === undefined ? undefined : text(args.title);
        if (args.title !== undefined && (title === undefined || title.length > ASSISTANT_LIMITS.promptsTitle)) return invalid('title must be a string of at most 150 characters');
        thread.prompts = read;
        if (title) thread.promptsTitle = title;
        else delete thread.promptsTitle;
        return ok({});
      }
      default: {
        const title = text(args.title);
        if (!title?.trim()) return invalid('missing required field: title');
        if (title.length > ASSISTANT_LIMITS.title) return invalid(`must be less than ${ASSISTANT_LIMITS.title + 1} characters [json-pointer:/title]`);
        thread.title = title;
        return ok({});
      }
    }
  }

  /** oauth.v2.access: client credentials in HTTP Basic or the form, then a code or a refresh token. */
  function oauthAccess(req: IncomingMessage, args: Record<string, unknown>, done: (answer: Answer) => Answer): Answer {
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [String(args.client_id ?? ''), String(args.client_secret ?? '')];
    if (id !== oauthClient.clientId || secret !== oauthClient.clientSecret) return refused('invalid_client_id');
    if (args.grant_type === 'refresh_token') {
      const teamId = refreshTokens.get(String(args.refresh_token ?? ''));
      const workspace = teamId ? workspaces.get(teamId) : undefined;
      if (!workspace) return refused('invalid_refresh_token');
      // Spent once the grant is made, even if the answer then never reaches the client.
      refreshTokens.delete(String(args.refresh_token));
      grants.refresh_token += 1;
      const { access, rotation } = issueTokens(workspace, true);
      return done(ok({ token_type: 'bot', access_token: access, ...rotation, team: { id: workspace.teamId, name: workspace.teamName } }));
    }
    const grant = codes.get(String(args.code ?? ''));
    if (!grant) return refused('invalid_code');
    codes.delete(String(args.code));
    if (grant.redirectUri && args.redirect_uri !== grant.redirectUri) return refused('bad_redirect_uri');
    const workspace = workspaces.get(grant.teamId)!;
    grants.authorization_code += 1;
    const { access, rotation } = issueTokens(workspace);
    return done(
      ok({
        app_id: 'A0LOCAL',
        authed_user: { id: 'UINSTALLER' },
        scope: 'app_mentions:read,assistant:write,chat:write,im:history,reactions:write,users:read',
        token_type: 'bot',
        access_token: access,
        ...rotation,
        bot_user_id: workspace.botUserId,
        team: { id: workspace.teamId, name: workspace.teamName },
        enterprise: workspace.enterpriseId ? { id: workspace.enterpriseId, name: 'Enterprise' } : null,
        is_enterprise_install: false,
      }),
    );
  }

  let connections = 0;
  server.on('connection', () => void connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiUrl: `${url}/api/`,
    calls,
    connections: () => connections,
    messages,
    fail: (fault) => plan.push(toFault(fault), fault.method),
    chaos: (settings) => plan.chaos(settings),
    injected: () => ({ ...plan.injected }),
    faults: plan,
    posted: (channel) => [...messages.values()].filter((m) => !m.ephemeralFor && (channel === undefined || m.channel === channel)).map((m) => ({ ...m })),
    setTimezone: (userId, seconds, tz = 'America/Los_Angeles') => void timezones.set(userId, { offset: seconds, tz }),
    assistantThreads,
    openAssistantThread: (userId, channel) => openThread(userId, channel),
    oauth: {
      ...oauthClient,
      authorizeUrl: `${url}/oauth/v2/authorize`,
      addWorkspace: (workspace) => void workspaces.set(workspace.teamId, workspace),
      tokens,
      revoke: (teamId) => {
        for (const [token, team] of tokens) if (team === teamId) tokens.delete(token);
      },
      grants,
    },
    on: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
