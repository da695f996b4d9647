// The side-by-side baseline: a straightforward Bolt app for Lambda — `App` on an
// `AwsLambdaReceiver`, whose message listener creates a Brek session, sends the event and says the
// answer before it returns. On Lambda the function is frozen once the handler returns, so Bolt's
// receiver returns (acks) only after the listener finishes: the ack waits for Brek.
//
// Served here by a tiny node:http server that turns each request into an API Gateway v2 /
// Function URL event and calls `receiver.toHandler()` with it — the same HTTP requests, signed the
// same way, as the bridge's /slack/events gets. It talks to the fake Slack Web API
// (clientOptions.slackApiUrl) and never verifies its token, so nothing leaves the machine.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsEventV2 } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { lowerCaseHeaders } from '../core/http.ts';
import type { Stack } from '../dev/stack.ts';
import { boltLambdaApp } from './bolt-app.ts';
import type { BenchOptions } from './options.ts';
import { SIGNING_SECRET, type BenchStack } from './stack.ts';
import { median, percentile, repeat, round } from './stats.ts';
import { traveller } from './traffic.ts';

export interface BoltBaseline {
  url: string;
  /** The receiver's Lambda handler itself, for calling without the HTTP server. */
  handler: BoltHandler;
  close(): Promise<void>;
}

type BoltHandler = ReturnType<typeof boltLambdaApp>;

export async function startBoltBaseline(stack: Stack): Promise<BoltBaseline> {
  const handler = boltLambdaApp({
    signingSecret: SIGNING_SECRET,
    token: stack.slack.botToken,
    slackApiUrl: stack.slack.apiUrl,
    brek: { baseUrl: stack.config.brek.baseUrl!, apiKey: stack.config.brek.apiKey ?? '', authStyle: stack.config.brek.authStyle },
  });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? '/', 'http://bolt');
      const event: AwsEventV2 = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.replace(/^\?/, ''),
        headers: lowerCaseHeaders(req.headers),
        body: Buffer.concat(chunks).toString('utf8'),
        isBase64Encoded: false,
        requestContext: { http: { method: req.method ?? 'POST', path: url.pathname } },
      };
      const result = await handler(event, {});
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
      res.writeHead(result.statusCode, headers);
      res.end(result.body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface BoltHandlerFigure {
  requests: number;
  /** All `requests` at once into the one handler: medians over the runs of each run's p50 and p99. */
  p50Ms: number;
  p99Ms: number;
  /** One at a time: this process's CPU per request (the Brek calls and the `say` included, as Bolt must make them before acking). */
  cpuMsPerRequest: number;
  /** The services' process (DynamoDB, Brek) per request, one at a time. */
  servicesCpuMsPerRequest: number;
  cores: number;
}

/**
 * Bolt's receiver handler called directly with Function-URL events, as functions/<channel>.ts is in
 * handlers.ts: the same signed Slack messages, no HTTP server in between.
 */
export async function measureBoltHandler(bench: BenchStack, options: BenchOptions): Promise<BoltHandlerFigure> {
  const { stack } = bench;
  const bolt = await startBoltBaseline(stack);
  try {
    const events = (): AwsEventV2[] =>
      Array.from({ length: options.ackRequests }, (_, i) => {
        const request = traveller(stack, 'slack').message(`find me a hotel in seattle tomorrow (#${i})`);
        return { version: '2.0', routeKey: '$default', rawPath: request.path, rawQueryString: '', headers: request.headers, body: request.body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: request.path } } };
      });
    const timed = async (event: AwsEventV2) => {
      const started = performance.now();
      const result = await bolt.handler(event, {});
      if (result.statusCode !== 200) throw new Error(`Bolt's handler answered ${result.statusCode}`);
      return performance.now() - started;
    };
    const burst = async () => {
      const ms = await Promise.all(events().map(timed));
      return { p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)) };
    };
    const sequential = async () => {
      const batch = events();
      const cpuBefore = process.cpuUsage();
      const servicesBefore = bench.servicesCpuMs();
      for (const event of batch) await timed(event);
      const cpu = process.cpuUsage(cpuBefore);
      return { cpuMs: (cpu.user + cpu.system) / 1000 / batch.length, servicesMs: (bench.servicesCpuMs() - servicesBefore) / batch.length };
    };
    await burst(); // warm, as the bridge's handlers are
    const bursts = await repeat(options.runs, burst);
    const sequentialRuns = await repeat(options.runs, sequential);
    return {
      requests: options.ackRequests,
      p50Ms: median(bursts.map((r) => r.p50Ms)),
      p99Ms: median(bursts.map((r) => r.p99Ms)),
      cpuMsPerRequest: round(median(sequentialRuns.map((r) => r.cpuMs)), 2),
      servicesCpuMsPerRequest: round(median(sequentialRuns.map((r) => r.servicesMs)), 2),
      cores: options.cores,
    };
  } finally {
    await bolt.close();
  }
}
