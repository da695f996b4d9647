// The bench's "Pipeline model" and "Pipeline calibration" figures. The model (bench/pipeline.ts)
// runs the deployed pipeline at 1, 10, 100 and 1,000 arriving turns a second with today's stream
// settings and the chosen ones (core/worker-stream.ts), at Brek's quota and with a quota that does
// not bind (the stream's own ceiling), plus the candidates the choice was made from. The
// calibration runs the local stack with its worker modelling the stream (dev/stream-model.ts, one
// shard), the sandbox slowed to a known latency, and sets its reply latency next to the model's
// prediction for the same arrivals.
import { WORKER_STREAM, WORKER_STREAM_TODAY, type WorkerStreamSettings } from '../core/worker-stream.ts';
import type { BatchRecord } from '../dev/stream-model.ts';
import type { BenchOptions } from './options.ts';
import { BRIDGE_PACING, pacerSaturationTurnsPerSecond, poissonArrivals, simulatePipeline, type Arrival, type Latency, type Pacing, type PipelineParams, type PipelineResult, type StreamShape } from './pipeline.ts';
import { startBenchStack } from './stack.ts';
import { median, percentile, round } from './stats.ts';
import { table } from './table.ts';
import { send, traveller, type Traveller } from './traffic.ts';

const ARRIVAL_RATES = [1, 10, 100, 1000] as const;
/** Brek's quota for the partner key: the sandbox's default and Brek's own example. */
const BREK_QUOTA_PER_MINUTE = 120;
/** A quota no rate here reaches (the paced 15,000 requests a second are ~10× the 1,000-turn load): the stream's own limits. */
const AMPLE_QUOTA_PER_MINUTE = 1_000_000;

/** What the model assumes about the deployment; every figure in the results carries it. */
const DEPLOYED_ASSUMPTIONS = {
  /** Stream shards: about one per table partition, and a small on-demand table has a few. */
  shards: 4,
  /** Lambda's poll of a shard (about 4 a second) and the invoke, per batch. */
  batchOverheadMs: 200,
  /** The worker's own work per turn: claim and finish the thread (DynamoDB), post the reply. */
  turnOverheadMs: 150,
  /** createSession: no assistant behind it, a fraction of a second. */
  sessionLatency: { kind: 'lognormal', medianMs: 500, sigma: 0.3 } as Latency,
  /** sendEvent: "Brek answers in ~5 s" (issue 19); σ 0.3 puts p99 at ~10 s, the client's per-try timeout, so timeouts are left out. */
  eventLatency: { kind: 'lognormal', medianMs: 5_000, sigma: 0.3 } as Latency,
  /** sst.config.ts maximumRecordAgeInSeconds: older records go to the failure queue unanswered. */
  maxRecordAgeMs: 3_600_000,
  /** Each traveller sends this many turns on average (picked evenly per arrival), so ~43 % are first turns. */
  turnsPerTraveller: 2,
  pacing: BRIDGE_PACING,
};

type SettingsName = 'today' | 'chosen' | 'chosen, wait counted from the worker start';

interface ModelRow {
  settings: SettingsName;
  stream: StreamShape;
  quotaPerMinute: number;
  turnsPerSecond: number;
  turns: number;
  answeredPerSecond: number;
  /** Answered turns, arrival to reply, seconds. */
  p50Seconds: number | null;
  p99Seconds: number | null;
  maxWaiting: number;
  apologies: number;
  apologyShare: number;
  lostToRecordAge: number;
  notices: number;
  brekRequests: number;
  brek429s: number;
  largestBatch: number;
  longestBatchSeconds: number;
}

interface CandidateRow {
  label: string;
  stream: StreamShape;
  /** Quota ample, per arrival rate. */
  p99Seconds: (number | null)[];
  /** Quota ample, at the lowest rate: what a lone message waits. */
  p50SecondsAtLowest: number | null;
  answeredPerSecondAtTop: number;
  largestBatchAtTop: number;
  /** Turns lost to the record-age limit at Brek's quota, all rates together. */
  lostAtQuota: number;
}

