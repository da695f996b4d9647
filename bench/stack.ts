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
import { countRequests, type DynamoCounter } from './dynamo-counter.ts';

export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
const ADMIN_KEY = 'bench-admin-key';

export interface BenchStack {
  stack: Stack;
  dynamo: { ingress: DynamoCounter; worker: DynamoCounter };
  /** Brek's (the sandbox's) added latency on createSession and sendEvent; 0 clears it. */
  setBrekLatency(ms: number): Promise<void>;
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

export async function startBenchStack(): Promise<BenchStack> {
  const services = await startServices();
  const stack = await startStack({
    dataDir: 'memory',
    // Lines are still built (that CPU is part of a turn), only not written out.
    logger: createLogger({ sink: () => undefined }),
    env: {
      PORT: '0',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      ACTOR_ID_SECRET: randomBytes(16).toString('hex'),
      AWS_ENDPOINT_URL_DYNAMODB: services.dynamoEndpoint,
      BREK_BASE_URL: services.brekUrl,
      BREK_PARTNER_API_KEY: DEV_PARTNER_KEY,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const sandboxUrl = services.brekUrl;
  return {
    stack,
    dynamo: { ingress: countRequests(stack.db.ingress, 'ingress'), worker: countRequests(stack.db.worker, 'worker') },
    async setBrekLatency(ms) {
      const res = await fetch(`${sandboxUrl}/__sandbox/faults`, {
        method: ms === 0 ? 'DELETE' : 'PUT',
        headers: { 'x-sandbox-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
        ...(ms === 0 ? {} : { body: JSON.stringify({ endpoints: { createSession: { latencyMs: ms }, sendEvent: { latencyMs: ms } } }) }),
      });
      if (!res.ok) throw new Error(`sandbox faults: HTTP ${res.status} ${await res.text()}`);
    },
    servicesCpuMs: () => cpuMsOf(services.child.pid),
    async close() {
      await stack.close();
      services.child.kill('SIGTERM');
      await once(services.child, 'exit');
    },
  };
}
