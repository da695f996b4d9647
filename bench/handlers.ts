// Figure 1, second view: each deployed ingress handler (functions/<channel>.ts, the module a Lambda
// loads) called directly with Function-URL events, `ackRequests` at once, against the stack's
// DynamoDB. No HTTP server and no in-process worker share the CPU with it, as on Lambda — so this
// separates what the ingress itself costs from what the local stack's worker adds to the routes.
import type { LambdaHttpEvent, LambdaHttpResult } from '../core/http.ts';
import type { BenchOptions } from './options.ts';
import type { BenchStack } from './stack.ts';
import { median, percentile, repeat, round } from './stats.ts';
import { CHANNELS, traveller, type Channel } from './traffic.ts';

export interface HandlerAckFigure {
  channel: Channel;
  requests: number;
  /** Medians over the runs of each run's p50 and p99, all `requests` at once. */
  p50Ms: number;
  p99Ms: number;
  /** The same events one after another: what one Lambda instance, which serves one request at a time, sees. */
  oneAtATime: { p50Ms: number; p99Ms: number };
  /** One at a time: this process's CPU per ack (verify, normalise, the PutItem's client side). */
  cpuMsPerRequest: number;
  /** One at a time: the services' process (DynamoDB serving the PutItem) per ack. */
  servicesCpuMsPerRequest: number;
  cores: number;
}

type Handler = (event: LambdaHttpEvent) => Promise<LambdaHttpResult>;

function isHandler(value: unknown): value is Handler {
  return typeof value === 'function';
}

export async function measureHandlers(bench: BenchStack, options: BenchOptions): Promise<HandlerAckFigure[]> {
  const { stack } = bench;
  // What each function reads at cold start: the environment the stack resolved, its channels'
  // fakes filled in (each channel's own variables come from its dev/local/ part, none listed here).
  for (const [name, value] of Object.entries(stack.env)) if (value !== undefined) process.env[name] = value;
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: stack.config.dynamoEndpoint, TABLE_NAME: stack.config.tableName });
  const figures: HandlerAckFigure[] = [];
  for (const channel of CHANNELS) {
    const loaded: Record<string, unknown> = await import(`../functions/${channel}.ts`);
    const handler = loaded.handler;
    if (!isHandler(handler)) throw new Error(`functions/${channel}.ts exports no handler`);
    const timed = async (event: LambdaHttpEvent) => {
      const started = performance.now();
      const result = await handler(event);
      return { status: result.statusCode, ms: performance.now() - started };
    };
    const oneRun = async (sequential = false) => {
      const events: LambdaHttpEvent[] = Array.from({ length: options.ackRequests }, (_, i) => {
        const request = traveller(stack, channel).message(`find me a hotel in seattle tomorrow (#${i})`);
        return { rawPath: request.path, headers: request.headers, body: request.body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: request.path } } };
      });
      const timings: { status: number; ms: number }[] = [];
      const cpuBefore = process.cpuUsage();
      const servicesBefore = bench.servicesCpuMs();
      if (sequential) for (const event of events) timings.push(await timed(event));
      else timings.push(...(await Promise.all(events.map(timed))));
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000 / events.length;
      const servicesMs = (bench.servicesCpuMs() - servicesBefore) / events.length;
      const refused = timings.filter((t) => t.status !== 200);
      if (refused.length > 0) throw new Error(`functions/${channel}.ts refused ${refused.length} of ${timings.length} events (e.g. ${refused[0]?.status})`);
      const ms = timings.map((t) => t.ms);
      return { p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)), cpuMs, servicesMs };
    };
    // The functions log to stdout as on Lambda; their lines are still built, only not printed
    // here, where they would bury the bench's tables (as the stack's own logger does).
    const write = process.stdout.write;
    process.stdout.write = () => true;
    let runs: Awaited<ReturnType<typeof oneRun>>[];
    let sequentialRuns: Awaited<ReturnType<typeof oneRun>>[];
    try {
      await oneRun(); // warm: the first calls fetch the Teams signing keys and open connections
      runs = await repeat(options.runs, () => oneRun());
      sequentialRuns = await repeat(options.runs, () => oneRun(true));
    } finally {
      process.stdout.write = write;
    }
    figures.push({
      channel,
      requests: options.ackRequests,
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      oneAtATime: { p50Ms: median(sequentialRuns.map((r) => r.p50Ms)), p99Ms: median(sequentialRuns.map((r) => r.p99Ms)) },
      cpuMsPerRequest: round(median(sequentialRuns.map((r) => r.cpuMs)), 2),
      servicesCpuMsPerRequest: round(median(sequentialRuns.map((r) => r.servicesMs)), 2),
      cores: options.cores,
    });
  }
  return figures;
}
