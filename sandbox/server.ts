// The Brek sandbox: an HTTP server of the Partner Core Chat API (gateway, three endpoints),
// the payment portal, and — only with an admin key — fault injection and a request log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { gatewayError, PartnerApi, validationError, type ApiAnswer, type Caller } from './api.ts';
import type { SandboxConfig } from './config.ts';
import { FaultInjector, validateFaultSettings, type Endpoint, type FaultDecision } from './faults.ts';
import { BodyTooLarge, escapeHtml, header, readBody, sendHtml, sendJson } from './http.ts';
import { newRequestId } from './ids.ts';
import { CITIES } from './gazetteer.ts';
import { hotelsIn } from './inventory.ts';
import { attachPaymentMethod, bookingPage, page, paymentPage } from './portal.ts';
import { FAVICON_HEADERS, FAVICON_PATHS, FAVICON_SVG } from '../dev/favicon.ts';
import { SandboxState } from './state.ts';
import { World } from './world.ts';

const API_BASE = '/api/partner/v1/core-chat';
const ADMIN_BASE = '/__sandbox';
const CONTRACT_URL = new URL('../contract/partner-core-chat-v1.openapi.yaml', import.meta.url);

/** One line per API call, for tests and the admin API: what Brek received and answered. */
export interface RequestRecord {
  at: string;
  requestId: string;
  endpoint: Endpoint | 'other';
  method: string;
  path: string;
  status: number;
  partnerId?: string;
  sessionId?: string;
  idempotencyKey?: string;
  kind?: string;
  text?: string;
  resultStatus?: string;
  fault?: FaultDecision['kind'];
}

/** The raw exchange, handed to an observer (the test suite validates it against the OpenAPI). */
export interface Exchange {
  method: string;
  path: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  requestBody: string;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: unknown;
}

export interface SandboxOptions {
  now?: () => number;
  onExchange?: (exchange: Exchange) => void;
}

export interface RunningSandbox {
  url: string;
  port: number;
  world: World;
  faults: FaultInjector;
  requests: RequestRecord[];
  close(): Promise<void>;
}

const MAX_REQUEST_RECORDS = 10_000;

