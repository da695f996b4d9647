// The client's retry and parsing rules against the sandbox with injected faults, and against
// stub servers for answers the sandbox never gives.
import { afterEach, describe, expect, it } from 'vitest';
import { BrekClient, parseRetryAfter, type AttemptInfo } from '../../core/brek/client.ts';
import { DEV_PARTNER_KEY } from '../../sandbox/config.ts';
import type { RequestRecord } from '../../sandbox/server.ts';
import { answer, startStub, type Stub } from '../support/http-stub.ts';
import { caught } from '../support/errors.ts';
import { useSandbox } from '../support/sandbox.ts';

const h = useSandbox();

/** Records the waits the client asks for instead of waiting them. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

async function requestsFor(sessionId: string): Promise<RequestRecord[]> {
  const res = await h.admin('GET', '/requests');
  const { data } = (await res.json()) as { data: RequestRecord[] };
  return data.filter((r) => r.sessionId === sessionId && r.endpoint === 'sendEvent');
}

async function newSession(client: BrekClient) {
  return (await client.createSession({ actor: { actorId: 'retry_user' } })).data.sessionId;
}

describe('retries', () => {
  it('retries 503 and 429 with the same idempotencyKey and body, then succeeds once', async () => {
    const { waits, sleep } = recordingSleep();
    const client = h.client({ sleep, random: () => 0.5 });
    const sessionId = await newSession(client);
    await h.admin('PUT', '/faults', { endpoints: { sendEvent: { script: [{ status: 503 }, { status: 429 }, { status: 502 }] } } });

    const result = await client.sendEvent({ sessionId, text: 'vegas tomorrow', idempotencyKey: 'bridge:s:text:Ev1' });
    expect(result.data.result.status).toBe('shortlist');
    expect(result.meta.attempts).toBe(4);

    const tries = await requestsFor(sessionId);
    expect(tries.map((t) => t.status)).toEqual([503, 429, 502, 200]);
    expect(new Set(tries.map((t) => t.idempotencyKey))).toEqual(new Set(['bridge:s:text:Ev1']));
    expect(new Set(tries.map((t) => t.text))).toEqual(new Set(['vegas tomorrow']));
    // Full jitter: random(0, min(max, base * 2^(n-1))) with random = 0.5 and the defaults.
    expect(waits).toEqual([125, 250, 500]);
    const snapshot = await client.getSession(sessionId);
    expect(snapshot.data.events).toHaveLength(1);
  });

  it('honours Retry-After, waiting at least that long', async () => {
    const { waits, sleep } = recordingSleep();
    const client = h.client({ sleep, random: () => 0 });
    const sessionId = await newSession(client);
    await h.admin('PUT', '/faults', { endpoints: { sendEvent: { script: [{ status: 429, retryAfterSeconds: 3 }, { status: 503, retryAfterSeconds: 1 }] } } });
    await client.sendEvent({ sessionId, text: 'vegas tomorrow', idempotencyKey: 'k-ra' });
    expect(waits).toEqual([3000, 1000]);
  });

  it('really waits between tries (Retry-After: 1 s)', async () => {
    const client = h.client();
    const sessionId = await newSession(client);
    await h.admin('PUT', '/faults', { endpoints: { sendEvent: { script: [{ status: 503, retryAfterSeconds: 1 }] } } });
    const started = performance.now();
    await client.sendEvent({ sessionId, text: 'vegas tomorrow', idempotencyKey: 'k-real' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('gives up after maxAttempts with the last error, counting the tries', async () => {
    const { waits, sleep } = recordingSleep();
    const client = h.client({ sleep, random: () => 1, retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 150 } });
    const sessionId = await newSession(client);
    await h.admin('PUT', '/faults', { endpoints: { sendEvent: { rate5xx: 1, status5xx: 504 } } });
    const error = await caught(client.sendEvent({ sessionId, text: 'hi', idempotencyKey: 'k-give-up' }));
    expect(error).toMatchObject({ kind: 'server', status: 504, attempts: 3, retryable: true });
    expect(waits).toEqual([100, 150]); // capped by maxDelayMs
    expect((await requestsFor(sessionId)).length).toBe(3);
  });

  it('does not wait for a Retry-After beyond maxRetryAfterMs', async () => {
    const { waits, sleep } = recordingSleep();
    const client = h.client({ sleep, retry: { maxRetryAfterMs: 5_000 } });
    const sessionId = await newSession(client);
    await h.admin('PUT', '/faults', { endpoints: { sendEvent: { script: [{ status: 429, retryAfterSeconds: 60 }] } } });
    const error = await caught(client.sendEvent({ sessionId, text: 'hi', idempotencyKey: 'k-long' }));
    expect(error).toMatchObject({ kind: 'rate_limited', attempts: 1, retryAfterMs: 60_000 });
    expect(waits).toEqual([]);
  });

  it('never retries 400, 401, 403, 404 or 409', async () => {
    const { waits, sleep } = recordingSleep();
    const client = h.client({ sleep });
    const sessionId = await newSession(client);
    const cases: [Promise<unknown>, string][] = [
      [h.client({ sleep, apiKey: '' }).sendEvent({ sessionId, text: 'hi', idempotencyKey: 'a' }), 'auth'],
      [h.client({ sleep, apiKey: 'wrong' }).sendEvent({ sessionId, text: 'hi', idempotencyKey: 'b' }), 'auth'],
      [client.sendEvent({ sessionId: 'sess_missing', text: 'hi', idempotencyKey: 'c' }), 'session_not_found'],
      [client.sendEvent({ sessionId, actor: { actorId: 'intruder' }, text: 'hi', idempotencyKey: 'd' }), 'actor_mismatch'],
      [client.sendEvent({ sessionId, kind: 'action_book_option', payload: {}, idempotencyKey: 'e' }), 'validation'],
    ];
    for (const [call, kind] of cases) {
      const error = await caught(call);
      expect(error.kind).toBe(kind);
      expect(error.attempts).toBe(1);
    }
    expect(waits).toEqual([]);
    expect((await requestsFor(sessionId)).length).toBe(2); // the 409 and the 400; 401/403 never reach a session
  });

  it('times out a hung try and retries it', async () => {
    const client = h.client({ retry: { timeoutMs: 200, baseDelayMs: 1 } });
    const sessionId = await newSession(client);
    await h.admin('PUT', '/faults', { hangMs: 5_000, endpoints: { sendEvent: { script: [{ hang: true }] } } });
    const attempts: AttemptInfo[] = [];
    const observed = h.client({ retry: { timeoutMs: 200, baseDelayMs: 1 }, onAttempt: (a) => attempts.push(a) });
    const result = await observed.sendEvent({ sessionId, text: 'vegas tomorrow', idempotencyKey: 'k-hang' });
    expect(result.data.result.status).toBe('shortlist');
    expect(attempts.map((a) => a.error?.kind ?? a.status)).toEqual(['timeout', 200]);
  });

  it('a timeout after Brek already processed the turn is answered from idempotency: one event', async () => {
    const client = h.client({ retry: { timeoutMs: 200, baseDelayMs: 1 } });
    const sessionId = await newSession(client);
    await h.admin('PUT', '/faults', { hangMs: 1_000, endpoints: { sendEvent: { script: [{ late: true }] } } });
    const result = await client.sendEvent({ sessionId, text: 'vegas tomorrow', idempotencyKey: 'k-late' });
    expect(result.meta.attempts).toBe(2);
    expect(result.data.result.status).toBe('shortlist');
    const snapshot = await client.getSession(sessionId);
    expect(snapshot.data.events).toHaveLength(1);
    expect(result.data.event.id).toBe(snapshot.data.events[0]?.eventId);
  });

  it('reports a timeout when every try hangs', async () => {
    const client = h.client({ retry: { timeoutMs: 100, maxAttempts: 2, baseDelayMs: 1 } });
    const sessionId = await newSession(client);
    await h.admin('PUT', '/faults', { hangMs: 2_000, endpoints: { sendEvent: { hangRate: 1 } } });
    const error = await caught(client.sendEvent({ sessionId, text: 'hi', idempotencyKey: 'k-all-hang' }));
    expect(error).toMatchObject({ kind: 'timeout', attempts: 2, retryable: true });
  });

  it('retries network failures and then reports them', async () => {
    const stub = await startStub(() => undefined);
    const url = stub.url;
    await stub.close(); // nothing listens there any more
    const { waits, sleep } = recordingSleep();
    const client = new BrekClient({ baseUrl: url, apiKey: 'k', sleep, retry: { maxAttempts: 3 } });
    const error = await caught(client.createSession({ actor: { actorId: 'a' } }));
    expect(error).toMatchObject({ kind: 'network', attempts: 3, retryable: true });
    expect(waits).toHaveLength(2);
  });
});

describe('auth header styles', () => {
  it.each([
    ['x-partner-api-key', 'x-partner-api-key', DEV_PARTNER_KEY],
    ['bearer', 'authorization', `Bearer ${DEV_PARTNER_KEY}`],
    ['api-key', 'api-key', DEV_PARTNER_KEY],
  ] as const)('%s is accepted by the sandbox and sent as %s', async (style, headerName, value) => {
    const result = await h.client({ authStyle: style }).createSession({ actor: { actorId: 'style_user' } });
    expect(result.meta.partnerId).toBe('demo');
    const stub = await startStub((_req, res) => answer(res, 200, { data: { sessionId: 'sess_1', tenantId: 't' } }));
    try {
      await new BrekClient({ baseUrl: stub.url, apiKey: DEV_PARTNER_KEY, authStyle: style }).createSession({ actor: { actorId: 'a' } });
      expect(stub.requests[0]?.headers[headerName]).toBe(value);
    } finally {
      await stub.close();
    }
  });
});

describe('responses from a server that is not the sandbox', () => {
  let stub: Stub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  it('treats any 2xx as success (the guide shows 201 for POST /sessions)', async () => {
    stub = await startStub((req, res) =>
      req.url?.endsWith('/sessions')
        ? answer(res, 201, { data: { sessionId: 'sess_1', tenantId: 't' } }, { 'x-request-id': 'r-201' })
        : answer(res, 202, { data: { sessionId: 'sess_1', event: { id: 'evt_1', kind: 'x' }, result: { status: 'shortlist', message: { text: 'hi' } } } }),
    );
    const client = new BrekClient({ baseUrl: `${stub.url}/`, apiKey: 'k' });
    const created = await client.createSession({ actor: { actorId: 'a' } });
    expect(created.meta).toMatchObject({ status: 201, requestId: 'r-201' });
    const event = await client.sendEvent({ sessionId: 'sess_1', text: 'hi', idempotencyKey: 'k' });
    expect(event.meta.status).toBe(202);
    expect(stub.requests.map((r) => r.path)).toEqual(['/api/partner/v1/core-chat/sessions', '/api/partner/v1/core-chat/events']);
  });

  it('parses artifacts defensively: wrong types dropped, unknown fields kept, nothing required', async () => {
    stub = await startStub((_req, res) =>
      answer(res, 200, {
        data: {
          sessionId: 's',
          event: { id: 'e', kind: 'k' },
          result: {
            status: 'shortlist',
            traceId: 't',
            artifacts: {
              shortlist: [{ optionId: 'o1', name: 42, pricePerNight: '98', refundable: 'yes', badge: 'new' }, 'garbage', {}],
              payment: 'not an object',
              booking: { bookingId: 'B1', totalPrice: null, extra: { a: 1 } },
              futureThing: [1, 2],
            },
          },
        },
      }),
    );
    const { data } = await new BrekClient({ baseUrl: stub.url, apiKey: 'k' }).sendEvent({ sessionId: 's', text: 'x', idempotencyKey: 'k' });
    expect(data.result).toEqual({
      status: 'shortlist',
      messageText: '', // message missing: empty text, not a crash
      traceId: 't',
      artifacts: {
        shortlist: [{ optionId: 'o1', badge: 'new' }, {}],
        booking: { bookingId: 'B1', extra: { a: 1 } },
        futureThing: [1, 2],
      },
    });
  });

  it('a 2xx that is not the envelope is a malformed_response error, not a crash', async () => {
    for (const body of ['<html>oops</html>', '{"data":{}}', '', '[]']) {
      stub = await startStub((_req, res) => answer(res, 200, body, { 'x-request-id': 'r-bad' }));
      const error = await caught(new BrekClient({ baseUrl: stub.url, apiKey: 'k' }).sendEvent({ sessionId: 's', text: 'x', idempotencyKey: 'k' }));
      expect(error).toMatchObject({ kind: 'malformed_response', status: 200, requestId: 'r-bad', retryable: false, attempts: 1 });
      await stub.close();
      stub = undefined;
    }
  });

  it('reads both spellings of session_not_found, and a proxy 404 page as a plain client error', async () => {
    const bodies: [unknown, string][] = [
      [{ success: false, error: 'session_not_found', details: { error: 'session_not_found' }, requestId: 'r1' }, 'session_not_found'],
      [{ success: false, error: 'Session not found.', code: 'session_not_found', details: { sessionId: 's' }, requestId: 'r2' }, 'session_not_found'],
      ['<html>Not Found</html>', 'client'],
    ];
    for (const [body, kind] of bodies) {
      stub = await startStub((_req, res) => answer(res, 404, body, { 'x-request-id': 'hdr' }));
      const error = await caught(new BrekClient({ baseUrl: stub.url, apiKey: 'k' }).sendEvent({ sessionId: 's', text: 'x', idempotencyKey: 'k' }));
      expect(error.kind).toBe(kind);
      expect(error.requestId).toBe(typeof body === 'string' ? 'hdr' : (body as { requestId: string }).requestId);
      await stub.close();
      stub = undefined;
    }
  });

  it('a 5xx proxy page without JSON is still a retryable server error', async () => {
    let calls = 0;
    stub = await startStub((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>Bad gateway</html>');
      } else answer(res, 200, { data: { sessionId: 'sess_2' } });
    });
    const { sleep } = recordingSleep();
    const created = await new BrekClient({ baseUrl: stub.url, apiKey: 'k', sleep }).createSession({ actor: { actorId: 'a' } });
    expect(created.data.sessionId).toBe('sess_2');
    expect(created.meta.attempts).toBe(2);
  });

  it('surfaces x-request-id and x-ratelimit-* to the caller', async () => {
    stub = await startStub((_req, res) =>
      answer(res, 200, { data: { sessionId: 's', tenantId: 't', actor: {}, events: [] } }, {
        'x-request-id': 'req-1',
        'x-ratelimit-limit': '120',
        'x-ratelimit-remaining': '7',
        'x-partner-id': 'acme',
      }),
    );
    const { meta } = await new BrekClient({ baseUrl: stub.url, apiKey: 'k' }).getSession('s');
    expect(meta).toEqual({ status: 200, requestId: 'req-1', partnerId: 'acme', rateLimit: { limit: 120, remaining: 7 }, attempts: 1 });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-28T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 00:00:05 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
