// The local stack: every route of the runtime contract (docs/architecture.md) on one port, the same handlers and
// processTurn as the deployed functions, and embedded stand-ins for whatever is not configured —
// a DynamoDB-compatible server (data under .data/), the Brek sandbox, a fake Slack Web API.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { BrekClient, type BrekClientOptions } from '../core/brek/client.ts';
import { createCore, type Core } from '../core/bridge.ts';
import { loadCoreConfig, type CoreConfig } from '../core/config.ts';
import { json, lowerCaseHeaders, MAX_BODY_BYTES, type HttpRequest, type HttpResponse } from '../core/http.ts';
import { handleIngress, type ChannelIngress } from '../core/ingress.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { KeyedSerialQueue } from '../core/queue.ts';
import { StreamModel, type StreamModelSettings } from './stream-model.ts';
import { documentClient, ensureTable } from '../core/store/table.ts';
import { InboxStore, type InboxRecord } from '../core/store/inbox.ts';
import { processWithRetries } from '../core/worker.ts';
import { runWorkspaceErase, type WorkspaceEraseRecord } from '../core/workspace-erase.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { allObservers, processTurn } from '../core/turn.ts';
import type { DeliveryPolicy } from '../core/delivery.ts';
import { noMetrics, type BridgeMetrics } from '../core/metrics.ts';
import { replayTurn } from '../core/ops/replay.ts';
import { wireChannels } from '../functions/senders.ts';
import { CHANNEL_ADAPTERS } from '../adapters/index.ts';
import type { Installations } from '../core/channel.ts';
import type { ChannelSender } from '../core/delivery.ts';
import type { Channel } from '../core/identity.ts';
import { DEV_PARTNER_KEY } from '../core/dev-defaults.ts';
import { sandboxConfigFromEnv } from '../sandbox/config.ts';
import { startSandbox, type Exchange, type RunningSandbox } from '../sandbox/server.ts';
import { StartupError } from './cli.ts';
import { lockDataDir } from './data-lock.ts';
import { startLocalDynamo, type LocalDynamo } from './local-dynamo.ts';
import { ActivityLog } from './console/activity.ts';
import { LOCAL_CHANNELS, type Part, type PreparedChannel } from './local/index.ts';
import { BridgeConsole } from './console/server.ts';
import { DEFAULT_HOST, listenAddress } from './console/address.ts';

export interface StackOptions {
  env?: Record<string, string | undefined>;
  /** Where embedded data and dev secrets live; 'memory' keeps nothing on disk. */
  dataDir?: string | 'memory';
  logger?: Logger;
  /** Overrides for the worker's Brek client (the reliability suite shortens its timeouts). */
  brek?: Partial<BrekClientOptions>;
  /** Where the functions' CloudWatch metrics (EMF lines) go; none by default. */
  metrics?: BridgeMetrics;
  /** Sees every raw exchange with the embedded Brek sandbox (tests scan them for personal data). */
  onBrekExchange?: (exchange: Exchange) => void;
  /** Channel API timeout, and the delivery layer's backoffs (the reliability suite shortens them). */
  channelTimeoutMs?: number;
  delivery?: Partial<DeliveryPolicy>;
  /**
   * Run the in-process worker as the deployed stream would (shards, batches, lanes: head-of-line
   * blocking included) instead of every thread at once; unset keeps KeyedSerialQueue.
   */
  stream?: StreamModelSettings;
}


