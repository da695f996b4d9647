// The local stack as the bench drives it: in memory, quiet, with a DynamoDB counter on each
// client. DynamoDB and Brek run in a child process (bench/services.ts), as remote services do when
// deployed; the sandbox's admin API is on (for its latency setting) and its rate limit out of the way.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DEV_PARTNER_KEY } from '../sandbox/config.ts';
import { createLogger } from '../core/log.ts';
import { startStack, type Stack } from '../dev/stack.ts';
import type { StreamModelSettings } from '../dev/stream-model.ts';
import type { EndpointFaults } from '../sandbox/faults.ts';
import { countRequests, type DynamoCounter } from './dynamo-counter.ts';

export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
const ADMIN_KEY = 'bench-admin-key';

export interface BenchStack {
  stack: Stack;
  dynamo: { ingress: DynamoCounter; worker: DynamoCounter };
  /** Brek's (the sandbox's) added latency on createSession and sendEvent; 0 clears it. */
  setBrekLatency(ms: number): Promise<void>;
  /** The sandbox's latency (and jitter) per endpoint, for the pipeline calibration. */
  setBrekDelays(endpoints: { createSession: EndpointFaults; sendEvent: EndpointFaults }): Promise<void>;
  /** CPU milliseconds the services' process (DynamoDB, Brek) has used so far. */
  servicesCpuMs(): number;
  close(): Promise<void>;
}

async function startServices(): Promise<{ child: ChildProcess; dynamoEndpoint: string; brekUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./services.ts', import.meta.url).pathname], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, BREK_SANDBOX_ADMIN_KEY: ADMIN_KEY, BREK_SANDBOX_RATE_LIMIT: '1000000' },
  });
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => { throw new Error('bench services exited at start'); })])) as [string];
  return { child, ...(JSON.parse(first) as { dynamoEndpoint: string; brekUrl: string }) };
}

/** utime + stime of a Linux process, in ms (clock ticks are 100 a second there). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** `stream`: the worker as the deployed stream would run it (dev/stream-model.ts); unset, every thread at once. */
export async function startBenchStack(options: { stream?: StreamModelSettings } = {}): Promise<BenchStack> {
  const services = await startServices();
  const stack = await startStack({
    dataDir: 'memory',
    ...(options.stream ? { stream: options.stream } : {}),
    // Lines are still built (that CPU is part of a turn), only not written out.
    logger: createLogger({ sink: () => undefined }),
    env: {
      PORT: '0',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      ACTOR_ID_SECRET: randomBytes(16).toString('hex'),
      AWS_ENDPOINT_URL_DYNAMODB: services.dynamoEndpoint,
      BREK_BASE_URL: services.brekUrl,
      BREK_PARTNER_API_KEY: DEV_PARTNER_KEY,
      // The sandbox's own quota (above): the bridge paces by it.
      BREK_RATE_LIMIT_PER_MINUTE: '1000000',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const sandboxUrl = services.brekUrl;
  const putFaults = async (method: 'PUT' | 'DELETE', settings?: unknown) => {
    const res = await fetch(`${sandboxUrl}/__sandbox/faults`, {
      method,
      headers: { 'x-sandbox-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
      ...(settings === undefined ? {} : { body: JSON.stringify(settings) }),
    });
    if (!res.ok) throw new Error(`sandbox faults: HTTP ${res.status} ${await res.text()}`);
  };
  return {
    stack,
    dynamo: { ingress: countRequests(stack.db.ingress, 'ingress'), worker: countRequests(stack.db.worker, 'worker') },
    setBrekLatency: (ms) => (ms === 0 ? putFaults('DELETE') : putFaults('PUT', { endpoints: { createSession: { latencyMs: ms }, sendEvent: { latencyMs: ms } } })),
    setBrekDelays: (endpoints) => putFaults('PUT', { endpoints }),
    servicesCpuMs: () => cpuMsOf(services.child.pid),
    async close() {
      await stack.close();
      services.child.kill('SIGTERM');
      await once(services.child, 'exit');
    },
  };
}
