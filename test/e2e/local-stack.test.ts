// `npm start` and `npm run chat` as a person uses them: real processes, real ports, data kept
// under the data folder across a restart.
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SlackChat } from '../../dev/chat/slack.ts';
import type { DevSecrets, StackInfo } from '../../dev/stack.ts';
import { documentClient } from '../../core/store/table.ts';
import { ThreadStore } from '../../core/store/threads.ts';
import { slackActorId } from '../../adapters/slack/profile.ts';
import { attachTestCard } from '../../dev/simulate/payment.ts';
import { run, type Running } from '../support/spawn.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startStack(dataDir: string, port: number): Promise<{ process: Running; dynamo: string }> {
  const process = run('npm', ['start'], { PORT: String(port), BRIDGE_DATA_DIR: dataDir });
  await process.waitFor(/Ctrl-C stops it/, 30_000);
  const [, dynamo] = process.output().match(/DynamoDB\s+(http:\/\/\S+)/) ?? [];
  return { process, dynamo: dynamo! };
}

describe('npm start', () => {
  it('serves the golden path through the Slack route and keeps the session across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-stack-'));
    const port = await freePort();
    const first = await startStack(dataDir, port);
    let stack = first.process;
    const user = { teamId: 'T0LOCAL', userId: 'URESTART' };
    const thread = { channel: 'slack' as const, actorId: slackActorId(user.teamId, user.userId), conversationId: `D${user.userId}` };
    let sessionId: string | undefined;
    try {
      const info = JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8')) as StackInfo;
      const secrets = JSON.parse(await readFile(join(dataDir, 'dev-secrets.json'), 'utf8')) as DevSecrets;
      expect(info.url).toBe(`http://127.0.0.1:${port}`);
      // The banner points at the console, and the console is there (test/e2e/console.test.ts drives it).
      expect(stack.output()).toContain(`console: open ${info.url}/ in a browser`);
      expect(await (await fetch(`${info.url}/`)).text()).toContain('<title>Brek bridge console</title>');
      const chat = new SlackChat(info.url, info.fakeSlackUrl!, secrets.slackSigningSecret, user);
      await chat.start();
      const say = async (text: string) => {
        await chat.send(text);
        return chat.replies(20_000);
      };
      const [list] = await say('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable');
      expect(list?.text).toContain('1. Branding Iron Motel');
      await list!.buttons[0]!.click!();
      expect((await chat.replies(20_000))[0]?.text).toContain('guest name');
      const [setup] = await say('John Doe');
      const attached = await attachTestCard(setup!.buttons[0]!.url!);
      expect(attached.status).toBe(200);
      const [consent] = await say('done');
      await consent!.buttons[0]!.click!();
      const [booked] = await chat.replies(20_000);
      expect(booked?.text).toContain('Booked Branding Iron Motel.');

      sessionId = (await new ThreadStore(documentClient({ endpoint: first.dynamo }), 'brek-bridge', 3_600_000).get(thread))?.sessionId;
      expect(sessionId).toMatch(/^sess_/);
    } finally {
      await stack.stop('SIGINT');
    }

    // Restarted on the same data: the bridge's records are still there.
    const restarted = await startStack(dataDir, port);
    stack = restarted.process;
    try {
      const sessions = new ThreadStore(documentClient({ endpoint: restarted.dynamo }), 'brek-bridge', 3_600_000);
      expect((await sessions.get(thread))?.sessionId).toBe(sessionId);
      const secrets = JSON.parse(await readFile(join(dataDir, 'dev-secrets.json'), 'utf8')) as DevSecrets;
      const info = JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8')) as StackInfo;
      // The embedded sandbox starts empty, so Brek has lost that session: the bridge recovers.
      const chat = new SlackChat(info.url, info.fakeSlackUrl!, secrets.slackSigningSecret, user);
      await chat.start();
      await chat.send('seattle tomorrow');
      expect((await chat.replies(20_000))[0]?.text).toContain('Seattle');
    } finally {
      await stack.stop('SIGINT');
    }
  }, 90_000);
});

