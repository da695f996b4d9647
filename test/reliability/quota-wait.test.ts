// One turn in a queue for Brek's quota, through the local stack: the schedule in the table is
// filled ahead by "other workers" (a BrekQuota of the test's own on the same table), then a
// traveller writes. A wait past the notice threshold is told once, keeps the thread's lease and
// ends in Brek's answer; a queue longer than the turn may wait is an apology at once, no Brek call.
import { describe, expect, it } from 'vitest';
import { BrekQuota } from '../../core/brek/quota.ts';
import { MESSAGES } from '../../core/wording.ts';
import { THREAD_SK } from '../../core/store/table.ts';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { useStack } from '../support/stack.ts';
import { CHANNELS, traveller } from '../support/travellers.ts';

describe("a turn waiting for Brek's quota", () => {
  // 120 a minute: one request every 0.56 s at the bridge's 90 %; waits over 10 s are told.
  const h = useStack({ BREK_SANDBOX_RATE_LIMIT: '120', BREK_QUEUE_MAX_WAIT_SECONDS: '30' });
  const othersAhead = async (seconds: number) => {
    const quota = new BrekQuota(h.stack.db.worker, h.stack.config.tableName, { limitPerMinute: 120 });
    const slots = Math.ceil((seconds * 1000) / quota.intervalMs) + 6;
    expect(await quota.reserve(slots, Date.now() + 3_600_000)).toHaveLength(slots);
  };

  it.each(CHANNELS)('%s: a 12-second queue is told once, the lease held, and answered with Brek’s content', async (channel) => {
    const t = traveller(h, channel, `quota-wait-${channel}`);
    const brekBefore = (await h.brekRequests()).length;
    await othersAhead(12);
    const started = Date.now();
    expect((await t.message('a hotel in seattle tomorrow', `quota-wait-${channel}-1`).deliver(0)).status).toBe(200);
    // While it waits: the thread is held past the usual lease's end.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const { Items } = await h.stack.db.worker.send(
      new ScanCommand({ TableName: h.stack.config.tableName, FilterExpression: 'sk = :thread AND actorId = :actor', ExpressionAttributeValues: { ':thread': THREAD_SK, ':actor': t.actorId } }),
    );
    expect(Items).toHaveLength(1);
    expect(Number(Items![0]!.leaseUntil)).toBeGreaterThan(started + 12_000 + 60_000);
    await h.stack.idle();
    expect(Date.now() - started).toBeGreaterThan(10_000);
    const replies = t.replies();
    const notices = replies.filter((reply) => reply.includes(MESSAGES.stillWorking));
    // Teams: the notice took the placeholder's place, and the answer then replaced it.
    expect(notices).toHaveLength(channel === 'teams' ? 0 : 1);
    expect(replies.filter((reply) => !reply.includes(MESSAGES.stillWorking)).join('\n')).toMatch(/seattle/i);
    expect(h.stack.activity.list().at(-1)).toMatchObject({ state: 'replied' });
    expect((await h.brekRequests()).length - brekBefore).toBe(2); // a session and its event, nothing more
  }, 60_000);

  it('a queue longer than the turn may wait: an apology at once, Brek never called', async () => {
    const t = traveller(h, 'slack', 'quota-full');
    await othersAhead(120);
    const brekBefore = (await h.brekRequests()).length;
    const started = Date.now();
    expect((await t.message('a hotel in porto tomorrow', 'quota-full-1').deliver(0)).status).toBe(200);
    await h.stack.idle();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(t.replies()).toHaveLength(1);
    expect(t.replies()[0]).toContain(MESSAGES.queueFull.slice(0, 40));
    expect(h.stack.activity.list().at(-1)).toMatchObject({ state: 'failed' });
    expect((await h.brekRequests()).length).toBe(brekBefore);
  });
});
