// Delivery guarantees through the local stack's real routes, per channel: retry storms, per-thread
// ordering and concurrency. Each test prints its figure and asserts it.
import { describe, expect, it } from 'vitest';
import { CITIES } from '../../sandbox/gazetteer.ts';
import { useStack } from '../support/stack.ts';
import { brekEvents, CHANNELS, shuffled, traveller, type Traveller } from '../support/travellers.ts';

const h = useStack();
const personal: string[] = [];
const SEED = 20261128;

function travellerFor(channel: (typeof CHANNELS)[number], name: string): Traveller {
  const t = traveller(h, channel, name);
  personal.push(...t.personal);
  return t;
}

const sessionsCreated = () => h.brekExchanges.filter((e) => e.method === 'POST' && e.path.endsWith('/sessions')).length;

describe.each(CHANNELS)('retry storm on %s', (channel) => {
  it('100 distinct messages, each delivered 3 times concurrently and out of order: 100 Brek events, 100 replies', async () => {
    const texts = ['hello', 'seattle tomorrow', 'for 2 nights', 'refundable please'];
    const travellers = Array.from({ length: 25 }, (_, i) => travellerFor(channel, `storm-${channel}-${i}`));
    const messages = travellers.flatMap((t, i) => texts.map((text, j) => t.message(text, `storm-${channel}-${i}-${j}`)));
    const deliveries = shuffled(
      messages.flatMap((message) => [0, 1, 2].map((retry) => () => message.deliver(retry))),
      SEED,
    );
    const eventsBefore = brekEvents(h).length;

    const statuses = await Promise.all(deliveries.map(async (deliver) => (await deliver()).status));
    await h.stack.idle();

    const events = brekEvents(h).length - eventsBefore;
    const replies = travellers.reduce((sum, t) => sum + t.replies().length, 0);
    console.log(`retry storm ${channel}: ${deliveries.length} deliveries, ${messages.length} messages, ${events} Brek events, ${replies} replies`);
    expect(statuses.filter((s) => s === 200)).toHaveLength(300);
    expect(events).toBe(100);
    expect(replies).toBe(100);
    for (const t of travellers) expect(t.replies()).toHaveLength(4);
  });
});

describe.each(CHANNELS)('ordering on %s', (channel) => {
  it('20 turns from one traveller sent as fast as possible reach Brek, and are answered, in order', async () => {
    const t = travellerFor(channel, `order-${channel}`);
    const texts = Array.from({ length: 20 }, (_, i) => `note ${i + 1} for my trip`);
    const before = brekEvents(h).length;
    // Each message is sent the moment the previous one is acknowledged, as a fast typist's are.
    for (const [i, text] of texts.entries()) expect((await t.message(text, `order-${channel}-${i}`).deliver(0)).status).toBe(200);
    await h.stack.idle();

    const seen = brekEvents(h)
      .slice(before)
      .map((e) => (JSON.parse(e.body) as { text?: string }).text)
      .filter((text) => text?.endsWith('for my trip'));
    const inOrder = seen.every((text, i) => text === texts[i]);
    console.log(`ordering ${channel}: 20 turns sent, ${seen.length} reached Brek, ${inOrder ? 'in order' : 'OUT OF ORDER'}, ${t.replies().length} replies`);
    expect(seen).toEqual(texts);
    expect(t.replies()).toHaveLength(20);
  });
});

describe('concurrency', () => {
  it.each(CHANNELS)('50 parallel first turns of one %s traveller make 1 Brek session', async (channel) => {
    const t = travellerFor(channel, `first-${channel}`);
    const before = sessionsCreated();
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => (await t.message(`hello ${i}`, `first-${channel}-${i}`).deliver(0)).status),
    );
    await h.stack.idle();
    const created = sessionsCreated() - before;
    console.log(`concurrency ${channel}: 50 parallel first turns, ${created} Brek session, ${t.replies().length} replies`);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(created).toBe(1);
    expect(t.replies()).toHaveLength(50);
  });

  it('200 travellers in parallel: 200 sessions, and each reply reaches its own traveller', async () => {
    const cities = CITIES.filter((c) => !c.name.includes(',') && c.name !== 'York');
    const travellers = Array.from({ length: 200 }, (_, i) => ({
      t: travellerFor(CHANNELS[i % 3]!, `crowd-${i}`),
      city: cities[i % cities.length]!.name,
    }));
    const before = sessionsCreated();
    await Promise.all(travellers.map(({ t, city }, i) => t.message(`a hotel in ${city} tomorrow`, `crowd-${i}`).deliver(0)));
    await h.stack.idle();

    const created = sessionsCreated() - before;
    // Cross-talk would show as a reply naming someone else's city, or a traveller with 0 or 2 replies.
    const ownAnswers = travellers.filter(({ t, city }) => t.replies().length === 1 && t.replies()[0]!.includes(city)).length;
    console.log(`concurrency crowd: 200 travellers, ${created} sessions, ${ownAnswers} answered about their own city`);
    expect(created).toBe(200);
    expect(ownAnswers).toBe(200);
  });
});

describe('privacy', () => {
  it('no card number, phone number, token or secret in any log line or Brek request of this file', () => {
    const leaks = h.leaks(personal);
    console.log(`privacy storms: ${h.logs.lines.length} log lines, ${h.brekExchanges.length} Brek requests, ${leaks.length} leaks`);
    expect(leaks.slice(0, 5)).toEqual([]);
  });
});