describe('npm run chat', () => {
  it('plays a whole booking from a script against a freshly started stack', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-chat-'));
    const { process: stack } = await startStack(dataDir, await freePort());
    try {
      const chat = run('npm', ['run', '--silent', 'chat', '--', '--channel', 'slack', '--user', 'Ada', '--script', 'examples/slack-booking.chat'], { BRIDGE_DATA_DIR: dataDir });
      expect(await chat.exited).toBe(0);
      const out = chat.output();
      expect(out).toContain('Talking to http://127.0.0.1:');
      expect(out).toContain('as Ada on slack');
      expect(out).toMatch(/you> \/b 1\n\nbrek> Before I book, I need the check-in guest name/);
      expect(out).toMatch(/\[1\] Set up payment → http:\/\/127\.0\.0\.1:\d+\/portal\/payment\?token=psu_/);
      expect(out).toContain('(test card VISA •••• 4242 added on the payment page)');
      expect(out).toMatch(/\[1\] Yes, use this card\n\s+\[2\] No/);
      expect(out).toContain('brek> Booked Branding Iron Motel.');
      expect(out).toMatch(/\[1\] View booking → http:\/\/127\.0\.0\.1:\d+\/my-bookings\/[0-9a-f]{24}/);
    } finally {
      await stack.stop('SIGINT');
    }
  }, 90_000);

  it('plays the same booking as a Teams user', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-chat-teams-'));
    const { process: stack } = await startStack(dataDir, await freePort());
    try {
      const chat = run('npm', ['run', '--silent', 'chat', '--', '--channel', 'teams', '--user', 'Grace', '--script', 'examples/teams-booking.chat'], { BRIDGE_DATA_DIR: dataDir });
      expect(await chat.exited).toBe(0);
      const out = chat.output();
      expect(out).toContain('as Grace on teams');
      expect(out).toMatch(/brek> I found options matching your request in Las Vegas[\s\S]*1\. Branding Iron Motel[\s\S]*Per night: \$98\.11/);
      expect(out).toMatch(/\[1\] Set up payment → http:\/\/127\.0\.0\.1:\d+\/portal\/payment\?token=psu_/);
      expect(out).toContain('I found your updated card: VISA **** 4242.');
      // A personal chat: the yes/no are suggested actions, offered as numbered choices.
      expect(out).toMatch(/\[1\] Yes, use this card \(suggested\)\n\s+\[2\] No \(suggested\)/);
      expect(out).toContain('brek> Booked Branding Iron Motel.');
      expect(out).toMatch(/\[1\] View booking → http:\/\/127\.0\.0\.1:\d+\/my-bookings\/[0-9a-f]{24}/);
    } finally {
      await stack.stop('SIGINT');
    }
  }, 90_000);

  it('plays the same booking as a WhatsApp user, typing numbers and YES', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-chat-wa-'));
    const { process: stack } = await startStack(dataDir, await freePort());
    try {
      const chat = run('npm', ['run', '--silent', 'chat', '--', '--channel', 'whatsapp', '--user', 'Ada', '--script', 'examples/whatsapp-booking.chat'], { BRIDGE_DATA_DIR: dataDir });
      expect(await chat.exited).toBe(0);
      const out = chat.output();
      expect(out).toContain('as Ada on whatsapp');
      expect(out).toContain('*1. Branding Iron Motel*');
      expect(out).toMatch(/you> 1\n\nbrek> Before I book/);
      expect(out).toContain('(test card VISA •••• 4242 added on the payment page)');
      expect(out).toContain('Reply *YES* to pay with VISA •••• 4242, or *NO*.');
      expect(out).toContain('brek> Booked Branding Iron Motel.');
    } finally {
      await stack.stop('SIGINT');
    }
  }, 90_000);

  it('says plainly when no stack is running or the channel is unknown', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'bridge-none-'));
    const none = run('npm', ['run', '--silent', 'chat', '--', '--channel', 'slack'], { BRIDGE_DATA_DIR: empty });
    expect(await none.exited).toBe(1);
    expect(none.output().trim()).toBe('npm run chat: no local stack is running here (start it with `npm start`).');
  });
});

describe('GET /healthz', () => {
  it('says which part is unreachable', async () => {
    const { startStack: start } = await import('../../dev/stack.ts');
    const { createLogger, memorySink } = await import('../../core/log.ts');
    const stack = await start({ dataDir: 'memory', logger: createLogger({ sink: memorySink().sink }), env: { PORT: '0', BREK_BASE_URL: 'http://127.0.0.1:9', BREK_PARTNER_API_KEY: 'k' } });
    try {
      const res = await fetch(`${stack.url}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ok: false, table: 'reachable', brek: 'unreachable' });
    } finally {
      await stack.close();
    }
  });
});
