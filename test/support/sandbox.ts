// Starts a real Brek sandbox on a free port for a test file, with every exchange checked
// against the OpenAPI contract, and builds clients whose outgoing requests are checked too.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { BrekClient, type BrekClientOptions } from '../../core/brek/client.ts';
import { DEV_PARTNER_ID, DEV_PARTNER_KEY, type SandboxConfig } from '../../sandbox/config.ts';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.ts';
import { createContractValidator } from './contract.ts';

const ADMIN_KEY = 'test-admin-key';
export const OTHER_PARTNER_KEY = 'other_partner_key';

const validator = createContractValidator();

/** The sandbox's clock: real time unless a test pins it (e.g. to the guides' capture date). */
interface TestClock {
  pinned?: number;
}

export interface SandboxHarness {
  sandbox: RunningSandbox;
  clock: TestClock;
  url: string;
  /** Contract violations seen so far in the current test. */
  violations: string[];
  client(options?: Partial<BrekClientOptions>): BrekClient;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** A raw call to the API with the dev key, for requests the typed client refuses to build. */
  raw(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<Response>;
}

/** A fetch that checks each request the client sends against the contract before sending it. */
export function contractCheckedFetch(violations: string[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    violations.push(...validator.validateRequest(init?.method ?? 'GET', url.pathname, body));
    return fetch(input, init);
  };
}

export function useSandbox(overrides: Partial<SandboxConfig> = {}): SandboxHarness {
  const violations: string[] = [];
  const clock: TestClock = {};
  const harness = { violations, clock } as SandboxHarness;

  beforeAll(async () => {
    harness.sandbox = await startSandbox(
      {
        port: 0,
        host: '127.0.0.1',
        keys: new Map([
          [DEV_PARTNER_KEY, DEV_PARTNER_ID],
          [OTHER_PARTNER_KEY, 'acme'],
        ]),
        adminKey: ADMIN_KEY,
        rateLimitPerMinute: 10_000,
        setupTokenTtlMs: 30 * 60_000,
        ...overrides,
      },
      {
        now: () => clock.pinned ?? Date.now(),
        onExchange: (exchange) => {
          if (!exchange.path.startsWith('/api/')) return;
          violations.push(
            ...validator.validateResponse(exchange.method, exchange.path, exchange.status, exchange.responseHeaders, exchange.responseBody),
          );
        },
      },
    );
    harness.url = harness.sandbox.url;
  });

  afterEach(async () => {
    await harness.admin('DELETE', '/faults');
    const seen = violations.splice(0);
    expect(seen, 'contract violations').toEqual([]);
  });

  afterAll(async () => {
    await harness.sandbox?.close();
  });

  harness.client = (options = {}) =>
    new BrekClient({
      baseUrl: harness.url,
      apiKey: DEV_PARTNER_KEY,
      fetch: contractCheckedFetch(violations),
      ...options,
    });
  harness.admin = (method, path, body) =>
    fetch(`${harness.url}/__sandbox${path}`, {
      method,
      headers: { 'x-sandbox-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  harness.raw = (method, path, body, headers = {}) =>
    fetch(`${harness.url}/api/partner/v1/core-chat${path}`, {
      method,
      headers: { 'x-partner-api-key': DEV_PARTNER_KEY, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });
  return harness;
}
