// The turn pipeline end to end through real parts (dynalite + the Brek sandbox over HTTP):
// only accept + processTurn, with a recording channel sender.
import { describe, expect, it } from 'vitest';
import type { InboundTurn, TurnInput } from '../../core/inbound.ts';
import type { Reply } from '../../core/reply.ts';
import type { ItemKey } from '../../core/store/table.ts';
import { processTurn } from '../../core/turn.ts';
import { MESSAGES } from '../../core/wording.ts';
import { DEFAULT_DELIVERY_POLICY } from '../../core/delivery.ts';
import { documentClient } from '../../core/store/table.ts';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { RequestRecord } from '../../sandbox/server.ts';
import { attachTestCard as attachCard } from '../../dev/simulate/payment.ts';
import { TABLE, useCore } from '../support/core.ts';

const h = useCore();
let threads = 0;

/** A traveller in a fresh conversation, talking through accept + processTurn. */
function traveller(actorId = `slack:T1:U${++threads}`, conversationId = `D${threads}`) {
  const thread = { actorId, conversationId };
  return {
    ...thread,
    async say(input: TurnInput | string, extra: Partial<InboundTurn> = {}): Promise<Reply> {
      const turn = h.turn(thread, input, extra);
      const accepted = await h.inbox.accept(turn);
      expect(accepted.outcome).toBe('accepted');
      const before = h.sender.sent.length;
      const outcome = await h.process(accepted.key);
      expect(outcome.outcome).not.toBe('skipped');
      expect(h.sender.sent.length).toBe(before + 1);
      return h.sender.sent.at(-1)!.reply;
    },
  };
}

async function brekRequests(): Promise<RequestRecord[]> {
  const res = await h.sandbox.admin('GET', '/requests');
  return ((await res.json()) as { data: RequestRecord[] }).data;
}

function sandboxSessionsOf(actorId: string) {
  return [...h.sandbox.sandbox.world.sessions.values()].filter((s) => s.actor.actorId === actorId);
}

async function attachTestCard(setupUrl: string | undefined) {
  expect((await attachCard(setupUrl!)).status).toBe(200);
}