export interface PipelineModelFigure {
  arrivalSeconds: number;
  assumptions: typeof DEPLOYED_ASSUMPTIONS;
  today: WorkerStreamSettings;
  chosen: WorkerStreamSettings;
  rows: ModelRow[];
  candidates: CandidateRow[];
  /** Where the deployed bridge starts to queue at Brek's quota: the pacer's pace over requests per turn. */
  saturation: { quotaPerMinute: number; pacedRequestsPerSecond: number; requestsPerTurnInMix: number; turnsPerSecond: { newConversations: number; mix: number; followUpsOnly: number } };
  why: string[];
}

function streamShape(settings: WorkerStreamSettings, shards: number): StreamShape {
  return { shards, batchSize: settings.batchSize, parallelizationFactor: settings.parallelizationFactor, batchingWindowMs: settings.maximumBatchingWindowInSeconds * 1000 };
}

const describeStream = (s: StreamShape) => `batch ${s.batchSize}, ×${s.parallelizationFactor}${s.batchingWindowMs ? `, window ${s.batchingWindowMs / 1000} s` : ''}`;

function modelRun(stream: StreamShape, quotaPerMinute: number, arrivals: readonly Arrival[], pacing: Pacing = DEPLOYED_ASSUMPTIONS.pacing): PipelineResult {
  const a = DEPLOYED_ASSUMPTIONS;
  const params: PipelineParams = {
    stream,
    batchOverheadMs: a.batchOverheadMs,
    turnOverheadMs: a.turnOverheadMs,
    sessionLatency: a.sessionLatency,
    eventLatency: a.eventLatency,
    quotaPerMinute,
    pacing,
    maxRecordAgeMs: a.maxRecordAgeMs,
    arrivals,
    seed: 7,
  };
  return simulatePipeline(params);
}

const seconds = (ms: number | undefined) => (ms === undefined ? null : round(ms / 1000, 1));

function row(settings: SettingsName, stream: StreamShape, quotaPerMinute: number, turnsPerSecond: number, r: PipelineResult): ModelRow {
  return {
    settings,
    stream,
    quotaPerMinute,
    turnsPerSecond,
    turns: r.turns,
    answeredPerSecond: round(r.throughputPerSecond, 2),
    p50Seconds: seconds(r.latencyP50Ms),
    p99Seconds: seconds(r.latencyP99Ms),
    maxWaiting: r.maxWaiting,
    apologies: r.apologies,
    apologyShare: round(r.apologies / r.turns, 3),
    lostToRecordAge: r.expired,
    notices: r.notices,
    brekRequests: r.brekRequests,
    brek429s: r.brek429s,
    largestBatch: r.largestBatch,
    longestBatchSeconds: round(r.longestBatchMs / 1000, 1),
  };
}

