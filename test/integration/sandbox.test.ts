// Sandbox behaviour beyond the guides' examples: idempotency, explicit action kinds, the
// payment portal's refusals, multi-turn searches, the admin API and what it serves.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { BrekClient } from '../../core/brek/client.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { escapeHtml } from '../../sandbox/http.ts';
import { TEST_CARDS } from '../../sandbox/portal.ts';
import { useSandbox } from '../support/sandbox.ts';

const h = useSandbox();
let counter = 0;

async function session(client: BrekClient, actorId = `sandbox_user_${++counter}`) {
  const { data } = await client.createSession({ actor: { actorId, timezoneOffsetMinutes: 0 } });
  let n = 0;
  const say = async (text: string) => (await client.sendEvent({ sessionId: data.sessionId, text, idempotencyKey: `t:${data.sessionId}:${++n}` })).data;
  const act = async (kind: string, payload: Record<string, unknown>) =>
    (await client.sendEvent({ sessionId: data.sessionId, kind, payload, idempotencyKey: `t:${data.sessionId}:${++n}` })).data;
  return { sessionId: data.sessionId, say, act };
}

async function attach(setupUrl: string | undefined, card = TEST_CARDS[0]!) {
  const portalToken = new URL(setupUrl ?? 'http://x').searchParams.get('token');
  return fetch(`${h.url}/v1/hotel-ea/payment-methods/attach`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ portalToken, paymentMethodId: card.paymentMethodId, cardBrand: card.brand, cardLast4: card.last4, expMonth: card.expMonth, expYear: card.expYear }),
  });
}

/** Search, pick, name, set up a card and arrive at the consent question. */
async function toConsent(client: BrekClient, search = 'vegas tomorrow refundable') {
  const s = await session(client);
  const list = await s.say(search);
  await s.say('book option 1');
  const named = await s.say('John Doe');
  await attach(named.result.artifacts.payment?.setupUrl);
  const consent = await s.say('done');
  expect(consent.result.status).toBe('payment_confirmation_required');
  return { ...s, list, consent };
}

describe('idempotency', () => {
  it('a repeated key returns the stored response and changes nothing', async () => {
    const client = h.client();
    const s = await toConsent(client);
    const first = await client.sendEvent({ sessionId: s.sessionId, text: 'yes', idempotencyKey: 'confirm-once' });
    const again = await client.sendEvent({ sessionId: s.sessionId, text: 'yes', idempotencyKey: 'confirm-once' });
    expect(first.data.result.status).toBe('booked');
    expect(again.data).toEqual(first.data);
    const bookings = [...h.sandbox.world.bookings.values()].filter((b) => b.sessionId === s.sessionId);
    expect(bookings).toHaveLength(1);
    const snapshot = await client.getSession(s.sessionId);
    expect(snapshot.data.events.filter((e) => e.resultStatus === 'booked')).toHaveLength(1);
  });

  it('optionIds are stable for the same session, hotel and dates, and differ across sessions', async () => {
    const client = h.client();
    const s = await session(client);
    const ids = async (text: string) => ((await s.say(text)).result.artifacts.shortlist ?? []).map((o) => o.optionId);
    const first = await ids('seattle Mar 20-23');
    expect(await ids('seattle Mar 20-23')).toEqual(first);
    expect(await ids('seattle Mar 20-24')).not.toEqual(first);
    const other = await session(client);
    const theirs = ((await other.say('seattle Mar 20-23')).result.artifacts.shortlist ?? []).map((o) => o.optionId);
    expect(theirs.some((id) => first.includes(id))).toBe(false);
  });

  it('keys are scoped to their session', async () => {
    const client = h.client();
    const a = await client.createSession({ actor: { actorId: 'scope_a' } });
    const b = await client.createSession({ actor: { actorId: 'scope_b' } });
    const ra = await client.sendEvent({ sessionId: a.data.sessionId, text: 'seattle tomorrow', idempotencyKey: 'same' });
    const rb = await client.sendEvent({ sessionId: b.data.sessionId, text: 'boston tomorrow', idempotencyKey: 'same' });
    expect(ra.data.result.messageText).toContain('Seattle');
    expect(rb.data.result.messageText).toContain('Boston');
  });
});

