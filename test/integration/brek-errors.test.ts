// Every error example of the guides and the OpenAPI document, replayed against the sandbox:
// status, envelope and message compared field by field (requestId only by shape), and the
// client's typed error for each.
import { describe, expect, it } from 'vitest';
import { BrekClient } from '../../core/brek/client.ts';
import { isBrekError } from '../../core/brek/errors.ts';
import { DEV_PARTNER_KEY } from '../../sandbox/config.ts';
import { caught } from '../support/errors.ts';
import { contractCheckedFetch, OTHER_PARTNER_KEY, useSandbox } from '../support/sandbox.ts';

const h = useSandbox();
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function json(res: Response) {
  return { status: res.status, requestIdHeader: res.headers.get('x-request-id'), body: (await res.json()) as Record<string, unknown> };
}

async function newSession(actorId = 'partner_user_001') {
  return (await h.client().createSession({ actor: { actorId } })).data.sessionId;
}

describe('gateway errors', () => {
  it('401 missing_partner_api_key when no key header is sent', async () => {
    const res = await json(await h.raw('POST', '/sessions', '{"actor":{"actorId":"partner_user_001"}}', { 'x-partner-api-key': '' }));
    expect(res).toMatchObject({
      status: 401,
      body: { success: false, error: 'Missing partner API key.', code: 'missing_partner_api_key', details: null },
    });
    expect(res.body.requestId).toMatch(REQUEST_ID);
    expect(res.requestIdHeader).toBe(res.body.requestId);

    const error = await caught(h.client({ apiKey: '' }).createSession({ actor: { actorId: 'u' } }));
    expect(error).toMatchObject({ kind: 'auth', status: 401, code: 'missing_partner_api_key', details: null, attempts: 1 });
    expect(error.requestId).toMatch(REQUEST_ID);
  });

  it('403 invalid_partner_api_key for an unknown key, in each header style', async () => {
    const styles: Record<string, string>[] = [{ 'x-partner-api-key': 'nope' }, { authorization: 'Bearer nope', 'x-partner-api-key': '' }, { 'api-key': 'nope', 'x-partner-api-key': '' }];
    for (const headers of styles) {
      const res = await json(await h.raw('POST', '/events', '{}', headers));
      expect(res).toMatchObject({
        status: 403,
        body: { success: false, error: 'Invalid partner API key.', code: 'invalid_partner_api_key', details: null },
      });
      expect(res.requestIdHeader).toMatch(REQUEST_ID);
    }
    const error = await caught(h.client({ apiKey: 'nope', authStyle: 'bearer' }).getSession('sess_x'));
    expect(error).toMatchObject({ kind: 'auth', status: 403, code: 'invalid_partner_api_key', retryable: false });
  });

  it('429 rate_limited with the documented envelope once the per-minute quota is spent', async () => {
    await h.admin('PUT', '/faults', { rateLimitPerMinute: 2 });
    const key = { 'x-partner-api-key': OTHER_PARTNER_KEY };
    const first = await h.raw('POST', '/sessions', '{"actor":{"actorId":"a"}}', key);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    await h.raw('POST', '/sessions', '{"actor":{"actorId":"a"}}', key);
    const limited = await h.raw('POST', '/sessions', '{"actor":{"actorId":"a"}}', key);
    const res = await json(limited);
    expect(res).toMatchObject({
      status: 429,
      body: { success: false, error: 'Exceeded 2 requests per minute', code: 'rate_limited', details: { partnerId: 'acme' } },
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');

    const client = new BrekClient({ baseUrl: h.url, apiKey: OTHER_PARTNER_KEY, fetch: contractCheckedFetch(h.violations), retry: { maxAttempts: 1 } });
    const error = await caught(client.createSession({ actor: { actorId: 'a' } }));
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, code: 'rate_limited', details: { partnerId: 'acme' }, retryable: true });
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });

  it('5xx answers use the documented 500 envelope and are typed as server errors', async () => {
    await h.admin('PUT', '/faults', { endpoints: { createSession: { script: [{ status: 500 }] } } });
    const res = await json(await h.raw('POST', '/sessions', '{"actor":{"actorId":"a"}}'));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ success: false, error: 'Upstream service unavailable. Please retry.', requestId: res.requestIdHeader });
    await h.admin('PUT', '/faults', { endpoints: { createSession: { script: [{ status: 503 }] } } });
    const error = await caught(h.client({ retry: { maxAttempts: 1 } }).createSession({ actor: { actorId: 'a' } }));
    expect(error).toMatchObject({ kind: 'server', status: 503, retryable: true });
  });
});

