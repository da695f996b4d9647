// A whole local stack per test file (in memory), driven through its HTTP routes.
import { afterAll, beforeAll } from 'vitest';
import { createLogger, memorySink } from '../../core/log.ts';
import type { RequestRecord } from '../../sandbox/server.ts';
import { startStack, type Stack, type StackOptions } from '../../dev/stack.ts';
import type { Exchange } from '../../sandbox/server.ts';
import { brekRequestText, findLeaks, type Leak } from './privacy.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
const ADMIN_KEY = 'stack-admin-key';

export interface StackHarness {
  stack: Stack;
  logs: ReturnType<typeof memorySink>;
  brekRequests(): Promise<RequestRecord[]>;
  faults(settings: unknown): Promise<void>;
  /** Every raw request the embedded Brek sandbox received. */
  brekExchanges: Exchange[];
  /** Card numbers, phone numbers, tokens or secrets found in the logs or in what Brek received. */
  leaks(knownPersonal?: string[]): Leak[];
}

export function useStack(env: Record<string, string> = {}, options: Pick<StackOptions, 'brek' | 'dataDir' | 'metrics' | 'channelTimeoutMs' | 'delivery'> = {}): StackHarness {
  const logs = memorySink();
  const h = { logs, brekExchanges: [] as Exchange[] } as StackHarness;
  beforeAll(async () => {
    h.stack = await startStack({
      dataDir: 'memory',
      onBrekExchange: (exchange) => h.brekExchanges.push(exchange),
      ...options,
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
    // The fake Twilio's status callbacks still on their way to the stack are answered first.
    await h.stack?.fakeTwilio?.settled();
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
  h.leaks = (knownPersonal = []) => {
    const { stack } = h;
    const secrets = [
      SIGNING_SECRET,
      'test-actor-secret-0123456789',
      stack.slack.botToken,
      stack.whatsapp.authToken,
      stack.teams.appPassword,
      ...knownPersonal,
    ].filter((value): value is string => typeof value === 'string' && value.length > 0);
    return findLeaks(
      [
        ...logs.lines.map((line, i) => ({ where: `log line ${i + 1}`, text: line })),
        ...h.brekExchanges.map((exchange, i) => ({ where: `brek request ${i + 1} (${exchange.method} ${exchange.path})`, text: brekRequestText(exchange) })),
      ],
      secrets,
    );
  };
  return h;
}