export function measurePipelineModel(options: Pick<BenchOptions, 'pipelineArrivalSeconds'>): PipelineModelFigure {
  const a = DEPLOYED_ASSUMPTIONS;
  const durationMs = options.pipelineArrivalSeconds * 1000;
  const arrivalsAt = new Map(
    ARRIVAL_RATES.map((rate) => [rate, poissonArrivals({ turnsPerSecond: rate, durationMs, travellers: Math.ceil((rate * options.pipelineArrivalSeconds) / a.turnsPerTraveller), seed: 19 + rate })]),
  );
  const today = streamShape(WORKER_STREAM_TODAY, a.shards);
  const chosen = streamShape(WORKER_STREAM, a.shards);
  const candidateShapes: StreamShape[] = [
    today,
    { ...today, parallelizationFactor: 10 },
    { ...today, batchSize: 1000 },
    { ...chosen, batchSize: 100 },
    { ...chosen, batchSize: 500 },
    chosen,
    { ...chosen, batchSize: 10_000 },
    { ...chosen, batchingWindowMs: 1000 },
  ];
  const key = (s: StreamShape) => `${s.batchSize}/${s.parallelizationFactor}/${s.batchingWindowMs}`;
  const uniqueShapes = [...new Map(candidateShapes.map((s) => [key(s), s])).values()];
  // Every candidate at every rate and both quotas; the main table reads today's and the chosen from here.
  const runs = new Map<string, PipelineResult>();
  for (const shape of uniqueShapes) {
    for (const quota of [BREK_QUOTA_PER_MINUTE, AMPLE_QUOTA_PER_MINUTE]) {
      for (const rate of ARRIVAL_RATES) runs.set(`${key(shape)}@${quota}@${rate}`, modelRun(shape, quota, arrivalsAt.get(rate)!));
    }
  }
  const runOf = (shape: StreamShape, quota: number, rate: number) => runs.get(`${key(shape)}@${quota}@${rate}`)!;

  const rows: ModelRow[] = [];
  // The bridge bounds a traveller's whole wait (core/turn.ts); counted from the worker's start instead, for comparison.
  const fromWorkerStart: Pacing = { ...a.pacing, waitCountsFrom: 'workerStart' };
  for (const quota of [BREK_QUOTA_PER_MINUTE, AMPLE_QUOTA_PER_MINUTE]) {
    for (const rate of ARRIVAL_RATES) {
      rows.push(row('today', today, quota, rate, runOf(today, quota, rate)));
      rows.push(row('chosen', chosen, quota, rate, runOf(chosen, quota, rate)));
      if (quota === BREK_QUOTA_PER_MINUTE) rows.push(row('chosen, wait counted from the worker start', chosen, quota, rate, modelRun(chosen, quota, arrivalsAt.get(rate)!, fromWorkerStart)));
    }
  }

  const top = ARRIVAL_RATES[ARRIVAL_RATES.length - 1]!;
  const candidates: CandidateRow[] = uniqueShapes.map((shape) => ({
    label: `${key(shape) === key(today) ? 'today: ' : key(shape) === key(chosen) ? 'chosen: ' : ''}${describeStream(shape)}`,
    stream: shape,
    p99Seconds: ARRIVAL_RATES.map((rate) => seconds(runOf(shape, AMPLE_QUOTA_PER_MINUTE, rate).latencyP99Ms)),
    p50SecondsAtLowest: seconds(runOf(shape, AMPLE_QUOTA_PER_MINUTE, ARRIVAL_RATES[0]).latencyP50Ms),
    answeredPerSecondAtTop: round(runOf(shape, AMPLE_QUOTA_PER_MINUTE, top).throughputPerSecond, 1),
    largestBatchAtTop: runOf(shape, AMPLE_QUOTA_PER_MINUTE, top).largestBatch,
    lostAtQuota: ARRIVAL_RATES.reduce((sum, rate) => sum + runOf(shape, BREK_QUOTA_PER_MINUTE, rate).expired, 0),
  }));

  // Requests per turn of the arrival mix: a traveller's first turn needs createSession + the event.
  const mix = arrivalsAt.get(10)!;
  const requestsPerTurnInMix = (mix.length + new Set(mix.map((arrival) => arrival.traveller)).size) / mix.length;
  const saturation = {
    quotaPerMinute: BREK_QUOTA_PER_MINUTE,
    pacedRequestsPerSecond: round((a.pacing.rateShare * BREK_QUOTA_PER_MINUTE) / 60, 2),
    requestsPerTurnInMix: round(requestsPerTurnInMix, 2),
    turnsPerSecond: {
      newConversations: round(pacerSaturationTurnsPerSecond(BREK_QUOTA_PER_MINUTE, 2), 2),
      mix: round(pacerSaturationTurnsPerSecond(BREK_QUOTA_PER_MINUTE, requestsPerTurnInMix), 2),
      followUpsOnly: round(pacerSaturationTurnsPerSecond(BREK_QUOTA_PER_MINUTE, 1), 2),
    },
  };

  return { arrivalSeconds: options.pipelineArrivalSeconds, assumptions: a, today: WORKER_STREAM_TODAY, chosen: WORKER_STREAM, rows, candidates, saturation, why: reasons(rows, candidates, today, chosen) };
}

