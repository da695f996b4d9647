// A discrete-event model of the deployed pipeline, from a traveller's message to the bridge's
// reply: the table's stream (shards, lanes, batches; a lane's next batch waits for its slowest
// turn), the worker's quota pacer (the bridge's shared GCRA, with its bounded wait and "still
// working" notice) and Brek (latency drawn per request, a fixed one-minute quota window per key
// as the sandbox has, sandbox/server.ts takeQuota). Deterministic: every draw comes from seeded
// PRNGs, so a run is replayed exactly. Time is in milliseconds from the first possible arrival.
import { mulberry32 } from '../dev/fakes/faults.ts';
import { laneOf, type StreamModelSettings } from '../dev/stream-model.ts';
import { percentile } from './stats.ts';

export type Latency = { kind: 'lognormal'; medianMs: number; sigma: number } | { kind: 'uniform'; minMs: number; maxMs: number };

/** The bridge's pacing of Brek calls (core/brek/quota.ts), as the model applies it. */
export interface Pacing {
  /** Share of Brek's per-minute quota the pacer hands out (the rest is headroom for clock skew and retries). */
  rateShare: number;
  /** Requests that may go back to back after a quiet spell, as a share of the quota (at least 1). */
  burstShare: number;
  /** A turn whose first slot is further away than this is apologised for at once. */
  maxWaitMs: number;
  /**
   * What the bounded wait counts from: the message's arrival, so time queued in the stream counts
   * too (the bridge's design, core/turn.ts), or the worker starting the turn (a variant the bench compares).
   */
  waitCountsFrom: 'workerStart' | 'arrival';
  /** A turn waiting longer than this for its slot is told once that the bridge is still working. */
  noticeAfterMs: number;
}

export const BRIDGE_PACING: Pacing = { rateShare: 0.9, burstShare: 0.05, maxWaitMs: 240_000, waitCountsFrom: 'arrival', noticeAfterMs: 10_000 };

export type StreamShape = Omit<StreamModelSettings, 'onBatch'>;

/** One traveller's message reaching the table (the ingress's write; its ack is not modelled). */
export interface Arrival {
  atMs: number;
  traveller: number;
  /** The thread's partition key, which picks its shard and lane; default `traveller-<n>` (the calibration passes the stack's own). */
  key?: string;
}

export interface PipelineParams {
  stream: StreamShape;
  /** Lambda's part of each batch before its turns start: the shard poll's delay and the invoke. */
  batchOverheadMs: number;
  /** The worker's own time per turn besides Brek: claiming the thread, recording it, posting the reply. */
  turnOverheadMs: number;
  /** createSession, a traveller's first request. */
  sessionLatency: Latency;
  /** sendEvent, every turn's request for Brek's answer. */
  eventLatency: Latency;
  /** Brek's requests per minute for the partner key. */
  quotaPerMinute: number;
  pacing: Pacing;
  /** Lambda drops stream records older than this (sst.config.ts maximumRecordAgeInSeconds). */
  maxRecordAgeMs: number;
  arrivals: readonly Arrival[];
  /** Seeds Brek's latency draws. */
  seed: number;
}

export interface PipelineResult {
  turns: number;
  /** Turns answered with Brek's content. */
  answered: number;
  /** Turns whose first quota slot was beyond the pacer's bounded wait: apologised at once, no Brek call. */
  apologies: number;
  /** Records Lambda dropped for age before any worker started them: never answered, never apologised. */
  expired: number;
  /** "Still working" notices: turns that waited longer than Pacing.noticeAfterMs for a slot. */
  notices: number;
  /** Every request sent to Brek, 429s included. */
  brekRequests: number;
  brek429s: number;
  /**
   * Answers posted per second, from the first arrival to the last answer: the long-run pace when
   * the pipeline is saturated; below saturation a little under the arrival rate (the last answer
   * comes one reply latency after the last arrival).
   */
  throughputPerSecond: number;
  /** Arrival to Brek's answer posted, over answered turns; undefined when none was answered. */
  latencyP50Ms: number | undefined;
  latencyP99Ms: number | undefined;
  /** Most turns waiting at once: queued in the stream or behind their thread in a batch, plus those waiting for a quota slot. */
  maxWaiting: number;
  maxAtPacer: number;
  batches: number;
  largestBatch: number;
  /** The longest a batch held its lane, from its start to its last turn's reply: what the worker's Lambda timeout must allow. */
  longestBatchMs: number;
  /** Brek requests per answered turn, without 429s (2 for a new conversation, 1 for a follow-up). */
  requestsPerAnsweredTurn: number;
  /** When the last reply (answer or apology) was posted. */
  lastReplyMs: number;
}

