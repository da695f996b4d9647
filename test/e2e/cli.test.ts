// The developer CLIs as a new user meets them, run for real: every one answers --help and refuses
// an unknown option; a second `npm start` on the same data directory is refused in one line while
// the first keeps serving; an open `npm run chat` rides out a stack restart, and the sandbox's
// sessions, setup links and bookings survive one; the pages have an icon.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrekClient } from '../../core/brek/client.ts';
import { DEV_PARTNER_KEY } from '../../sandbox/config.ts';
import { run, type Running } from '../support/spawn.ts';

const SCRIPTS = ['start', 'sandbox', 'chat', 'ops', 'teams:package', 'gen:brek-types', 'bench'];

describe('every CLI', () => {
  it.each(SCRIPTS)('npm run %s answers --help and -h on stdout (exit 0) and an unknown option on stderr (exit 2)', async (script) => {
    const [help, short, unknown] = [
      run('npm', ['run', '--silent', script, '--', '--help']),
      run('npm', ['run', '--silent', script, '--', '-h']),
      run('npm', ['run', '--silent', script, '--', '--no-such-option']),
    ];
    expect(await help.exited, help.output()).toBe(0);
    expect(help.stdout()).toMatch(/^usage: npm (run )?\S+/);
    expect(help.stdout()).toMatch(/\noptions:\n(\s+.*\n)*\s+-h, --help\s+show this help/);
    expect(help.stdout()).toMatch(/\nexamples?:\n  (\S+=\S+ )*npm (run )?\S+/);
    expect(help.stderr()).toBe('');
    expect(await short.exited).toBe(0);
    expect(short.stdout()).toBe(help.stdout());

    expect(await unknown.exited, unknown.output()).toBe(2);
    expect(unknown.stdout()).toBe('');
    expect(unknown.stderr()).toMatch(/^npm (run )?\S+: Unknown option '--no-such-option'\n\nusage: /);
    expect(unknown.stderr()).toContain(help.stdout());
  }, 60_000);
});

interface StartedStack {
  process: Running;
  url: string;
  brekUrl: string;
}

async function startStack(dataDir: string): Promise<StartedStack> {
  const started = run('npm', ['start'], { PORT: '0', BRIDGE_DATA_DIR: dataDir });
  await started.waitFor(/Ctrl-C stops it/, 60_000);
  const [, url] = started.output().match(/bridge\s+(http:\/\/\S+)/)!;
  const [, brekUrl] = started.output().match(/Brek\s+(http:\/\/\S+)\s+\(embedded\)/)!;
  return { process: started, url: url!, brekUrl: brekUrl! };
}

