// The guides' golden path (steps 0–6 with 3.5) and scenarios A, B and C, replayed through the
// client against the running sandbox. Fields are compared one by one; ids and timestamps only
// by shape.
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrekClient } from '../../core/brek/client.ts';
import { useSandbox } from '../support/sandbox.ts';

const h = useSandbox();
/** The golden path was captured on February 18, 2026; dates in it are read from that day. */
const CAPTURE_TIME = Date.parse('2026-02-18T23:22:33.407Z');

const SESSION_ID = /^sess_\d{13}_[a-z0-9]{8}$/;
const EVENT_ID = /^evt_\d{13}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SETUP_URL = (base: string) => new RegExp(`^${base.replace(/[.]/g, '\\.')}/portal/payment\\?token=psu_\\d{13}_[a-z0-9]{8}$`);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function attachCard(portalToken: string) {
  // Step 3.5, the guide's body verbatim but for the token.
  const res = await fetch(`${h.url}/v1/hotel-ea/payment-methods/attach`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      portalToken,
      paymentMethodId: 'pm_card_visa',
      cardBrand: 'visa',
      cardLast4: '4242',
      expMonth: 12,
      expYear: 2030,
      setAsDefault: true,
    }),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

const tokenOf = (setupUrl: string | undefined) => new URL(setupUrl ?? 'http://x').searchParams.get('token') ?? '';

async function reachGuestName(client: BrekClient, actorId: string) {
  const { data: session } = await client.createSession({ actor: { actorId, timezoneOffsetMinutes: -420 }, channel: { workspaceId: 'partner-demo' }, conversation: { channelId: 'partner-chat' } });
  const id = session.sessionId;
  await client.sendEvent({ sessionId: id, text: 'find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable', idempotencyKey: `demo:${id}:search:001` });
  const intent = await client.sendEvent({ sessionId: id, text: 'can you help me book option 1', idempotencyKey: `demo:${id}:book:001` });
  expect(intent.data.result.status).toBe('guest_name_required');
  return id;
}