export async function startSandbox(config: SandboxConfig, options: SandboxOptions = {}): Promise<RunningSandbox> {
  const now = options.now ?? Date.now;
  const world = new World();
  const state = config.dataDir ? new SandboxState(config.dataDir, world) : undefined;
  const recordedPort = await state?.load();
  const api = new PartnerApi(world);
  const faults = new FaultInjector();
  const requests: RequestRecord[] = [];
  const windows = new Map<string, { start: number; count: number }>();
  const pendingTimers = new Set<NodeJS.Timeout>();
  let publicBase = config.publicUrl ?? '';

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        resolve();
      }, ms);
      pendingTimers.add(timer);
    });

  function record(entry: Omit<RequestRecord, 'at'>): void {
    requests.push({ at: new Date(now()).toISOString(), ...entry });
    if (requests.length > MAX_REQUEST_RECORDS) requests.splice(0, requests.length - MAX_REQUEST_RECORDS);
  }

  /** Fixed one-minute windows per key, as "minute quota" suggests. */
  function takeQuota(key: string): { limit: number; remaining: number; retryAfterSeconds: number } | { limited: true; limit: number; retryAfterSeconds: number } {
    const limit = faults.current.rateLimitPerMinute ?? config.rateLimitPerMinute;
    const t = now();
    let window = windows.get(key);
    if (!window || t - window.start >= 60_000) {
      window = { start: t, count: 0 };
      windows.set(key, window);
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((window.start + 60_000 - t) / 1000));
    if (window.count >= limit) return { limited: true, limit, retryAfterSeconds };
    window.count++;
    return { limit, remaining: limit - window.count, retryAfterSeconds };
  }

  function authenticate(req: IncomingMessage): { key: string; partnerId: string } | { missing: true } | { invalid: true } {
    const bearer = header(req, 'authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    const key = header(req, 'x-partner-api-key') || bearer || header(req, 'api-key');
    if (!key?.trim()) return { missing: true };
    const partnerId = config.keys.get(key.trim());
    return partnerId ? { key: key.trim(), partnerId } : { invalid: true };
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, rawBody: string): Promise<void> {
    const path = url.pathname.slice(API_BASE.length);
    const method = req.method ?? 'GET';
    let endpoint: Endpoint | undefined;
    let sessionIdFromPath = '';
    if (path === '/sessions' && method === 'POST') endpoint = 'createSession';
    else if (path === '/events' && method === 'POST') endpoint = 'sendEvent';
    else if ((path === '/sessions/' || path.startsWith('/sessions/')) && method === 'GET') {
      endpoint = 'getSession';
      sessionIdFromPath = decodeURIComponent(path.slice('/sessions/'.length));
    }
    const headers: Record<string, string> = { 'x-request-id': requestId };
    const answer = (a: ApiAnswer, extra: Partial<RequestRecord> = {}) => {
      reply(res, req, rawBody, a.status, a.body, headers);
      record({ requestId, endpoint: endpoint ?? 'other', method, path: url.pathname, status: a.status, ...extra });
    };
    if (!endpoint) {
      return answer(gatewayError({ requestId }, 404, 'not_found', `No route for ${method} ${url.pathname}`));
    }

    const auth = authenticate(req);
    if ('missing' in auth) return answer(gatewayError({ requestId }, 401, 'missing_partner_api_key', 'Missing partner API key.'));
    if ('invalid' in auth) return answer(gatewayError({ requestId }, 403, 'invalid_partner_api_key', 'Invalid partner API key.'));

    const quota = takeQuota(auth.key);
    headers['x-ratelimit-limit'] = String(quota.limit);
    headers['x-partner-id'] = auth.partnerId;
    if ('limited' in quota) {
      headers['x-ratelimit-remaining'] = '0';
      headers['retry-after'] = String(quota.retryAfterSeconds);
      return answer(
        gatewayError({ requestId }, 429, 'rate_limited', `Exceeded ${quota.limit} requests per minute`, { partnerId: auth.partnerId }),
        { partnerId: auth.partnerId },
      );
    }
    headers['x-ratelimit-remaining'] = String(quota.remaining);

    const described = { partnerId: auth.partnerId, ...describeRequest(endpoint, rawBody, sessionIdFromPath) };
    const fault = faults.decide(endpoint);
    await wait(fault.delayMs);
    if (fault.kind === 'hang') {
      record({ requestId, endpoint, method, path: url.pathname, status: 0, ...described, fault: 'hang' });
      await wait(fault.hangMs);
      res.destroy();
      return;
    }
    if (fault.kind === 'status') {
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      const injected =
        fault.status === 429
          ? gatewayError({ requestId }, 429, 'rate_limited', `Exceeded ${quota.limit} requests per minute`, { partnerId: auth.partnerId })
          : // The guide's "validation/proxy" envelope: with a code it would match both branches of
            // the document's 500 oneOf, which no body can satisfy.
            validationError({ requestId }, 'Upstream service unavailable. Please retry.', fault.status);
      return answer(injected, { ...described, fault: 'status' });
    }

    const caller: Caller = {
      partnerId: auth.partnerId,
      requestId,
      now: now(),
      publicBase,
      setupTokenTtlMs: config.setupTokenTtlMs,
    };
    let result: ApiAnswer;
    if (endpoint === 'createSession') result = api.createSession(caller, rawBody);
    else if (endpoint === 'getSession') result = api.getSession(caller, sessionIdFromPath);
    else result = api.sendEvent(caller, rawBody);

    const extra: Partial<RequestRecord> = { ...described, ...describeResult(result) };
    if (fault.kind === 'late') {
      // Processed, but the answer comes too late: the caller's retry must hit idempotency.
      extra.fault = 'late';
      await wait(fault.hangMs);
      if (res.destroyed) return void record({ requestId, endpoint, method, path: url.pathname, status: 0, ...extra });
    }
    answer(result, extra);
  }

  function reply(res: ServerResponse, req: IncomingMessage, rawBody: string, status: number, body: unknown, headers: Record<string, string>) {
    if (res.destroyed) return;
    sendJson(res, status, body, headers);
    options.onExchange?.({
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://sandbox').pathname,
      requestHeaders: req.headers,
      requestBody: rawBody,
      status,
      responseHeaders: headers,
      responseBody: body,
    });
  }

  function isAdmin(req: IncomingMessage): boolean {
    return config.adminKey !== undefined && header(req, 'x-sandbox-admin-key') === config.adminKey;
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, rawBody: string) {
    const headers = { 'x-request-id': requestId };
    if (!isAdmin(req)) {
      // Without an admin key configured the admin API does not exist.
      const status = config.adminKey === undefined ? 404 : 403;
      return sendJson(res, status, { success: false, error: status === 404 ? 'Not found' : 'Invalid admin key.', requestId }, headers);
    }
    const route = `${req.method} ${url.pathname.slice(ADMIN_BASE.length)}`;
    if (route === 'GET /faults') return sendJson(res, 200, { data: faults.current }, headers);
    if (route === 'DELETE /faults') {
      faults.clear();
      return sendJson(res, 200, { data: faults.current }, headers);
    }
    if (route === 'PUT /faults') {
      let settings: unknown;
      try {
        settings = JSON.parse(rawBody);
      } catch {
        return sendJson(res, 400, { success: false, error: 'Invalid JSON payload', requestId }, headers);
      }
      const problem = validateFaultSettings(settings);
      if (problem) return sendJson(res, 400, { success: false, error: problem, requestId }, headers);
      faults.set(settings as Parameters<FaultInjector['set']>[0]);
      return sendJson(res, 200, { data: faults.current }, headers);
    }
    if (route === 'GET /requests') return sendJson(res, 200, { data: requests }, headers);
    if (route === 'DELETE /requests') {
      requests.length = 0;
      return sendJson(res, 200, { data: [] }, headers);
    }
    return sendJson(res, 404, { success: false, error: `No admin route ${route}`, requestId }, headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    let rawBody = '';
    try {
      rawBody = await readBody(req);
    } catch (error) {
      const message = error instanceof BodyTooLarge ? 'Request body is larger than 1 MiB' : 'Could not read request body';
      return sendJson(res, error instanceof BodyTooLarge ? 413 : 400, validationError({ requestId }, message).body, { 'x-request-id': requestId, connection: 'close' });
    }
    const path = url.pathname;
    if (path.startsWith(`${API_BASE}/`)) return handleApi(req, res, url, requestId, rawBody);
    if (path.startsWith(`${ADMIN_BASE}/`)) return handleAdmin(req, res, url, requestId, rawBody);

    const headers = { 'x-request-id': requestId };
    const route = `${req.method} ${path}`;
    if (route === 'GET /healthz') return sendJson(res, 200, { ok: true }, headers);
    if (req.method === 'GET' && FAVICON_PATHS.includes(path)) {
      res.writeHead(200, { ...headers, ...FAVICON_HEADERS });
      return void res.end(FAVICON_SVG);
    }
    if (route === 'GET /portal/payment') {
      const page = paymentPage(world, url.searchParams.get('token'), now());
      return sendHtml(res, page.status, page.html, headers);
    }
    if (route === 'POST /v1/hotel-ea/payment-methods/attach') {
      const result = attachPaymentMethod(world, rawBody, now(), requestId);
      return sendJson(res, result.status, result.body, headers);
    }
    if (req.method === 'GET' && path.startsWith('/my-bookings/')) {
      const page = bookingPage(world.bookingByConfirmationId(path.slice('/my-bookings/'.length)));
      return sendHtml(res, page.status, page.html, headers);
    }
    if (req.method === 'GET' && path.startsWith('/book/hotel/')) {
      const hotelId = path.slice('/book/hotel/'.length);
      const hotel = CITIES.flatMap((c) => hotelsIn(c.id)).find((h) => h.hotelId === hotelId);
      if (!hotel) return sendHtml(res, 404, page('Hotel not found', '<h1>Hotel not found</h1>'), headers);
      const stay = ['checkIn', 'checkOut', 'rooms'].map((k) => `${k}: ${escapeHtml(url.searchParams.get(k) ?? '-')}`).join(' · ');
      return sendHtml(res, 200, page(hotel.name, `<h1>${escapeHtml(hotel.name)}</h1><p>${hotel.rating}★ · ${escapeHtml(hotel.distanceTo)} · ${hotel.refundable ? 'refundable' : 'non-refundable'}</p><p>${stay}</p>`), headers);
    }
    if (route === 'GET /openapi/partner-core-chat-v1.yaml') {
      const yaml = await readFile(CONTRACT_URL, 'utf8');
      res.writeHead(200, { ...headers, 'content-type': 'application/yaml; charset=utf-8' });
      return void res.end(yaml);
    }
    return sendJson(res, 404, { success: false, error: 'Not found', code: 'not_found', details: null, requestId }, headers);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res)
      // Only a POST changes the world (sessions, events, a card attached): then it is written down.
      .finally(() => {
        if (req.method === 'POST') state?.save();
      })
      .catch((error: unknown) => {
        // A bug must still answer in the documented 500 envelope, never hang the caller.
        if (!res.headersSent && !res.destroyed) {
          const requestId = newRequestId();
          sendJson(res, 500, validationError({ requestId }, `Internal sandbox error: ${String(error)}`, 500).body, { 'x-request-id': requestId });
        }
      });
  });
  server.keepAliveTimeout = 5_000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  // "Any port" takes the one recorded in the data directory when it is free: the links handed out
  // before a restart name it.
  if (config.port === 0 && recordedPort) {
    await listen(recordedPort).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
      await listen(0);
    });
  } else {
    await listen(config.port);
  }
  const port = (server.address() as AddressInfo).port;
  if (state && state.port !== port) {
    state.port = port;
    state.save();
  }
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (!publicBase) publicBase = url;

  return {
    url,
    port,
    world,
    faults,
    requests,
    close: async () => {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await state?.flush();
    },
  };
}