describe('explicit action kinds', () => {
  it('action_confirm_payment_card books with the named card; booked needs consent first', async () => {
    const client = h.client();
    const early = await session(client);
    const list = await early.say('vegas tomorrow');
    const optionId = list.result.artifacts.shortlist?.[0]?.optionId;
    await early.act('action_book_option', { optionId });
    const refused = await early.act('action_confirm_payment_card', { paymentMethodId: 'pm_card_visa' });
    expect(refused.result.status).toBe('error'); // no consent step reached: never booked

    const s = await toConsent(client);
    const booked = await s.act('action_confirm_payment_card', { paymentMethodId: s.consent.result.artifacts.payment?.paymentMethodId });
    expect(booked.event.kind).toBe('action_confirm_payment_card');
    expect(booked.result.status).toBe('booked');
  });

  it('command_book_by_option_id starts a booking like action_book_option; unknown options are an error', async () => {
    const client = h.client();
    const s = await session(client);
    const list = await s.say('paris tomorrow for 2 nights');
    const started = await s.act('command_book_by_option_id', { optionId: list.result.artifacts.shortlist?.[0]?.optionId });
    expect(started.result.status).toBe('guest_name_required');
    const unknown = await s.act('action_book_option', { optionId: '00000000-0000-5000-8000-000000000000' });
    expect(unknown.result).toMatchObject({ status: 'error', messageText: 'That option is no longer available. Please search again.' });
  });

  it('action_cancel_booking cancels a refundable booking once, and refuses a non-refundable one', async () => {
    const client = h.client();
    const s = await toConsent(client, 'vegas tomorrow refundable');
    const booked = await s.say('yes');
    const bookingId = booked.result.artifacts.booking?.bookingId;
    const cancelled = await s.act('action_cancel_booking', { bookingId });
    expect(cancelled.result.status).toBe('booking_cancelled');
    expect(cancelled.result.artifacts.booking).toMatchObject({ bookingId, status: 'cancelled' });
    const twice = await s.act('action_cancel_booking', { bookingId });
    expect(twice.result).toMatchObject({ status: 'error', messageText: `Booking ${bookingId} is already cancelled.` });

    const strict = await session(client);
    const list = await strict.say('vegas tomorrow');
    const nonRefundable = list.result.artifacts.shortlist?.findIndex((o) => o.refundable === false) ?? -1;
    expect(nonRefundable).toBeGreaterThanOrEqual(0);
    await strict.say(`book option ${nonRefundable + 1}`);
    await strict.say('Jane Roe'); // the actor has no card yet
    expect((await strict.say('done')).result.status).toBe('payment_setup_required');
  });

  it('action_confirm_price_change without a pending price change is an error result', async () => {
    const s = await session(h.client());
    const result = await s.act('action_confirm_price_change', {});
    expect(result.result.status).toBe('error');
  });

  it('rejects unknown kinds and missing payload fields with 400', async () => {
    const s = await session(h.client());
    const res = await h.raw('POST', '/events', JSON.stringify({ sessionId: s.sessionId, kind: 'action_book_option', payload: {}, idempotencyKey: 'x' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('payload.optionId is required for kind=action_book_option');
    const bad = await h.raw('POST', '/events', JSON.stringify({ sessionId: s.sessionId, kind: 'teleport', idempotencyKey: 'y' }));
    expect(((await bad.json()) as { error: string }).error).toBe('Unsupported kind=teleport');
  });
});

describe('conversation', () => {
  it('gathers a search over several turns and asks for what is missing', async () => {
    const s = await session(h.client());
    const city = await s.say('I need a hotel in vegas');
    expect(city.result).toMatchObject({ status: 'clarification_required' });
    expect(city.result.messageText).toContain('When would you like to stay in Las Vegas?');
    const dates = await s.say('from tomorrow for 3 nights');
    expect(dates.result.status).toBe('shortlist');
    expect(dates.result.messageText).toContain('Las Vegas');
    const cheaper = await s.say('under $150');
    expect(cheaper.result.status).toBe('shortlist');
    for (const option of cheaper.result.artifacts.shortlist ?? []) expect(option.pricePerNight).toBeLessThanOrEqual(150);
  });

  it('asks for a city first, and answers text it cannot place with help', async () => {
    const s = await session(h.client());
    expect((await s.say('tomorrow for 2 nights')).result.messageText).toBe('Which city would you like to stay in?');
    const help = await s.say('what is the meaning of life');
    expect(help.result.status).toBe('clarification_required');
    expect(help.result.messageText).toContain('I can find and book hotels');
    expect((await s.say('yes')).result.messageText).toContain('nothing waiting for your confirmation');
  });

  it('books by hotel name and by ordinal words', async () => {
    const s = await session(h.client());
    const list = await s.say('seattle tomorrow');
    const second = list.result.artifacts.shortlist?.[1]?.name;
    expect((await s.say('the second one')).result.status).toBe('guest_name_required');
    expect((await s.say(`book ${second}`)).result.status).toBe('guest_name_required');
    expect((await s.say('book option 9')).result.messageText).toMatch(/^Please pick an option from 1 to \d\.$/);
  });

  it('keeps asking for a guest name until it gets one, and lets the traveller back out', async () => {
    const s = await session(h.client());
    await s.say('denver tomorrow');
    await s.say('book option 1');
    const again = await s.say('hmm');
    expect(again.result.status).toBe('guest_name_required');
    const cancelled = await s.say('cancel');
    expect(cancelled.result.status).toBe('error');
  });

  it('never books on "yes" at the payment setup step', async () => {
    const s = await session(h.client());
    await s.say('miami tomorrow');
    await s.say('book option 1');
    await s.say('guest name is Ann Lee');
    const yes = await s.say('yes');
    expect(yes.result.status).toBe('payment_setup_required');
  });
});

describe('payment portal', () => {
  async function setupUrl() {
    const s = await session(h.client());
    await s.say('chicago tomorrow');
    await s.say('book option 1');
    return (await s.say('guest name is John Doe')).result.artifacts.payment?.setupUrl;
  }

  it('refuses raw card numbers anywhere in the body', async () => {
    const url = await setupUrl();
    const res = await fetch(`${h.url}/v1/hotel-ea/payment-methods/attach`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ portalToken: new URL(url!).searchParams.get('token'), cardNumber: '4242 4242 4242 4242', paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 12, expYear: 2030 }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ success: false, code: 'raw_card_data_rejected' });
  });

  it('uses each setup token once; unknown and expired tokens are errors', async () => {
    const url = await setupUrl();
    expect((await attach(url)).status).toBe(200);
    const reused = await attach(url);
    expect(reused.status).toBe(410);
    expect(await reused.json()).toMatchObject({ code: 'portal_token_used' });
    expect((await fetch(url!)).status).toBe(410);

    const unknown = await fetch(`${h.url}/portal/payment?token=psu_1_nothing1`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('not valid');

    const fresh = await setupUrl();
    h.clock.pinned = Date.now() + 31 * 60_000;
    try {
      const expired = await attach(fresh);
      expect(expired.status).toBe(410);
      expect(await expired.json()).toMatchObject({ code: 'portal_token_expired' });
    } finally {
      delete h.clock.pinned;
    }
  });

  it('validates the attach body', async () => {
    const url = await setupUrl();
    const token = new URL(url!).searchParams.get('token');
    const post = (body: unknown) =>
      fetch(`${h.url}/v1/hotel-ea/payment-methods/attach`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ portalToken: token, paymentMethodId: 'card_x', cardBrand: 'visa', cardLast4: '4242', expMonth: 1, expYear: 2030 })).status).toBe(400);
    expect((await post({ portalToken: token, paymentMethodId: 'pm_x', cardBrand: 'visa', cardLast4: '42', expMonth: 1, expYear: 2030 })).status).toBe(400);
    expect((await post({ portalToken: token, paymentMethodId: 'pm_x', cardBrand: 'visa', cardLast4: '4242', expMonth: 1, expYear: 2001 })).status).toBe(400);
    // Nothing above used the token up.
    expect((await attach(url)).status).toBe(200);
  });
});

