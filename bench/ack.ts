// Figure 1: how fast each ingress route acknowledges, with Brek answering at once and slowly, next
// to a straightforward Bolt app on the same Slack requests. Each run sends `ackRequests` distinct,
// correctly signed messages (one per traveller) at once and times each request to its full
// response. The local stack's worker runs in the same process, so with a fast Brek the acks share
// the CPU with the turns they started — a deployed ingress Lambda would not.
import { startBoltBaseline } from './bolt.ts';
import type { BenchOptions } from './options.ts';
import type { BenchStack } from './stack.ts';
import { median, percentile, repeat, round } from './stats.ts';
import { CHANNELS, sendAll, traveller, type Channel, type Traveller } from './traffic.ts';

type Server = Channel | 'bolt';

export interface AckFigure {
  server: Server;
  /** Brek's added latency on createSession and sendEvent. */
  brekLatencyMs: number;
  requests: number;
  /** Medians over the runs of each run's p50 and p99. */
  p50Ms: number;
  p99Ms: number;
  runs: { p50Ms: number; p99Ms: number }[];
  cores: number;
}

export interface AckRatio {
  brekLatencyMs: number;
  /** The bridge's Slack route over Bolt's, same requests; under 1 = the bridge acks sooner. */
  p50: number;
  p99: number;
}

async function oneRun(baseUrl: string, travellers: Traveller[], afterwards: () => Promise<void>): Promise<{ p50Ms: number; p99Ms: number }> {
  const requests = travellers.map((t, i) => t.message(`find me a hotel in seattle tomorrow (#${i})`));
  const timings = await sendAll(baseUrl, requests);
  const refused = timings.filter((t) => t.status !== 200);
  if (refused.length > 0) throw new Error(`${refused.length} of ${timings.length} requests to ${baseUrl}${requests[0]?.path} were not acknowledged (e.g. HTTP ${refused[0]?.status})`);
  await afterwards();
  const unanswered = travellers.filter((t) => t.replies() === 0).length;
  if (unanswered > 0) throw new Error(`${unanswered} of ${travellers.length} travellers got no reply`);
  const ms = timings.map((t) => t.ms);
  return { p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)) };
}

export async function measureAcks(bench: BenchStack, options: BenchOptions): Promise<{ figures: AckFigure[]; ratios: AckRatio[] }> {
  const { stack } = bench;
  const bolt = await startBoltBaseline(stack);
  const figures: AckFigure[] = [];
  const ratios: AckRatio[] = [];
  try {
    for (const brekLatencyMs of [0, options.slowBrekMs]) {
      await bench.setBrekLatency(brekLatencyMs);
      const servers: { server: Server; url: string; channel: Channel }[] = [
        ...CHANNELS.map((channel) => ({ server: channel, url: stack.url, channel })),
        { server: 'bolt', url: bolt.url, channel: 'slack' },
      ];
      for (const { server, url, channel } of servers) {
        const runs = await repeat(options.runs, () =>
          oneRun(
            url,
            Array.from({ length: options.ackRequests }, () => traveller(stack, channel)),
            // The bridge answers after the ack: wait for those turns (untimed) so they neither
            // overlap the next run nor go unchecked. Bolt has answered before its ack.
            () => stack.idle(),
          ),
        );
        figures.push({
          server,
          brekLatencyMs,
          requests: options.ackRequests,
          p50Ms: median(runs.map((r) => r.p50Ms)),
          p99Ms: median(runs.map((r) => r.p99Ms)),
          runs,
          cores: options.cores,
        });
      }
      const slack = figures.find((f) => f.server === 'slack' && f.brekLatencyMs === brekLatencyMs)!;
      const boltFigure = figures.find((f) => f.server === 'bolt' && f.brekLatencyMs === brekLatencyMs)!;
      ratios.push({ brekLatencyMs, p50: round(slack.p50Ms / boltFigure.p50Ms, 3), p99: round(slack.p99Ms / boltFigure.p99Ms, 3) });
    }
  } finally {
    await bench.setBrekLatency(0);
    await bolt.close();
  }
  return { figures, ratios };
}