export interface Stack {
  url: string;
  port: number;
  parts: Part[];
  /** Each channel's banner lines: its extra routes, and how to talk to it. */
  channelNotes: { routes: string[]; howTo: string }[];
  core: Core;
  /** The ingress's and the worker's DynamoDB clients, apart as in a deployment (bench counts each). */
  db: { ingress: DynamoDBDocumentClient; worker: DynamoDBDocumentClient };
  config: CoreConfig;
  /** The environment the stack resolved (each channel's fake filled in): what a function started beside it would read. */
  env: Readonly<Record<string, string | undefined>>;
  // Each channel adds its configuration and its fake (dev/local/<channel>.ts: `slack`, `fakeSlack`…).
  sandbox?: RunningSandbox;
  /** The browser console (`GET /`) and the activity it shows. */
  console: BridgeConsole;
  activity: ActivityLog;
  /** Resolves when the in-process worker has nothing left to do. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Written to .data/stack.json while the stack runs. */
export interface StackInfo {
  url: string;
  pid: number;
  /** The table the stack uses, for `npm run ops`. */
  dynamoEndpoint: string;
  tableName: string;
  // Each channel adds where its fake is (dev/local/<channel>.ts: `fakeSlackUrl`…).
  /** The console's per-start token, for `npm run ops -- replay` (the file is readable by its owner only). */
  consoleToken?: string;
}

/** Development secrets by name (each channel adds its own: dev/local/<channel>.ts). */
export interface DevSecrets {
  actorIdSecret: string;
}

/**
 * Generated once per checkout and kept under .data/dev-secrets.json, so identities survive
 * restarts: each is made the first time it is asked for.
 */
async function devSecrets(dataDir: string | 'memory'): Promise<(name: keyof DevSecrets) => string> {
  const file = dataDir === 'memory' ? undefined : join(dataDir, 'dev-secrets.json');
  let kept: Record<string, string> = {};
  if (file) kept = (JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, string>) ?? {};
  return (name) => {
    const known = kept[name];
    if (known) return known;
    const made = randomBytes(name === 'actorIdSecret' ? 24 : 32).toString('hex');
    kept = { ...kept, [name]: made };
    // Written at once and only by its owner: the next start (and `npm run chat`) reads the same.
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(kept, null, 2), { mode: 0o600 });
    }
    return made;
  };
}

function toRequest(req: IncomingMessage, body: Buffer): HttpRequest {
  const url = new URL(req.url ?? '/', 'http://local');
  const rawQuery = (req.url ?? '').split('?')[1];
  return { method: req.method ?? 'GET', path: url.pathname, headers: lowerCaseHeaders(req.headers), body, ...(rawQuery ? { rawQuery } : {}) };
}

