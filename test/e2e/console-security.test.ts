// Only the console's own page can drive the console. Each refusal below differs from a request
// the console serves (the first test) by one header, and is checked to have reached nothing: no
// turn at the bridge, no request at Brek. Then the attacks as a browser makes them (Chromium): a
// page on another loopback origin (a no-cors text/plain fetch, an auto-submitted form, a JSON
// fetch) and a DNS-rebound name; and where the stack listens (HOST), as the banner says it.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackAddress, listenAddress, parseHostHeader } from '../../dev/console/address.ts';
import { CONSOLE_TOKEN_HEADER, ConsoleGuard } from '../../dev/console/guard.ts';
import { run } from '../support/spawn.ts';
import { useStack } from '../support/stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const h = useStack();

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http rather than fetch: a test must be free to set Host, Origin and Sec-Fetch-Site. */
function raw(method: string, path: string, headers: Record<string, string>, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: h.stack.port, method, path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers Chromium sends with the console page's own POST (Host, Origin, fetch metadata, JSON, token). */
function fromThePage(): Record<string, string> {
  return {
    host: `127.0.0.1:${h.stack.port}`,
    origin: h.stack.url,
    'sec-fetch-site': 'same-origin',
    'sec-fetch-mode': 'cors',
    'content-type': 'application/json',
    [CONSOLE_TOKEN_HEADER]: h.stack.console.token,
  };
}

/** Everything a console POST can set off: turns at the bridge, requests at Brek, messages in the panes. */
async function effects(): Promise<{ turns: number; brekCalls: number; paneMessages: number }> {
  await h.stack.idle();
  return { turns: h.stack.activity.list().length, brekCalls: h.brekExchanges.length, paneMessages: h.stack.console.state().messages.length };
}

function refusals(): number {
  return h.logs.records().filter((line) => line.msg === 'console request refused').length;
}

/** A click on the first button of the bot's latest Slack message with buttons (searching first if there is none). */
async function aSlackButtonClick(): Promise<Record<string, string>> {
  const find = () => {
    for (const message of h.stack.console.state().messages.filter((m) => m.channel === 'slack').reverse()) {
      type Element = { action_id?: string; value?: string };
      const blocks = (message.payload as { blocks?: { elements?: Element[]; accessory?: Element }[] }).blocks ?? [];
      const button = blocks.flatMap((block) => [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])]).find((element) => element.action_id && element.value);
      if (button) return { channel: 'slack', name: 'Mallory', messageId: message.id, actionId: button.action_id!, value: button.value! };
    }
    return undefined;
  };
  if (!find()) expect((await raw('POST', '/console/send', fromThePage(), sendBody())).status).toBe(200);
  await h.stack.idle();
  const click = find();
  if (!click) throw new Error('the bot sent no Slack message with a button');
  return click;
}

let sent = 0;
/** A message from a simulated traveller; each one new, so that one getting through is a new turn. */
const sendBody = () => JSON.stringify({ channel: 'slack', name: 'Mallory', text: `seattle tomorrow, try ${++sent}` });

