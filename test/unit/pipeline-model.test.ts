// The pipeline model (bench/pipeline.ts) against cases whose answer is known by hand, so a change
// that breaks the model's stream, pacer or quota fails here rather than in a published table.
import { describe, expect, it } from 'vitest';
import { BRIDGE_PACING, GcraPacer, pacerSaturationTurnsPerSecond, poissonArrivals, simulatePipeline, type Arrival, type Latency, type PipelineParams } from '../../bench/pipeline.ts';

const constant = (ms: number): Latency => ({ kind: 'uniform', minMs: ms, maxMs: ms });

const params = (overrides: Partial<PipelineParams>): PipelineParams => ({
  stream: { shards: 1, batchSize: 10, parallelizationFactor: 1, batchingWindowMs: 0 },
  batchOverheadMs: 0,
  turnOverheadMs: 0,
  sessionLatency: constant(200),
  eventLatency: constant(1000),
  quotaPerMinute: 1_000_000,
  pacing: BRIDGE_PACING,
  maxRecordAgeMs: 3_600_000,
  arrivals: [],
  seed: 1,
  ...overrides,
});

/** One turn each from distinct travellers, `gapMs` apart. */
const distinct = (count: number, gapMs: number): Arrival[] => Array.from({ length: count }, (_, i) => ({ atMs: i * gapMs, traveller: i }));