/** A pid no process has: one that just exited. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('the local stack and its data directory', () => {
  let dataDir: string;
  let first: StartedStack;
  let second: StartedStack | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bridge-cli-'));
    // A crashed stack's lock: taken over.
    await writeFile(join(dataDir, 'stack.lock'), JSON.stringify({ pid: deadPid(), startedAt: new Date().toISOString() }));
    first = await startStack(dataDir);
  }, 90_000);

  afterAll(async () => {
    await second?.process.stop('SIGINT');
    await first?.process.stop('SIGINT');
  });

  it('refuses a second npm start in one line naming the first, which keeps serving', async () => {
    const info = JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8')) as { pid: number; url: string };
    const again = run('npm', ['start', '--silent'], { PORT: '0', BRIDGE_DATA_DIR: dataDir });
    expect(await again.exited).toBe(1);
    expect(again.output().trim()).toBe(
      `npm start: the local stack is already running with data directory ${dataDir} (pid ${info.pid}, ${first.url}); stop it first or set BRIDGE_DATA_DIR to another directory for a second one`,
    );
    const health = await fetch(`${first.url}/healthz`);
    expect(await health.json()).toEqual({ ok: true, table: 'reachable', brek: 'reachable' });
    expect(JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8'))).toEqual(info);
    expect(JSON.parse(await readFile(join(dataDir, 'stack.lock'), 'utf8'))).toMatchObject({ pid: info.pid, url: first.url });
  }, 60_000);

  it('serves /favicon.ico on the console and the sandbox, and the pages link it', async () => {
    for (const base of [first.url, first.brekUrl]) {
      const icon = await fetch(`${base}/favicon.ico`);
      expect(icon.status, base).toBe(200);
      expect(icon.headers.get('content-type')).toBe('image/svg+xml');
      expect(await icon.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>$/);
      expect((await fetch(`${base}/favicon.svg`)).status).toBe(200);
    }
    expect(await (await fetch(`${first.url}/`)).text()).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    expect(await (await fetch(`${first.brekUrl}/portal/payment?token=psu_none`)).text()).toContain('<link rel="icon" href="/favicon.svg"');
  });

  it('keeps an open npm run chat going across a restart, with the Brek sandbox’s session and setup link', async () => {
    const chat = run('npm', ['run', '--silent', 'chat', '--', '--channel', 'slack', '--user', 'Ada'], { BRIDGE_DATA_DIR: dataDir }, { input: true });
    try {
      await chat.waitFor(/Talking to http:\/\/127\.0\.0\.1:\d+ as Ada on slack/);
      chat.write('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable\n');
      await chat.waitFor(/Branding Iron Motel[\s\S]*\[1\] /, 40_000);
      chat.write('/b 1\n');
      await chat.waitFor(/check-in guest name/, 40_000);
      chat.write('John Doe\n');
      const [, setupUrl] = await chat.waitFor(/\[1\] Set up payment → (http:\/\/127\.0\.0\.1:\d+\/portal\/payment\?token=psu_\S+)/, 40_000);

      await first.process.stop('SIGINT');
      await chat.waitFor(/the local stack at http:\/\/127\.0\.0\.1:\d+ went away; waiting for it/, 20_000);
      // Typed while the stack is down: done once it is back.
      chat.write('/card\n');
      second = await startStack(dataDir);
      await chat.waitFor(new RegExp(`the local stack is back at ${second.url.replace(/[.]/g, '\\.')}; carrying on`), 20_000);
      // The link handed out before the restart still leads to the same sandbox, which still knows it.
      expect(second.brekUrl).toBe(first.brekUrl);
      await chat.waitFor(/test card VISA •••• 4242 added on the payment page/, 20_000);
      expect((await fetch(setupUrl!)).status).toBe(410); // used by /card just now: known, not "not valid"

      chat.write('done\n');
      await chat.waitFor(/\[1\] Yes, use this card/, 40_000);
      chat.write('/b 1\n');
      const [, bookingUrl] = await chat.waitFor(/Booked Branding Iron Motel\.[\s\S]*View booking → (http:\/\/\S+\/my-bookings\/[0-9a-f]{24})/, 40_000);
      expect((await fetch(bookingUrl!)).status).toBe(200);

      expect(chat.output().match(/went away/g)).toHaveLength(1);
      expect(chat.output()).not.toMatch(/fetch failed|npm run chat: /);
      chat.write('/quit\n');
      expect(await chat.exited).toBe(0);
    } finally {
      await chat.stop('SIGINT');
    }
  }, 180_000);
});

describe('npm run sandbox -- --data-dir', () => {
  it('keeps sessions, setup links and bookings, and its port, across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sandbox-state-'));
    const start = async () => {
      const sandbox = run('npm', ['run', 'sandbox', '--', '--port', '0', '--data-dir', dataDir]);
      const [, url] = await sandbox.waitFor(/Brek sandbox listening on (http:\/\/\S+)/);
      expect(sandbox.output()).toContain(`state:          ${dataDir} (kept across restarts)`);
      return { sandbox, url: url!, client: new BrekClient({ baseUrl: url!, apiKey: DEV_PARTNER_KEY }) };
    };
    const attach = (base: string, setupUrl: string) =>
      fetch(`${base}/v1/hotel-ea/payment-methods/attach`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ portalToken: new URL(setupUrl).searchParams.get('token'), paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 12, expYear: 2030 }),
      });
    /** A session of `actorId` up to its payment setup link. */
    const upToSetup = async (client: BrekClient, actorId: string) => {
      const { data } = await client.createSession({ actor: { actorId, timezoneOffsetMinutes: -420 }, channel: { workspaceId: 'w' }, conversation: { channelId: 'c' } });
      const sessionId = data.sessionId;
      await client.sendEvent({ sessionId, text: 'find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable', idempotencyKey: `${sessionId}:search` });
      await client.sendEvent({ sessionId, text: 'can you help me book option 1', idempotencyKey: `${sessionId}:book` });
      const guest = await client.sendEvent({ sessionId, text: 'guest name is John Doe', idempotencyKey: `${sessionId}:guest` });
      return { sessionId, guest, setupUrl: guest.data.result.artifacts.payment!.setupUrl! };
    };

    let running = await start();
    let booked: { sessionId: string; confirmationUrl: string };
    let pending: Awaited<ReturnType<typeof upToSetup>>;
    const before = running.url;
    try {
      const done = await upToSetup(running.client, 'actor_booked');
      expect((await attach(running.url, done.setupUrl)).status).toBe(200);
      await running.client.sendEvent({ sessionId: done.sessionId, text: 'Done', idempotencyKey: `${done.sessionId}:done` });
      const confirmed = await running.client.sendEvent({ sessionId: done.sessionId, text: 'yes, use this card', idempotencyKey: `${done.sessionId}:confirm` });
      booked = { sessionId: done.sessionId, confirmationUrl: confirmed.data.result.artifacts.booking!.confirmationUrl! };
      pending = await upToSetup(running.client, 'actor_pending');
    } finally {
      await running.sandbox.stop('SIGINT');
    }

    running = await start();
    try {
      expect(running.url).toBe(before);
      expect((await fetch(booked.confirmationUrl)).status).toBe(200);
      expect((await running.client.getSession(booked.sessionId)).data.sessionId).toBe(booked.sessionId);
      // The same idempotency key answers as before the restart.
      const replayed = await running.client.sendEvent({ sessionId: pending.sessionId, text: 'guest name is John Doe', idempotencyKey: `${pending.sessionId}:guest` });
      expect(replayed.data).toEqual(pending.guest.data);
      expect((await fetch(pending.setupUrl)).status).toBe(200);
      expect((await attach(running.url, pending.setupUrl)).status).toBe(200);
      const done = await running.client.sendEvent({ sessionId: pending.sessionId, text: 'Done', idempotencyKey: `${pending.sessionId}:done` });
      expect(done.data.result.status).toBe('payment_confirmation_required');
      expect(done.data.result.messageText).toContain('VISA **** 4242');
    } finally {
      await running.sandbox.stop('SIGINT');
    }
  }, 90_000);
});
