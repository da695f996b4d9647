// The targets the bench reports against, each with what was measured and whether it is met. The
// ingresses are the registry's (adapters/profiles.ts), each held to the defaults below unless its
// profile's `benchBudget` says otherwise; issue 22's goals are ratios measured in the same run —
// to a bare `node -e 0` and to the Bolt baseline — so they hold on any machine kind.
import { CHANNEL_PROFILES } from '../adapters/profiles.ts';
import type { AckFigure } from './ack.ts';
import type { BoltHandlerFigure } from './bolt.ts';
import type { BareNodeFigure, BundleFigure } from './bundles.ts';
import type { DynamoFigure } from './dynamo.ts';
import type { HandlerAckFigure } from './handlers.ts';
import { round } from './stats.ts';
import type { ThroughputFigure } from './throughput.ts';

export interface TargetResult {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  /** The issue whose table this goal is from (22: ratios measured in the same run). */
  issue?: number;
}

const KIB = 1024;

/** Issue 22's goals. */
const GOALS = {
  /** An ingress process's load ÷ bare node, unless its profile's benchBudget says otherwise. */
  ingressLoadRatio: 1.5,
  workerLoadRatio: 2.5,
  ingressBundleKiB: 400,
  /** Ack CPU per request, one at a time, as a share of Bolt's (which includes its work). */
  ackCpuShareOfBolt: 0.5,
  /** p99 of `ackRequests` at once into one handler, as a share of Bolt's handler's. */
  burstP99ShareOfBolt: 0.25,
  turnsPerSecond: 300,
  ackP99Ms: 20,
} as const;

export interface TargetInputs {
  ack: AckFigure[];
  handlers: HandlerAckFigure[];
  bolt: BoltHandlerFigure;
  slowBrekMs: number;
  dynamo: DynamoFigure[];
  bundles: { bareNode: BareNodeFigure; figures: BundleFigure[] };
  throughput: ThroughputFigure;
}

const times = (ratio: number) => `${round(ratio, 2)}×`;

