// The local stack as the bench drives it: in memory, quiet, with the sandbox's admin API on (for
// its latency setting) and its rate limit out of the way, and a DynamoDB counter on each client.
import { randomBytes } from 'node:crypto';
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
  close(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const stack = await startStack({
    dataDir: 'memory',
    // Lines are still built (that CPU is part of a turn), only not written out.
    logger: createLogger({ sink: () => undefined }),
    env: {
      PORT: '0',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      ACTOR_ID_SECRET: randomBytes(16).toString('hex'),
      BREK_SANDBOX_ADMIN_KEY: ADMIN_KEY,
      BREK_SANDBOX_RATE_LIMIT: '1000000',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const sandboxUrl = stack.sandbox?.url;
  if (!sandboxUrl) throw new Error('the bench needs the embedded Brek sandbox (unset BREK_BASE_URL)');
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
    close: () => stack.close(),
  };
}
