// `npm run bench`: the bridge's performance figures (ack latency and CPU next to a plain Bolt app,
// DynamoDB requests per turn, bundle size and cold load as a ratio to a bare node, end-to-end
// throughput, the deployed pipeline's model and its calibration against the local stack; issue
// 22's goals as ratios measured in the same run), printed as tables and
// written to bench/results.json (BENCH_RESULTS_FILE elsewhere). `-- --quick` or BENCH_QUICK=1 runs
// tiny sizes (the test suite's smoke check); its figures are not for publishing.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { measureAcks } from './ack.ts';
import { measureBoltHandler } from './bolt.ts';
import { functionEnv, measureBundles } from './bundles.ts';
import { measureDynamoPerTurn } from './dynamo.ts';
import { measureHandlers } from './handlers.ts';
import { parseCommandLine } from '../dev/args.ts';
import { benchOptions } from './options.ts';
import { calibratePipeline, measurePipelineModel, pipelineTables } from './pipeline-bench.ts';
import { startBenchStack, type BenchStack } from './stack.ts';
import { kib, table } from './table.ts';
import { evaluateTargets } from './targets.ts';
import { measureThroughput } from './throughput.ts';
import { CHANNELS, sendAll, traveller } from './traffic.ts';

// Node 20 is the project's local runtime; the AWS SDK's notice about its future floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = new URL('../', import.meta.url).pathname;

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** A few turns per channel first, so JIT compilation and connection set-up are not measured. */
async function warmUp(bench: BenchStack, perChannel: number): Promise<void> {
  for (const channel of CHANNELS) {
    await sendAll(bench.stack.url, Array.from({ length: perChannel }, () => traveller(bench.stack, channel).message('seattle tomorrow')));
  }
  await bench.stack.idle();
}

const load = () => loadavg().map((n) => Math.round(n * 100) / 100);

const commandLine = parseCommandLine({
  command: 'npm run bench',
  synopsis: '[-- options]',
  summary: 'Measures the bridge (ack latency, DynamoDB requests per turn, bundles, throughput, the pipeline model) and writes bench/results.json.',
  options: { quick: { type: 'boolean', description: 'tiny sizes, for a smoke check (BENCH_QUICK=1); its figures are not for publishing' } },
  sections: [{ heading: 'environment', lines: ['BENCH_RESULTS_FILE   where to write the results (default bench/results.json)', 'BENCH_QUICK=1        the same as --quick'] }],
  examples: ['npm run bench', 'npm run bench -- --quick'],
});