/** The choice's reasons, in the run's own figures (so a changed model shows in its text). */
function reasons(rows: ModelRow[], candidates: CandidateRow[], today: StreamShape, chosen: StreamShape): string[] {
  const at = (settings: SettingsName, quota: number, rate: number) => rows.find((r) => r.settings === settings && r.quotaPerMinute === quota && r.turnsPerSecond === rate)!;
  const candidate = (shape: StreamShape) => candidates.find((c) => c.stream.batchSize === shape.batchSize && c.stream.parallelizationFactor === shape.parallelizationFactor && c.stream.batchingWindowMs === shape.batchingWindowMs);
  const s = (value: number | null) => (value === null ? '–' : `${value} s`);
  const ample = AMPLE_QUOTA_PER_MINUTE;
  const quota = BREK_QUOTA_PER_MINUTE;
  const topRate = ARRIVAL_RATES.length - 1;
  const lines = [
    `parallelizationFactor ${chosen.parallelizationFactor}: ten lanes per shard, each thread in one, so fewer travellers wait behind one slow batch. Quota ample, 10 turns/s: p99 ${s(at('chosen', ample, 10).p99Seconds)} (today ${s(at('today', ample, 10).p99Seconds)}); 100 turns/s: ${s(at('chosen', ample, 100).p99Seconds)} (today ${s(at('today', ample, 100).p99Seconds)}, the stream answering ${at('today', ample, 100).answeredPerSecond} turns/s).`,
  ];
  const pf1 = candidate({ ...today, batchSize: chosen.batchSize });
  const bigger = candidate({ ...chosen, batchSize: 10_000 });
  const smaller = candidate({ ...chosen, batchSize: 500 });
  const mine = candidate(chosen);
  if (mine && pf1) lines.push(`A larger batch alone is not enough: batch ${chosen.batchSize} with one lane per shard answers ${pf1.answeredPerSecondAtTop} turns/s at 1,000 (p99 ${s(pf1.p99Seconds[topRate] ?? null)}); with ten, ${mine.answeredPerSecondAtTop} (p99 ${s(mine.p99Seconds[topRate] ?? null)}).`);
  if (mine && bigger && smaller) {
    const same = bigger.p99Seconds[topRate] === mine.p99Seconds[topRate] && bigger.answeredPerSecondAtTop === mine.answeredPerSecondAtTop;
    lines.push(
      `batchSize ${chosen.batchSize}: the worker runs a batch's threads at once, so the cap matters only with a backlog. At 1,000 turns/s the largest batch was ${mine.largestBatchAtTop}; batch 10,000 gives p99 ${s(bigger.p99Seconds[topRate] ?? null)} and ${bigger.answeredPerSecondAtTop} turns/s${same ? ' (the same)' : ''}, batch 500 ${s(smaller.p99Seconds[topRate] ?? null)} and ${smaller.answeredPerSecondAtTop}. A larger cap would only enlarge the worst invocation (turns in one Lambda, its 6 MB payload, a retried batch).`,
    );
  }
  const windowed = candidate({ ...chosen, batchingWindowMs: 1000 });
  if (mine && windowed) {
    lines.push(`No batching window: a window delays a lone message (1 turn/s p50 ${s(mine.p50SecondsAtLowest)}, with a 1 s window ${s(windowed.p50SecondsAtLowest)}) and busy lanes fill their batches without one (1,000 turns/s: ${mine.answeredPerSecondAtTop} answered/s, with the window ${windowed.answeredPerSecondAtTop}).`);
  }
  const percent = (share: number) => `${Math.round(share * 100)} %`;
  lines.push(
    `At Brek's quota the pacer sets the pace whatever the stream does (~${at('chosen', quota, 100).answeredPerSecond} turns/s), and turns past its bounded wait are apologised for at once (100 turns/s: today ${percent(at('today', quota, 100).apologyShare)}, chosen ${percent(at('chosen', quota, 100).apologyShare)}). With the quota ample, today's lanes alone hold turns in the stream past that bound (100 turns/s: ${percent(at('today', ample, 100).apologyShare)} apologised; chosen ${percent(at('chosen', ample, 100).apologyShare)}).`,
  );
  const worker = 'chosen, wait counted from the worker start' as const;
  lines.push(
    `The bounded wait counts from the message's arrival (the inbox record's receivedAt), so time queued in the stream counts too: answered turns wait p99 ${s(at('chosen', quota, 10).p99Seconds)} at 10 turns/s (${s(at('chosen', quota, 100).p99Seconds)} at 100). Counted from the worker's start instead, a turn held behind a lane's waiting batch is not counted: p99 ${s(at(worker, quota, 10).p99Seconds)} and ${s(at(worker, quota, 100).p99Seconds)}.`,
  );
  const longest = (settings: SettingsName) => Math.max(...rows.filter((r) => r.settings === settings && r.quotaPerMinute === quota).map((r) => r.longestBatchSeconds));
  lines.push(
    `The worker's Lambda timeout must outlast a lane's longest batch: under the quota the chosen settings' batches held their lane up to ${longest('chosen')} s, about the bounded wait plus one turn (counted from the worker's start it would be ${longest(worker)} s; Lambda's cap is 900 s). Today's: ${longest('today')} s.`,
  );
  return lines;
}