describe('POST /sessions validation', () => {
  it('400 actor.actorId is required', async () => {
    for (const body of ['{}', '{"actor":{}}', '{"actor":{"actorId":""}}', '{"actor":{"actorId":5}}']) {
      const res = await json(await h.raw('POST', '/sessions', body));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'actor.actorId is required', requestId: res.requestIdHeader });
    }
    const error = await caught(h.client().createSession({ actor: { actorId: '' } }).catch((e: unknown) => {
      h.violations.length = 0; // the request was invalid on purpose
      throw e;
    }));
    expect(error).toMatchObject({ kind: 'validation', status: 400 });
    expect(error.message).toContain('actor.actorId is required');
  });

  it('400 Invalid JSON payload', async () => {
    const res = await json(await h.raw('POST', '/sessions', '{"actor":'));
    expect(res).toMatchObject({ status: 400, body: { success: false, error: 'Invalid JSON payload' } });
    expect(res.body.requestId).toMatch(REQUEST_ID);
    expect(Object.keys(res.body).sort()).toEqual(['error', 'requestId', 'success']);
  });
});

describe('POST /events validation', () => {
  it('400 sessionId is required', async () => {
    const res = await json(await h.raw('POST', '/events', '{"text":"hi"}'));
    expect(res).toMatchObject({ status: 400, body: { success: false, error: 'sessionId is required' } });
  });

  it('400 Invalid JSON payload', async () => {
    const res = await json(await h.raw('POST', '/events', 'not json'));
    expect(res).toMatchObject({ status: 400, body: { success: false, error: 'Invalid JSON payload' } });
  });

  it('400 idempotencyKey is required for each write kind', async () => {
    const sessionId = await newSession();
    for (const kind of ['command_book_by_option_id', 'action_book_option', 'action_confirm_price_change', 'action_confirm_payment_card', 'action_cancel_booking']) {
      const res = await json(await h.raw('POST', '/events', JSON.stringify({ sessionId, kind, payload: { optionId: 'x' } })));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: `idempotencyKey is required for kind=${kind}`, requestId: res.requestIdHeader });
    }
  });

  it('400 when neither text nor kind is sent', async () => {
    const sessionId = await newSession();
    const res = await json(await h.raw('POST', '/events', JSON.stringify({ sessionId })));
    expect(res).toMatchObject({ status: 400, body: { success: false, error: 'text or kind is required' } });
  });

  it('404 session_not_found for unknown sessions and for another partner’s session', async () => {
    const res = await json(await h.raw('POST', '/events', JSON.stringify({ sessionId: 'sess_unknown', text: 'hi' })));
    expect(res).toMatchObject({
      status: 404,
      body: { success: false, error: 'Session not found.', code: 'session_not_found', details: { sessionId: 'sess_unknown' } },
    });
    const theirs = await newSession();
    const other = new BrekClient({ baseUrl: h.url, apiKey: OTHER_PARTNER_KEY, fetch: contractCheckedFetch(h.violations) });
    const error = await caught(other.sendEvent({ sessionId: theirs, text: 'hi', idempotencyKey: 'k1' }));
    expect(error).toMatchObject({ kind: 'session_not_found', status: 404, code: 'session_not_found', details: { sessionId: theirs } });
    expect(isBrekError(error, 'session_not_found')).toBe(true);
  });

  it('409 when actor.actorId is not the session owner', async () => {
    const sessionId = await newSession('partner_user_001');
    const res = await json(await h.raw('POST', '/events', JSON.stringify({ sessionId, actor: { actorId: 'someone_else' }, text: 'hi' })));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      success: false,
      error: 'actor.actorId does not match the session owner (partner_user_001).',
      requestId: res.requestIdHeader,
    });
    const error = await caught(h.client().sendEvent({ sessionId, actor: { actorId: 'someone_else' }, text: 'hi', idempotencyKey: 'k' }));
    expect(error).toMatchObject({ kind: 'actor_mismatch', status: 409, retryable: false, attempts: 1 });
  });
});

describe('GET /sessions/{sessionId} errors', () => {
  it('400 sessionId is required with the gateway envelope', async () => {
    const res = await json(await h.raw('GET', '/sessions/'));
    expect(res).toMatchObject({
      status: 400,
      body: { success: false, error: 'sessionId is required', code: 'invalid_request', details: null },
    });
  });

  it('404 session_not_found', async () => {
    const error = await caught(h.client().getSession('sess_unknown'));
    expect(error).toMatchObject({ kind: 'session_not_found', status: 404, code: 'session_not_found', details: { sessionId: 'sess_unknown' } });
    expect(error.requestId).toMatch(REQUEST_ID);
  });
});

it('the dev key is the documented default', () => {
  expect(DEV_PARTNER_KEY).toBe('brek_sandbox_dev_key');
});
