// Brek failing under the bridge, through the local stack's real routes on all three channels:
// half of Brek's answers 503 or 429 and one in ten timing out (some after Brek did the work).
// Every turn must end replied or failed-with-apology, none lost, every retry of a turn under the
// same idempotency key, and no booking made twice.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { attachTestCard } from '../../dev/simulate/payment.ts';
import type { ThreadRecord } from '../../core/store/threads.ts';
import { THREAD_SK } from '../../core/store/table.ts';
import { useStack } from '../support/stack.ts';
import { brekEvents, CHANNELS, setupLinkIn, traveller, type Traveller } from '../support/travellers.ts';

// Short Brek timeouts so a hung call costs the suite half a second, not ten.
const h = useStack({}, { brek: { retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 400 } } });
const personal: string[] = [];
let sent = 0;

async function say(t: Traveller, text: string): Promise<string | undefined> {
  const before = t.replies().length;
  const res = await t.message(text, `faults-${t.channel}-${sent++}`).deliver(0);
  expect(res.status).toBe(200);
  await h.stack.idle();
  return t.replies().slice(before).at(-1);
}

async function threads(): Promise<ThreadRecord[]> {
  const items: ThreadRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await h.stack.db.worker.send(new ScanCommand({ TableName: h.stack.config.tableName, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as ThreadRecord[]).filter((item) => item.sk === THREAD_SK));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

describe('Brek faults', () => {
  it('50 % 503/429 and 10 % timeouts: every turn replied or apologised for, one key per turn, no double booking', async () => {
    // Ten travellers per channel, each brought to the last step (pay with the card on file?) first.
    const travellers = CHANNELS.flatMap((channel) => Array.from({ length: 10 }, (_, i) => traveller(h, channel, `faults-${channel}-${i}`)));
    for (const t of travellers) personal.push(...t.personal);
    await Promise.all(
      travellers.map(async (t) => {
        await say(t, 'find me a las vegas hotel from 5/15 to 5/16');
        await say(t, '1');
        const setup = await say(t, 'John Doe');
        expect((await attachTestCard(setupLinkIn(setup)!)).status).toBe(200);
        expect(await say(t, 'done')).toMatch(/4242/);
      }),
    );

    await h.faults({
      seed: 8,
      hangMs: 1_000,
      endpoints: Object.fromEntries(
        (['sendEvent', 'createSession'] as const).map((endpoint) => [endpoint, { rate429: 0.25, rate5xx: 0.25, status5xx: 503, hangRate: 0.05, lateRate: 0.05 }]),
      ),
    });
    const eventsBefore = brekEvents(h).length;
    const repliesBefore = travellers.map((t) => t.replies().length);
    // Each traveller: "yes" (the booking itself) and two more turns, all travellers at once.
    const turnTexts = ['yes', 'thanks!', 'what time is check-in?'];
    await Promise.all(travellers.map(async (t) => { for (const text of turnTexts) await say(t, text); }));
    await h.faults(null);

    const turns = travellers.length * turnTexts.length;
    const answered = travellers.reduce((sum, t, i) => sum + t.replies().length - repliesBefore[i]!, 0);
    const apologies = travellers.reduce((sum, t, i) => sum + t.replies().slice(repliesBefore[i]).filter((r) => r.includes('busy right now') || r.includes('went wrong on our side')).length, 0);
    const events = brekEvents(h).slice(eventsBefore);
    const faulted = h.brekExchanges.filter((e) => e.status >= 429).length;
    const timedOut = (await h.brekRequests()).filter((r) => r.fault === 'hang' || r.fault === 'late').length;

    // Every retry of a turn carried the same key and the very same body; no key served two turns.
    const byKey = new Map<string, Set<string>>();
    for (const e of events) byKey.set(e.idempotencyKey, (byKey.get(e.idempotencyKey) ?? new Set()).add(e.body));
    const keysWithTwoBodies = [...byKey.values()].filter((bodies) => bodies.size > 1).length;
    const byTurn = new Map<string, Set<string>>();
    for (const e of events) {
      const turn = e.idempotencyKey.split(':').at(-1)!;
      byTurn.set(turn, (byTurn.get(turn) ?? new Set()).add(e.idempotencyKey));
    }
    const turnsWithTwoKeys = [...byTurn.values()].filter((keys) => keys.size > 1).length;

    // Nothing held, nothing unfinished: every turn this file sent has an outcome on its thread.
    const sentSoFar = sent;
    const records = await threads();
    const outcomes = records.flatMap((r) => Object.values(r.turns ?? {}));
    const held = records.filter((r) => r.leaseKey !== undefined).length;

    // Travellers whose "yes" got an apology say it again once Brek is back; then count bookings.
    for (const [i, t] of travellers.entries()) {
      const yes = t.replies()[repliesBefore[i]!];
      if (!yes?.includes('Booked')) await say(t, 'yes');
    }
    const bookings = [...h.stack.sandbox!.world.bookings.values()];
    const perSession = new Map<string, number>();
    for (const b of bookings) perSession.set(b.sessionId, (perSession.get(b.sessionId) ?? 0) + 1);

    console.log(
      `brek faults: ${turns} turns, ${answered - apologies} replied, ${apologies} failed with apology, ${turns - answered} lost; ` +
        `${events.length} Brek event calls (${faulted} answered 429/5xx, ${timedOut} timed out), ${byTurn.size} turns reached Brek with ${turnsWithTwoKeys} using a second key; ` +
        `${bookings.length} bookings for ${travellers.length} travellers, max ${Math.max(...perSession.values())} per session`,
    );
    expect(answered).toBe(turns);
    expect(apologies).toBeGreaterThan(0); // the faults did bite
    expect(faulted).toBeGreaterThan(0);
    expect(timedOut).toBeGreaterThan(0);
    expect(keysWithTwoBodies).toBe(0);
    expect(turnsWithTwoKeys).toBe(0);
    expect(held).toBe(0);
    expect(outcomes.length).toBe(sentSoFar);
    expect(outcomes.every((o) => o.state === 'replied' || (o.state === 'failed' && o.status.startsWith('bridge_')))).toBe(true);
    expect(bookings).toHaveLength(travellers.length);
    expect(Math.max(...perSession.values())).toBe(1);
  }, 120_000);
});

describe('privacy', () => {
  it('no card number, phone number, token or secret in any log line or Brek request of this file', () => {
    const leaks = h.leaks(personal);
    console.log(`privacy faults: ${h.logs.lines.length} log lines, ${h.brekExchanges.length} Brek requests, ${leaks.length} leaks`);
    expect(leaks.slice(0, 5)).toEqual([]);
  });
});
