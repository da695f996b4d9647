// A fake Slack Web API for tests and the local stack: the real WebClient talks to it over HTTP
// (slackApiUrl). It records every call, answers like Slack for the methods the bridge uses, and
// can be told to fail the next calls (429 with Retry-After, or an error code).
import { randomBytes } from 'node:crypto';
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

/** A workspace that can install the app through the fake OAuth flow (multi-workspace mode). */
export interface FakeWorkspace {
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
  /** Messages as a channel would show them, posts and updates applied. */
  messages: Map<string, { channel: string; ts: string; threadTs?: string; text?: string; blocks?: unknown; ephemeralFor?: string }>;
  fail(fault: SlackFault): void;
  setTimezone(userId: string, tzOffsetSeconds: number): void;
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

export async function startFakeSlack(options: { token?: string; port?: number; host?: string } = {}): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const faults: SlackFault[] = [];
  const timezones = new Map<string, number>();
  const messages: FakeSlack['messages'] = new Map();
  const listeners = new Set<(call: SlackCall) => void>();
  let clock = 1_700_000_000_000;
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
    // The user's side of the OAuth flow: Slack's authorize page, approving at once for the next
    // workspace added with oauth.addWorkspace (in order), redirecting back with a code.
    if (req.method === 'GET' && req.url?.startsWith('/oauth/v2/authorize')) {
      const query = new URL(req.url, 'http://fake').searchParams;
      const workspace = [...workspaces.values()][nextWorkspace++ % Math.max(workspaces.size, 1)];
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
    const call: SlackCall = { method, ...(token ? { token } : {}), args, at: Date.now() };
    calls.push(call);
    // Once answered, so listeners see the ts the fake assigned.
    res.on('finish', () => {
      for (const listener of listeners) listener(call);
    });

    if (method === 'oauth.v2.access') return oauthAccess(req, args, res);
    const tokenTeam = token ? tokens.get(token) : undefined;
    if (options.token ? token !== options.token && !tokenTeam : token !== undefined && tokens.size > 0 && !tokenTeam) {
      return reply(res, 200, { ok: false, error: 'invalid_auth' });
    }
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
      case 'auth.test': {
        const workspace = tokenTeam ? workspaces.get(tokenTeam) : undefined;
        if (workspace) return reply(res, 200, { ok: true, user_id: workspace.botUserId, team_id: workspace.teamId, bot_id: `B${workspace.teamId}`, url: `https://${workspace.teamId.toLowerCase()}.slack.test/` });
        return reply(res, 200, { ok: true, user_id: 'UBOT', team_id: 'T0LOCAL', bot_id: 'BBOT' });
      }
      default:
        return reply(res, 200, { ok: false, error: 'unknown_method' });
    }
  });
  /** oauth.v2.access: client credentials in HTTP Basic or the form, then a code or a refresh token. */
  function oauthAccess(req: IncomingMessage, args: Record<string, unknown>, res: ServerResponse): void {
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [String(args.client_id ?? ''), String(args.client_secret ?? '')];
    if (id !== oauthClient.clientId || secret !== oauthClient.clientSecret) return reply(res, 200, { ok: false, error: 'invalid_client_id' });
    if (args.grant_type === 'refresh_token') {
      const teamId = refreshTokens.get(String(args.refresh_token ?? ''));
      const workspace = teamId ? workspaces.get(teamId) : undefined;
      if (!workspace) return reply(res, 200, { ok: false, error: 'invalid_refresh_token' });
      refreshTokens.delete(String(args.refresh_token));
      grants.refresh_token += 1;
      const { access, rotation } = issueTokens(workspace, true);
      return reply(res, 200, { ok: true, token_type: 'bot', access_token: access, ...rotation, team: { id: workspace.teamId, name: workspace.teamName } });
    }
    const grant = codes.get(String(args.code ?? ''));
    if (!grant) return reply(res, 200, { ok: false, error: 'invalid_code' });
    codes.delete(String(args.code));
    if (grant.redirectUri && args.redirect_uri !== grant.redirectUri) return reply(res, 200, { ok: false, error: 'bad_redirect_uri' });
    const workspace = workspaces.get(grant.teamId)!;
    grants.authorization_code += 1;
    const { access, rotation } = issueTokens(workspace);
    return reply(res, 200, {
      ok: true,
      app_id: 'A0LOCAL',
      authed_user: { id: 'UINSTALLER' },
      scope: 'app_mentions:read,chat:write,im:history,reactions:write,users:read',
      token_type: 'bot',
      access_token: access,
      ...rotation,
      bot_user_id: workspace.botUserId,
      team: { id: workspace.teamId, name: workspace.teamName },
      enterprise: workspace.enterpriseId ? { id: workspace.enterpriseId, name: 'Enterprise' } : null,
      is_enterprise_install: false,
    });
  }

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