describe('a console POST', () => {
  it('from the console page itself is served: a turn reaches the bridge and Brek (the control for every refusal below)', async () => {
    const before = await effects();
    const res = await raw('POST', '/console/send', fromThePage(), sendBody());
    expect(res.status).toBe(200);
    const after = await effects();
    expect(after.turns).toBe(before.turns + 1);
    expect(after.brekCalls).toBeGreaterThan(before.brekCalls);
  });

  const cases: [string, (headers: Record<string, string>) => Record<string, string>, number, RegExp][] = [
    ['an Origin of another site', (x) => ({ ...x, origin: 'http://evil.example' }), 403, /Origin/],
    ['an Origin of another loopback port (a dev server next door)', (x) => ({ ...x, origin: `http://127.0.0.1:${h.stack.port + 1}` }), 403, /Origin/],
    ['an Origin of "null" (a sandboxed frame, a file:// page)', (x) => ({ ...x, origin: 'null' }), 403, /Origin/],
    ['an Origin of the same host under another name (localhost vs 127.0.0.1)', (x) => ({ ...x, origin: `http://localhost:${h.stack.port}` }), 403, /Origin/],
    ['Sec-Fetch-Site: cross-site', (x) => ({ ...x, 'sec-fetch-site': 'cross-site' }), 403, /Sec-Fetch-Site/],
    ['Sec-Fetch-Site: same-site (another port of 127.0.0.1 is same-site)', (x) => ({ ...x, 'sec-fetch-site': 'same-site' }), 403, /Sec-Fetch-Site/],
    ['a foreign Host (DNS rebinding), with its matching Origin', (x) => ({ ...x, host: `evil.example:${h.stack.port}`, origin: `http://evil.example:${h.stack.port}` }), 403, /Host/],
    ['a foreign Host without a port', (x) => ({ ...x, host: 'evil.example', origin: 'http://evil.example' }), 403, /Host/],
    ['the right host name on another port', (x) => ({ ...x, host: `127.0.0.1:${h.stack.port + 1}` }), 403, /Host/],
    ['a text/plain body (what a no-cors fetch may send)', (x) => ({ ...x, 'content-type': 'text/plain;charset=UTF-8' }), 415, /application\/json/],
    ['a form-encoded body (an auto-submitted form)', (x) => ({ ...x, 'content-type': 'application/x-www-form-urlencoded' }), 415, /application\/json/],
    ['a multipart form', (x) => ({ ...x, 'content-type': 'multipart/form-data; boundary=x' }), 415, /application\/json/],
    ['no Content-Type', ({ 'content-type': _, ...x }) => x, 415, /application\/json/],
    ['no token', ({ [CONSOLE_TOKEN_HEADER]: _, ...x }) => x, 403, /x-console-token/],
    ['a wrong token of the same length', (x) => ({ ...x, [CONSOLE_TOKEN_HEADER]: `${x[CONSOLE_TOKEN_HEADER]!.slice(1)}A` }), 403, /wrong x-console-token/],
    ['a wrong token of another length', (x) => ({ ...x, [CONSOLE_TOKEN_HEADER]: 'guess' }), 403, /wrong x-console-token/],
    ['the no-cors fetch as a browser sends it: foreign Origin, cross-site, text/plain, no token', (x) => ({ host: x.host!, origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'content-type': 'text/plain;charset=UTF-8' }), 403, /Origin/],
  ];

  it.each(cases)('with %s is refused (%#) and sets nothing off', async (_name, change, status, reason) => {
    const before = await effects();
    const res = await raw('POST', '/console/send', change(fromThePage()), sendBody());
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/json');
    const answer = JSON.parse(res.body) as { error: string; message: string };
    expect(answer.error).toBe(status === 415 ? 'unsupported_media_type' : 'forbidden');
    expect(answer.message).toMatch(reason);
    expect(answer.message).not.toContain(h.stack.console.token);
    expect(await effects()).toEqual(before);
  });

  // Refused before their handlers; then the same request from the page is served: a click on a
  // button the bot sent becomes a turn, a replay of a made-up turn reaches its handler's 400.
  it.each([
    ['/console/click', async () => JSON.stringify(await aSlackButtonClick()), 200, 1],
    ['/console/replay', async () => JSON.stringify({ id: 'no-such-turn' }), 400, 0],
  ])('%s: refused cross-origin, from a foreign Host, without the token, or as text/plain; served from the page', async (path, makeBody, servedStatus, servedTurns) => {
    const body = await makeBody();
    const before = await effects();
    const refused = [
      await raw('POST', path, { ...fromThePage(), origin: 'http://evil.example' }, body),
      await raw('POST', path, { ...fromThePage(), 'sec-fetch-site': 'cross-site' }, body),
      await raw('POST', path, { ...fromThePage(), host: 'evil.example' }, body),
      await raw('POST', path, { ...fromThePage(), [CONSOLE_TOKEN_HEADER]: '' }, body),
      await raw('POST', path, { ...fromThePage(), 'content-type': 'text/plain' }, body),
    ];
    expect(refused.map((res) => res.status)).toEqual([403, 403, 403, 403, 415]);
    expect(await effects()).toEqual(before);
    const served = await raw('POST', path, fromThePage(), body);
    expect(served.status).toBe(servedStatus);
    expect((await effects()).turns).toBe(before.turns + servedTurns);
  });

  it('a CORS preflight from another origin is refused, so a JSON fetch from there is never sent', async () => {
    const res = await raw('OPTIONS', '/console/send', {
      host: `127.0.0.1:${h.stack.port}`,
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-console-token',
    });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the console’s pages and reads', () => {
  it('serve the page with this start’s token in it, to its own Host (127.0.0.1, localhost, [::1]), unframeable', async () => {
    for (const host of [`127.0.0.1:${h.stack.port}`, `localhost:${h.stack.port}`, `[::1]:${h.stack.port}`]) {
      const page = await raw('GET', '/', { host });
      expect(page.status).toBe(200);
      expect(page.body).toContain(`<meta name="console-token" content="${h.stack.console.token}">`);
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['cache-control']).toBe('no-store');
    }
    expect(h.stack.console.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each(['/', '/console', '/console/app.js', '/console/adaptivecards.css', '/console/state', '/console/events', '/console/address?channel=slack&name=Ada', '/console/turns/x'])(
    'GET %s naming a foreign Host (DNS rebinding) is refused 403, the token not in it',
    async (path) => {
      const before = refusals();
      const res = await raw('GET', path, { host: `evil.example:${h.stack.port}` });
      expect(res.status).toBe(403);
      expect(res.body).not.toContain(h.stack.console.token);
      expect((JSON.parse(res.body) as { message: string }).message).toMatch(/Host/);
      expect(refusals()).toBe(before + 1);
    },
  );

  it('leave the bridge’s own routes alone (they are signed; their clients are the platforms)', async () => {
    expect((await raw('GET', '/healthz', { host: 'evil.example' })).status).toBe(200);
  });
});

describe('in a browser (Chromium), pages of other origins', () => {
  let browser: Browser;
  let attacker: Server;
  let attackerUrl = '';
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    // evil.example resolves to this machine, as a rebinding DNS server would make it.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP evil.example 127.0.0.1'] });
    // Another web page on this machine: a dev server on another port, say.
    attacker = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(attackPage(req.url ?? '/', h.stack.url));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', () => resolve()));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
  });

  it.each([
    ['a no-cors text/plain fetch', '/no-cors-fetch', 1],
    ['an auto-submitted text/plain form shaped as JSON', '/text-form', 1],
    ['an auto-submitted url-encoded form', '/urlencoded-form', 1],
    ['a JSON fetch with a guessed token (its CORS preflight is refused)', '/json-fetch', 1],
  ])('on another loopback origin: %s reaches the console and is refused; nothing is sent', async (_name, path, expectedRefusals) => {
    const before = await effects();
    const refusedBefore = refusals();
    const page = await browser.newPage();
    try {
      await page.goto(`${attackerUrl}${path}`);
      // Until the console refused it, or (without the guard) the message got through as a turn.
      await expect.poll(async () => refusals() > refusedBefore || (await effects()).turns > before.turns, { timeout: 10_000 }).toBe(true);
      expect(await effects()).toEqual(before);
      expect(refusals()).toBe(refusedBefore + expectedRefusals);
    } finally {
      await page.close();
    }
  });

  it('behind a DNS-rebound name: the page, its state and a same-origin JSON POST are all refused by Host', async () => {
    const before = await effects();
    const page = await browser.newPage();
    try {
      const rebound = `http://evil.example:${h.stack.port}`;
      const response = await page.goto(`${rebound}/`);
      expect(response?.status()).toBe(403);
      // The attacker's script runs on that origin: to the browser, the console is same-origin now.
      const tried = await page.evaluate(async (token) => {
        const state = await fetch('/console/state');
        const send = await fetch('/console/send', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-console-token': token },
          body: JSON.stringify({ channel: 'slack', name: 'Mallory', text: 'seattle tomorrow' }),
        });
        return { state: state.status, stateBody: await state.text(), send: send.status };
      }, 'not-the-token');
      expect(tried.state).toBe(403);
      expect(tried.stateBody).not.toContain('"activity"');
      expect(tried.send).toBe(403);
      expect(await effects()).toEqual(before);
    } finally {
      await page.close();
    }
  });
});

/** The pages the issue describes: each fires one request at the console as soon as it loads. */
function attackPage(path: string, consoleUrl: string): string {
  const message = { channel: 'slack', name: 'Mallory', text: 'seattle tomorrow' };
  const target = `${consoleUrl}/console/send`;
  const scripts: Record<string, string> = {
    '/no-cors-fetch': `<script>fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(JSON.stringify(message))} });</script>`,
    // text/plain forms send "name=value": a name ending in a string opener makes the body JSON.
    '/text-form': `<form method="POST" enctype="text/plain" action="${target}"><input name='${JSON.stringify(message).slice(0, -1)},"pad":"' value='"}'></form><script>document.forms[0].submit()</script>`,
    '/urlencoded-form': `<form method="POST" action="${target}"><input name="channel" value="slack"><input name="text" value="seattle tomorrow"></form><script>document.forms[0].submit()</script>`,
    '/json-fetch': `<script>fetch(${JSON.stringify(target)}, { method: 'POST', headers: { 'content-type': 'application/json', 'x-console-token': 'guessed' }, body: ${JSON.stringify(JSON.stringify(message))} }).catch(() => {});</script>`,
  };
  return `<!doctype html><html><body>${scripts[path] ?? ''}</body></html>`;
}

describe('where the stack listens (HOST)', () => {
  const info = (address: string, port = 3000): AddressInfo => ({ address, port, family: address.includes(':') ? 'IPv6' : 'IPv4' });

  it('127.0.0.1 (the default) is loopback: the console answers to 127.0.0.1, localhost and ::1 on its port only', () => {
    const listening = listenAddress('127.0.0.1', info('127.0.0.1'));
    expect(listening).toMatchObject({ loopback: true, wildcard: false, url: 'http://127.0.0.1:3000', display: 'http://127.0.0.1:3000' });
    expect([...listening.hostNames].sort()).toEqual(['127.0.0.1', '::1', 'localhost']);
  });

  it('::1 and localhost are loopback too; an IPv6 URL is bracketed', () => {
    expect(listenAddress('::1', info('::1'))).toMatchObject({ loopback: true, url: 'http://[::1]:3000' });
    expect(listenAddress('localhost', info('127.0.0.1')).loopback).toBe(true);
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].every(isLoopbackAddress)).toBe(true);
    expect(['0.0.0.0', '::', '192.0.2.2', '10.0.0.1', '::ffff:10.0.0.1'].some(isLoopbackAddress)).toBe(false);
  });

  it('0.0.0.0 is every interface: the banner shows it, the stack reaches itself through loopback, the console answers to this machine’s addresses', () => {
    const listening = listenAddress('0.0.0.0', info('0.0.0.0'));
    expect(listening).toMatchObject({ loopback: false, wildcard: true, url: 'http://127.0.0.1:3000' });
    expect(listening.display).toBe('http://0.0.0.0:3000  (every interface; from this machine http://127.0.0.1:3000)');
    const addresses = Object.values(networkInterfaces()).flat().map((entry) => entry!.address.toLowerCase());
    for (const address of addresses) expect(listening.hostNames.has(address)).toBe(true);
    expect(listening.hostNames.has('0.0.0.0')).toBe(false);
    expect(listenAddress('::', info('::')).url).toBe('http://[::1]:3000');
  });

  it('one non-loopback address (or a name for it) is that address only: no localhost', () => {
    const listening = listenAddress('devbox.lan', info('192.0.2.2'));
    expect(listening).toMatchObject({ loopback: false, wildcard: false, url: 'http://192.0.2.2:3000', display: 'http://192.0.2.2:3000' });
    expect([...listening.hostNames].sort()).toEqual(['192.0.2.2', 'devbox.lan']);
  });

  it('reads Host headers strictly', () => {
    expect(parseHostHeader('127.0.0.1:3000')).toEqual({ name: '127.0.0.1', port: 3000 });
    expect(parseHostHeader('LocalHost')).toEqual({ name: 'localhost', port: 80 });
    expect(parseHostHeader('[::1]:3000')).toEqual({ name: '::1', port: 3000 });
    for (const malformed of ['', '127.0.0.1:3000@evil.example', 'evil.example/127.0.0.1:3000', '::1:3000', 'a b:3000', '127.0.0.1:']) expect(parseHostHeader(malformed)).toBeUndefined();
  });

  it('refuses everything until the stack listens, and draws a new token on every start', () => {
    const guard = new ConsoleGuard();
    expect(guard.check({ method: 'GET', path: '/', headers: { host: '127.0.0.1:3000' }, body: Buffer.alloc(0) })?.status).toBe(403);
    guard.listening(listenAddress('127.0.0.1', info('127.0.0.1')));
    expect(guard.check({ method: 'GET', path: '/', headers: { host: '127.0.0.1:3000' }, body: Buffer.alloc(0) })).toBeUndefined();
    expect(new ConsoleGuard().token).not.toBe(guard.token);
  });

  it('by default (127.0.0.1) no warning is logged', () => {
    expect(h.stack.console.address?.loopback).toBe(true);
    expect(h.logs.records().filter((line) => String(line.msg).includes('not a loopback address'))).toEqual([]);
  });

  it('npm start with HOST=0.0.0.0: a loud warning, the real address in the banner, the console served to this machine’s addresses only', async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-host-'));
    const stack = run('npm', ['start'], { HOST: '0.0.0.0', PORT: String(port), BRIDGE_DATA_DIR: dataDir });
    try {
      await stack.waitFor(/Ctrl-C stops it/, 60_000);
      const output = stack.output();
      const warning = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: string; msg: string; host?: string })
        .find((line) => line.msg.includes('not a loopback address'));
      expect(warning).toMatchObject({ level: 'warn', host: '0.0.0.0' });
      expect(output).toMatch(new RegExp(`bridge\\s+http://0\\.0\\.0\\.0:${port}  \\(every interface; from this machine http://127\\.0\\.0\\.1:${port}\\)`));
      expect(output).toContain('WARNING: HOST=0.0.0.0 is not loopback');
      const outward = Object.values(networkInterfaces()).flat().find((entry) => entry && !entry.internal && entry.family === 'IPv4');
      const get = (host: string) => new Promise<number>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject).end();
      });
      expect(await get(`127.0.0.1:${port}`)).toBe(200);
      if (outward) expect(await get(`${outward.address}:${port}`)).toBe(200);
      expect(await get(`evil.example:${port}`)).toBe(403);
    } finally {
      await stack.stop('SIGINT');
    }
  }, 90_000);
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createNetServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