describe('golden path: no saved card to booked', () => {
  beforeAll(() => {
    h.clock.pinned = CAPTURE_TIME;
  });

  it('walks steps 0 to 6 with the documented statuses, messages and artifacts', async () => {
    const client = h.client();

    // Step 0
    const created = await client.createSession({
      actor: { actorId: 'partner_golden_user_done', timezoneOffsetMinutes: -420 },
      channel: { workspaceId: 'partner-demo' },
      conversation: { channelId: 'partner-chat' },
    });
    const session = created.data;
    const sessionId = session.sessionId;
    expect(sessionId).toMatch(SESSION_ID);
    expect(session).toEqual({
      sessionId,
      tenantId: 'demo-tenant',
      channel: { type: 'partner_api', workspaceId: 'partner-demo' },
      conversation: { id: `partner-chat:${sessionId}`, channelId: 'partner-chat', threadTs: sessionId },
      actor: { actorId: 'partner_golden_user_done', timezoneOffsetMinutes: -420 },
      createdAt: '2026-02-18T23:22:33.407Z',
      updatedAt: '2026-02-18T23:22:33.407Z',
      events: [],
    });
    expect(created.meta).toMatchObject({ status: 200, partnerId: 'demo', rateLimit: { limit: 10_000 } });
    expect(created.meta.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    // Step 1
    const search = await client.sendEvent({
      sessionId,
      text: 'find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable',
      idempotencyKey: `demo:${sessionId}:search:001`,
    });
    expect(search.data.sessionId).toBe(sessionId);
    expect(search.data.event.id).toMatch(EVENT_ID);
    expect(search.data.event.kind).toBe('search_query');
    expect(search.data.result.traceId).toBe(`demo-tenant:partner_api:partner-chat:${sessionId}:${search.data.event.id}`);
    expect(search.data.result.status).toBe('shortlist');
    expect(search.data.result.messageText).toBe(
      'I found options matching your request in Las Vegas. Matched core filters: refundable only. Sorted by lowest total price first.',
    );
    const shortlist = search.data.result.artifacts.shortlist ?? [];
    expect(shortlist.length).toBeGreaterThan(1);
    const first = shortlist[0]!;
    expect(first.optionId).toMatch(UUID);
    expect(first).toMatchObject({
      name: 'Branding Iron Motel',
      pricePerNight: 98.11,
      totalPrice: 110.26,
      currency: 'USD',
      refundable: true,
      rating: 2,
      distanceTo: '2.7 miles from Las Vegas',
    });
    expect(first.detailsUrl).toMatch(new RegExp(`^${h.url}/book/hotel/[0-9a-f]{24}\\?`));
    for (const option of shortlist) {
      expect(option.refundable).toBe(true);
      expect(Object.keys(option).sort()).toEqual(
        ['currency', 'detailsUrl', 'distanceTo', 'name', 'optionId', 'pricePerNight', 'rating', 'refundable', 'totalPrice'],
      );
    }
    const totals = shortlist.map((o) => o.totalPrice ?? 0);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));

    // Step 2 (the guide sends no key; the bridge always does, which the API allows)
    const intent = await client.sendEvent({ sessionId, text: 'can you help me book option 1', idempotencyKey: `demo:${sessionId}:book:001` });
    expect(intent.data.result.status).toBe('guest_name_required');
    expect(intent.data.result.messageText).toBe(
      'Before I book, I need the check-in guest name for room 1: first name + last name exactly as shown on an official ID.',
    );
    expect(intent.data.result.artifacts).toEqual({});

    // Step 3
    const guest = await client.sendEvent({ sessionId, text: 'guest name is John Doe', idempotencyKey: `demo:${sessionId}:guest:001` });
    expect(guest.data.result.status).toBe('payment_setup_required');
    const setupUrl = guest.data.result.artifacts.payment?.setupUrl;
    expect(setupUrl).toMatch(SETUP_URL(h.url));
    expect(guest.data.result.artifacts).toEqual({ payment: { setupUrl } });
    expect(guest.data.result.messageText).toBe(
      `No payment method is set up for this account. Please add a card before booking. Set up here: ${setupUrl}\nPlease reply "Done" once you finished set up.`,
    );

    // Step 3.5
    const portal = await fetch(setupUrl!);
    expect(portal.status).toBe(200);
    expect(await portal.text()).toContain('VISA •••• 4242');
    const attached = await attachCard(tokenOf(setupUrl));
    expect(attached).toEqual({
      status: 200,
      body: {
        data: {
          status: 'ATTACHED',
          paymentMethod: { paymentMethodId: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 },
        },
        message: 'success',
      },
    });

    // Step 4 (the guide's "Step 5" in the quickstart numbering)
    const done = await client.sendEvent({ sessionId, text: 'Done', idempotencyKey: `demo:${sessionId}:done:001` });
    expect(done.data.result.status).toBe('payment_confirmation_required');
    expect(done.data.result.messageText).toBe('I found your updated card: VISA **** 4242. Use this card to continue booking?');
    expect(done.data.result.artifacts).toEqual({
      payment: { paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 12, expYear: 2030 },
    });

    // Step 5/6
    const booked = await client.sendEvent({ sessionId, text: 'yes, use this card', idempotencyKey: `demo:${sessionId}:confirm:001` });
    expect(booked.data.result.status).toBe('booked');
    expect(booked.data.result.messageText).toBe('Booked Branding Iron Motel.');
    const booking = booked.data.result.artifacts.booking!;
    expect(booking.bookingId).toMatch(/^[A-Z0-9]{6}$/);
    expect(booking.confirmationBookingId).toMatch(/^[0-9a-f]{24}$/);
    expect(booking).toEqual({
      bookingId: booking.bookingId,
      confirmationBookingId: booking.confirmationBookingId,
      hotelName: 'Branding Iron Motel',
      totalPrice: 110.26,
      currency: 'USD',
      confirmationUrl: `${h.url}/my-bookings/${booking.confirmationBookingId}`,
      cancelPolicy: 'Refundable until 2026-05-15T01:00:00Z',
    });
    const confirmation = await fetch(booking.confirmationUrl!);
    expect(confirmation.status).toBe(200);
    expect(await confirmation.text()).toContain('John Doe');

    // The snapshot has the whole history.
    const snapshot = await client.getSession(sessionId);
    expect(snapshot.data.sessionId).toBe(sessionId);
    expect(snapshot.data.tenantId).toBe('demo-tenant');
    expect(snapshot.data.actor).toEqual({ actorId: 'partner_golden_user_done' });
    expect(snapshot.data.events.map((e) => [e.kind, e.resultStatus])).toEqual([
      ['search_query', 'shortlist'],
      ['booking_intent', 'guest_name_required'],
      ['guest_name', 'payment_setup_required'],
      ['payment_setup_done', 'payment_confirmation_required'],
      ['payment_confirmation', 'booked'],
    ]);
    for (const event of snapshot.data.events) {
      expect(event.eventId).toMatch(EVENT_ID);
      expect(event.recordedAt).toMatch(ISO);
    }
  });

  it('scenario A: "Done" before the card is attached gives a new setup link', async () => {
    const client = h.client();
    const sessionId = await reachGuestName(client, 'scenario_a_user');
    const guest = await client.sendEvent({ sessionId, text: 'guest name is John Doe', idempotencyKey: `demo:${sessionId}:guest:001` });
    const firstUrl = guest.data.result.artifacts.payment?.setupUrl;

    const done = await client.sendEvent({ sessionId, text: 'Done', idempotencyKey: `demo:${sessionId}:done:001` });
    expect(done.data.result.status).toBe('payment_setup_required');
    const secondUrl = done.data.result.artifacts.payment?.setupUrl;
    expect(secondUrl).toMatch(SETUP_URL(h.url));
    expect(secondUrl).not.toBe(firstUrl);
    expect(done.data.result.messageText).toBe(
      `Sure, you can update your payment method here: ${secondUrl}\nAfter setup, reply "done" in this thread and I will verify the new card before booking.`,
    );
  });

  it('scenario B: a traveller with a saved card goes straight to confirmation', async () => {
    const client = h.client();
    // The saved card comes from an earlier booking journey of the same actor.
    const earlier = await reachGuestName(client, 'scenario_b_user');
    const guest = await client.sendEvent({ sessionId: earlier, text: 'guest name is Jane Doe', idempotencyKey: `demo:${earlier}:guest:001` });
    expect((await attachCard(tokenOf(guest.data.result.artifacts.payment?.setupUrl))).status).toBe(200);

    const sessionId = await reachGuestName(client, 'scenario_b_user');
    const named = await client.sendEvent({ sessionId, text: 'guest name is Jane Doe', idempotencyKey: `demo:${sessionId}:guest:001` });
    expect(named.data.result.status).toBe('payment_confirmation_required');
    expect(named.data.result.messageText).toBe('Are you ok to pay with VISA **** 4242?');
    expect(named.data.result.artifacts).toEqual({
      payment: { paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 12, expYear: 2030 },
    });
  });

  it('scenario C: declining the payment confirmation stops the booking', async () => {
    const client = h.client();
    const sessionId = await reachGuestName(client, 'scenario_b_user'); // has the saved card
    await client.sendEvent({ sessionId, text: 'guest name is Jane Doe', idempotencyKey: `demo:${sessionId}:guest:001` });
    const declined = await client.sendEvent({ sessionId, text: 'no', idempotencyKey: `demo:${sessionId}:decline:001` });
    expect(declined.data.result.status).toBe('error');
    expect(declined.data.result.messageText).toBe('No problem. I will not charge this card or continue this booking.');
    expect(declined.data.result.artifacts).toEqual({});
    // Booking is not continued: a later "yes" books nothing.
    const yes = await client.sendEvent({ sessionId, text: 'yes', idempotencyKey: `demo:${sessionId}:yes:001` });
    expect(yes.data.result.status).not.toBe('booked');
    expect([...h.sandbox.world.bookings.values()].filter((b) => b.sessionId === sessionId)).toEqual([]);
  });
});