async function main(): Promise<void> {
  const options = benchOptions(commandLine.values.quick ? ['--quick'] : []);
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const meta = {
    commit: git(['rev-parse', '--short', 'HEAD']),
    // Tracked files only: a worktree's untracked node_modules link is not a change to the code measured.
    uncommittedChanges: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    date: new Date().toISOString(),
    node: process.version,
    cores: options.cores,
    cpu: cpus()[0]?.model ?? 'unknown',
    quick: options.quick,
    /** 1/5/15-minute load averages: a busy machine shows here. */
    loadAverage: { start: load(), end: [] as number[] },
    options: { ...options, resultsFile: undefined },
  };

  const bench = await startBenchStack();
  let results;
  try {
    // Bundles first, while the stack is idle, so the fresh processes have the CPU to themselves;
    // they read the environment the stack resolved for its channels.
    log('bundles and cold init');
    const measured = await measureBundles(options, functionEnv(bench.stack.env));
    await warmUp(bench, options.quick ? 2 : 20);
    log('DynamoDB requests per turn');
    const dynamo = await measureDynamoPerTurn(bench, options);
    log(`ack latency (${options.ackRequests} concurrent requests per route, Brek at 0 and ${options.slowBrekMs} ms)`);
    const ack = await measureAcks(bench, options);
    log('ingress handlers called directly (no HTTP server, no worker)');
    const ackHandlers = await measureHandlers(bench, options);
    log('Bolt baseline handler called directly');
    const boltHandler = await measureBoltHandler(bench, options);
    log(`throughput (${options.throughputTurns} turns)`);
    const throughput = await measureThroughput(bench, options);
    const targets = evaluateTargets({ ack: ack.figures, handlers: ackHandlers, bolt: boltHandler, slowBrekMs: options.slowBrekMs, dynamo, bundles: measured, throughput });
    results = { meta, ack, ackHandlers, boltHandler, dynamo, bundles: measured.figures, bareNode: measured.bareNode, throughput, targets };
  } finally {
    await bench.close();
  }
  // Its own stacks (the worker modelling the stream), after the others so it disturbs none of them.
  log(`pipeline calibration (local stack, stream model, ${options.calibrationTurnsPerSecond} turns/s for ${options.calibrationSeconds} s per setting)`);
  const pipelineCalibration = await calibratePipeline(options);
  meta.loadAverage.end = load();
  log(`pipeline model (${options.pipelineArrivalSeconds} s of simulated arrivals per rate)`);
  const pipelineModel = measurePipelineModel(options);
  const allResults = { ...results, pipelineModel, pipelineCalibration };

  const runsNote = `median of ${options.runs} run${options.runs === 1 ? '' : 's'}, ${options.cores} cores, commit ${meta.commit}${meta.uncommittedChanges ? '+changes' : ''}`;
  const out = [
    table(
      `Ack latency, ${options.ackRequests} concurrent signed requests per route (ms; ${runsNote})`,
      ['server', 'Brek latency', 'p50', 'p99'],
      results.ack.figures.map((f) => [f.server === 'bolt' ? 'Bolt App + AwsLambdaReceiver (Slack)' : `bridge /${f.server}`, `${f.brekLatencyMs} ms`, f.p50Ms, f.p99Ms]),
    ),
    table(
      `Ingress handlers alone: functions/<channel>.ts called with ${options.ackRequests} concurrent Function-URL events, no worker (ms; ${runsNote})`,
      ['function', 'all at once p50', 'p99', 'one at a time p50', 'p99', 'CPU ms/request', 'services CPU ms/request (DynamoDB, Brek)'],
      [
        ...results.ackHandlers.map((f) => [`functions/${f.channel}.ts`, f.p50Ms, f.p99Ms, f.oneAtATime.p50Ms, f.oneAtATime.p99Ms, f.cpuMsPerRequest, f.servicesCpuMsPerRequest]),
        ['Bolt AwsLambdaReceiver handler (work included)', results.boltHandler.p50Ms, results.boltHandler.p99Ms, '', '', results.boltHandler.cpuMsPerRequest, results.boltHandler.servicesCpuMsPerRequest],
      ],
    ),
    table('Bridge Slack ack / Bolt ack (same requests)', ['Brek latency', 'p50 ratio', 'p99 ratio'], results.ack.ratios.map((r) => [`${r.brekLatencyMs} ms`, r.p50, r.p99])),
    table(
      `DynamoDB requests per turn (median of ${options.dynamoActors} traveller${options.dynamoActors === 1 ? '' : 's'} per channel)`,
      ['channel', 'turn', 'ingress', 'worker', 'total', 'worker requests'],
      results.dynamo.map((f) => [f.channel, f.turn, f.ingress, f.worker, f.total, Object.entries(f.workerCommands).map(([c, n]) => `${c}×${n}`).join(' ')]),
    ),
    table(
      `Bundles (esbuild, ESM, minified, node22) and cold module load in a fresh node (median of ${options.initProcesses} process${options.initProcesses === 1 ? '' : 'es'}; bare \`node -e 0\` ${results.bareNode.processMs} ms)`,
      ['function', 'variant', '@aws-sdk', 'KB', 'init ms', 'from process start ms', 'process ms', '÷ bare node', 'largest parts (KB)'],
      results.bundles.map((f) => [
        f.function,
        f.variant,
        f.awsSdkExternal ? 'external' : 'bundled',
        kib(f.bytes),
        f.initMs,
        f.sinceProcessStartMs,
        f.processMs,
        f.loadRatio,
        f.largest.slice(0, 3).map((part) => `${part.source} ${kib(part.bytes)}`).join(', '),
      ]),
    ),
    table(
      `Throughput through the local stack, Brek at 0 ms (${runsNote})`,
      ['turns', 'travellers', 'in flight', 'turns/s', 'bridge CPU ms/turn', 'services CPU ms/turn', 'DynamoDB req/turn'],
      [[results.throughput.turns, results.throughput.travellers, results.throughput.concurrency, results.throughput.turnsPerSecond, results.throughput.cpuMsPerTurn, results.throughput.servicesCpuMsPerTurn, results.throughput.dynamoPerTurn]],
    ),
    ...pipelineTables(pipelineModel, pipelineCalibration),
    table(
      `Issue 22 goals: ratios measured in this run (to a bare node, to the Bolt baseline; ${runsNote})`,
      ['', 'goal', 'measured', 'met'],
      results.targets.filter((t) => t.issue === 22).map((t) => [t.name, t.target, t.measured, t.met ? 'yes' : 'NO']),
    ),
    table('Targets', ['', 'target', 'measured', 'met'], results.targets.map((t) => [t.name, t.target, t.measured, t.met ? 'yes' : 'NO'])),
  ].join('\n');
  process.stdout.write(`${out}\n`);

  await mkdir(dirname(options.resultsFile), { recursive: true });
  await writeFile(options.resultsFile, `${JSON.stringify(allResults, null, 2)}\n`);
  log(`results written to ${options.resultsFile}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
