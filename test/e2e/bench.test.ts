// `npm run bench -- --quick` as a person runs it: it exits 0, prints its tables and writes a
// results file with every figure group. Timing targets are not asserted (machines are noisy);
// only that each figure was produced and is sane.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AckFigure, AckRatio } from '../../bench/ack.ts';
import type { BoltHandlerFigure } from '../../bench/bolt.ts';
import type { BareNodeFigure, BundleFigure } from '../../bench/bundles.ts';
import type { DynamoFigure } from '../../bench/dynamo.ts';
import type { HandlerAckFigure } from '../../bench/handlers.ts';
import type { CalibrationFigure, PipelineModelFigure } from '../../bench/pipeline-bench.ts';
import type { TargetResult } from '../../bench/targets.ts';
import type { ThroughputFigure } from '../../bench/throughput.ts';
import { CHANNEL_PROFILES } from '../../adapters/profiles.ts';
import { run } from '../support/spawn.ts';

interface Results {
  meta: { commit: string; cores: number; quick: boolean };
  ack: { figures: AckFigure[]; ratios: AckRatio[] };
  ackHandlers: HandlerAckFigure[];
  boltHandler: BoltHandlerFigure;
  dynamo: DynamoFigure[];
  bundles: BundleFigure[];
  bareNode: BareNodeFigure;
  throughput: ThroughputFigure;
  targets: TargetResult[];
  pipelineModel: PipelineModelFigure;
  pipelineCalibration: CalibrationFigure;
}

const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;

