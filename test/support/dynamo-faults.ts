// A fault-injecting HTTP proxy for a DynamoDB endpoint (dynalite in tests), so real SDK clients see
// the failures a real network produces: a connection reset before the request reached DynamoDB
// (the write certainly did not happen) and one after DynamoDB answered (the write happened, the
// answer was lost). Decisions come from a seeded PRNG so a failing run can be replayed exactly.
import http from 'node:http';
import { mulberry32 } from '../../dev/fakes/faults.ts';
import type { AddressInfo, Socket } from 'node:net';

interface FaultSettings {
  /** Probability that a request is reset on arrival, before anything is forwarded. */
  resetBefore?: number;
  /** Probability that a request is forwarded, answered in full upstream, and the answer dropped. */
  resetAfter?: number;
  /** DynamoDB operations (`PutItem`, `UpdateItem`, ...) that may fault; default all. */
  operations?: string[];
  /** Inject at most this many faults, then turn faults off by themselves (e.g. fail only the first attempt). */
  maxFaults?: number;
}

export { mulberry32 };

export type FaultOutcome = 'forwarded' | 'resetBefore' | 'resetAfter' | 'outage';

type OperationStats = Record<FaultOutcome, number>;

export interface DynamoFaultProxy {
  /** http://127.0.0.1:PORT — give this to the SDK as `endpoint`. */
  readonly endpoint: string;
  /** Replaces the fault settings; `null` turns faults off. The PRNG stream carries on across calls. */
  set(settings: FaultSettings | null): void;
  /** For the next `ms`, every request is reset on arrival, whatever the settings. Returns at once. */
  outage(ms: number): void;
  outageActive(): boolean;
  /**
   * Per operation, how each request was handled; every request lands in exactly one bucket, counted
   * when it is decided. A snapshot: later requests do not change an object already returned.
   */
  readonly stats: Record<string, OperationStats>;
  /** Every decision in arrival order, for comparing two runs. A copy. */
  readonly log: ReadonlyArray<{ operation: string; outcome: FaultOutcome }>;
  close(): Promise<void>;
}


/** `DynamoDB_20120810.PutItem` → `PutItem`; requests without the header count as `(none)`. */
function operationOf(target: string | string[] | undefined): string {
  const value = Array.isArray(target) ? target[0] : target;
  if (!value) return '(none)';
  const dot = value.lastIndexOf('.');
  return dot >= 0 ? value.slice(dot + 1) : value;
}

// Connection management is per hop: the proxy keeps its own keep-alive with the client.
const HOP_BY_HOP_RESPONSE = new Set(['connection', 'keep-alive']);

function checkProbability(name: string, value: number | undefined): number {
  const p = value ?? 0;
  if (!Number.isFinite(p) || p < 0 || p > 1) throw new RangeError(`${name} must be within [0, 1], got ${p}`);
  return p;
}

/** An RST, not a polite FIN: the SDK sees ECONNRESET, as when a load balancer or NAT drops the flow. */
function reset(socket: Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

export async function startDynamoFaultProxy(options: { target: string; seed?: number }): Promise<DynamoFaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`fault proxy forwards plain http only, got ${options.target}`);
  // A test tool: it must never end up relaying to a real AWS endpoint.
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error(`fault proxy forwards to loopback only, got ${options.target}`);
  const random = mulberry32(options.seed ?? 1);
  const upstreamAgent = new http.Agent({ keepAlive: true });

  let settings: { resetBefore: number; resetAfter: number; operations: Set<string> | null } | null = null;
  let faultsLeft = Infinity;
  let outageUntil = 0;
  const stats: Record<string, OperationStats> = {};
  const log: Array<{ operation: string; outcome: FaultOutcome }> = [];

  function record(operation: string, outcome: FaultOutcome): FaultOutcome {
    const entry = (stats[operation] ??= { forwarded: 0, resetBefore: 0, resetAfter: 0, outage: 0 });
    entry[outcome]++;
    log.push({ operation, outcome });
    return outcome;
  }

  function decide(operation: string): FaultOutcome {
    if (Date.now() < outageUntil) return record(operation, 'outage');
    if (!settings || faultsLeft <= 0) return record(operation, 'forwarded');
    if (settings.operations && !settings.operations.has(operation)) return record(operation, 'forwarded');
    // One draw per eligible request, split into [before | after | none], so the same seed and the
    // same requests replay the same faults.
    const r = random();
    let outcome: FaultOutcome = 'forwarded';
    if (r < settings.resetBefore) outcome = 'resetBefore';
    else if (r < settings.resetBefore + settings.resetAfter) outcome = 'resetAfter';
    if (outcome !== 'forwarded' && --faultsLeft <= 0) settings = null;
    return record(operation, outcome);
  }

  const server = http.createServer((req, res) => {
    const clientSocket = req.socket;
    // The client may hang up at any point; neither side's errors may take the test process down.
    req.on('error', () => {});
    res.on('error', () => {});

    const outcome = decide(operationOf(req.headers['x-amz-target']));
    if (outcome === 'resetBefore' || outcome === 'outage') {
      reset(clientSocket);
      return;
    }

    let upstreamDone = false;
    const upstream = http.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        // Raw and in order, Host included: what the client signed is what upstream receives.
        headers: req.rawHeaders,
        agent: upstreamAgent,
      },
      (upstreamRes) => {
        upstreamRes.on('error', () => reset(clientSocket));
        upstreamRes.on('end', () => {
          upstreamDone = true;
        });
        const headers: string[] = [];
        for (let i = 0; i + 1 < upstreamRes.rawHeaders.length; i += 2) {
          const name = upstreamRes.rawHeaders[i]!;
          if (!HOP_BY_HOP_RESPONSE.has(name.toLowerCase())) headers.push(name, upstreamRes.rawHeaders[i + 1]!);
        }
        if (outcome === 'resetAfter') {
          // Read the answer in full so the work is certainly done upstream, then drop it.
          upstreamRes.resume();
          upstreamRes.on('end', () => reset(clientSocket));
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => reset(clientSocket));
    // A client that gives up before upstream has answered: stop the upstream exchange too. Not once
    // upstream is done, since its socket may already be back in the pool serving another request.
    res.on('close', () => {
      if (!upstreamDone) upstream.destroy();
    });
    req.pipe(upstream);
  });
  // Malformed requests or resets mid-parse: just drop the connection.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    set(next) {
      if (next === null) {
        settings = null;
        faultsLeft = Infinity;
        return;
      }
      const resetBefore = checkProbability('resetBefore', next.resetBefore);
      const resetAfter = checkProbability('resetAfter', next.resetAfter);
      if (resetBefore + resetAfter > 1) throw new RangeError('resetBefore + resetAfter must not exceed 1');
      const maxFaults = next.maxFaults ?? Infinity;
      if (!(maxFaults > 0)) throw new RangeError(`maxFaults must be positive, got ${maxFaults}`);
      settings = { resetBefore, resetAfter, operations: next.operations ? new Set(next.operations) : null };
      faultsLeft = maxFaults;
    },
    outage(ms) {
      outageUntil = Date.now() + ms;
    },
    outageActive: () => Date.now() < outageUntil,
    get stats() {
      return Object.fromEntries(Object.entries(stats).map(([op, counts]) => [op, { ...counts }]));
    },
    get log() {
      return log.map((entry) => ({ ...entry }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        upstreamAgent.destroy();
        server.close(() => resolve());
      }),
  };
}
