// The local stack's model of the deployed stream (dev/stream-model.ts): a key's records in order,
// one batch at a time per lane (the head-of-line effect), batch size and window as Lambda's.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { laneOf, StreamModel, type BatchRecord, type StreamModelSettings } from '../../dev/stream-model.ts';

const settings = (overrides: Partial<StreamModelSettings> = {}): StreamModelSettings => ({ shards: 1, batchSize: 10, parallelizationFactor: 1, batchingWindowMs: 0, ...overrides });

/** A job that finishes when the test says so, and says when it started. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  const state = { started: false, open: () => open() };
  const job = async () => {
    state.started = true;
    await done;
  };
  return Object.assign(state, { job });
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StreamModel', () => {
  it('runs one key\'s records in order, whatever their batches', async () => {
    const seen: string[] = [];
    const model = new StreamModel(settings({ batchSize: 3, parallelizationFactor: 4, shards: 2 }));
    for (let i = 0; i < 20; i++) {
      for (const key of ['a', 'b', 'c']) {
        model.push(key, async () => {
          await new Promise((resolve) => setTimeout(resolve, (i * 7) % 3));
          seen.push(`${key}${i}`);
        });
      }
    }
    await model.idle();
    for (const key of ['a', 'b', 'c']) {
      expect(seen.filter((s) => s.startsWith(key))).toEqual(Array.from({ length: 20 }, (_, i) => `${key}${i}`));
    }
  });

  it('runs one batch at a time per lane: the next waits for the slowest of the current one', async () => {
    const batches: BatchRecord[] = [];
    const model = new StreamModel(settings({ batchSize: 2, onBatch: (b) => batches.push(b) }));
    const slow = gate();
    const fast = gate();
    const behind = gate();
    const blocker = gate();
    // Without a window a free lane takes what is queued: hold it so the next three queue up.
    model.push('blocker', blocker.job);
    await settle();
    model.push('slow', slow.job);
    model.push('fast', fast.job);
    model.push('behind', behind.job);
    blocker.open();
    await settle();
    expect([slow.started, fast.started, behind.started]).toEqual([true, true, false]);
    fast.open();
    await settle();
    // Its batch-mate is done, but the batch is not: a different traveller waits behind it.
    expect(behind.started).toBe(false);
    slow.open();
    await settle();
    expect(behind.started).toBe(true);
    behind.open();
    await model.idle();
    expect(batches.map((b) => b.keys)).toEqual([['blocker'], ['slow', 'fast'], ['behind']]);
  });

  it('runs records of different keys of one batch side by side, one key\'s one after another', async () => {
    const model = new StreamModel(settings({ batchSize: 10 }));
    const a1 = gate();
    const a2 = gate();
    const b1 = gate();
    const blocker = gate();
    model.push('blocker', blocker.job);
    await settle();
    model.push('a', a1.job);
    model.push('a', a2.job);
    model.push('b', b1.job);
    blocker.open();
    await settle();
    expect([a1.started, a2.started, b1.started]).toEqual([true, false, true]);
    a1.open();
    await settle();
    expect(a2.started).toBe(true);
    a2.open();
    b1.open();
    await model.idle();
  });

  it('reads records pushed together into one batch, as a poll sees what was written by then', async () => {
    const batches: BatchRecord[] = [];
    const model = new StreamModel(settings({ batchSize: 10, onBatch: (b) => batches.push(b) }));
    for (const key of ['a', 'b', 'c']) model.push(key, async () => undefined);
    await model.idle();
    expect(batches.map((b) => b.keys)).toEqual([['a', 'b', 'c']]);
  });

  it('never puts more than batchSize records in a batch', async () => {
    const batches: BatchRecord[] = [];
    const model = new StreamModel(settings({ batchSize: 4, onBatch: (b) => batches.push(b) }));
    const first = gate();
    model.push('k0', first.job);
    await settle();
    // Queued while the first batch runs: 10 records, so batches of 4, 4, 2 follow.
    for (let i = 1; i <= 10; i++) model.push(`k${i}`, async () => undefined);
    first.open();
    await model.idle();
    expect(batches.map((b) => b.keys.length)).toEqual([1, 4, 4, 2]);
  });

  it('keeps lanes apart: a slow batch in one lane does not hold another lane', async () => {
    const s = settings({ parallelizationFactor: 10, batchSize: 1 });
    const keys = Array.from({ length: 200 }, (_, i) => `thread-${i}`);
    const slowKey = keys[0]!;
    const otherLaneKey = keys.find((k) => laneOf(k, s).lane !== laneOf(slowKey, s).lane)!;
    const model = new StreamModel(s);
    const slow = gate();
    const other = gate();
    model.push(slowKey, slow.job);
    model.push(otherLaneKey, other.job);
    await settle();
    expect(other.started).toBe(true);
    slow.open();
    other.open();
    await model.idle();
  });

  it('spreads keys over every shard and lane, also when the two counts share a factor', () => {
    const s = { shards: 4, parallelizationFactor: 10 };
    const used = new Set(Array.from({ length: 2000 }, (_, i) => laneOf(`T1:D${i}`, s)).map((w) => `${w.shard}/${w.lane}`));
    expect(used.size).toBe(40);
    expect(laneOf('same key', s)).toEqual(laneOf('same key', s));
  });

  it('refuses settings Lambda would refuse', () => {
    expect(() => new StreamModel(settings({ parallelizationFactor: 11 }))).toThrow(/parallelizationFactor/);
    expect(() => new StreamModel(settings({ batchSize: 0 }))).toThrow(/batchSize/);
    expect(() => new StreamModel(settings({ batchingWindowMs: 301_000 }))).toThrow(/batchingWindowMs/);
  });

  it('keeps going after a job fails, and reports it', async () => {
    const errors: unknown[] = [];
    const model = new StreamModel(settings(), (error) => errors.push(error));
    const seen: number[] = [];
    model.push('a', async () => {
      throw new Error('boom');
    });
    model.push('a', async () => {
      seen.push(2);
    });
    await model.idle();
    expect(errors).toHaveLength(1);
    expect(seen).toEqual([2]);
  });

  it('idle() waits for jobs that jobs pushed', async () => {
    const model = new StreamModel(settings());
    const seen: string[] = [];
    model.push('erase', async () => {
      seen.push('first');
      model.push('erase', async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push('continued');
      });
    });
    await model.idle();
    expect(seen).toEqual(['first', 'continued']);
    await model.idle(); // nothing pending: resolves at once
  });

  describe('batching window', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('waits up to the window for a batch to fill, then runs what it has', async () => {
      const batches: BatchRecord[] = [];
      const model = new StreamModel(settings({ batchSize: 3, batchingWindowMs: 1_000, onBatch: (b) => batches.push(b) }));
      const started: string[] = [];
      const job = (key: string) => async () => void started.push(key);
      model.push('a', job('a'));
      await vi.advanceTimersByTimeAsync(400);
      model.push('b', job('b'));
      await vi.advanceTimersByTimeAsync(599);
      expect(started).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(started).toEqual(['a', 'b']);
      await model.idle();
      expect(batches.map((b) => b.keys)).toEqual([['a', 'b']]);
    });

    it('runs at once when the batch fills before the window ends', async () => {
      const model = new StreamModel(settings({ batchSize: 2, batchingWindowMs: 60_000 }));
      const started: string[] = [];
      model.push('a', async () => void started.push('a'));
      model.push('b', async () => void started.push('b'));
      await vi.advanceTimersByTimeAsync(0);
      expect(started).toEqual(['a', 'b']);
      await model.idle();
    });

    it('without a window, takes what is queued at once', async () => {
      const model = new StreamModel(settings({ batchSize: 100, batchingWindowMs: 0 }));
      const started: string[] = [];
      model.push('a', async () => void started.push('a'));
      await vi.advanceTimersByTimeAsync(0);
      expect(started).toEqual(['a']);
      await model.idle();
    });
  });
});
