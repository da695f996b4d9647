// Bench sizes: the full run behind `npm run bench`, and a quick one (`-- --quick` or BENCH_QUICK=1)
// small enough for the test suite. Every size used is written into the results, so a figure is
// never read without knowing what produced it.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface BenchOptions {
  quick: boolean;
  /** Runs per figure; the median is published. */
  runs: number;
  /** Concurrent requests per route in the ack figure. */
  ackRequests: number;
  /** The "slow Brek" setting of the ack figure, on createSession and sendEvent. */
  slowBrekMs: number;
  /** Travellers measured per channel in the DynamoDB figure. */
  dynamoActors: number;
  /** Fresh processes per bundle in the cold-init figure. */
  initProcesses: number;
  /** Bundle with the AWS SDK inside (SST's default), and/or with `@aws-sdk/*` external. */
  awsSdkExternal: boolean[];
  throughputTurns: number;
  /** Turns each throughput actor sends (the rest are follow-ups in a live conversation). */
  turnsPerActor: number;
  /** Requests in flight at once while sending the throughput turns. */
  throughputConcurrency: number;
  /** The pipeline model's arrivals last this long at each rate (simulated time, not wall-clock). */
  pipelineArrivalSeconds: number;
  /** The calibration's arrivals through the local stack, per stream setting (wall-clock). */
  calibrationSeconds: number;
  calibrationTurnsPerSecond: number;
  resultsFile: string;
  cores: number;
}

const ROOT = new URL('../', import.meta.url).pathname;

export function benchOptions(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  const common = { quick, resultsFile: env.BENCH_RESULTS_FILE ?? join(ROOT, 'bench', 'results.json'), cores: availableParallelism() };
  if (quick) {
    return { ...common, runs: 1, ackRequests: 10, slowBrekMs: 200, dynamoActors: 1, initProcesses: 1, awsSdkExternal: [false], throughputTurns: 40, turnsPerActor: 4, throughputConcurrency: 20, pipelineArrivalSeconds: 20, calibrationSeconds: 2.5, calibrationTurnsPerSecond: 4 };
  }
  return { ...common, runs: 3, ackRequests: 100, slowBrekMs: 5_000, dynamoActors: 5, initProcesses: 5, awsSdkExternal: [false, true], throughputTurns: 1_000, turnsPerActor: 5, throughputConcurrency: 50, pipelineArrivalSeconds: 60, calibrationSeconds: 12, calibrationTurnsPerSecond: 4 };
}
