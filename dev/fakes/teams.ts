// A fake of the Microsoft side of a Teams bot for tests and the local stack: the Bot Framework
// OpenID metadata and signing keys (so the SDK verifies real RS256 tokens), an OAuth2
// client-credentials token endpoint, and a connector that records what the bot posts. It also
// signs inbound activity tokens, the way the Bot Framework does when it calls the bot.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { FAKE_TEAMS_APP_ID, FAKE_TEAMS_APP_PASSWORD } from '../../core/dev-defaults.ts';

export interface ConnectorCall {
  method: string;
  path: string;
  conversationId: string;
  activityId?: string;
  body: Record<string, unknown>;
  authorized: boolean;
  fault?: string;
  /** The activity id the connector answered with (new or updated). */
  id?: string;
}

export interface InboundTokenOptions {
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
  fail(fault: { status: 429 | 500 | 502 | 503; retryAfter?: number }): void;
  /** Called after each connector call is answered (the console shows what the bot posted). */
  on(listener: (call: ConnectorCall) => void): () => void;
  close(): Promise<void>;
}

const KID = 'fake-bot-framework-key';

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
  const faults: { status: number; retryAfter?: number }[] = [];
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
        ...(connector[2] ? { activityId: connector[2] } : {}),
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
        authorized: issuedTokens.has((req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')),
      };
      calls.push(call);
      if (!call.authorized) return send(res, 401, { error: { code: 'Unauthorized', message: 'bad token' } });
      const fault = faults.shift();
      if (fault) {
        call.fault = String(fault.status);
        return send(res, fault.status, { error: { code: 'Throttled', message: 'slow down' } }, fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) });
      }
      const id = call.activityId ?? `1${String(++activityCounter).padStart(12, '0')}`;
      call.id = id;
      send(res, req.method === 'POST' ? 201 : 200, { id });
      for (const listener of listeners) listener(call);
      return;
    }
    return send(res, 404, { error: 'not found' });
  });
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
    fail: (fault) => void faults.push(fault),
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
