// The shared pacing schedule for Brek's quota (core/brek/quota.ts) against a real DynamoDB-compatible
// server, with two "workers" (two BrekQuota instances, as two Lambda processes) on one table; and
// the Brek client's gate: a gated call waits out 429s instead of spending its tries on them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrekClient, type AttemptInfo } from '../../core/brek/client.ts';
import { BrekQuota, QUOTA_KEY, QuotaQueueFull, TurnQueue } from '../../core/brek/quota.ts';
import { documentClient, ensureTable } from '../../core/store/table.ts';
import { startLocalDynamo, type LocalDynamo } from '../../dev/local-dynamo.ts';

let dynamo: LocalDynamo;
let db: ReturnType<typeof documentClient>;
let tables = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  db = documentClient({ endpoint: dynamo.endpoint });
});
afterAll(async () => dynamo?.close());

async function freshTable(): Promise<string> {
  const name = `quota-${++tables}`;
  await ensureTable(db, name);
  return name;
}

/** A clock the test moves; every worker reads the same one. */
function clock(start = 1_800_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('the shared schedule', () => {
  it('two workers reserving at once get distinct slots, so no minute holds more than the planned share', async () => {
    const table = await freshTable();
    const time = clock();
    const workers = [new BrekQuota(db, table, { limitPerMinute: 120 }, time.now), new BrekQuota(db, table, { limitPerMinute: 120 }, time.now)];
    const latest = time.now() + 600_000;
    const slots = (await Promise.all(Array.from({ length: 300 }, (_, i) => workers[i % 2]!.reserve(1, latest)))).flatMap((s) => s ?? []);
    expect(slots).toHaveLength(300);
    const sorted = [...slots].sort((a, b) => a - b);
    // Any 60-second window: at most 0.9 × 120 paced plus the burst of 6, never Brek's 120.
    let most = 0;
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i]! - sorted[j]! >= 60_000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(114);
    expect(most).toBeGreaterThanOrEqual(108);
    // Spaced by the interval once the burst is spent.
    const interval = workers[0]!.intervalMs;
    expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThanOrEqual((300 - 6) * interval - 1);
  });

  it('at a high limit (an interval under a millisecond) 1,200 racing reservations from four workers all get a place', async () => {
    const table = await freshTable();
    const workers = Array.from({ length: 4 }, () => new BrekQuota(db, table, { limitPerMinute: 100_000 }));
    const taken = await Promise.all(Array.from({ length: 1200 }, (_, i) => workers[i % 4]!.reserve(1, Date.now() + 60_000)));
    expect(taken.every((slots) => slots?.length === 1)).toBe(true);
  });

  it('a turn whose first slot would be later than it may wait takes nothing', async () => {
    const table = await freshTable();
    const time = clock();
    const quota = new BrekQuota(db, table, { limitPerMinute: 60 }, time.now);
    expect(await quota.reserve(100, time.now() + 1_000_000)).toHaveLength(100);
    const before = (await db.send(new GetCommand({ TableName: table, Key: QUOTA_KEY }))).Item?.tat as number;
    expect(await quota.reserve(1, time.now() + 10_000)).toBeUndefined();
    expect((await db.send(new GetCommand({ TableName: table, Key: QUOTA_KEY }))).Item?.tat).toBe(before);
    // Later, with the queue drained, the schedule restarts from now.
    time.advance(1_000_000);
    expect(await quota.reserve(1, time.now())).toEqual([time.now()]);
  });

  it('a 429 pushes every worker past Brek’s Retry-After; Brek’s own limit is learnt from its answers', async () => {
    const table = await freshTable();
    const time = clock();
    const [a, b] = [new BrekQuota(db, table, {}, time.now), new BrekQuota(db, table, {}, time.now)];
    await a.observe({ status: 429, error: Object.assign(new Error('429'), { retryAfterMs: 30_000 }) as never });
    expect(a.holdUntil()).toBe(time.now() + 30_000);
    const [slot] = (await b.reserve(1, time.now() + 120_000))!;
    expect(slot).toBeGreaterThanOrEqual(time.now() + 30_000);
    await b.observe({ status: 200, rateLimit: { limit: 600, remaining: 599 } });
    expect(b.plannedPerMinute).toBe(540);
    expect(a.plannedPerMinute).toBe(108);
  });
});