describe('pipeline model', () => {
  it('below the quota and with a lane to spare, a reply takes Brek\'s time plus the overheads', () => {
    const r = simulatePipeline(params({ arrivals: distinct(50, 2_000), batchOverheadMs: 100, turnOverheadMs: 50 }));
    // A first turn: createSession (200) then the event (1000), after the batch's and the turn's overheads.
    expect(r.latencyP50Ms).toBeCloseTo(1_350, 6);
    expect(r.latencyP99Ms).toBeCloseTo(1_350, 6);
    expect(r.answered).toBe(50);
    expect([r.apologies, r.expired, r.notices, r.brek429s]).toEqual([0, 0, 0, 0]);
    expect(r.brekRequests).toBe(100);
  });

  it('a follow-up needs one Brek request, and waits for its thread\'s earlier turn', () => {
    // One traveller, two messages 100 ms apart: the second starts when the first is answered.
    const r = simulatePipeline(params({ arrivals: [{ atMs: 0, traveller: 1 }, { atMs: 100, traveller: 1 }] }));
    expect(r.brekRequests).toBe(3);
    expect(r.requestsPerAnsweredTurn).toBe(1.5);
    expect(r.latencyP99Ms).toBeCloseTo(1_200 + 1_000 - 100, 6);
  });

  it('one lane, batches of 10, Brek at a constant 2 s: the batch cycle gives 10 / 2 s = 5 turns a second', () => {
    const arrivals = Array.from({ length: 200 }, (_, i) => ({ atMs: 0, traveller: i }));
    const r = simulatePipeline(params({ arrivals, sessionLatency: constant(0), eventLatency: constant(2_000) }));
    expect(r.throughputPerSecond).toBeCloseTo(5, 6);
    expect(r.batches).toBe(20);
    expect(r.largestBatch).toBe(10);
    expect(r.latencyP99Ms).toBeCloseTo(40_000, 6);
    expect(r.longestBatchMs).toBeCloseTo(2_000, 6);
  });

  it('with ten lanes the same backlog drains about ten times faster', () => {
    const arrivals = Array.from({ length: 200 }, (_, i) => ({ atMs: 0, traveller: i }));
    const one = simulatePipeline(params({ arrivals, sessionLatency: constant(0), eventLatency: constant(2_000) }));
    const ten = simulatePipeline(params({ arrivals, sessionLatency: constant(0), eventLatency: constant(2_000), stream: { shards: 1, batchSize: 10, parallelizationFactor: 10, batchingWindowMs: 0 } }));
    // Uneven hashing leaves some lanes busier than others: not quite 10×.
    expect(ten.throughputPerSecond / one.throughputPerSecond).toBeGreaterThan(4);
    expect(ten.latencyP99Ms!).toBeLessThan(one.latencyP99Ms! / 4);
  });

  it('a batching window holds a lone record for the window', () => {
    const r = simulatePipeline(params({ arrivals: [{ atMs: 0, traveller: 1 }], stream: { shards: 1, batchSize: 10, parallelizationFactor: 1, batchingWindowMs: 1_500 } }));
    expect(r.latencyP50Ms).toBeCloseTo(1_500 + 1_200, 6);
  });

  it('above the quota, answers come at the pacer\'s pace: 0.9·L/60 requests a second over requests per turn', () => {
    // Few travellers with many turns each (mostly follow-ups), and Brek fast, so only the quota limits.
    const arrivals = poissonArrivals({ turnsPerSecond: 10, durationMs: 60_000, travellers: 20, seed: 3 });
    const r = simulatePipeline(
      params({ arrivals, quotaPerMinute: 120, sessionLatency: constant(50), eventLatency: constant(100), stream: { shards: 4, batchSize: 1000, parallelizationFactor: 10, batchingWindowMs: 0 } }),
    );
    const expected = pacerSaturationTurnsPerSecond(120, r.requestsPerAnsweredTurn);
    expect(expected).toBeGreaterThan(1.6);
    expect(r.throughputPerSecond / expected).toBeGreaterThan(0.95);
    expect(r.throughputPerSecond / expected).toBeLessThan(1.05);
    expect(r.brek429s).toBe(0);
    expect(r.notices).toBeGreaterThan(0);
  });

  it('apologises (the bounded wait) only above the quota', () => {
    const shape = { shards: 4, batchSize: 1000, parallelizationFactor: 10, batchingWindowMs: 0 };
    const run = (turnsPerSecond: number) =>
      simulatePipeline(params({ stream: shape, quotaPerMinute: 120, eventLatency: constant(3_000), sessionLatency: constant(300), arrivals: poissonArrivals({ turnsPerSecond, durationMs: 60_000, travellers: Math.ceil(turnsPerSecond * 30), seed: 9 }) }));
    const saturation = pacerSaturationTurnsPerSecond(120, 1.45);
    const below = run(saturation * 0.5);
    expect(below.apologies).toBe(0);
    expect(below.answered).toBe(below.turns);
    const above = run(saturation * 40);
    expect(above.apologies).toBeGreaterThan(above.turns / 2);
    expect(above.answered + above.apologies + above.expired).toBe(above.turns);
    // An answered turn never waited for its slot past the bound (plus its own Brek time).
    const fromArrival = simulatePipeline(params({ stream: shape, quotaPerMinute: 120, eventLatency: constant(3_000), sessionLatency: constant(300), pacing: { ...BRIDGE_PACING, waitCountsFrom: 'arrival' }, arrivals: poissonArrivals({ turnsPerSecond: saturation * 40, durationMs: 60_000, travellers: 1500, seed: 9 }) }));
    // The bound is on the first slot; a first turn's second slot is at most one pacer interval later.
    expect(fromArrival.latencyP99Ms!).toBeLessThanOrEqual(BRIDGE_PACING.maxWaitMs + 300 + 3_000 + new GcraPacer(120).intervalMs);
    expect(fromArrival.latencyP99Ms!).toBeGreaterThan(BRIDGE_PACING.maxWaitMs * 0.9);
  });

  it('counts Brek\'s 429s when the bridge sends faster than the quota, and still answers after Retry-After', () => {
    const r = simulatePipeline(params({ arrivals: distinct(300, 100), quotaPerMinute: 120, pacing: { ...BRIDGE_PACING, rateShare: 2 }, sessionLatency: constant(10), eventLatency: constant(10) }));
    expect(r.brek429s).toBeGreaterThan(0);
    expect(r.answered + r.apologies).toBe(300);
    expect(r.brekRequests).toBe(2 * r.answered + r.brek429s);
  });

  it('drops records older than the record-age limit unanswered', () => {
    const arrivals = Array.from({ length: 30 }, (_, i) => ({ atMs: 0, traveller: i }));
    const r = simulatePipeline(params({ arrivals, stream: { shards: 1, batchSize: 10, parallelizationFactor: 1, batchingWindowMs: 0 }, sessionLatency: constant(0), eventLatency: constant(5_000), maxRecordAgeMs: 7_000 }));
    // Batches at 0 s and 5 s; the third would start at 10 s, past the 7 s limit.
    expect(r.answered).toBe(20);
    expect(r.expired).toBe(10);
  });

  it('is deterministic', () => {
    const p = params({ arrivals: poissonArrivals({ turnsPerSecond: 20, durationMs: 10_000, travellers: 50, seed: 4 }), eventLatency: { kind: 'lognormal', medianMs: 5_000, sigma: 0.3 }, quotaPerMinute: 120 });
    expect(simulatePipeline(p)).toEqual(simulatePipeline(p));
  });
});

describe('GCRA pacer', () => {
  it('lets floor(0.05·L) go back to back, then one every 60 / (0.9·L) s', () => {
    const pacer = new GcraPacer(120);
    const interval = 60_000 / 108;
    const slots = pacer.reserve(0, 8);
    expect(slots.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(slots[6]).toBeCloseTo(interval, 6);
    expect(slots[7]).toBeCloseTo(2 * interval, 6);
    // A quiet spell refills the burst.
    expect(pacer.reserve(60_000, 1)).toEqual([60_000]);
  });

  it('keeps any minute under Brek\'s quota', () => {
    const pacer = new GcraPacer(120);
    const slots = pacer.reserve(0, 1_000);
    for (let i = 0; i < slots.length; i++) {
      const inMinute = slots.filter((s) => s >= slots[i]! && s < slots[i]! + 60_000).length;
      expect(inMinute).toBeLessThanOrEqual(120);
    }
  });
});