// ----- calibration: the local stack with its worker modelling the stream -----

/** The sandbox's delays during the calibration (the model draws the same uniform ranges). */
const CALIBRATION_BREK = {
  createSession: { latencyMs: 200, jitterMs: 100 },
  sendEvent: { latencyMs: 800, jitterMs: 400 },
};

interface CalibrationRow {
  settings: 'today' | 'chosen';
  stream: StreamShape;
  turns: number;
  turnsPerSecond: number;
  /** The local stack's own time per turn with Brek at 0 ms (median), which the model is given. */
  turnOverheadMs: number;
  measured: { p50Ms: number; p99Ms: number; batches: number; meanBatch: number };
  model: { p50Ms: number; p99Ms: number; batches: number; meanBatch: number };
}

export interface CalibrationFigure {
  seconds: number;
  brek: typeof CALIBRATION_BREK;
  rows: CalibrationRow[];
}

const CONVERSATION = ['find me a seattle hotel tomorrow', 'for 2 nights', 'refundable', 'cheap', 'under $300', '4+ stars'];

export async function calibratePipeline(options: Pick<BenchOptions, 'calibrationSeconds' | 'calibrationTurnsPerSecond' | 'quick'>): Promise<CalibrationFigure> {
  const rows: CalibrationRow[] = [];
  for (const [settings, deployed] of [['today', WORKER_STREAM_TODAY], ['chosen', WORKER_STREAM]] as const) {
    rows.push(await calibrateOne(settings, streamShape(deployed, 1), options));
  }
  return { seconds: options.calibrationSeconds, brek: CALIBRATION_BREK, rows };
}

