// A fake of the Microsoft side of a Teams bot for tests and the local stack: the Bot Framework
// OpenID metadata and signing keys (so the SDK verifies real RS256 tokens), an OAuth2
// client-credentials token endpoint, and a connector that records what the bot posts. It also
// signs inbound activity tokens, the way the Bot Framework does when it calls the bot. The
// connector fails as Microsoft's does (dev/fakes/faults.ts): refusing before the work with the
// statuses Microsoft calls safe to retry (429 with Retry-After, 412, 502, 504), or creating the
// activity and then losing the answer (dropped connection, 500/503, an answer past the timeout).
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { FAKE_TEAMS_APP_ID, FAKE_TEAMS_APP_PASSWORD } from '../../adapters/teams/profile.ts';
import { applyFault, faultLabel, FaultPlan, isFault, type Answer, type Chaos, type Fault, type FaultAnswers, type FaultKind } from './faults.ts';

export interface ConnectorCall {
  method: string;
  path: string;
  conversationId: string;
  activityId?: string;
  body: Record<string, unknown>;
  authorized: boolean;
  /** Set when the call met an injected fault: `refuse:429`, `refuse:412`, `drop_after`, `error_after:503`, `slow_after`. */
  fault?: string;
  /** The activity id the connector assigned or updated (also when the answer was then lost). */
  id?: string;
  /** The connector did the work (created or replaced the activity), whatever answer the client got. */
  delivered: boolean;
}

/** The first `fail()` shape: a refusal of the next connector call, before the work. */
interface LegacyTeamsFault {
  status: 429 | 500 | 502 | 503;
  retryAfter?: number;
}

/** Connector methods are the HTTP verbs: POST creates an activity, PUT replaces one. */
type TeamsMethod = 'POST' | 'PUT';

/** A one-shot fault for the next POST or PUT (`method`: only that one). */
type TeamsFault = LegacyTeamsFault | (Fault & { method?: TeamsMethod });

/** A message activity as the user sees it now. */
interface TeamsActivity {
  id: string;
  text?: string;
  /** What a notification shows for a card. */
  summary?: string;
  attachments?: unknown[];
  /** The chips under the message (a personal chat): what the traveller can tap. */
  suggestedActions?: { to?: string[]; actions: SuggestedCardAction[] };
  /** How many times it was replaced (PUT). */
  updates: number;
}

/** A suggested action as the connector took it (checked by suggestedActionsProblem). */
interface SuggestedCardAction {
  type: string;
  title?: string;
  value?: unknown;
  text?: string;
  displayText?: string;
}

/** Microsoft's limit for one bot message (https://learn.microsoft.com/microsoftteams/limits-specifications-teams). */
const MAX_ACTIVITY_BYTES = 100 * 1024;

const TEAMS_POSTING_METHODS: readonly TeamsMethod[] = ['POST', 'PUT'];

/** Teams shows at most three suggested actions (learn.microsoft.com …/conversations/suggested-actions). */
const MAX_SUGGESTED_ACTIONS = 3;
/** The card action types a tap on a suggestion can be: each posts a message to the bot. */
const SUGGESTED_ACTION_TYPES = ['imBack', 'messageBack'];

/**
 * Why the connector refuses an activity's suggestedActions, or undefined when they are fine: a
 * CardAction list (each with a type Teams takes there and a title; imBack a string value, messageBack
 * a text or value), at most three of them. Stricter than Teams, which drops a fourth silently: here
 * a suggestion that would not be shown is a test failure, not a silence.
 */
function suggestedActionsProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { actions?: unknown }).actions)) return 'suggestedActions.actions must be an array';
  const { actions, to } = value as { actions: unknown[]; to?: unknown };
  if (to !== undefined && (!Array.isArray(to) || to.some((id) => typeof id !== 'string'))) return 'suggestedActions.to must be an array of ids';
  if (actions.length > MAX_SUGGESTED_ACTIONS) return `at most ${MAX_SUGGESTED_ACTIONS} suggested actions are shown, got ${actions.length}`;
  for (const action of actions) {
    if (typeof action !== 'object' || action === null) return 'a suggested action must be a CardAction object';
    const a = action as Record<string, unknown>;
    if (typeof a.type !== 'string' || !SUGGESTED_ACTION_TYPES.includes(a.type)) return `suggested action type ${String(a.type)} is not one Teams takes (${SUGGESTED_ACTION_TYPES.join(', ')})`;
    if (typeof a.title !== 'string' || a.title.trim() === '') return 'a suggested action needs a title';
    if (a.type === 'imBack' && (typeof a.value !== 'string' || a.value === '')) return 'an imBack needs a string value';
    if (a.type === 'messageBack' && typeof a.text !== 'string' && (typeof a.value !== 'object' || a.value === null)) return 'a messageBack needs a text or a value';
  }
  return undefined;
}

