// The browser console of the local stack (`GET /`): a chat pane per channel driving the simulated
// platforms, and the activity panel. Its routes live under /console/ next to the bridge's own;
// live updates are server-sent events. Everything the page loads is served here (no CDN): the
// client is bundled from dev/console/client/ by esbuild on first request. Only the page this
// server hands out can drive it (guard.ts): its own Host and Origin, JSON, and a per-start token.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import { CHANNEL_PROFILES } from '../../adapters/profiles.ts';
import type { Channel } from '../../core/identity.ts';
import { json, type HttpRequest, type HttpResponse } from '../../core/http.ts';
import type { Logger } from '../../core/log.ts';
import { TurnReplayError } from '../../core/ops/replay.ts';
import type { ActivityLog, ActivitySummary } from './activity.ts';
import type { ListenAddress } from './address.ts';
import { ConsoleGuard } from './guard.ts';
import { FAVICON_HEADERS, FAVICON_PATHS, FAVICON_SVG } from '../favicon.ts';
import { ChannelRequestError, type ClickInput, type PaneMessage, type SimulatedChannel } from './channels.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const MESSAGES_KEPT = 1_000;
/** Where page.html carries the token to its script. */
const TOKEN_PLACEHOLDER = '{{CONSOLE_TOKEN}}';
/** The page must not be framed by another site (a framed console could be clicked through). */
const PAGE_HEADERS = { 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" };

/** What the page needs to know on load. */
export interface ConsoleState {
  /** Every channel, in the registry's order: whether the console drives it (simulated) or a real one shows in the activity panel only. */
  channels: { channel: Channel; title: string; simulated: boolean }[];
  /** The same by channel: whether the console drives it. */
  simulated: Record<Channel, boolean>;
  activity: ActivitySummary[];
  messages: PaneMessage[];
}

export interface ConsoleDeps {
  activity: ActivityLog;
  logger: Logger;
  /** Runs a failed turn again; an unknown or unfailed turn throws TurnReplayError (answered 400). */
  replay(id: string): Promise<unknown>;
}

export class BridgeConsole {
  private readonly channels = new Map<Channel, SimulatedChannel>();
  private readonly messages: PaneMessage[] = [];
  private readonly streams = new Set<ServerResponse>();
  private readonly guard = new ConsoleGuard();
  private listenAddress?: ListenAddress;
  private bundle?: Promise<string>;

  constructor(private readonly deps: ConsoleDeps) {
    deps.activity.on((summary) => this.broadcast('activity', summary));
  }

  /** Where a simulated channel's fake reports what the bridge sent (see channels.ts). */
  readonly emit = (message: PaneMessage): void => {
    this.messages.push(message);
    if (this.messages.length > MESSAGES_KEPT) this.messages.splice(0, this.messages.length - MESSAGES_KEPT);
    this.broadcast('message', message);
  };

  /** The per-start token the page sends on every POST (x-console-token); local tools may use it too. */
  get token(): string {
    return this.guard.token;
  }

  /** Where the stack listens, once it does. */
  get address(): ListenAddress | undefined {
    return this.listenAddress;
  }

  /** Told by the stack once it listens: requests must name this address. Not loopback is said loudly. */
  listening(address: ListenAddress): void {
    this.listenAddress = address;
    this.guard.listening(address);
    if (!address.loopback) {
      this.deps.logger.warn(
        `HOST=${address.requested} is not a loopback address: the local stack (console, dev secrets, simulated channels) is reachable from other machines at ${address.display}. Unset HOST to listen on 127.0.0.1 only.`,
        { host: address.requested, listening: address.display },
      );
    }
  }

  addChannel(channel: SimulatedChannel): void {
    this.channels.set(channel.channel, channel);
  }

  state(): ConsoleState {
    const channels = CHANNEL_PROFILES.map(({ channel, title }) => ({ channel, title, simulated: this.channels.has(channel) }));
    const simulated = Object.fromEntries(channels.map(({ channel, simulated }) => [channel, simulated]));
    return { channels, simulated, activity: this.deps.activity.list(), messages: [...this.messages] };
  }

  /** Answers the console's routes; undefined for any other path. A stream answers itself. */
  async route(request: HttpRequest, res: ServerResponse): Promise<HttpResponse | 'streaming' | undefined> {
    const { method, path } = request;
    // The icon is public and the same for everyone: no token, no guard.
    if (method === 'GET' && FAVICON_PATHS.includes(path)) return { status: 200, headers: { ...FAVICON_HEADERS }, body: FAVICON_SVG };
    const isPage = method === 'GET' && (path === '/' || path === '/console');
    if (!isPage && !path.startsWith('/console/')) return undefined;
    const refusal = this.guard.check(request);
    if (refusal) {
      this.deps.logger.warn('console request refused', { method, path, status: refusal.status, reason: refusal.reason });
      return json(refusal.status, { error: refusal.status === 415 ? 'unsupported_media_type' : 'forbidden', message: `Refused: ${refusal.reason}.` });
    }
    if (isPage) return this.page();
    const query = new URLSearchParams(request.rawQuery ?? '');
    try {
      if (method === 'GET' && path === '/console/app.js') return { status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' }, body: await this.clientBundle() };
      if (method === 'GET' && path === '/console/adaptivecards.css') return this.adaptiveCardsCss();
      if (method === 'GET' && path === '/console/state') return json(200, this.state());
      if (method === 'GET' && path === '/console/events') return this.stream(res);
      if (method === 'GET' && path === '/console/address') {
        const channel = this.channelFor(query.get('channel'));
        return json(200, { address: channel.address(nameOf(query.get('name'))) });
      }
      if (method === 'GET' && path.startsWith('/console/turns/')) {
        const details = this.deps.activity.details(decodeURIComponent(path.slice('/console/turns/'.length)));
        return details ? json(200, details) : json(404, { error: 'not_found', message: 'No such turn in this console (it keeps the last 500).' });
      }
      if (method === 'POST') {
        const body = parseBody(request.body);
        if (path === '/console/send') {
          const channel = this.channelFor(body.channel);
          const message = typeof body.text === 'string' ? body.text.trim() : '';
          if (!message) return json(400, { error: 'bad_request', message: 'Type a message first.' });
          await channel.send(nameOf(body.name), message);
          return json(200, { address: channel.address(nameOf(body.name)) });
        }
        if (path === '/console/click') {
          const channel = this.channelFor(body.channel);
          if (typeof body.messageId !== 'string') return json(400, { error: 'bad_request', message: 'A click needs the message it was on.' });
          const click: ClickInput = {
            name: nameOf(body.name),
            messageId: body.messageId,
            ...(typeof body.actionId === 'string' ? { actionId: body.actionId } : {}),
            ...(typeof body.value === 'string' ? { value: body.value } : {}),
            ...(typeof body.verb === 'string' ? { verb: body.verb } : {}),
            ...('data' in body ? { data: body.data } : {}),
          };
          return json(200, { answer: await channel.click(click) });
        }
        if (path === '/console/replay') {
          if (typeof body.id !== 'string') return json(400, { error: 'bad_request', message: 'Name the turn to replay: {"id": "<turn id>"}.' });
          return json(200, { outcome: await this.deps.replay(body.id) });
        }
      }
      return json(404, { error: 'not_found', message: `No console route ${method} ${path}` });
    } catch (error) {
      if (error instanceof BadConsoleRequest || error instanceof TurnReplayError) return json(400, { error: 'bad_request', message: error.message });
      if (error instanceof ChannelRequestError) return json(502, { error: 'bridge_refused', message: error.message });
      throw error;
    }
  }

  close(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private channelFor(name: unknown): SimulatedChannel {
    const channel = typeof name === 'string' ? this.channels.get(name as Channel) : undefined;
    if (!channel) throw new BadConsoleRequest(`"${String(name)}" is not a simulated channel here (real channels are driven from their own apps)`);
    return channel;
  }

  private stream(res: ServerResponse): 'streaming' {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: state\ndata: ${JSON.stringify(this.state())}\n\n`);
    this.streams.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(keepAlive);
      this.streams.delete(res);
    });
    return 'streaming';
  }

  private broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) res.write(frame);
  }

  /** The page, with this start's token for its script (never cached: the token changes per start). */
  private async page(): Promise<HttpResponse> {
    const html = await readFile(join(HERE, 'page.html'), 'utf8');
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...PAGE_HEADERS },
      body: html.replace(TOKEN_PLACEHOLDER, this.guard.token),
    };
  }

  private async adaptiveCardsCss(): Promise<HttpResponse> {
    const css = createRequire(import.meta.url).resolve('adaptivecards/dist/adaptivecards.css');
    return { status: 200, headers: { 'content-type': 'text/css; charset=utf-8' }, body: await readFile(css, 'utf8') };
  }

  /** Bundled once per run, in memory; esbuild is a development dependency, as is this console. */
  private clientBundle(): Promise<string> {
    this.bundle ??= (async () => {
      const { build } = await import('esbuild');
      const result = await build({
        entryPoints: [join(HERE, 'client', 'main.ts')],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        write: false,
        logLevel: 'silent',
      });
      return result.outputFiles[0]!.text;
    })();
    this.bundle.catch(() => (this.bundle = undefined));
    return this.bundle;
  }
}

class BadConsoleRequest extends Error {}

function parseBody(body: Buffer): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new BadConsoleRequest('Send a JSON object.');
}

function nameOf(value: unknown): string {
  const name = typeof value === 'string' ? value.trim().slice(0, 40) : '';
  return name || 'traveller';
}