async function calibrateOne(settings: 'today' | 'chosen', stream: StreamShape, options: Pick<BenchOptions, 'calibrationSeconds' | 'calibrationTurnsPerSecond'>): Promise<CalibrationRow> {
  const batches: BatchRecord[] = [];
  const bench = await startBenchStack({ stream: { ...stream, onBatch: (batch) => batches.push(batch) } });
  try {
    const { stack } = bench;
    // The stack's own per-turn time (DynamoDB, the fake Slack), one turn at a time with Brek at 0:
    // the model's turn overhead. Also warms the stack up.
    await bench.setBrekLatency(0);
    const overheads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = traveller(stack, 'slack');
      for (const text of CONVERSATION.slice(0, 2)) overheads.push(await timeOneTurn(stack.url, t, text));
    }
    const turnOverheadMs = median(overheads);

    await bench.setBrekDelays(CALIBRATION_BREK);
    await stack.idle();
    batches.length = 0;
    const rate = options.calibrationTurnsPerSecond;
    const planned = poissonArrivals({ turnsPerSecond: rate, durationMs: options.calibrationSeconds * 1000, travellers: Math.max(2, Math.ceil((rate * options.calibrationSeconds) / 2)), seed: 5 });
    const travellers = new Map<number, Traveller>();
    const sentCount = new Map<number, number>();
    const requests = planned.map((arrival) => {
      const t = travellers.get(arrival.traveller) ?? traveller(stack, 'slack');
      travellers.set(arrival.traveller, t);
      const n = sentCount.get(arrival.traveller) ?? 0;
      sentCount.set(arrival.traveller, n + 1);
      return { arrival, request: t.message(CONVERSATION[n % CONVERSATION.length]!) };
    });
    const startedAt = Date.now();
    const sent: { traveller: number; sentAt: number }[] = [];
    await Promise.all(
      requests.map(
        ({ arrival, request }) =>
          new Promise<void>((resolve, reject) => {
            setTimeout(() => {
              sent.push({ traveller: arrival.traveller, sentAt: Date.now() });
              send(stack.url, request).then((timed) => (timed.status === 200 ? resolve() : reject(new Error(`calibration: HTTP ${timed.status}`))), reject);
            }, arrival.atMs);
          }),
      ),
    );
    await stack.idle();

    // A traveller's k-th reply answers their k-th message (one thread, in order).
    const latencies: number[] = [];
    for (const [index, t] of travellers) {
      const replies = t.replyTimes!().sort((x, y) => x - y);
      const mine = sent.filter((s) => s.traveller === index).sort((x, y) => x.sentAt - y.sentAt);
      if (replies.length < mine.length) throw new Error(`calibration: traveller ${index} sent ${mine.length} messages, got ${replies.length} replies`);
      mine.forEach((s, k) => latencies.push(replies[k]! - s.sentAt));
    }
    // The model hashes the stack's own partition keys, so each thread lands in the same lane.
    const keyOf = new Map<number, string>();
    const seenKeys = new Set(batches.flatMap((batch) => batch.keys));
    for (const [index, t] of travellers) {
      const key = [...seenKeys].find((k) => k.endsWith(`#${t.conversation}`));
      if (key) keyOf.set(index, key);
    }
    const model = simulatePipeline({
      stream,
      batchOverheadMs: 0,
      turnOverheadMs,
      sessionLatency: uniform(CALIBRATION_BREK.createSession),
      eventLatency: uniform(CALIBRATION_BREK.sendEvent),
      // The bench's sandbox runs with its quota out of the way (bench/stack.ts).
      quotaPerMinute: AMPLE_QUOTA_PER_MINUTE,
      pacing: DEPLOYED_ASSUMPTIONS.pacing,
      maxRecordAgeMs: DEPLOYED_ASSUMPTIONS.maxRecordAgeMs,
      // The arrivals as they were sent, so the model sees the same traffic.
      arrivals: sent.map((s) => ({ atMs: s.sentAt - startedAt, traveller: s.traveller, ...(keyOf.has(s.traveller) ? { key: keyOf.get(s.traveller)! } : {}) })),
      seed: 11,
    });
    return {
      settings,
      stream,
      turns: sent.length,
      turnsPerSecond: rate,
      turnOverheadMs: round(turnOverheadMs),
      measured: { p50Ms: Math.round(percentile(latencies, 50)), p99Ms: Math.round(percentile(latencies, 99)), batches: batches.length, meanBatch: round(batches.reduce((sum, b) => sum + b.keys.length, 0) / Math.max(1, batches.length), 2) },
      model: { p50Ms: Math.round(model.latencyP50Ms ?? Number.NaN), p99Ms: Math.round(model.latencyP99Ms ?? Number.NaN), batches: model.batches, meanBatch: round(model.turns / Math.max(1, model.batches), 2) },
    };
  } finally {
    await bench.close();
  }
}

const uniform = (delay: { latencyMs: number; jitterMs: number }): Latency => ({ kind: 'uniform', minMs: delay.latencyMs, maxMs: delay.latencyMs + delay.jitterMs });

