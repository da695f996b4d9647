// Overload: more travellers than Brek's quota serves in the time they write. The sandbox at its
// default 120 requests a minute (fixed windows per key, as Brek documents), 153 travellers across
// the three channels, each sending two searches within 45 seconds: 459 Brek requests, about four
// minutes of quota. The bridge paces every call through one schedule in the table
// (core/brek/quota.ts), so turns wait their place instead of meeting 429s and ending in apologies;
// a long wait is told to the traveller once. Real time, no clock tricks: this test takes minutes.
import { describe, expect, it } from 'vitest';
import { CITIES } from '../../sandbox/gazetteer.ts';
import { MESSAGES } from '../../core/wording.ts';
import { mulberry32 } from '../../dev/fakes/faults.ts';
import { useStack } from '../support/stack.ts';
import { CHANNELS, traveller, type Traveller } from '../support/travellers.ts';

const PER_CHANNEL = 51;
const WINDOW_MS = 45_000;
const QUOTA_PER_MINUTE = 120;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Delivered as the platform would: until acknowledged. */
async function deliver(t: Traveller, text: string, id: string): Promise<void> {
  const message = t.message(text, id);
  for (let delivery = 0; delivery < 20; delivery++) {
    const res = await message.deliver(delivery).catch(() => undefined);
    if (res?.status === 200) return;
    await sleep(300);
  }
  throw new Error(`${t.channel} message ${id} never acknowledged`);
}

describe('overload: Brek at its quota', () => {
  const h = useStack({ BREK_SANDBOX_RATE_LIMIT: String(QUOTA_PER_MINUTE) });

  it('153 travellers × 2 messages in 45 s against 120 requests a minute: all answered with Brek’s content, in order', async () => {
    const cities = CITIES.filter((c) => !c.name.includes(',') && c.name !== 'York').map((c) => c.name);
    const random = mulberry32(19);
    const travellers = CHANNELS.flatMap((channel) =>
      Array.from({ length: PER_CHANNEL }, (_, i) => {
        const n = CHANNELS.indexOf(channel) * PER_CHANNEL + i;
        const first = Math.floor(random() * (WINDOW_MS - 6_000));
        return {
          t: traveller(h, channel, `overload-${channel}-${i}`),
          // Two different cities, so each answer shows which message it is for.
          cities: [cities[n % cities.length]!, cities[(n + 7) % cities.length]!] as const,
          at: [first, first + 1_000 + Math.floor(random() * 5_000)] as const,
        };
      }),
    );
    const started = Date.now();
    await Promise.all(
      travellers.map(async ({ t, cities: [a, b], at }, n) => {
        await sleep(at[0]);
        await deliver(t, `a hotel in ${a} tomorrow`, `overload-${n}-1`);
        await sleep(Math.max(0, started + at[1] - Date.now()));
        await deliver(t, `a hotel in ${b} next week`, `overload-${n}-2`);
      }),
    );
    const sentWithinMs = Date.now() - started;
    await h.stack.idle();
    const tookMs = Date.now() - started;

    const turns = h.stack.activity.list(); // this file's stack: only these travellers' turns
    const apologies = turns.filter((turn) => turn.state !== 'replied').length;
    let inOrder = 0;
    let notices = 0;
    for (const { t, cities: [a, b] } of travellers) {
      const replies = t.replies();
      notices += replies.filter((reply) => reply.includes(MESSAGES.stillWorking)).length;
      const answers = replies.filter((reply) => !reply.includes(MESSAGES.stillWorking)).join('\n');
      const first = answers.indexOf(a);
      const second = answers.lastIndexOf(b);
      if (first >= 0 && second > first && !answers.includes(MESSAGES.queueFull) && !answers.includes(MESSAGES.busy)) inOrder++;
    }
    const requests = (await h.brekRequests()).filter((r) => r.endpoint !== 'other');
    const throttled = requests.filter((r) => r.status === 429).length;
    console.log(
      `overload: ${travellers.length} travellers, ${turns.length} turns sent within ${Math.round(sentWithinMs / 1000)} s, all done after ${Math.round(tookMs / 1000)} s; ` +
        `${inOrder} travellers answered in order with Brek's content, ${apologies} turns not answered (apologies), ${notices} still-working notices; ` +
        `Brek: ${requests.length} requests, ${throttled} answered 429 (${((100 * throttled) / Math.max(1, requests.length)).toFixed(1)} %)`,
    );
    expect(sentWithinMs).toBeLessThan(WINDOW_MS + 5_000);
    expect(turns).toHaveLength(travellers.length * 2);
    expect(inOrder).toBe(travellers.length);
    expect(apologies).toBeLessThanOrEqual(Math.floor(0.02 * turns.length));
    expect(throttled).toBeLessThanOrEqual(0.1 * requests.length);
    // The quota really was the limit: the work took longer than a minute's worth of it.
    expect(requests.length).toBeGreaterThan(QUOTA_PER_MINUTE * 2);
  }, 480_000);
});