describe('npm run bench -- --quick', () => {
  it('prints every table and writes results with all figure groups', async () => {
    const resultsFile = join(await mkdtemp(join(tmpdir(), 'bridge-bench-')), 'results.json');
    const bench = run('npm', ['run', '--silent', 'bench', '--', '--quick'], { BENCH_RESULTS_FILE: resultsFile });
    expect(await bench.exited, bench.output()).toBe(0);
    const out = bench.output();
    for (const title of [
      'Ack latency',
      'Ingress handlers alone',
      'Bridge Slack ack / Bolt ack',
      'DynamoDB requests per turn',
      'Bundles',
      'Throughput',
      'Pipeline model:',
      'Pipeline model: candidate stream settings',
      "where the deployed bridge starts to queue at Brek's quota",
      'Why the chosen settings',
      'Pipeline calibration',
      'Issue 22 goals: ratios measured in this run',
      'Targets',
    ]) {
      expect(out).toContain(title);
    }

    const results = JSON.parse(await readFile(resultsFile, 'utf8')) as Results;
    expect(results.meta.quick).toBe(true);
    expect(results.meta.cores).toBeGreaterThan(0);

    const servers = new Set(results.ack.figures.map((f) => f.server));
    expect([...servers].sort()).toEqual(['bolt', 'slack', 'teams', 'whatsapp']);
    for (const f of results.ack.figures) {
      expect(positive(f.p50Ms) && positive(f.p99Ms), `${f.server} at ${f.brekLatencyMs} ms`).toBe(true);
      expect(f.p99Ms).toBeGreaterThanOrEqual(f.p50Ms);
      expect(f.cores).toBe(results.meta.cores);
    }
    expect(new Set(results.ack.figures.map((f) => f.brekLatencyMs)).size).toBe(2);
    expect(results.ack.ratios.every((r) => positive(r.p50) && positive(r.p99))).toBe(true);
    expect(results.ackHandlers.map((f) => f.channel).sort()).toEqual(['slack', 'teams', 'whatsapp']);
    expect(results.ackHandlers.every((f) => positive(f.p50Ms) && f.p99Ms >= f.p50Ms)).toBe(true);
    expect(results.ackHandlers.every((f) => positive(f.oneAtATime.p50Ms) && f.oneAtATime.p99Ms >= f.oneAtATime.p50Ms)).toBe(true);
    expect(results.ackHandlers.every((f) => positive(f.cpuMsPerRequest) && f.servicesCpuMsPerRequest >= 0)).toBe(true);
    // The Bolt baseline's handler, called the same way: what the CPU and burst ratios divide by.
    expect(positive(results.boltHandler.cpuMsPerRequest) && positive(results.boltHandler.p50Ms) && results.boltHandler.p99Ms >= results.boltHandler.p50Ms).toBe(true);

    for (const channel of ['slack', 'teams', 'whatsapp']) {
      for (const turn of ['first', 'steady']) {
        const f = results.dynamo.find((d) => d.channel === channel && d.turn === turn);
        expect(f, `${channel} ${turn}`).toBeDefined();
        expect(positive(f!.ingress) && positive(f!.worker)).toBe(true);
        expect(f!.total).toBe(f!.ingress + f!.worker);
      }
    }

    for (const fn of ['slack', 'teams', 'whatsapp', 'worker']) {
      for (const variant of ['bridge', 'naive']) {
        const f = results.bundles.find((b) => b.function === fn && b.variant === variant);
        expect(f, `${fn} ${variant}`).toBeDefined();
        expect(positive(f!.bytes) && positive(f!.initMs)).toBe(true);
        expect(f!.largest.length).toBeGreaterThan(0);
      }
      // The careful imports are the point: the naive bundle is bigger.
      const own = results.bundles.find((b) => b.function === fn && b.variant === 'bridge' && !b.awsSdkExternal)!;
      const naive = results.bundles.find((b) => b.function === fn && b.variant === 'naive' && !b.awsSdkExternal)!;
      expect(naive.bytes).toBeGreaterThan(own.bytes);
    }
    // Every load is also a ratio to a bare node measured in the same run; the baselines sit beside them.
    expect(positive(results.bareNode.processMs)).toBe(true);
    expect(results.bundles.every((b) => positive(b.processMs) && Math.abs(b.loadRatio - b.processMs / results.bareNode.processMs) < 0.05)).toBe(true);
    expect(results.bundles.some((b) => b.variant === 'baseline' && b.function === 'bolt')).toBe(true);
    expect(results.bundles.some((b) => b.variant === 'baseline' && b.function === 'twilio')).toBe(true);
    // Issue 22's goals, one per registered ingress (load, ack CPU and burst ÷ Bolt's), the worker and throughput.
    const issue22 = results.targets.filter((t) => t.issue === 22);
    expect(issue22.length).toBe(CHANNEL_PROFILES.length * 3 + 2);
    for (const profile of CHANNEL_PROFILES) expect(issue22.some((t) => t.name === `${profile.channel} ingress load ÷ bare node`), profile.channel).toBe(true);

    expect(positive(results.throughput.turnsPerSecond) && positive(results.throughput.cpuMsPerTurn) && positive(results.throughput.dynamoPerTurn)).toBe(true);
    expect(results.targets.length).toBeGreaterThan(0);
    expect(results.targets.every((t) => typeof t.met === 'boolean')).toBe(true);

    // The pipeline model: every rate, today's and the chosen settings, at the quota and without it.
    const model = results.pipelineModel;
    for (const quota of [120, 1_000_000]) {
      for (const rate of [1, 10, 100, 1000]) {
        for (const settings of ['today', 'chosen']) {
          const r = model.rows.find((row) => row.quotaPerMinute === quota && row.turnsPerSecond === rate && row.settings === settings);
          expect(r, `${settings} at ${rate}/s, quota ${quota}`).toBeDefined();
          expect(r!.turns).toBeGreaterThan(0);
          expect(positive(r!.answeredPerSecond) && positive(r!.p50Seconds) && r!.p99Seconds! >= r!.p50Seconds!).toBe(true);
          expect(r!.answeredPerSecond).toBeLessThanOrEqual(rate * 1.5);
          expect(r!.apologyShare).toBeGreaterThanOrEqual(0);
          expect(r!.apologyShare).toBeLessThanOrEqual(1);
          expect(r!.brek429s).toBeLessThanOrEqual(r!.brekRequests);
          expect(r!.largestBatch).toBeLessThanOrEqual(r!.stream.batchSize);
        }
      }
    }
    // The quota caps the answers: nothing beyond the pacer's pace for new conversations (2 requests a turn) and follow-ups (1).
    const sat = model.saturation;
    expect(sat.turnsPerSecond.newConversations).toBeCloseTo(0.9, 5);
    expect(sat.turnsPerSecond.followUpsOnly).toBeCloseTo(1.8, 5);
    expect(sat.turnsPerSecond.mix).toBeGreaterThan(0.9);
    expect(sat.turnsPerSecond.mix).toBeLessThan(1.8);
    for (const r of model.rows.filter((row) => row.quotaPerMinute === 120)) expect(r.answeredPerSecond).toBeLessThanOrEqual(sat.turnsPerSecond.followUpsOnly * 1.1);
    expect(model.candidates.length).toBeGreaterThan(2);
    expect(model.why.length).toBeGreaterThan(2);
    expect(model.chosen.parallelizationFactor).toBeLessThanOrEqual(10);

    // The calibration: the local stack's measured reply latency next to the model's, both settings.
    expect(results.pipelineCalibration.rows.map((r) => r.settings)).toEqual(['today', 'chosen']);
    for (const r of results.pipelineCalibration.rows) {
      expect(r.turns).toBeGreaterThan(0);
      expect(r.stream.shards).toBe(1);
      for (const side of [r.measured, r.model]) {
        expect(positive(side.p50Ms) && side.p99Ms >= side.p50Ms && side.batches > 0).toBe(true);
      }
      // Every reply waits at least for Brek's shortest answer.
      expect(r.measured.p50Ms).toBeGreaterThanOrEqual(results.pipelineCalibration.brek.sendEvent.latencyMs);
    }
  }, 120_000);
});