interface InboundTokenOptions {
  serviceUrl: string;
  appId?: string;
  issuer?: string;
  audience?: string;
  expiresInSeconds?: number;
  /** Sign with a key the metadata does not publish (a forgery). */
  foreignKey?: boolean;
  omitServiceUrl?: boolean;
}

export interface FakeTeams {
  url: string;
  openIdMetadataUrl: string;
  tokenUrl: string;
  /** A serviceUrl that routes to this fake's connector. */
  serviceUrl: string;
  appId: string;
  appPassword: string;
  calls: ConnectorCall[];
  tokensIssued: number;
  signInbound(options: InboundTokenOptions): string;
  /** Queue a one-shot fault for the next connector POST/PUT. */
  fail(fault: TeamsFault): void;
  /** A seeded chaos policy (null: off); default methods POST and PUT. */
  chaos(settings: Chaos | null): void;
  /** Faults injected so far, by kind. */
  injected(): Record<FaultKind, number>;
  faults: FaultPlan;
  /** The truth: the message activities the user sees in the conversation, in creation order, updates applied. */
  conversation(conversationId: string): TeamsActivity[];
  /** Called for each connector call once its work is done (even if its answer is then lost), or else once answered. */
  on(listener: (call: ConnectorCall) => void): () => void;
  close(): Promise<void>;
}

const KID = 'fake-bot-framework-key';