describe('the golden path and scenarios through the pipeline', () => {
  it('search → book button → guest name → setup link → done → confirm button → booked', async () => {
    const t = traveller();
    const shortlist = await t.say('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable');
    expect(shortlist.kind).toBe('shortlist');
    expect(shortlist.ownerActorId).toBe(t.actorId);
    expect(shortlist.options[0]).toMatchObject({
      index: 1,
      name: 'Branding Iron Motel',
      pricePerNight: 98.11,
      totalPrice: 110.26,
      currency: 'USD',
      refundable: true,
      rating: 2,
      distanceTo: '2.7 miles from Las Vegas',
    });
    expect(shortlist.options[0]?.detailsUrl).toMatch(/\/book\/hotel\/[0-9a-f]{24}\?/);
    const bookActions = shortlist.actions.filter((a) => a.type === 'book_option');
    expect(bookActions).toHaveLength(shortlist.options.length);
    const first = bookActions[0]!;
    expect(first).toEqual({ type: 'book_option', index: 1, optionId: shortlist.options[0]?.optionId, label: 'Book', style: 'primary', clickLabel: 'Branding Iron Motel' });

    const guestPrompt = await t.say({ type: 'action', action: 'book_option', optionId: first.optionId, ownerActorId: t.actorId });
    expect(guestPrompt).toMatchObject({ kind: 'guest_name_required', actions: [], options: [] });
    expect(guestPrompt.text).toContain('guest name');

    const setup = await t.say('guest name is John Doe');
    expect(setup.kind).toBe('payment_setup_required');
    expect(setup.paymentSetupUrl).toMatch(/\/portal\/payment\?token=psu_/);
    expect(setup.actions).toEqual([
      { type: 'open_url', purpose: 'setup', url: setup.paymentSetupUrl, label: 'Set up payment', textLabel: 'Set up payment', style: 'primary' },
      { type: 'say', text: 'Done', label: 'Done' },
    ]);

    await attachTestCard(setup.paymentSetupUrl);
    const consent = await t.say('done');
    expect(consent.kind).toBe('payment_confirmation_required');
    expect(consent.paymentMethod).toEqual({ paymentMethodId: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 });
    expect(consent.actions).toEqual([
      { type: 'confirm_payment_card', paymentMethodId: 'pm_card_visa', label: 'Yes, use this card', style: 'primary', clickLabel: 'Yes, use this card', typed: 'yes' },
      { type: 'decline_payment', label: 'No', style: 'danger', clickLabel: 'No', typed: 'no' },
    ]);

    const booked = await t.say({ type: 'action', action: 'confirm_payment_card', paymentMethodId: 'pm_card_visa', ownerActorId: t.actorId });
    expect(booked.kind).toBe('booked');
    expect(booked.booking).toMatchObject({ hotelName: 'Branding Iron Motel', totalPrice: 110.26, currency: 'USD' });
    // Brek's UTC instant, as the traveller reads it (no zone known here: UTC, said as such).
    expect(booked.booking?.cancelPolicy).toMatch(/^Refundable until \w{3} 15 May, 1:00 AM UTC$/);
    expect(booked.actions).toEqual([
      { type: 'open_url', purpose: 'booking', url: booked.booking?.confirmationUrl, label: 'View booking', textLabel: 'View your booking' },
      {
        type: 'cancel_booking',
        bookingId: booked.booking?.bookingId,
        label: 'Cancel booking',
        style: 'danger',
        clickLabel: 'Branding Iron Motel',
        typed: 'cancel my booking',
        confirm: { title: 'Cancel this booking?', yes: 'Yes, cancel it', no: 'Keep it' },
      },
    ]);

    // One Brek session for the thread, created with the traveller's timezone.
    const sessions = sandboxSessionsOf(t.actorId);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.actor.timezoneOffsetMinutes).toBe(-420);
    expect(sessions[0]?.workspaceId).toBe('T123');
    // Every event carried a key of the documented shape.
    const keys = (await brekRequests()).filter((r) => r.sessionId === sessions[0]?.sessionId && r.endpoint === 'sendEvent').map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(5);
    for (const key of keys) expect(key).toMatch(new RegExp(`^bridge:${sessions[0]?.sessionId}:(text|action_book_option|action_confirm_payment_card):Ev[0-9a-f-]{12}$`));
  });

  it('scenario A: "done" before the card is attached gets a fresh setup link', async () => {
    const t = traveller();
    await t.say('seattle tomorrow refundable');
    await t.say('book option 1');
    const first = await t.say('Jane Roe');
    const again = await t.say('done');
    expect(again.kind).toBe('payment_setup_required');
    expect(again.paymentSetupUrl).not.toBe(first.paymentSetupUrl);
  });

  it('scenario B and C: a saved card goes straight to consent; "No" stops the booking', async () => {
    const t = traveller();
    await t.say('boston tomorrow');
    await t.say('book option 1');
    await attachTestCard((await t.say('Ann Lee')).paymentSetupUrl);
    await t.say('done');
    const booked = await t.say('yes');
    expect(booked.kind).toBe('booked');

    await t.say('boston tomorrow for 2 nights');
    await t.say('book option 2');
    const consent = await t.say('Ann Lee');
    expect(consent.kind).toBe('payment_confirmation_required'); // B
    const declined = await t.say({ type: 'action', action: 'decline_payment', ownerActorId: t.actorId });
    expect(declined).toMatchObject({ kind: 'error', text: 'No problem. I will not charge this card or continue this booking.', actions: [] }); // C
  });

  it('a bare number after a shortlist books that option (WhatsApp style)', async () => {
    const t = traveller('whatsapp:0123456789abcdef0123456789abcdef', 'wa-pair-1');
    const list = await t.say('denver tomorrow', { channel: 'whatsapp' });
    const reply = await t.say('2', { channel: 'whatsapp' });
    expect(reply.kind).toBe('guest_name_required');
    const booked = (await brekRequests()).filter((r) => r.kind === 'action_book_option').at(-1);
    expect(booked?.text).toBeUndefined();
    const session = await h.threads.get(t);
    expect(session?.shortlist?.[1]).toBe(list.options[1]?.optionId);
    expect(session?.reference).toEqual({ channel: 'D123' });
    expect(booked?.idempotencyKey).toContain(':action_book_option:');
  });
});

