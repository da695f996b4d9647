// A fake Slack Web API for tests and the local stack: the real WebClient talks to it over HTTP
// (slackApiUrl). It records every call, answers like Slack for the methods the bridge uses, and
// can be told to fail the next calls (429 with Retry-After, or an error code).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  token?: string;
  args: Record<string, unknown>;
  at: number;
  /** Set when the call was answered with an injected failure. */
  fault?: string;
  /** The message ts the fake assigned (chat.postMessage, chat.postEphemeral). */
  ts?: string;
}

export interface SlackFault {
  method: string;
  status?: 429;
  retryAfter?: number;
  error?: string;
}

export interface FakeSlack {
  url: string;
  /** The base for WebClient's slackApiUrl. */
  apiUrl: string;
  calls: SlackCall[];
  /** Messages as a channel would show them, posts and updates applied. */
  messages: Map<string, { channel: string; ts: string; threadTs?: string; text?: string; blocks?: unknown; ephemeralFor?: string }>;
  fail(fault: SlackFault): void;
  setTimezone(userId: string, tzOffsetSeconds: number): void;
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

export async function startFakeSlack(options: { token?: string; port?: number; host?: string } = {}): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const faults: SlackFault[] = [];
  const timezones = new Map<string, number>();
  const messages: FakeSlack['messages'] = new Map();
  const listeners = new Set<(call: SlackCall) => void>();
  let clock = 1_700_000_000_000;
  const nextTs = () => {
    clock += 1;
    return `${Math.floor(clock / 1000)}.${String(clock % 1000).padStart(3, '0')}100`;
  };

  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    // What the bridge sent, for `npm run chat` and the console: GET /__fake/calls?since=N
    if (req.method === 'GET' && req.url?.startsWith('/__fake/calls')) {
      const since = Number(new URL(req.url, 'http://fake').searchParams.get('since') ?? 0) || 0;
      return reply(res, 200, { calls: calls.slice(since), next: calls.length });
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
    const call: SlackCall = { method, ...(token ? { token } : {}), args, at: Date.now() };
    calls.push(call);
    // Once answered, so listeners see the ts the fake assigned.
    res.on('finish', () => {
      for (const listener of listeners) listener(call);
    });

    if (options.token && token !== options.token) return reply(res, 200, { ok: false, error: 'invalid_auth' });
    const faultIndex = faults.findIndex((f) => f.method === method || f.method === '*');
    if (faultIndex >= 0) {
      const [fault] = faults.splice(faultIndex, 1);
      call.fault = fault?.status === 429 ? 'ratelimited' : (fault?.error ?? 'internal_error');
      if (fault?.status === 429) return reply(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter ?? 1) });
      return reply(res, 200, { ok: false, error: fault?.error ?? 'internal_error' });
    }

    const channel = String(args.channel ?? '');
    switch (method) {
      case 'chat.postMessage': {
        if (!channel) return reply(res, 200, { ok: false, error: 'channel_not_found' });
        const ts = nextTs();
        const message = { channel, ts, ...(args.thread_ts ? { threadTs: String(args.thread_ts) } : {}), text: String(args.text ?? ''), blocks: args.blocks };
        messages.set(`${channel}:${ts}`, message);
        call.ts = ts;
        return reply(res, 200, { ok: true, channel, ts, message: { text: args.text, ts } });
      }
      case 'chat.update': {
        const key = `${channel}:${String(args.ts)}`;
        const existing = messages.get(key) ?? { channel, ts: String(args.ts) };
        messages.set(key, { ...existing, text: String(args.text ?? ''), blocks: args.blocks });
        return reply(res, 200, { ok: true, channel, ts: args.ts, text: args.text });
      }
      case 'chat.postEphemeral': {
        const ts = nextTs();
        messages.set(`${channel}:${ts}`, { channel, ts, text: String(args.text ?? ''), blocks: args.blocks, ephemeralFor: String(args.user) });
        call.ts = ts;
        return reply(res, 200, { ok: true, message_ts: ts });
      }
      case 'reactions.add':
      case 'reactions.remove':
        return reply(res, 200, { ok: true });
      case 'users.info': {
        const user = String(args.user ?? '');
        return reply(res, 200, { ok: true, user: { id: user, tz_offset: timezones.get(user) ?? -28_800, tz: 'America/Los_Angeles' } });
      }
      case 'auth.test':
        return reply(res, 200, { ok: true, user_id: 'UBOT', team_id: 'T0LOCAL', bot_id: 'BBOT' });
      default:
        return reply(res, 200, { ok: false, error: 'unknown_method' });
    }
  });
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
    messages,
    fail: (fault) => void faults.push(fault),
    setTimezone: (userId, seconds) => void timezones.set(userId, seconds),
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