/** Microsoft's error codes for the statuses the fake answers. */
const ERROR_CODES: Record<number, string> = {
  404: 'ActivityNotFound',
  412: 'PreconditionFailed',
  429: 'Throttled',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const connectorError = (status: number, code?: string): Answer => ({ status, body: { error: { code: code ?? ERROR_CODES[status] ?? 'ServiceError', message: 'injected failure' } } });

const teamsAnswers: FaultAnswers = {
  refuse: (fault) => {
    const status = fault.status ?? 429;
    const answer = connectorError(status, fault.error);
    return fault.retryAfter === undefined ? answer : { ...answer, headers: { 'retry-after': String(fault.retryAfter) } };
  },
  serverError: (status) => connectorError(status),
};

const toFault = (fault: TeamsFault): Fault => (isFault(fault) ? fault : { kind: 'refuse', status: fault.status, ...(fault.retryAfter === undefined ? {} : { retryAfter: fault.retryAfter }) });

function publicJwk(key: KeyObject): Record<string, unknown> {
  return { ...key.export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256', endorsements: ['msteams'] };
}

export async function startFakeTeams(options: { appId?: string; appPassword?: string; port?: number } = {}): Promise<FakeTeams> {
  const appId = options.appId ?? FAKE_TEAMS_APP_ID;
  const appPassword = options.appPassword ?? FAKE_TEAMS_APP_PASSWORD;
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const issuedTokens = new Set<string>();
  const calls: ConnectorCall[] = [];
  const listeners = new Set<(call: ConnectorCall) => void>();
  // Chaos refusals take turns among the statuses Microsoft lists as transient.
  const plan = new FaultPlan(TEAMS_POSTING_METHODS, {
    refuse: [{ status: 429, retryAfter: 1 }, { status: 412 }, { status: 502 }, { status: 504 }],
    error_after: [{ status: 500 }, { status: 503 }],
  });
  /** Message and typing activities the connector created, per conversation, in creation order. */
  const conversations = new Map<string, Map<string, { type: string; activity: TeamsActivity }>>();
  let activityCounter = 0;
  const state = { tokensIssued: 0 };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  let base = '';

  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/v1/.well-known/openidconfiguration') {
      return send(res, 200, { issuer: 'https://api.botframework.com', jwks_uri: `${base}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_signing_alg_values_supported: ['RS256'] });
    }
    if (req.method === 'GET' && path === '/v1/.well-known/keys') return send(res, 200, { keys: [publicJwk(signing.publicKey)] });
    if (req.method === 'POST' && path === '/oauth2/v2.0/token') {
      const form = new URLSearchParams(raw);
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== appId || form.get('client_secret') !== appPassword) {
        return send(res, 401, { error: 'invalid_client', error_description: 'bad client credentials' });
      }
      const accessToken = jwt.sign({ appid: appId, tid: 'botframework.com' }, signing.privateKey, { algorithm: 'RS256', keyid: KID, audience: 'https://api.botframework.com', issuer: 'https://sts.windows.net/fake/', expiresIn: 3600 });
      issuedTokens.add(accessToken);
      state.tokensIssued++;
      return send(res, 200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: accessToken });
    }
    if (req.method === 'GET' && path === '/__fake/activities') {
      const since = Number(url.searchParams.get('since') ?? 0) || 0;
      return send(res, 200, { calls: calls.slice(since), next: calls.length });
    }
    if (req.method === 'POST' && path === '/__fake/sign') {
      // For `npm run chat`: a token as the Bot Framework would send with an activity.
      const body = JSON.parse(raw || '{}') as { serviceUrl?: string };
      return send(res, 200, { token: sign({ serviceUrl: body.serviceUrl ?? `${base}/teams/` }) });
    }
    const connector = /^\/teams\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
    if (connector) {
      const call: ConnectorCall = {
        method: req.method ?? '',
        path,
        conversationId: decodeURIComponent(connector[1]!),
        ...(connector[2] ? { activityId: decodeURIComponent(connector[2]) } : {}),
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
        authorized: issuedTokens.has((req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')),
        delivered: false,
      };
      calls.push(call);
      if (!call.authorized) return send(res, 401, { error: { code: 'Unauthorized', message: 'bad token' } });
      const fault = plan.next(call.method);
      if (fault) call.fault = fault.kind === 'refuse' ? faultLabel(fault, fault.status ?? 429) : faultLabel(fault);
      applyFault(req, res, fault, () => {
        const answer = connect(call);
        // Listeners hear of what went through, as soon as it has: a lost answer does not hide it.
        if (call.delivered) for (const listener of listeners) listener(call);
        return answer;
      }, teamsAnswers);
      return;
    }
    return send(res, 404, { error: 'not found' });
  });
  /** The connector's work: create (POST) or replace (PUT) an activity. */
  function connect(call: ConnectorCall): Answer {
    // Teams refuses a bot message over ~100 KB, counted as UTF-16 (MessageSizeTooBig), before the work.
    if (JSON.stringify(call.body).length * 2 > MAX_ACTIVITY_BYTES) {
      return { status: 413, body: { error: { code: 'MessageSizeTooBig', message: 'Message size too big' } } };
    }
    const badSuggestions = call.method === 'DELETE' ? undefined : suggestedActionsProblem(call.body.suggestedActions);
    if (badSuggestions) return { status: 400, body: { error: { code: 'BadArgument', message: badSuggestions } } };
    const activities = conversations.get(call.conversationId) ?? new Map<string, { type: string; activity: TeamsActivity }>();
    const type = typeof call.body.type === 'string' ? call.body.type : 'message';
    const content = (): Omit<TeamsActivity, 'id' | 'updates'> => ({
      ...(typeof call.body.text === 'string' ? { text: call.body.text } : {}),
      ...(typeof call.body.summary === 'string' ? { summary: call.body.summary } : {}),
      ...(Array.isArray(call.body.attachments) ? { attachments: call.body.attachments as unknown[] } : {}),
      ...(call.body.suggestedActions ? { suggestedActions: call.body.suggestedActions as TeamsActivity['suggestedActions'] } : {}),
    });
    if (call.method === 'PUT') {
      const existing = call.activityId ? activities.get(call.activityId) : undefined;
      if (!existing) return { status: 404, body: { error: { code: 'ActivityNotFound', message: 'Activity not found in this conversation' } } };
      // A PUT replaces the whole activity: what it leaves out is gone.
      existing.activity = { id: existing.activity.id, ...content(), updates: existing.activity.updates + 1 };
      call.id = existing.activity.id;
      call.delivered = true;
      return { status: 200, body: { id: call.id } };
    }
    if (call.method === 'DELETE') {
      // Teams deletes a bot's own message: gone from the conversation (a second delete: 404).
      if (!call.activityId || !activities.delete(call.activityId)) return { status: 404, body: { error: { code: 'ActivityNotFound', message: 'Activity not found in this conversation' } } };
      call.delivered = true;
      return { status: 200, body: {} };
    }
    // POST …/activities/{activityId} is Bot Framework's reply to that activity: a new one too.
    if (call.method !== 'POST') return { status: 405, body: { error: { code: 'BadArgument', message: `${call.method} is not supported here` } } };
    const id = `1${String(++activityCounter).padStart(12, '0')}`;
    activities.set(id, { type, activity: { id, ...content(), updates: 0 } });
    conversations.set(call.conversationId, activities);
    call.id = id;
    call.delivered = true;
    return { status: 201, body: { id } };
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function sign(o: InboundTokenOptions): string {
    const claims: Record<string, unknown> = {};
    if (!o.omitServiceUrl) claims.serviceurl = o.serviceUrl;
    return jwt.sign(claims, (o.foreignKey ? foreign : signing).privateKey, {
      algorithm: 'RS256',
      keyid: KID,
      audience: o.audience ?? o.appId ?? appId,
      issuer: o.issuer ?? 'https://api.botframework.com',
      expiresIn: o.expiresInSeconds ?? 3600,
      jwtid: randomUUID(),
    });
  }

  return {
    url: base,
    openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    tokenUrl: `${base}/oauth2/v2.0/token`,
    serviceUrl: `${base}/teams/`,
    appId,
    appPassword,
    calls,
    get tokensIssued() {
      return state.tokensIssued;
    },
    signInbound: sign,
    fail: (fault) => plan.push(toFault(fault), isFault(fault) ? fault.method : '*'),
    chaos: (settings) => plan.chaos(settings),
    injected: () => ({ ...plan.injected }),
    faults: plan,
    conversation: (conversationId) =>
      [...(conversations.get(conversationId)?.values() ?? [])].filter((entry) => entry.type === 'message').map((entry) => ({ ...entry.activity })),
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