describe('exactly once', () => {
  it('the same channel message accepted 3 times: 1 record, 1 Brek event, 1 reply', async () => {
    const thread = { actorId: `slack:T1:U${++threads}`, conversationId: `D${threads}` };
    const turn = h.turn(thread, 'chicago tomorrow');
    const outcomes = await Promise.all([h.inbox.accept(turn), h.inbox.accept(turn), h.inbox.accept(turn)]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
    const before = h.sender.sent.length;
    const processed = await Promise.all(outcomes.map((o) => h.process(o.key)));
    expect(processed.filter((p) => p.outcome === 'replied')).toHaveLength(1);
    expect(h.sender.sent.length - before).toBe(1);
    const [session] = sandboxSessionsOf(thread.actorId);
    expect(session?.events).toHaveLength(1);
    // A later redelivery is still a duplicate, and processing a replied record does nothing.
    expect((await h.inbox.accept(turn)).outcome).toBe('duplicate');
    expect(await h.process(outcomes[0]!.key)).toEqual({ outcome: 'skipped' });
  });

  it('a thread another turn still holds is busy (retried later), not skipped', async () => {
    const thread = { actorId: `slack:T1:U${++threads}`, conversationId: `D${threads}` };
    const { key } = await h.inbox.accept(h.turn(thread, 'chicago tomorrow'));
    const other = await h.threads.claimTurn({ channel: 'slack', ...thread }, 'another-turn', { leaseMs: 60_000, token: 'another-attempt' });
    expect(other.thread?.leaseKey).toBe('another-turn');
    expect(await h.process(key)).toEqual({ outcome: 'busy' });
    h.clock.offsetMs = 61_000; // the first worker's lease ran out (it crashed or timed out)
    try {
      expect(await h.process(key)).toMatchObject({ outcome: 'replied' });
    } finally {
      h.clock.offsetMs = 0;
    }
  });

  it('50 concurrent first turns of one actor in one conversation make exactly 1 Brek session', async () => {
    const thread = { actorId: `slack:T1:U${++threads}`, conversationId: `D${threads}` };
    const turns = Array.from({ length: 50 }, () => h.turn(thread, 'hello'));
    const keys = await Promise.all(turns.map(async (t) => (await h.inbox.accept(t)).key));
    // As Lambda does, a turn that finds its thread busy is tried again a little later.
    const untilSettled = async (key: ItemKey) => {
      for (;;) {
        const outcome = await h.process(key);
        if (outcome.outcome !== 'busy') return outcome;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      }
    };
    const outcomes = await Promise.all(keys.map(untilSettled));
    expect(outcomes.filter((o) => o.outcome === 'replied')).toHaveLength(50);
    expect(sandboxSessionsOf(thread.actorId)).toHaveLength(1);
    expect(sandboxSessionsOf(thread.actorId)[0]?.events).toHaveLength(50);
  });

  it('two workspaces with the same raw user id are two actors with two sessions', async () => {
    const a = traveller('slack:TA:U777', 'D777');
    const b = traveller('slack:TB:U777', 'D777');
    await a.say('austin tomorrow');
    await b.say('austin tomorrow');
    expect(sandboxSessionsOf('slack:TA:U777')).toHaveLength(1);
    expect(sandboxSessionsOf('slack:TB:U777')).toHaveLength(1);
    expect(sandboxSessionsOf('slack:TA:U777')[0]?.sessionId).not.toBe(sandboxSessionsOf('slack:TB:U777')[0]?.sessionId);
  });
});

describe('sessions', () => {
  it('recovers from session_not_found: a new session and the turn replayed once', async () => {
    const t = traveller();
    await t.say('miami tomorrow');
    const [lost] = sandboxSessionsOf(t.actorId);
    h.sandbox.sandbox.world.sessions.delete(lost!.sessionId);
    const reply = await t.say('miami tomorrow for 2 nights');
    expect(reply.kind).toBe('shortlist');
    const [fresh] = sandboxSessionsOf(t.actorId);
    expect(fresh?.sessionId).not.toBe(lost?.sessionId);
    expect(fresh?.events).toHaveLength(1);
    const record = await h.threads.get(t);
    expect(record?.sessionId).toBe(fresh?.sessionId);
  });

  it('replaces a session idle longer than SESSION_IDLE_HOURS', async () => {
    const t = traveller();
    await t.say('denver tomorrow');
    h.clock.offsetMs = 25 * 3_600_000;
    try {
      await t.say('denver tomorrow');
    } finally {
      h.clock.offsetMs = 0;
    }
    expect(sandboxSessionsOf(t.actorId)).toHaveLength(2);
  });
});

describe('faults', () => {
  it('Brek answering 503 twice then 200: one event, the same key on every try', async () => {
    const t = traveller();
    await t.say('seattle tomorrow');
    await h.sandbox.admin('PUT', '/faults', { endpoints: { sendEvent: { script: [{ status: 503 }, { status: 503 }] } } });
    const reply = await t.say('seattle tomorrow for 3 nights');
    expect(reply.kind).toBe('shortlist');
    const [session] = sandboxSessionsOf(t.actorId);
    const tries = (await brekRequests()).filter((r) => r.sessionId === session?.sessionId && r.text === 'seattle tomorrow for 3 nights');
    expect(tries.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(tries.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(session?.events).toHaveLength(2);
  });

  it('Brek down for good: the record is failed, the traveller gets an apology, nothing is thrown', async () => {
    const t = traveller();
    await h.sandbox.admin('PUT', '/faults', { endpoints: { createSession: { rate5xx: 1 }, sendEvent: { rate5xx: 1 } } });
    const turn = h.turn(t, 'paris tomorrow');
    const { key } = await h.inbox.accept(turn);
    const outcome = await h.process(key);
    expect(outcome).toMatchObject({ outcome: 'failed', status: 'bridge_apology' });
    expect(h.sender.sent.at(-1)?.reply.text).toBe(MESSAGES.busy);
    const record = await h.inbox.get(key);
    expect(record).toMatchObject({ state: 'failed', replyStatus: 'bridge_apology' });
    expect(record?.lastError).toContain('503');
    expect(await h.outcome(key)).toMatchObject({ state: 'failed', status: 'bridge_apology' });

    // Replayable once Brek is back.
    await h.sandbox.admin('DELETE', '/faults');
    expect(await h.process(key)).toEqual({ outcome: 'skipped' }); // failed is not picked up by accident
    const replay = await h.process(key, {}, { replayFailed: true });
    expect(replay).toMatchObject({ outcome: 'replied', status: 'shortlist' });
  });

  it('Brek unreachable (network) ends the same way', async () => {
    const t = traveller();
    const { key } = await h.inbox.accept(h.turn(t, 'rome tomorrow'));
    const outcome = await h.process(key, { brek: { baseUrl: 'http://127.0.0.1:9', retry: { maxAttempts: 2, baseDelayMs: 1 } } });
    expect(outcome.outcome).toBe('failed');
    expect(h.sender.sent.at(-1)?.reply.text).toBe(MESSAGES.busy);
  });

  it('a rejected partner key is not retried: generic message, failed record, logged with the request id', async () => {
    const t = traveller();
    const { key } = await h.inbox.accept(h.turn(t, 'rome tomorrow'));
    const outcome = await h.process(key, { brek: { apiKey: 'revoked-key' } });
    expect(outcome).toMatchObject({ outcome: 'failed', status: 'bridge_unavailable' });
    expect(h.sender.sent.at(-1)?.reply.text).toBe(MESSAGES.unavailable);
    const line = h.logs.records().find((r) => r.msg === 'brek rejected our credentials' && r.channelMessageId);
    expect(line).toMatchObject({ level: 'error', kind: 'auth', status: 403, code: 'invalid_partner_api_key' });
    expect(line?.brekRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(h.logs.lines)).not.toContain('revoked-key');
  });

  it('a failed send is retried without asking Brek again', async () => {
    const t = traveller();
    await t.say('tokyo tomorrow');
    const [session] = sandboxSessionsOf(t.actorId);
    h.sender.failuresLeft = 2;
    const reply = await t.say('tokyo tomorrow for 2 nights');
    expect(reply.kind).toBe('shortlist');
    expect(session?.events).toHaveLength(2);

    // Send failing for good (every post of the delivery refused): failed, and a replay re-sends the stored result — still no new event.
    h.sender.failuresLeft = DEFAULT_DELIVERY_POLICY.maxPosts;
    const { key } = await h.inbox.accept(h.turn(t, 'tokyo tomorrow for 3 nights'));
    expect((await h.process(key)).outcome).toBe('failed');
    expect((await h.inbox.get(key))?.lastError).toContain('send: channel said no');
    expect(await h.process(key, {}, { replayFailed: true })).toMatchObject({ outcome: 'replied', status: 'shortlist' });
    expect(session?.events).toHaveLength(3);
  });
});

describe('forget me', () => {
  const itemsOf = async (actorId: string) => {
    const { Items = [] } = await documentClient({ endpoint: h.dynamo.endpoint }).send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
    return Items.filter((item) => JSON.stringify(item).includes(actorId));
  };

  it('erases every conversation of the actor, answers without Brek, and records no outcome', async () => {
    const t = traveller();
    await t.say('lisbon tomorrow');
    const other = traveller(t.actorId, 'C1:1700000000.000100');
    await other.say('porto tomorrow');
    expect(await itemsOf(t.actorId)).toHaveLength(4);
    const before = (await brekRequests()).length;
    const reply = await t.say({ type: 'keyword', keyword: 'forget' });
    expect(reply).toMatchObject({ kind: 'text', status: 'bridge_forgotten', text: MESSAGES.forgotten });
    expect((await brekRequests()).length).toBe(before);
    expect(await itemsOf(t.actorId)).toEqual([]);
  });

  it('a confirmation the channel refuses is only logged: the data is erased all the same', async () => {
    const t = traveller();
    await t.say('madrid tomorrow');
    h.sender.failuresLeft = DEFAULT_DELIVERY_POLICY.maxPosts;
    const { key } = await h.inbox.accept(h.turn(t, { type: 'keyword', keyword: 'forget' }));
    expect(await h.process(key)).toMatchObject({ outcome: 'failed', status: 'bridge_forgotten' });
    expect(await itemsOf(t.actorId)).toEqual([]);
  });

  it('an erase that fails frees the thread and says nothing; the retry erases and answers once', async () => {
    const t = traveller();
    await t.say('rome tomorrow');
    const { key, record } = await h.inbox.accept(h.turn(t, { type: 'keyword', keyword: 'forget' }));
    const deps = h.deps();
    const failing = Object.create(deps.threads, { eraseActor: { value: async () => Promise.reject(new Error('table unreachable (test)')) } });
    const sent = h.sender.sent.length;
    await expect(processTurn(record, { ...deps, threads: failing })).rejects.toThrow('table unreachable');
    expect(h.sender.sent.length).toBe(sent);
    expect((await h.threads.get(t))?.leaseKey).toBeUndefined();
    expect(await h.process(key)).toMatchObject({ outcome: 'replied', status: 'bridge_forgotten' });
    expect(h.sender.sent.length).toBe(sent + 1);
    expect(await itemsOf(t.actorId)).toEqual([]);
  });
});

describe('guards', () => {
  it('a card number is never stored, sent to Brek or logged; the traveller is pointed to the link', async () => {
    const t = traveller();
    const before = (await brekRequests()).length;
    const turn = h.turn(t, 'my card is 4242 4242 4242 4242 exp 12/30');
    const { key } = await h.inbox.accept(turn);
    const stored = await h.inbox.get(key);
    expect(stored?.input).toEqual({ type: 'text', text: 'my card is [card number removed] exp 12/30' });
    expect(stored?.cardNumberRemoved).toBe(true);
    await h.process(key);
    expect(h.sender.sent.at(-1)?.reply).toMatchObject({ status: 'bridge_card_number_refused', text: MESSAGES.cardNumber });
    expect((await brekRequests()).length).toBe(before);
    expect(JSON.stringify(h.logs.lines)).not.toMatch(/4242 ?4242/);
  });

  it('a button clicked by someone else is refused politely without calling Brek', async () => {
    const t = traveller();
    const list = await t.say('seattle tomorrow');
    const before = (await brekRequests()).length;
    const intruder = traveller(`slack:T1:U${++threads}`, t.conversationId);
    const reply = await intruder.say({ type: 'action', action: 'book_option', optionId: list.options[0]!.optionId!, ownerActorId: t.actorId });
    expect(reply).toMatchObject({ status: 'bridge_not_your_button', text: MESSAGES.notYourButton });
    expect((await brekRequests()).length).toBe(before);
  });

  it('media-only messages get a text-only answer', async () => {
    const reply = await traveller().say({ type: 'unsupported', what: 'images' });
    expect(reply.text).toBe(MESSAGES.unsupported('images'));
  });

  it('every log line of a turn carries the channel message id and actor id; Brek lines the request id and traceId', async () => {
    const t = traveller();
    const turn = h.turn(t, 'nashville tomorrow');
    const { key } = await h.inbox.accept(turn);
    await h.process(key);
    const lines = h.logs.records().filter((r) => r.channelMessageId === turn.channelMessageId);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.actorId).toBe(t.actorId);
    const brek = lines.find((l) => l.msg === 'brek event');
    expect(brek?.brekRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(brek?.traceId).toMatch(/^demo-tenant:partner_api:slack:sess_/);
  });
});

describe('wiring from configuration', () => {
  it('createCore builds the same pipeline from the environment contract', async () => {
    const { loadCoreConfig } = await import('../../core/config.ts');
    const { createCore } = await import('../../core/bridge.ts');
    const { processTurn } = await import('../../core/turn.ts');
    const { TABLE } = await import('../support/core.ts');
    const config = loadCoreConfig(
      {
        BREK_BASE_URL: h.sandbox.url,
        BREK_PARTNER_API_KEY: 'brek_sandbox_dev_key',
        TABLE_NAME: TABLE,
        AWS_ENDPOINT_URL_DYNAMODB: h.dynamo.endpoint,
        ACTOR_ID_SECRET: 'a-secret-of-16-chars',
        IDEMPOTENCY_PREFIX: 'acme',
      },
      'deployed',
    );
    const core = createCore(config, { logger: (await import('../../core/log.ts')).createLogger({ sink: h.logs.sink }) });
    const thread = { actorId: `teams:tenant:${++threads}`, conversationId: `conv-${threads}` };
    const { record } = await core.inbox.accept(h.turn(thread, 'portland tomorrow', { channel: 'teams' }));
    expect(await processTurn(record, core.turnDeps({ teams: h.sender }))).toEqual({ outcome: 'replied', status: 'shortlist' });
    const request = (await brekRequests()).find((r) => r.text === 'portland tomorrow');
    expect(request?.idempotencyKey).toMatch(/^acme:sess_\d+_[a-z0-9]{8}:text:Ev/);
  });
});
