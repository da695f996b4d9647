// A whole local stack per test file (in memory), driven through its HTTP routes.
import { afterAll, beforeAll } from 'vitest';
import { createLogger, memorySink } from '../../core/log.ts';
import type { RequestRecord } from '../../sandbox/server.ts';
import { startStack, type Stack } from '../../dev/stack.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const ADMIN_KEY = 'stack-admin-key';

export interface StackHarness {
  stack: Stack;
  logs: ReturnType<typeof memorySink>;
  brekRequests(): Promise<RequestRecord[]>;
  faults(settings: unknown): Promise<void>;
}

export function useStack(env: Record<string, string> = {}): StackHarness {
  const logs = memorySink();
  const h = { logs } as StackHarness;
  beforeAll(async () => {
    h.stack = await startStack({
      dataDir: 'memory',
      logger: createLogger({ sink: logs.sink, level: 'debug' }),
      env: {
        PORT: '0',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        ACTOR_ID_SECRET: 'test-actor-secret-0123456789',
        BREK_SANDBOX_ADMIN_KEY: ADMIN_KEY,
        BREK_SANDBOX_RATE_LIMIT: '100000',
        ...env,
      },
    });
  });
  afterAll(async () => {
    await h.stack?.close();
  });
  h.brekRequests = async () => {
    const res = await fetch(`${h.stack.sandbox!.url}/__sandbox/requests`, { headers: { 'x-sandbox-admin-key': ADMIN_KEY } });
    return ((await res.json()) as { data: RequestRecord[] }).data;
  };
  h.faults = async (settings) => {
    await fetch(`${h.stack.sandbox!.url}/__sandbox/faults`, {
      method: settings === null ? 'DELETE' : 'PUT',
      headers: { 'x-sandbox-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
      ...(settings === null ? {} : { body: JSON.stringify(settings) }),
    });
  };
  return h;
}