/** Poisson arrivals at `turnsPerSecond` over `durationMs`, each from one of `travellers` picked evenly. */
export function poissonArrivals(options: { turnsPerSecond: number; durationMs: number; travellers: number; seed: number }): Arrival[] {
  const random = mulberry32(options.seed);
  const arrivals: Arrival[] = [];
  for (let at = exponential(random, 1000 / options.turnsPerSecond); at < options.durationMs; at += exponential(random, 1000 / options.turnsPerSecond)) {
    arrivals.push({ atMs: at, traveller: Math.floor(random() * options.travellers) });
  }
  return arrivals;
}

function exponential(random: () => number, meanMs: number): number {
  return -Math.log(1 - random()) * meanMs;
}

function drawLatency(latency: Latency, random: () => number): number {
  if (latency.kind === 'uniform') return latency.minMs + random() * (latency.maxMs - latency.minMs);
  // Box–Muller: one standard normal from two uniforms.
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return latency.medianMs * Math.exp(latency.sigma * z);
}

/** Turns a second the pacer can start: the pace it keeps, divided by Brek requests per turn. */
export function pacerSaturationTurnsPerSecond(quotaPerMinute: number, requestsPerTurn: number, pacing: Pacing = BRIDGE_PACING): number {
  return (pacing.rateShare * quotaPerMinute) / 60 / requestsPerTurn;
}

/**
 * The shared GCRA pacer: slots `interval` apart on average, up to `burst` back to back, FIFO. A
 * reservation is a promise of a send time, so reserving is all a turn does before it sleeps.
 */
export class GcraPacer {
  private theoreticalArrival = Number.NEGATIVE_INFINITY;
  readonly intervalMs: number;
  private readonly toleranceMs: number;

  constructor(quotaPerMinute: number, pacing: Pacing = BRIDGE_PACING) {
    this.intervalMs = 60_000 / (pacing.rateShare * quotaPerMinute);
    const burst = Math.max(1, Math.floor(pacing.burstShare * quotaPerMinute));
    this.toleranceMs = (burst - 1) * this.intervalMs;
  }

  earliestSlot(now: number): number {
    return Math.max(now, this.theoreticalArrival - this.toleranceMs);
  }

  reserve(now: number, count: number): number[] {
    const slots: number[] = [];
    for (let i = 0; i < count; i++) {
      const slot = this.earliestSlot(now);
      this.theoreticalArrival = Math.max(this.theoreticalArrival, slot) + this.intervalMs;
      slots.push(slot);
    }
    return slots;
  }
}

/** Brek's quota as the sandbox keeps it: a fixed one-minute window opened by the first request after the last one ended. */
class FixedWindowQuota {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(private readonly limit: number) {}

  /** Takes one request; answers the Retry-After in ms when the window is used up. */
  take(now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.limit) return { ok: false, retryAfterMs: Math.max(1, Math.ceil((this.windowStart + 60_000 - now) / 1000)) * 1000 };
    this.used++;
    return { ok: true };
  }
}

/** A min-heap of timed events; ties run in the order they were scheduled. */
class EventQueue {
  private readonly heap: { at: number; order: number; run: (now: number) => void }[] = [];
  private scheduled = 0;

  push(at: number, run: (now: number) => void): void {
    const heap = this.heap;
    heap.push({ at, order: this.scheduled++, run });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  runAll(): void {
    const heap = this.heap;
    while (heap.length > 0) {
      const next = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ; ) {
          const left = 2 * i + 1;
          const right = left + 1;
          let smallest = i;
          if (left < heap.length && this.before(left, smallest)) smallest = left;
          if (right < heap.length && this.before(right, smallest)) smallest = right;
          if (smallest === i) break;
          [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
          i = smallest;
        }
      }
      next.run(next.at);
    }
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.at < y.at || (x.at === y.at && x.order < y.order);
  }
}