describe("a turn's place in the queue", () => {
  it('reserves its expected calls together, tells a long wait once, and gives up past its bound', async () => {
    const table = await freshTable();
    const time = clock();
    const quota = new BrekQuota(db, table, { limitPerMinute: 60 }, time.now);
    await quota.reserve(20, time.now() + 1_000_000); // others ahead: 20 s of queue at 0.9/s after a burst of 3
    const waits: boolean[] = [];
    const queue = new TurnQueue(
      quota,
      { giveUpAt: time.now() + 60_000, noticeAfterMs: 10_000, now: time.now, sleep: async (ms) => time.advance(ms), onLongWait: async (_slot, first) => void waits.push(first) },
      2,
    );
    const tatBefore = (await db.send(new GetCommand({ TableName: table, Key: QUOTA_KEY }))).Item?.tat as number;
    await queue.beforeTry();
    const tatAfter = (await db.send(new GetCommand({ TableName: table, Key: QUOTA_KEY }))).Item?.tat as number;
    expect(tatAfter - tatBefore).toBeCloseTo(2 * quota.intervalMs, 3); // both calls reserved at once
    await queue.beforeTry(); // the second call uses its reserved slot: no new reservation
    expect((await db.send(new GetCommand({ TableName: table, Key: QUOTA_KEY }))).Item?.tat).toBe(tatAfter);
    expect(waits).toEqual([true]);
    expect(queue.waitedMs).toBeGreaterThan(10_000);

    const late = new TurnQueue(quota, { giveUpAt: time.now() + 1_000, noticeAfterMs: 10_000, now: time.now, sleep: async (ms) => time.advance(ms) });
    await quota.reserve(50, time.now() + 1_000_000);
    await expect(late.beforeTry()).rejects.toBeInstanceOf(QuotaQueueFull);
    expect(late.gaveUp).toBe(true);
  });

  it('a schedule the table cannot serve lets the try go unpaced, and says so', async () => {
    const errors: unknown[] = [];
    const queue = new TurnQueue(new BrekQuota(db, 'no-such-table'), { giveUpAt: Date.now() + 60_000, noticeAfterMs: 10_000, onScheduleError: (error) => void errors.push(error) });
    await expect(queue.beforeTry()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});

describe('the Brek client behind a gate', () => {
  let server: Server;
  let url = '';
  let answers: number[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const status = answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json', 'x-ratelimit-limit': '120', 'x-ratelimit-remaining': status === 429 ? '0' : '5', ...(status === 429 ? { 'retry-after': '0' } : {}) });
      res.end(JSON.stringify(status === 429 ? { error: 'rate_limited', code: 'rate_limited' } : { data: { sessionId: 'sess_1' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new BrekClient({ baseUrl: url, apiKey: 'k', retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });

  it('without a gate, 429s spend the tries; with one, each is waited out and the call succeeds', async () => {
    answers = [429, 429, 429];
    await expect(client().createSession({ actor: { actorId: 'a' } })).rejects.toMatchObject({ kind: 'rate_limited' });
    answers = [429, 429, 429];
    const tries: AttemptInfo[] = [];
    let asked = 0;
    const gate = { beforeTry: async () => void asked++, afterTry: async (info: AttemptInfo) => void tries.push(info) };
    const created = await client().createSession({ actor: { actorId: 'a' } }, { gate });
    expect(created.data.sessionId).toBe('sess_1');
    expect(asked).toBe(4);
    expect(tries.map((t) => t.status)).toEqual([429, 429, 429, 200]);
    expect(tries.at(-1)!.rateLimit).toEqual({ limit: 120, remaining: 5 });
  });

  it('a gate that finds no place in time fails the call as it is, without a request', async () => {
    answers = [];
    const gate = { beforeTry: async () => Promise.reject(new QuotaQueueFull('queue too long', false)), afterTry: async () => undefined };
    await expect(client().createSession({ actor: { actorId: 'a' } }, { gate })).rejects.toBeInstanceOf(QuotaQueueFull);
  });
});
