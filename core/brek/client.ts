// Typed client for Brek's Partner Core Chat API. It follows the guide's rules and nothing more:
// any 2xx is success; only 429, 5xx, timeouts and network failures are retried, with exponential
// backoff, full jitter and Retry-After honoured, and the request body (so the idempotencyKey) is
// byte-for-byte the same on every try.
import { BrekError, kindForStatus } from './errors.ts';
import { isObject, parseEventData, type EventData } from './results.ts';
import type { CreateSessionRequest, GetSessionData, SendEventRequest, SessionData } from './types.ts';

const BASE_PATH = '/api/partner/v1/core-chat';

/** The three ways Brek accepts the partner key; `x-partner-api-key` is the recommended one. */
export type AuthStyle = 'x-partner-api-key' | 'bearer' | 'api-key';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** Backoff before retry n is random(0, min(maxDelayMs, baseDelayMs * 2^(n-1))). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails at once, still retryable. */
  maxRetryAfterMs: number;
  /** Per-try timeout. */
  timeoutMs: number;
}

const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 20_000,
  timeoutMs: 10_000,
};

export interface AttemptInfo {
  operation: string;
  attempt: number;
  status?: number;
  error?: BrekError;
  /** The wait before the next try, when there will be one. */
  retryInMs?: number;
  requestId?: string;
  /** Brek's quota as it reported it on this answer (x-ratelimit-*). */
  rateLimit?: RateLimit;
  durationMs: number;
}

/**
 * Asked around every try of a call: the turn's place in the queue for Brek's quota
 * (core/brek/quota.ts). `beforeTry` waits for the try's slot, or throws when there is none in time
 * (that error reaches the caller as it is); `afterTry` learns Brek's limit and Retry-After.
 */
export interface RequestGate {
  beforeTry(): Promise<void>;
  afterTry(info: AttemptInfo): Promise<void>;
}

/** Per call: a hook that sees this call's tries only (the turn logs them with its own context). */
export interface CallOptions {
  onAttempt?: (info: AttemptInfo) => void;
  /** Paces the tries by Brek's quota; a 429 is then waited out by the gate, not counted as a failed try. */
  gate?: RequestGate;
}

/** A gated call's 429s are waited out by the gate; this many in a row still end the call. */
const MAX_GATED_THROTTLES = 20;

export interface BrekClientOptions {
  baseUrl: string;
  apiKey: string;
  authStyle?: AuthStyle;
  retry?: Partial<RetryPolicy>;
  /** Injected for tests and instrumentation; defaults to the global fetch. */
  fetch?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called after every try, for logs and metrics (never given the key or bodies). */
  onAttempt?: (info: AttemptInfo) => void;
}

interface RateLimit {
  limit: number;
  remaining: number;
}

/** What the caller should log next to a turn: Brek's ids, not its payloads. */
export interface ResponseMeta {
  status: number;
  requestId?: string;
  partnerId?: string;
  rateLimit?: RateLimit;
  attempts: number;
}

export interface BrekResponse<T> {
  data: T;
  meta: ResponseMeta;
}