/** One message and its reply, timed from the send to the post in the fake Slack. */
async function timeOneTurn(url: string, t: Traveller, text: string): Promise<number> {
  const before = t.replies();
  const sentAt = Date.now();
  const timed = await send(url, t.message(text));
  if (timed.status !== 200) throw new Error(`calibration: HTTP ${timed.status}`);
  for (let waited = 0; t.replies() === before; waited += 5) {
    if (waited > 10_000) throw new Error('calibration: no reply within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return t.replyTimes!().sort((x, y) => x - y)[before]! - sentAt;
}

// ----- tables -----

const pct = (share: number) => `${round(share * 100, 1)} %`;
const quotaLabel = (quota: number) => (quota === AMPLE_QUOTA_PER_MINUTE ? 'ample' : `${quota}/min`);

export function pipelineTables(model: PipelineModelFigure, calibration: CalibrationFigure | undefined): string[] {
  const a = model.assumptions;
  const sat = model.saturation;
  const streamNote = `${a.shards} shards; today ${describeStream(streamShape(model.today, a.shards))}, chosen ${describeStream(streamShape(model.chosen, a.shards))}`;
  const tables = [
    table(
      `Pipeline model: ${model.arrivalSeconds} s of Poisson arrivals per rate, Brek events lognormal median ${a.eventLatency.kind === 'lognormal' ? a.eventLatency.medianMs / 1000 : '?'} s, pacer ${a.pacing.rateShare}·L, bounded wait ${a.pacing.maxWaitMs / 1000} s (${streamNote}; latency over answered turns)`,
      ['Brek quota', 'turns/s', 'settings', 'answered/s', 'p50 s', 'p99 s', 'max waiting', 'apologies', 'lost (age)', 'notices', 'Brek 429s', 'largest batch', 'longest batch s'],
      model.rows.map((r) => [quotaLabel(r.quotaPerMinute), r.turnsPerSecond, r.settings, r.answeredPerSecond, r.p50Seconds ?? '–', r.p99Seconds ?? '–', r.maxWaiting, `${r.apologies} (${pct(r.apologyShare)})`, r.lostToRecordAge, r.notices, `${r.brek429s} of ${r.brekRequests}`, r.largestBatch, r.longestBatchSeconds]),
    ),
    table(
      'Pipeline model: candidate stream settings (p99 s of answered turns with the quota ample; lost = turns past the record-age limit at 120/min, all rates)',
      ['settings', ...ARRIVAL_RATES.map((rate) => `p99 @${rate}/s`), `answered/s @${ARRIVAL_RATES[ARRIVAL_RATES.length - 1]}/s`, 'largest batch', 'lost at quota'],
      model.candidates.map((c) => [c.label, ...c.p99Seconds.map((p) => p ?? '–'), c.answeredPerSecondAtTop, c.largestBatchAtTop, c.lostAtQuota]),
    ),
    table(
      `Pipeline model: where the deployed bridge starts to queue at Brek's quota (L = ${sat.quotaPerMinute}/min, paced at ${sat.pacedRequestsPerSecond} requests/s)`,
      ['traffic', 'Brek requests per turn', 'turns/s at saturation'],
      [
        ['new conversations only', 2, sat.turnsPerSecond.newConversations],
        [`the model's mix (${a.turnsPerTraveller} turns per traveller)`, sat.requestsPerTurnInMix, sat.turnsPerSecond.mix],
        ['follow-ups only', 1, sat.turnsPerSecond.followUpsOnly],
      ],
    ),
    ['Why the chosen settings:', ...model.why.map((line) => `- ${line}`), ''].join('\n'),
  ];
  if (calibration) {
    const b = calibration.brek;
    tables.push(
      table(
        `Pipeline calibration: the local stack's worker as the stream (1 shard), sandbox createSession ${b.createSession.latencyMs}–${b.createSession.latencyMs + b.createSession.jitterMs} ms, sendEvent ${b.sendEvent.latencyMs}–${b.sendEvent.latencyMs + b.sendEvent.jitterMs} ms, ${calibration.rows[0]?.turnsPerSecond ?? '?'} turns/s for ${calibration.seconds} s (ms)`,
        ['settings', 'turns', 'turn overhead', 'measured p50', 'model p50', 'measured p99', 'model p99', 'batches measured / model', 'mean batch measured / model'],
        calibration.rows.map((r) => [`${r.settings}: ${describeStream(r.stream)}`, r.turns, r.turnOverheadMs, r.measured.p50Ms, r.model.p50Ms, r.measured.p99Ms, r.model.p99Ms, `${r.measured.batches} / ${r.model.batches}`, `${r.measured.meanBatch} / ${r.model.meanBatch}`]),
      ),
    );
  }
  return tables;
}