export function evaluateTargets(figures: TargetInputs): TargetResult[] {
  const results: TargetResult[] = [];

  // The ack does not wait for Brek: under a slow Brek every ack (p99) comes back sooner than one
  // Brek call takes, so none of them can have waited for it.
  for (const server of [...new Set(figures.ack.map((f) => f.server))]) {
    const fast = figures.ack.find((f) => f.server === server && f.brekLatencyMs === 0);
    const slow = figures.ack.find((f) => f.server === server && f.brekLatencyMs === figures.slowBrekMs);
    if (!fast || !slow) continue;
    results.push({
      name: `${server === 'bolt' ? 'Bolt baseline' : `${server} ingress`} ack independent of Brek`,
      target: `p99 < ${figures.slowBrekMs} ms with Brek at ${figures.slowBrekMs} ms`,
      measured: `p50 ${fast.p50Ms} → ${slow.p50Ms} ms, p99 ${fast.p99Ms} → ${slow.p99Ms} ms`,
      met: slow.p99Ms < figures.slowBrekMs,
    });
  }

  // Ack p99 ≤ 20 ms at both Brek latencies, under the bench's concurrent burst through the local stack.
  for (const f of figures.ack.filter((a) => a.server !== 'bolt')) {
    results.push({ name: `${f.server} route ack p99, Brek at ${f.brekLatencyMs} ms`, target: `≤ ${GOALS.ackP99Ms} ms`, measured: `${f.p99Ms} ms`, met: f.p99Ms <= GOALS.ackP99Ms });
  }
  for (const f of figures.handlers) {
    results.push({ name: `functions/${f.channel}.ts ack p99, one request at a time`, target: `≤ ${GOALS.ackP99Ms} ms`, measured: `${f.oneAtATime.p99Ms} ms`, met: f.oneAtATime.p99Ms <= GOALS.ackP99Ms });
  }

  // Issue 22: each ingress handler next to Bolt's, the same kind of signed events, one process.
  for (const f of figures.handlers) {
    const share = f.cpuMsPerRequest / figures.bolt.cpuMsPerRequest;
    results.push({
      name: `functions/${f.channel}.ts ack CPU per request, one at a time ÷ Bolt's`, issue: 22,
      target: `≤ ${GOALS.ackCpuShareOfBolt}`,
      measured: `${round(share, 2)} (${f.cpuMsPerRequest} ms, +${f.servicesCpuMsPerRequest} ms in DynamoDB; Bolt ${figures.bolt.cpuMsPerRequest} ms, work included)`,
      met: share <= GOALS.ackCpuShareOfBolt,
    });
    const burst = f.p99Ms / figures.bolt.p99Ms;
    results.push({
      name: `functions/${f.channel}.ts p99 of ${f.requests} at once ÷ Bolt's`, issue: 22,
      target: `≤ ${GOALS.burstP99ShareOfBolt}`,
      measured: `${round(burst, 2)} (${f.p99Ms} ms; Bolt ${figures.bolt.p99Ms} ms)`,
      met: burst <= GOALS.burstP99ShareOfBolt,
    });
  }

  for (const f of figures.dynamo) {
    results.push({ name: `${f.channel} ${f.turn} turn: ingress DynamoDB requests`, target: 'exactly 1', measured: String(f.ingress), met: f.ingress === 1 });
    if (f.turn === 'steady') results.push({ name: `${f.channel} steady turn: DynamoDB requests in all`, target: '≤ 3', measured: `${f.total} (ingress ${f.ingress} + worker ${f.worker})`, met: f.total <= 3 });
  }

  // Load ratios and sizes as SST bundles them (the SDK inside).
  const bundled = figures.bundles.figures.filter((f) => !f.awsSdkExternal);
  const bolt = bundled.find((f) => f.variant === 'baseline' && f.function === 'bolt');
  const boltNote = bolt ? `; Bolt App + AwsLambdaReceiver ${times(bolt.loadRatio)}` : '';
  for (const profile of CHANNEL_PROFILES) {
    const f = bundled.find((b) => b.variant === 'bridge' && b.function === profile.channel);
    if (!f) continue;
    const ratioGoal = profile.benchBudget?.ingressLoadRatio ?? GOALS.ingressLoadRatio;
    results.push({
      name: `${profile.channel} ingress load ÷ bare node`, issue: 22,
      target: `≤ ${ratioGoal}×`,
      measured: `${times(f.loadRatio)} (${f.processMs} ms ÷ ${figures.bundles.bareNode.processMs} ms${boltNote})`,
      met: f.loadRatio <= ratioGoal,
    });
    const kib = profile.benchBudget?.ingressBundleKiB ?? GOALS.ingressBundleKiB;
    results.push({ name: `${profile.channel} ingress bundle, SDK bundled (SST default)`, target: `≤ ${kib} KB`, measured: `${Math.round(f.bytes / KIB)} KB`, met: f.bytes <= kib * KIB });
  }
  const worker = bundled.find((b) => b.variant === 'bridge' && b.function === 'worker');
  if (worker) {
    results.push({
      name: 'worker load ÷ bare node', issue: 22,
      target: `≤ ${GOALS.workerLoadRatio}×`,
      measured: `${times(worker.loadRatio)} (${worker.processMs} ms, ${Math.round(worker.bytes / KIB)} KB)`,
      met: worker.loadRatio <= GOALS.workerLoadRatio,
    });
  }

  const t = figures.throughput;
  results.push({
    name: 'throughput, local stack, Brek at 0 ms', issue: 22,
    target: `≥ ${GOALS.turnsPerSecond} turns/s`,
    measured: `${t.turnsPerSecond} turns/s, ${t.cpuMsPerTurn} ms CPU a turn (+${t.servicesCpuMsPerTurn} ms in the services)`,
    met: t.turnsPerSecond >= GOALS.turnsPerSecond,
  });
  return results;
}