/** The bridge always sends a key, text turns included, so the type demands one. */
export type SendEventInput = SendEventRequest & { idempotencyKey: string };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BrekClient {
  private readonly baseUrl: string;
  private readonly policy: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: BrekClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async createSession(request: CreateSessionRequest, callOptions: CallOptions = {}): Promise<BrekResponse<SessionData>> {
    const { body, meta } = await this.call('createSession', 'POST', '/sessions', request, callOptions);
    const data = isObject(body) ? body.data : undefined;
    if (!isObject(data) || typeof data.sessionId !== 'string' || data.sessionId === '') {
      throw malformed('POST /sessions', meta);
    }
    return { data: data as unknown as SessionData, meta };
  }

  async sendEvent(request: SendEventInput, callOptions: CallOptions = {}): Promise<BrekResponse<EventData>> {
    const { body, meta } = await this.call('sendEvent', 'POST', '/events', request, callOptions);
    const data = parseEventData(isObject(body) ? body.data : undefined);
    if (!data) throw malformed('POST /events', meta);
    return { data, meta };
  }

  async getSession(sessionId: string, callOptions: CallOptions = {}): Promise<BrekResponse<GetSessionData>> {
    const path = `/sessions/${encodeURIComponent(sessionId)}`;
    const { body, meta } = await this.call('getSession', 'GET', path, undefined, callOptions);
    const data = isObject(body) ? body.data : undefined;
    if (!isObject(data) || typeof data.sessionId !== 'string') throw malformed('GET /sessions/{id}', meta);
    return { data: data as unknown as GetSessionData, meta };
  }

  private authHeader(): [string, string] {
    switch (this.options.authStyle ?? 'x-partner-api-key') {
      case 'bearer':
        return ['authorization', `Bearer ${this.options.apiKey}`];
      case 'api-key':
        return ['api-key', this.options.apiKey];
      default:
        return ['x-partner-api-key', this.options.apiKey];
    }
  }

  private async call(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    payload: unknown,
    callOptions: CallOptions,
  ): Promise<{ body: unknown; meta: ResponseMeta }> {
    const gate = callOptions.gate;
    const report = async (info: AttemptInfo) => {
      this.options.onAttempt?.(info);
      callOptions.onAttempt?.(info);
      // What the gate learns is advice: its own failure (the table briefly away) never fails the call.
      await gate?.afterTry(info).catch(() => undefined);
    };
    // Serialised once: every retry sends the very same bytes, idempotencyKey included.
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const [authName, authValue] = this.authHeader();
    const headers: Record<string, string> = { accept: 'application/json', [authName]: authValue };
    if (body !== undefined) headers['content-type'] = 'application/json';

    // `failures`: tries that count against maxAttempts (a gated call's 429s do not: the gate waits them out).
    for (let attempt = 1, failures = 0, throttles = 0; ; attempt++) {
      // Outside the try: a turn that cannot get a slot in time hears so as it is, not as a network error.
      await gate?.beforeTry();
      const started = performance.now();
      try {
        const result = await this.tryOnce(method, path, headers, body, attempt);
        await report({
          operation,
          attempt,
          status: result.meta.status,
          ...(result.meta.requestId ? { requestId: result.meta.requestId } : {}),
          ...(result.meta.rateLimit ? { rateLimit: result.meta.rateLimit } : {}),
          durationMs: performance.now() - started,
        });
        return result;
      } catch (caught) {
        const error = caught instanceof BrekError ? caught : new BrekError({ kind: 'network', message: String(caught), cause: caught });
        error.attempts = attempt;
        const throttledAndGated = gate !== undefined && error.kind === 'rate_limited' && ++throttles <= MAX_GATED_THROTTLES;
        if (!throttledAndGated) failures++;
        const delay = throttledAndGated ? 0 : this.retryDelay(error, failures);
        await report({
          operation,
          attempt,
          ...(error.status === undefined ? {} : { status: error.status }),
          error,
          ...(delay === undefined ? {} : { retryInMs: delay }),
          ...(error.requestId ? { requestId: error.requestId } : {}),
          durationMs: performance.now() - started,
        });
        if (delay === undefined) throw error;
        await this.sleep(delay);
      }
    }
  }

  /** The wait before the next try, or undefined when the error is final. */
  private retryDelay(error: BrekError, attempt: number): number | undefined {
    if (!error.retryable || attempt >= this.policy.maxAttempts) return undefined;
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    const jitter = this.random() * ceiling;
    if (error.retryAfterMs === undefined) return jitter;
    if (error.retryAfterMs > this.policy.maxRetryAfterMs) return undefined;
    return Math.max(error.retryAfterMs, jitter);
  }

  private async tryOnce(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    attempt: number,
  ): Promise<{ body: unknown; meta: ResponseMeta }> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${BASE_PATH}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      // The body read shares the per-try timeout: a server that stalls mid-body is a timeout too.
      text = await response.text();
    } catch (cause) {
      const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      throw new BrekError({
        kind: timedOut ? 'timeout' : 'network',
        message: timedOut ? `Brek did not answer within ${this.policy.timeoutMs} ms` : `Brek unreachable: ${describeCause(cause)}`,
        cause,
      });
    }

    const meta = readMeta(response, attempt);
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) {
      if (parsed === undefined) throw malformed(`${method} ${path}`, meta);
      return { body: parsed, meta };
    }
    throw errorFromResponse(response, parsed, meta);
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
    return `${cause.message}${inner}`;
  }
  return String(cause);
}

function readMeta(response: Response, attempts: number): ResponseMeta {
  const meta: ResponseMeta = { status: response.status, attempts };
  const requestId = response.headers.get('x-request-id');
  if (requestId) meta.requestId = requestId;
  const partnerId = response.headers.get('x-partner-id');
  if (partnerId) meta.partnerId = partnerId;
  const limit = Number(response.headers.get('x-ratelimit-limit') ?? NaN);
  const remaining = Number(response.headers.get('x-ratelimit-remaining') ?? NaN);
  if (Number.isFinite(limit) && Number.isFinite(remaining)) meta.rateLimit = { limit, remaining };
  return meta;
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function errorFromResponse(response: Response, body: unknown, meta: ResponseMeta): BrekError {
  const envelope = isObject(body) ? body : {};
  const errorText = typeof envelope.error === 'string' ? envelope.error : response.statusText || `HTTP ${response.status}`;
  const code = typeof envelope.code === 'string' ? envelope.code : undefined;
  const details = envelope.details;
  let kind = kindForStatus(response.status);
  // A 404 from a proxy or a wrong base URL is not a lost session: recreating sessions would hide it.
  if (kind === 'session_not_found' && !mentionsSessionNotFound(errorText, code, details)) kind = 'client';
  return new BrekError({
    kind,
    message: `Brek ${response.status}${code ? ` ${code}` : ''}: ${errorText}`,
    status: response.status,
    code,
    details,
    requestId: typeof envelope.requestId === 'string' ? envelope.requestId : meta.requestId,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  });
}

/** The guide and the OpenAPI document spell the 404 differently; both are recognised. */
function mentionsSessionNotFound(errorText: string, code: string | undefined, details: unknown): boolean {
  if (code === 'session_not_found' || errorText === 'session_not_found') return true;
  if (isObject(details) && details.error === 'session_not_found') return true;
  return /session not found/i.test(errorText);
}

function malformed(operation: string, meta: ResponseMeta): BrekError {
  return new BrekError({
    kind: 'malformed_response',
    message: `Brek answered ${operation} with ${meta.status} but not the documented envelope`,
    status: meta.status,
    requestId: meta.requestId,
  });
}