/** A body over the limit is read to its end but not kept, so the client still gets its 413. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Leaving the loop early would destroy the socket under a client still sending (ECONNRESET).
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
    else if (size > 16 * MAX_BODY_BYTES) req.destroy(); // past any sane client: stop reading
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

function write(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.status, response.headers ?? {});
  res.end(response.body ?? '');
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env = { ...(options.env ?? process.env) };
  const dataDir = options.dataDir ?? env.BRIDGE_DATA_DIR ?? join(process.cwd(), '.data');
  const logger = options.logger ?? createLogger();
  const closers: (() => Promise<void>)[] = [];
  const parts: Part[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  };

  try {
    // First of all: a second stack on this directory must stop before it touches anything of the first's.
    const lock = dataDir === 'memory' ? undefined : await lockDataDir(dataDir, dataDir === join(process.cwd(), '.data') ? 'in this checkout' : `with data directory ${dataDir}`);
    if (lock) closers.push(() => lock.release());
    const secret = await devSecrets(dataDir);
    env.ACTOR_ID_SECRET ??= secret('actorIdSecret');

    // DynamoDB: the configured endpoint, or an embedded one.
    let dynamo: LocalDynamo | undefined;
    if (!env.AWS_ENDPOINT_URL_DYNAMODB) {
      dynamo = await startLocalDynamo(dataDir === 'memory' ? {} : { path: join(dataDir, 'dynamodb') });
      closers.push(() => dynamo!.close());
      env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
    }

    // Brek: the configured one, or the embedded sandbox.
    let sandbox: RunningSandbox | undefined;
    if (!env.BREK_BASE_URL) {
      // Its sessions, cards and bookings are kept with the stack's data (and its port, so links survive restarts).
      const sandboxDataDir = env.BREK_SANDBOX_DATA_DIR ?? (dataDir === 'memory' ? undefined : join(dataDir, 'sandbox'));
      const sandboxConfig = sandboxConfigFromEnv({ ...env, BREK_SANDBOX_PORT: env.BREK_SANDBOX_PORT ?? '0', ...(sandboxDataDir ? { BREK_SANDBOX_DATA_DIR: sandboxDataDir } : {}) });
      sandbox = await startSandbox({ ...sandboxConfig }, options.onBrekExchange ? { onExchange: options.onBrekExchange } : {});
      // The bridge paces itself by the quota it is given: the embedded sandbox's own.
      env.BREK_RATE_LIMIT_PER_MINUTE ??= String(sandboxConfig.rateLimitPerMinute);
      closers.push(() => sandbox!.close());
      env.BREK_BASE_URL = sandbox.url;
      env.BREK_PARTNER_API_KEY ??= DEV_PARTNER_KEY;
    }

    // Each channel: its real platform when the environment names it, or its fake (dev/local/).
    const channels: PreparedChannel[] = [];
    for (const local of LOCAL_CHANNELS.values()) {
      const prepared = await local.prepare({ env, secret: (name) => secret(name as keyof DevSecrets) });
      if (prepared.close) closers.push(prepared.close);
      channels.push(prepared);
    }

    const config = loadCoreConfig(env, 'local');
    await ensureTable(documentClient({ endpoint: config.dynamoEndpoint! }), config.tableName).catch((error: unknown) => {
      throw new StartupError(`DynamoDB at ${config.dynamoEndpoint} is not reachable: ${error instanceof Error ? error.message : String(error)}`);
    });
    const metrics = options.metrics ?? noMetrics;
    const core = createCore(config, { logger, metrics, ...(options.brek ? { brek: options.brek } : {}) });
    // Every channel joins once the port is known (below): WhatsApp's signed URL and Slack's OAuth
    // redirect are this stack's own. No request is served before then.
    const senders: Partial<Record<Channel, ChannelSender>> = {};
    const routes: Record<string, { ingress: ChannelIngress; installations?: Installations }> = {};
    const activity = new ActivityLog();
    const coreTurnDeps = core.turnDeps(senders);
    const turnDeps = {
      ...coreTurnDeps,
      ...(options.delivery ? { delivery: options.delivery } : {}),
      observe: allObservers(...(coreTurnDeps.observe ? [coreTurnDeps.observe] : []), activity.observe),
    };
    // Health answers fast: one try, a short timeout, no retries.
    const brekProbe = new BrekClient({
      baseUrl: config.brek.baseUrl!,
      apiKey: config.brek.apiKey ?? '',
      authStyle: config.brek.authStyle,
      retry: { maxAttempts: 1, timeoutMs: 2_000 },
    });

    const onWorkerError = (error: unknown) => logger.error('worker crashed on a turn', { error });
    const worker = options.stream ? new StreamModel(options.stream, onWorkerError) : new KeyedSerialQueue(onWorkerError);
    const installations: Partial<Record<Channel, Installations>> = {};
    /** A workspace's erase, on the worker's queue as the stream would hand it over (continuations too). */
    const eraseWorkspace = (request: WorkspaceEraseRecord) =>
      worker.push(request.pk, () =>
        processWithRetries(() => runWorkspaceErase(request, { db: core.db, tableName: config.tableName, logger, metrics, installations, onContinued: eraseWorkspace }).then(() => ({ outcome: 'erased' })), {
          attempts: 8,
        }).finally(() => metrics.flush()),
      );
    // The ingress gets its own client, as its own Lambda would.
    const ingressDb = documentClient({ endpoint: config.dynamoEndpoint! });
    const ingressDeps = {
      inbox: new InboxStore(ingressDb, config.tableName),
      logger,
      metrics,
      onEraseRequested: eraseWorkspace,
      onStored: (record: InboxRecord, outcome: 'accepted' | 'duplicate') => {
        if (outcome === 'accepted') activity.received(record);
        // Flushed per turn, as the worker function flushes per invocation.
        worker.push(record.pk, () =>
          processWithRetries(
            async (attempt) => {
              // A re-delivery usually finds its turn answered: then there is nothing to do.
              if (outcome === 'duplicate' && (await core.threads.get(record))?.turns?.[record.dedupeKey]) return { outcome: 'skipped' };
              return processTurn(record, turnDeps, { attempt });
            },
            // Lambda retries a stream record for as long as it is kept; here about half a minute.
            { attempts: 8 },
          ).finally(() => metrics.flush()),
        );
      },
    };
    let url = '';
    const bridgeConsole = new BridgeConsole({
      activity,
      logger,
      replay: (id) => replayTurn(id, { ...turnDeps, db: core.db, tableName: config.tableName }),
    });
    closers.push(async () => bridgeConsole.close());

    const server: Server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        if (!body) return write(res, json(413, { error: 'payload_too_large', message: 'Bodies over 1 MiB are refused.' }));
        const request = toRequest(req, body);
        const channel = routes[request.path];
        if (channel) {
          const response = await handleIngress(request, channel.ingress, ingressDeps).finally(() => metrics.flush());
          return write(res, response);
        }
        if (request.path === '/healthz') return write(res, await health(core, brekProbe));
        for (const { installations } of Object.values(routes)) {
          const install = await installations?.route?.(request);
          if (install) return write(res, install);
        }
        const answer = await bridgeConsole.route(request, res);
        if (answer === 'streaming') return;
        if (answer) return write(res, answer);
        return write(res, json(404, { error: 'not_found', message: `No route ${request.method} ${request.path}` }));
      })().catch((error: unknown) => {
        logger.error('request failed', { error });
        if (!res.headersSent) write(res, json(500, { error: 'internal_error', message: 'Something went wrong; the request was not stored.' }));
      });
    });
    const port = Number(env.PORT ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartupError(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, env.HOST ?? DEFAULT_HOST, () => resolve());
    });
    closers.push(async () => {
      await worker.idle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    // The real address: the banner says it, and the console refuses requests naming any other.
    const listening = listenAddress(env.HOST ?? DEFAULT_HOST, server.address() as AddressInfo);
    const actualPort = listening.port;
    url = listening.url;
    bridgeConsole.listening(listening);
    for (const channel of channels) channel.listening?.(url, env);
    const channelDeps = { env, mode: 'local' as const, db: core.db, tableName: config.tableName, logger, metrics, publicUrl: url, ...(options.channelTimeoutMs ? { timeoutMs: options.channelTimeoutMs } : {}) };
    for (const wired of wireChannels(CHANNEL_ADAPTERS, channelDeps, 'both')) {
      routes[wired.adapter.profile.route] = { ingress: wired.adapter.ingress(wired.config), ...(wired.installations ? { installations: wired.installations } : {}) };
      senders[wired.adapter.profile.channel] = wired.sender;
      if (wired.installations) installations[wired.adapter.profile.channel] = wired.installations;
    }
    const joined = channels.map((channel) => channel.join({ url: () => url, env, console: bridgeConsole }));
    if (dataDir !== 'memory') {
      // Where `npm run chat` finds this stack and its simulated channels.
      const info: StackInfo = {
        url,
        pid: process.pid,
        dynamoEndpoint: config.dynamoEndpoint!,
        tableName: config.tableName,
        ...Object.assign({}, ...joined.map((channel) => channel.info)),
        consoleToken: bridgeConsole.token,
      };
      await writeFile(join(dataDir, 'stack.json'), JSON.stringify(info, null, 2), { mode: 0o600 });
      closers.push(() => rm(join(dataDir, 'stack.json'), { force: true }));
      await lock?.listening(url);
    }

    parts.push(
      { name: 'bridge', where: listening.display, embedded: false },
      { name: 'DynamoDB', where: `${config.dynamoEndpoint} (table ${config.tableName})`, embedded: Boolean(dynamo) },
      { name: 'Brek', where: config.brek.baseUrl!, embedded: Boolean(sandbox) },
      ...joined.map((channel) => channel.part),
    );
    // Each channel's fields (its configuration, its fake) are declared where it adds them.
    const stack = {
      url,
      port: actualPort,
      parts,
      channelNotes: joined.map((channel) => ({ routes: channel.routes ?? [], howTo: channel.howTo })),
      core,
      db: { ingress: ingressDb, worker: core.db },
      config,
      env,
      ...(sandbox ? { sandbox } : {}),
      console: bridgeConsole,
      activity,
      idle: async () => {
        await worker.idle();
        // What the platforms still report about the replies (status callbacks) lands too.
        await Promise.all(joined.map((channel) => channel.settled?.()));
      },
      close,
    };
    return Object.assign(stack, ...joined.map((channel) => channel.fields)) as Stack;
  } catch (error) {
    await close();
    throw error;
  }
}

async function health(core: Core, brekProbe: BrekClient): Promise<HttpResponse> {
  const check = async (probe: () => Promise<unknown>) => {
    try {
      await probe();
      return 'reachable';
    } catch {
      return 'unreachable';
    }
  };
  const [table, brek] = await Promise.all([
    check(() => core.inbox.get({ pk: 'HEALTH', sk: 'HEALTH' })),
    check(async () => {
      // Any answer from Brek's gateway proves it is there; 404 for a made-up session is fine.
      await brekProbe.getSession('sess_healthcheck').catch((error: { kind?: string }) => {
        if (error.kind !== 'session_not_found') throw error;
      });
    }),
  ]);
  const ok = table === 'reachable' && brek === 'reachable';
  return json(ok ? 200 : 503, { ok, table, brek });
}
