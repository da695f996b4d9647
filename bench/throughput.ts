// Figure 4: turns per second end to end through the local stack with Brek answering at once —
// signed Slack requests over HTTP, the in-process worker and the fake Slack Web API in this
// process, DynamoDB (dynalite) and Brek (the sandbox) in the services' process — and the CPU each
// process spends per turn. The bridge's figure (process.cpuUsage) includes the fake Slack and the
// load generator: an upper bound on the bridge's own share.
import type { BenchOptions } from './options.ts';
import type { BenchStack } from './stack.ts';
import { median, repeat, round } from './stats.ts';
import { sendPooled, traveller, type PreparedRequest } from './traffic.ts';

export interface ThroughputFigure {
  turns: number;
  travellers: number;
  concurrency: number;
  /** Medians over the runs. */
  turnsPerSecond: number;
  cpuMsPerTurn: number;
  /** The services' process (dynalite, the sandbox), per turn. */
  servicesCpuMsPerTurn: number;
  /** DynamoDB requests per turn in the mix (first turns and follow-ups), both clients together. */
  dynamoPerTurn: number;
  runs: { seconds: number; turnsPerSecond: number; cpuMsPerTurn: number; servicesCpuMsPerTurn: number; dynamoPerTurn: number }[];
  cores: number;
}

const CONVERSATION = ['find me a seattle hotel tomorrow', 'for 2 nights', 'refundable', 'cheap', 'under $300', '4+ stars'];

export async function measureThroughput(bench: BenchStack, options: BenchOptions): Promise<ThroughputFigure> {
  const { stack, dynamo } = bench;
  await bench.setBrekLatency(0);
  await stack.idle();
  const actors = Math.ceil(options.throughputTurns / options.turnsPerActor);
  const runs = await repeat(options.runs, async () => {
    const travellers = Array.from({ length: actors }, () => traveller(stack, 'slack'));
    // Round by round, so each traveller's messages leave in conversation order.
    const requests: PreparedRequest[] = [];
    for (let round = 0; round < options.turnsPerActor; round++) {
      for (const t of travellers) if (requests.length < options.throughputTurns) requests.push(t.message(CONVERSATION[round % CONVERSATION.length]!));
    }
    const turns = requests.length;
    dynamo.ingress.reset();
    dynamo.worker.reset();
    const cpuBefore = process.cpuUsage();
    const servicesBefore = bench.servicesCpuMs();
    const started = performance.now();
    const timings = await sendPooled(stack.url, requests, options.throughputConcurrency);
    await stack.idle();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const refused = timings.filter((t) => t.status !== 200).length;
    if (refused > 0) throw new Error(`throughput: ${refused} of ${turns} requests were not acknowledged`);
    const replies = travellers.reduce((sum, t) => sum + t.replies(), 0);
    if (replies < turns) throw new Error(`throughput: ${turns} turns sent, ${replies} replies posted`);
    return {
      seconds: round(seconds, 2),
      turnsPerSecond: round(turns / seconds),
      cpuMsPerTurn: round((cpu.user + cpu.system) / 1000 / turns, 2),
      servicesCpuMsPerTurn: round((bench.servicesCpuMs() - servicesBefore) / turns, 2),
      dynamoPerTurn: round((dynamo.ingress.total() + dynamo.worker.total()) / turns, 2),
    };
  });
  return {
    turns: Math.min(options.throughputTurns, actors * options.turnsPerActor),
    travellers: actors,
    concurrency: options.throughputConcurrency,
    turnsPerSecond: median(runs.map((r) => r.turnsPerSecond)),
    cpuMsPerTurn: median(runs.map((r) => r.cpuMsPerTurn)),
    servicesCpuMsPerTurn: median(runs.map((r) => r.servicesCpuMsPerTurn)),
    dynamoPerTurn: median(runs.map((r) => r.dynamoPerTurn)),
    runs,
    cores: options.cores,
  };
}
