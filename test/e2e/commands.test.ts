// The README's commands, run for real: `npm start`, `npm run sandbox`, `npm run gen:brek-types`.
// (`npm test` is the command running this.)
import { readFile, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../support/spawn.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** After Ctrl-C the whole tree must be gone: nothing may still hold the port. */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function createSession(base: string, key: string) {
  const res = await fetch(`${base}/api/partner/v1/core-chat/sessions`, {
    method: 'POST',
    headers: { 'x-partner-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ actor: { actorId: 'readme_user' } }),
  });
  return { status: res.status, body: (await res.json()) as { data?: { sessionId?: string } } };
}

describe('npm run sandbox', () => {
  it('serves the API with the documented dev key, prints where, and stops on Ctrl-C', async () => {
    const port = await freePort();
    const sandbox = run('npm', ['run', 'sandbox'], { BREK_SANDBOX_PORT: String(port) });
    try {
      const [, url] = await sandbox.waitFor(/Brek sandbox listening on (http:\/\/\S+)/);
      expect(url).toBe(`http://127.0.0.1:${port}`);
      expect(sandbox.output()).toContain('dev key: brek_sandbox_dev_key');
      expect(sandbox.output()).toContain('admin API:      off');
      const created = await createSession(url!, 'brek_sandbox_dev_key');
      expect(created.status).toBe(200);
      expect(created.body.data?.sessionId).toMatch(/^sess_/);
    } finally {
      await sandbox.stop('SIGINT');
    }
    expect(await portIsFree(port)).toBe(true);
  });

  it('takes keys, public URL and admin key from BREK_SANDBOX_* variables', async () => {
    const port = await freePort();
    const sandbox = run('npm', ['run', 'sandbox'], {
      BREK_SANDBOX_PORT: String(port),
      BREK_SANDBOX_KEYS: 'key-one:alpha,key-two:beta',
      BREK_SANDBOX_PUBLIC_URL: 'https://sandbox.example.test/',
      BREK_SANDBOX_ADMIN_KEY: 'admin-secret',
    });
    try {
      const [, url] = await sandbox.waitFor(/listening on (http:\/\/\S+)/);
      expect(sandbox.output()).toContain('partners:       alpha, beta');
      expect(sandbox.output()).toContain('https://sandbox.example.test/portal/payment');
      expect((await createSession(url!, 'brek_sandbox_dev_key')).status).toBe(403);
      const created = await createSession(url!, 'key-two');
      expect(created.status).toBe(200);
      const admin = await fetch(`${url}/__sandbox/faults`, { headers: { 'x-sandbox-admin-key': 'admin-secret' } });
      expect(admin.status).toBe(200);
    } finally {
      await sandbox.stop('SIGTERM');
    }
  });

  it('fails in one line on a bad variable or a busy port', async () => {
    const bad = run('npm', ['run', '--silent', 'sandbox'], { BREK_SANDBOX_PORT: 'eighty' });
    expect(await bad.exited).toBe(1);
    expect(bad.output().trim()).toBe('brek sandbox: BREK_SANDBOX_PORT must be an integer from 0 to 65535, got "eighty"');

    const port = await freePort();
    const first = run('npm', ['run', 'sandbox'], { BREK_SANDBOX_PORT: String(port) });
    try {
      await first.waitFor(/listening on/);
      const second = run('npm', ['run', '--silent', 'sandbox'], { BREK_SANDBOX_PORT: String(port) });
      expect(await second.exited).toBe(1);
      expect(second.output().trim()).toBe(`brek sandbox: port ${port} is already in use (set BREK_SANDBOX_PORT)`);
    } finally {
      await first.stop();
    }
  });
});

describe('npm start', () => {
  it('starts the local stack on PORT and says what runs where', async () => {
    const port = await freePort();
    const data = await mkdtemp(join(tmpdir(), 'bridge-data-'));
    const stack = run('npm', ['start'], { PORT: String(port), BRIDGE_DATA_DIR: data });
    try {
      await stack.waitFor(/Ctrl-C stops it/);
      const out = stack.output();
      expect(out).toMatch(new RegExp(`bridge\\s+http://127.0.0.1:${port}`));
      expect(out).toMatch(/DynamoDB\s+http:\/\/127\.0\.0\.1:\d+ \(table brek-bridge\)\s+\(embedded\)/);
      expect(out).toMatch(/Brek\s+http:\/\/127\.0\.0\.1:\d+\s+\(embedded\)/);
      expect(out).toContain(`POST http://127.0.0.1:${port}/slack/events`);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toEqual({ ok: true, table: 'reachable', brek: 'reachable' });
    } finally {
      await stack.stop('SIGINT');
    }
    expect(await portIsFree(port)).toBe(true);
  });

  it('fails in one line when the port is taken or a variable is bad', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    try {
      const busy = run('npm', ['start', '--silent'], { PORT: String(port), BRIDGE_DATA_DIR: await mkdtemp(join(tmpdir(), 'bridge-data-')) });
      expect(await busy.exited).toBe(1);
      expect(busy.output().trim()).toBe(`npm start: port ${port} is already in use (set PORT)`);
    } finally {
      blocker.close();
    }
    const bad = run('npm', ['start', '--silent'], { SESSION_IDLE_HOURS: 'never', BRIDGE_DATA_DIR: await mkdtemp(join(tmpdir(), 'bridge-data-')) });
    expect(await bad.exited).toBe(1);
    expect(bad.output().trim()).toBe('npm start: SESSION_IDLE_HOURS must be a number from 0.01 to 8760, got "never"');
  });
});

describe('npm run gen:brek-types', () => {
  it('regenerates exactly the committed core/brek/openapi.gen.ts from the contract', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'brek-types-')), 'openapi.gen.ts');
    const gen = run('npm', ['run', 'gen:brek-types'], { BREK_TYPES_OUT: out });
    expect(await gen.exited).toBe(0);
    const committed = await readFile(new URL('../../core/brek/openapi.gen.ts', import.meta.url), 'utf8');
    expect(await readFile(out, 'utf8')).toBe(committed);
  });
});

describe('the pinned contract', () => {
  it('is the upstream OpenAPI document, unchanged', async () => {
    const upstream = new URL('../../../shared/brek-api/partner-core-chat-v1.openapi.yaml', import.meta.url);
    const pinned = await readFile(new URL('../../contract/partner-core-chat-v1.openapi.yaml', import.meta.url), 'utf8');
    const source = await readFile(upstream, 'utf8').catch(() => undefined);
    // CI clones keep shared/ beside the repo; where it is absent the pin is all there is to check.
    if (source !== undefined) expect(pinned).toBe(source);
    expect(pinned).toContain('title: Brek Partner Core Chat API');
  });
});