describe('quickstart examples', () => {
  it('"Seattle Mar 20-23 1 room refundable" lists Inn at the Market as in the quickstart', async () => {
    h.clock.pinned = CAPTURE_TIME;
    const client = h.client();
    const { data } = await client.createSession({
      actor: { actorId: 'partner_user_001', timezoneOffsetMinutes: -480 },
      channel: { workspaceId: 'partner-workspace' },
      conversation: { channelId: 'partner-chat' },
    });
    const event = await client.sendEvent({
      sessionId: data.sessionId,
      actor: { actorId: 'partner_user_001' },
      text: 'Seattle Mar 20-23 1 room refundable',
      idempotencyKey: `demo:${data.sessionId}:search:001`,
    });
    expect(event.data.result.status).toBe('shortlist');
    expect(event.data.result.messageText.startsWith('I found options matching your request in Seattle.')).toBe(true);
    expect(event.data.result.artifacts.shortlist?.[0]).toMatchObject({
      name: 'Inn at the Market',
      pricePerNight: 276.66,
      totalPrice: 980.67,
      currency: 'USD',
      refundable: true,
      rating: 4.8,
    });
  });

  it('the explicit action example books by optionId', async () => {
    const client = h.client();
    const { data } = await client.createSession({ actor: { actorId: 'partner_user_002' } });
    const search = await client.sendEvent({ sessionId: data.sessionId, text: 'find me a refundable vegas hotel tomorrow', idempotencyKey: 'k:search' });
    const optionId = search.data.result.artifacts.shortlist?.[1]?.optionId ?? '';
    const booked = await client.sendEvent({
      sessionId: data.sessionId,
      kind: 'action_book_option',
      payload: { optionId },
      idempotencyKey: `demo:${data.sessionId}:book:001`,
    });
    expect(booked.data.event.kind).toBe('action_book_option');
    expect(booked.data.result.status).toBe('guest_name_required');
  });
});