describe('admin API and extras', () => {
  it('fault settings need the admin key and are validated', async () => {
    const noKey = await fetch(`${h.url}/__sandbox/faults`, { method: 'PUT', body: '{}' });
    expect(noKey.status).toBe(403);
    expect((await h.admin('PUT', '/faults', { endpoints: { nope: {} } })).status).toBe(400);
    expect((await h.admin('PUT', '/faults', { endpoints: { sendEvent: { rate5xx: 2 } } })).status).toBe(400);
    const ok = await h.admin('PUT', '/faults', { seed: 7, endpoints: { sendEvent: { latencyMs: 1 } } });
    expect(ok.status).toBe(200);
  });

  it('has no admin API at all without BREK_SANDBOX_ADMIN_KEY', async () => {
    const bare = await startSandbox({ port: 0, host: '127.0.0.1', keys: new Map([['k', 'p']]), rateLimitPerMinute: 120, setupTokenTtlMs: 60_000 });
    try {
      const res = await fetch(`${bare.url}/__sandbox/faults`, { headers: { 'x-sandbox-admin-key': '' } });
      expect(res.status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it('injected latency delays the answer', async () => {
    const s = await session(h.client());
    await h.admin('PUT', '/faults', { endpoints: { sendEvent: { latencyMs: 300 } } });
    const started = performance.now();
    await s.say('austin tomorrow');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('serves the OpenAPI document at the self-host path and hotel detail pages', async () => {
    const served = await (await fetch(`${h.url}/openapi/partner-core-chat-v1.yaml`)).text();
    expect(served).toBe(await readFile(new URL('../../contract/partner-core-chat-v1.openapi.yaml', import.meta.url), 'utf8'));
    const s = await session(h.client());
    const list = await s.say('boston tomorrow');
    const details = await fetch(list.result.artifacts.shortlist?.[0]?.detailsUrl ?? '');
    expect(details.status).toBe(200);
    expect(await details.text()).toContain(escapeHtml(list.result.artifacts.shortlist?.[0]?.name ?? '???'));
  });

  it('refuses bodies over 1 MiB', async () => {
    const res = await h.raw('POST', '/events', JSON.stringify({ sessionId: 'x', text: 'a'.repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
  });
});