interface Turn {
  traveller: number;
  key: string;
  arrivalMs: number;
  startedMs: number;
  /** Brek requests this turn makes: 2 while its traveller has no session yet, else 1. */
  requests: number;
  slots: number[];
  noticed: boolean;
  calledBrek: boolean;
}

interface Lane {
  queue: Turn[];
  /** Index of the oldest queued turn (a head index keeps dequeuing O(1)). */
  head: number;
  running: boolean;
  /** Identifies the pending batching-window timer, if any; a stale timer finds it changed. */
  windowTimer: number | undefined;
  /** A poll is due at this instant: records arriving at the same moment join its batch. */
  pollDue: boolean;
}

export function simulatePipeline(params: PipelineParams): PipelineResult {
  const { stream, pacing } = params;
  const events = new EventQueue();
  const random = mulberry32(params.seed);
  const pacer = new GcraPacer(params.quotaPerMinute, pacing);
  const brek = new FixedWindowQuota(params.quotaPerMinute);
  const withSession = new Set<number>();
  const lanes = new Map<string, Lane>();

  const stats = { answered: 0, apologies: 0, expired: 0, notices: 0, brekRequests: 0, brek429s: 0, batches: 0, largestBatch: 0, longestBatchMs: 0, answeredRequests: 0, lastAnswerMs: 0, lastReplyMs: 0 };
  const latencies: number[] = [];
  let inStream = 0;
  let atPacer = 0;
  let maxWaiting = 0;
  let maxAtPacer = 0;
  let timers = 0;
  const waitingChanged = () => {
    maxWaiting = Math.max(maxWaiting, inStream + atPacer);
    maxAtPacer = Math.max(maxAtPacer, atPacer);
  };

  const queued = (lane: Lane) => lane.queue.length - lane.head;

  /** A free lane with records starts a batch now, or when its window ends or the batch fills. */
  const tryStartBatch = (lane: Lane, now: number) => {
    if (lane.running || queued(lane) === 0 || lane.pollDue) return;
    if (queued(lane) >= stream.batchSize || stream.batchingWindowMs === 0) {
      // Read after every event of this instant, as a poll sees every record written by then.
      lane.pollDue = true;
      events.push(now, (at) => {
        lane.pollDue = false;
        startBatch(lane, at);
      });
      return;
    }
    if (lane.windowTimer !== undefined) return;
    const timer = ++timers;
    lane.windowTimer = timer;
    events.push(now + stream.batchingWindowMs, (at) => {
      if (lane.windowTimer === timer) startBatch(lane, at);
    });
  };

  const startBatch = (lane: Lane, now: number) => {
    lane.windowTimer = undefined;
    if (lane.running) return; // a poll and a window ending at the same instant: one batch
    // Lambda skips records past the age limit as it reads them (they go to the failure queue).
    while (queued(lane) > 0 && now - lane.queue[lane.head]!.arrivalMs > params.maxRecordAgeMs) {
      lane.head++;
      stats.expired++;
      inStream--;
    }
    const size = Math.min(stream.batchSize, queued(lane));
    if (size === 0) return;
    const batch = lane.queue.slice(lane.head, lane.head + size);
    lane.head += size;
    if (lane.head > 4096 && lane.head * 2 > lane.queue.length) {
      lane.queue = lane.queue.slice(lane.head);
      lane.head = 0;
    }
    lane.running = true;
    stats.batches++;
    stats.largestBatch = Math.max(stats.largestBatch, size);
    // As handleStreamBatch: a thread's records one after another, threads side by side.
    const threads = new Map<string, Turn[]>();
    for (const turn of batch) {
      const list = threads.get(turn.key);
      if (list) list.push(turn);
      else threads.set(turn.key, [turn]);
    }
    let threadsRunning = threads.size;
    const threadDone = (at: number) => {
      if (--threadsRunning > 0) return;
      stats.longestBatchMs = Math.max(stats.longestBatchMs, at - now);
      lane.running = false;
      tryStartBatch(lane, at);
    };
    for (const turns of threads.values()) {
      const runFrom = (index: number, at: number): void => {
        if (index === turns.length) return threadDone(at);
        startTurn(turns[index]!, at, (doneAt) => runFrom(index + 1, doneAt));
      };
      events.push(now + params.batchOverheadMs, (at) => runFrom(0, at));
    }
  };

  const startTurn = (turn: Turn, now: number, done: (at: number) => void) => {
    inStream--;
    turn.startedMs = now;
    turn.requests = withSession.has(turn.traveller) ? 1 : 2;
    const reply = (outcome: 'answered' | 'apologised', from: number) => {
      const at = from + params.turnOverheadMs;
      events.push(at, () => {
        stats.lastReplyMs = Math.max(stats.lastReplyMs, at);
        if (outcome === 'answered') {
          stats.answered++;
          stats.answeredRequests += turn.requests;
          latencies.push(at - turn.arrivalMs);
          stats.lastAnswerMs = Math.max(stats.lastAnswerMs, at);
        }
        done(at);
      });
    };
    const waitingSince = pacing.waitCountsFrom === 'arrival' ? turn.arrivalMs : now;
    if (pacer.earliestSlot(now) - waitingSince > pacing.maxWaitMs) {
      stats.apologies++;
      waitingChanged();
      return reply('apologised', now);
    }
    turn.slots = pacer.reserve(now, turn.requests);
    atPacer++;
    waitingChanged();
    noticeIfLong(turn, turn.slots[0]!);
    const send = (index: number, at: number): void => {
      stats.brekRequests++;
      const quota = brek.take(at);
      if (!quota.ok) {
        // Wait out Retry-After, then queue for a fresh slot like any other request.
        stats.brek429s++;
        events.push(at + quota.retryAfterMs, (retryAt) => {
          const [slot] = pacer.reserve(retryAt, 1) as [number];
          noticeIfLong(turn, slot);
          events.push(slot, (slotAt) => send(index, slotAt));
        });
        return;
      }
      if (!turn.calledBrek) {
        turn.calledBrek = true;
        atPacer--;
      }
      const creatingSession = turn.requests === 2 && index === 0;
      const latency = drawLatency(creatingSession ? params.sessionLatency : params.eventLatency, random);
      events.push(at + latency, (answeredAt) => {
        if (creatingSession) withSession.add(turn.traveller);
        if (index + 1 < turn.requests) {
          events.push(Math.max(turn.slots[index + 1]!, answeredAt), (nextAt) => send(index + 1, nextAt));
          return;
        }
        reply('answered', answeredAt);
      });
    };
    events.push(turn.slots[0]!, (at) => send(0, at));
  };

  const noticeIfLong = (turn: Turn, slot: number) => {
    if (turn.noticed || slot - turn.startedMs <= pacing.noticeAfterMs) return;
    turn.noticed = true;
    stats.notices++;
  };

  for (const arrival of params.arrivals) {
    const key = arrival.key ?? `traveller-${arrival.traveller}`;
    events.push(arrival.atMs, (at) => {
      const where = laneOf(key, stream);
      const id = `${where.shard}/${where.lane}`;
      let lane = lanes.get(id);
      if (!lane) {
        lane = { queue: [], head: 0, running: false, windowTimer: undefined, pollDue: false };
        lanes.set(id, lane);
      }
      lane.queue.push({ traveller: arrival.traveller, key, arrivalMs: at, startedMs: 0, requests: 0, slots: [], noticed: false, calledBrek: false });
      inStream++;
      waitingChanged();
      tryStartBatch(lane, at);
    });
  }
  events.runAll();

  const firstArrivalMs = params.arrivals.reduce((min, a) => Math.min(min, a.atMs), Number.POSITIVE_INFINITY);
  const answeringSeconds = (stats.lastAnswerMs - firstArrivalMs) / 1000;
  return {
    turns: params.arrivals.length,
    answered: stats.answered,
    apologies: stats.apologies,
    expired: stats.expired,
    notices: stats.notices,
    brekRequests: stats.brekRequests,
    brek429s: stats.brek429s,
    throughputPerSecond: stats.answered > 0 && answeringSeconds > 0 ? stats.answered / answeringSeconds : 0,
    latencyP50Ms: latencies.length ? percentile(latencies, 50) : undefined,
    latencyP99Ms: latencies.length ? percentile(latencies, 99) : undefined,
    maxWaiting,
    maxAtPacer,
    batches: stats.batches,
    largestBatch: stats.largestBatch,
    longestBatchMs: stats.longestBatchMs,
    requestsPerAnsweredTurn: stats.answered ? stats.answeredRequests / stats.answered : 0,
    lastReplyMs: stats.lastReplyMs,
  };
}