/** Pulls the ids worth logging out of a request, without the partner key. */
function describeRequest(endpoint: Endpoint, rawBody: string, sessionIdFromPath: string): Partial<RequestRecord> {
  const out: Partial<RequestRecord> = {};
  if (endpoint === 'getSession') out.sessionId = sessionIdFromPath;
  if (endpoint === 'sendEvent') {
    try {
      const body = JSON.parse(rawBody) as Record<string, unknown>;
      if (typeof body.sessionId === 'string') out.sessionId = body.sessionId;
      if (typeof body.idempotencyKey === 'string') out.idempotencyKey = body.idempotencyKey;
      if (typeof body.kind === 'string') out.kind = body.kind;
      if (typeof body.text === 'string') out.text = body.text;
    } catch {
      // Invalid JSON is answered 400; nothing more to record.
    }
  }
  return out;
}

/** What Brek answered, for the record: the result status, or the id of a new session. */
function describeResult(result: ApiAnswer): Partial<RequestRecord> {
  const data = (result.body as { data?: { sessionId?: unknown; result?: { status?: unknown } } }).data;
  const out: Partial<RequestRecord> = {};
  if (typeof data?.result?.status === 'string') out.resultStatus = data.result.status;
  if (typeof data?.sessionId === 'string') out.sessionId = data.sessionId;
  return out;
}
