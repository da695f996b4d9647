// Races around Slack installations and rotating bot tokens, found by trying: a refresh answered
// after an uninstall (it must not bring the installation back, nor its token be used); two
// turns — in one worker or in two — refreshing one rotating token at once (Slack's refresh token
// is single-use: only one refresh may happen); Slack refusing a refresh (permanent at once, for
// every worker); an erase while a lookup is in flight (nothing cached afterwards).
//
// The local stack runs the install flow, the ingress (app_uninstalled) and one worker; other
// workers are more slackWorkspaces() on the same table. Every Web API call goes through a small
// proxy in front of the fake Slack that can hold the answer to a refresh (Slack did the work, the
// answer is late) or answer a refresh with an error itself.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Installation } from '@slack/oauth';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackConfig } from '../../adapters/slack/config.ts';
import { DynamoInstallationStore, INSTALLATION_SK, NoInstallation } from '../../adapters/slack/installations.ts';
import type { RefreshTiming } from '../../adapters/slack/oauth.ts';
import { slackWorkspaces, type SlackWorkspaces } from '../../adapters/slack/workspaces.ts';
import { localSecretBox } from '../../core/crypto.ts';
import { createLogger, memorySink } from '../../core/log.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { PermanentSendError, sendFailureCode } from '../../core/delivery.ts';
import { startFakeSlack, type FakeSlack } from '../../dev/fakes/slack.ts';
import { messageEvent, postSlack, slackRequest } from '../../dev/simulate/slack.ts';
import { startStack, type Stack } from '../../dev/stack.ts';
import { SIGNING_SECRET } from '../support/stack.ts';
import { expectNoSlackSecrets } from '../support/privacy.ts';

const STATE_SECRET = 'state-secret-for-tests-0123456789';
const INSTALLATION_KEY = 'c'.repeat(8) + '0123456789abcdef'.repeat(3) + 'd'.repeat(8);

/** Installed in this order in beforeAll; the fake approves installs round-robin, so the next install (the reinstall test) is the first one's. */
const WORKSPACES = [
  { teamId: 'TAGAIN', teamName: 'Again Hotels', botUserId: 'UBOTAG', expiresIn: 60 },
  { teamId: 'TLATE', teamName: 'Late Lodge', botUserId: 'UBOTLA', expiresIn: 60 },
  { teamId: 'TGONE', teamName: 'Gone Inn', botUserId: 'UBOTGO', expiresIn: 60 },
  { teamId: 'TBOTH', teamName: 'Both Suites', botUserId: 'UBOTBO', expiresIn: 60 },
  { teamId: 'TGHOST', teamName: 'Ghost Motel', botUserId: 'UBOTGH', expiresIn: 60 },
  { teamId: 'TREFUSE', teamName: 'Refuse Resort', botUserId: 'UBOTRF', expiresIn: 60 },
  { teamId: 'TREVOKE', teamName: 'Revoke Rooms', botUserId: 'UBOTRV', expiresIn: 60 },
  { teamId: 'TFLAKY', teamName: 'Flaky Flats', botUserId: 'UBOTFL', expiresIn: 60 },
  { teamId: 'TPLAIN', teamName: 'Plain Stays', botUserId: 'UBOTPL' },
  { teamId: 'TDROP', teamName: 'Drop Dorms', botUserId: 'UBOTDR', expiresIn: 60 },
];

/** What the proxy does to the next refresh (oauth.v2.access, grant_type refresh_token). */
interface HeldRefresh {
  /** Slack has answered (the refresh happened); the answer is held. */
  reached: Promise<void>;
  /** Slack's answer, as it will be delivered. */
  answer: Promise<{ ok: boolean; access_token?: string; error?: string }>;
  release(): void;
}

interface SlackProxy {
  url: string;
  holdNextRefresh(): HeldRefresh;
  /** The next refresh answered with this error by the proxy, never reaching Slack. */
  refuseNextRefresh(code: string): void;
  /** The next refresh done by Slack, its answer lost (the connection closed instead). */
  dropNextRefresh(): void;
  /** Refresh requests that reached the proxy (refused ones included). */
  refreshes(): number;
  close(): Promise<void>;
}

async function startSlackProxy(target: string): Promise<SlackProxy> {
  let held: (HeldRefresh & { arrive(answer: string): void; released: Promise<void> }) | undefined;
  let refusal: string | undefined;
  let drop = false;
  let refreshes = 0;
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const refresh = (req.url ?? '').startsWith('/api/oauth.v2.access') && new URLSearchParams(raw).get('grant_type') === 'refresh_token';
    if (refresh) refreshes += 1;
    if (refresh && refusal) {
      const code = refusal;
      refusal = undefined;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      return res.end(JSON.stringify({ ok: false, error: code }));
    }
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
    const upstream = await fetch(`${target}${req.url ?? ''}`, { method: req.method ?? 'GET', headers, ...(req.method === 'GET' ? {} : { body: raw }) });
    const body = await upstream.text();
    if (refresh && held) {
      const hold = held;
      held = undefined;
      hold.arrive(body);
      await hold.released;
    }
    if (refresh && drop) {
      drop = false;
      return req.socket.destroy();
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json; charset=utf-8' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdNextRefresh() {
      let arrive!: (answer: string) => void;
      let release!: () => void;
      const answer = new Promise<string>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      const hold = {
        reached: answer.then(() => undefined),
        answer: answer.then((text) => JSON.parse(text) as { ok: boolean; access_token?: string; error?: string }),
        release,
        arrive,
        released,
      };
      held = hold;
      return hold;
    },
    refuseNextRefresh: (code) => void (refusal = code),
    dropNextRefresh: () => void (drop = true),
    refreshes: () => refreshes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let slack: FakeSlack;
let proxy: SlackProxy;
let stack: Stack;
let store: DynamoInstallationStore;
const logs = memorySink();

beforeAll(async () => {
  slack = await startFakeSlack();
  for (const workspace of WORKSPACES) slack.oauth.addWorkspace(workspace);
  proxy = await startSlackProxy(slack.url);
  stack = await startStack({
    dataDir: 'memory',
    logger: createLogger({ sink: logs.sink, level: 'debug' }),
    env: {
      PORT: '0',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_CLIENT_ID: slack.oauth.clientId,
      SLACK_CLIENT_SECRET: slack.oauth.clientSecret,
      SLACK_STATE_SECRET: STATE_SECRET,
      SLACK_API_URL: `${proxy.url}/api`,
      SLACK_OAUTH_AUTHORIZE_URL: slack.oauth.authorizeUrl,
      INSTALLATION_KEY,
      ACTOR_ID_SECRET: 'test-actor-secret-0123456789',
    },
  });
  store = new DynamoInstallationStore(stack.db.worker, stack.config.tableName, localSecretBox(INSTALLATION_KEY));
  for (const workspace of WORKSPACES) expect(await install()).toContain(`Brek is installed in ${workspace.teamName}`);
});

afterAll(async () => {
  await stack?.close();
  await proxy?.close();
  await slack?.close();
});

/** A browser's walk through the install: our install path, Slack's approval, our redirect. */
async function install(): Promise<string> {
  const start = await fetch(`${stack.url}/slack/install`, { redirect: 'manual' });
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0]!;
  const approved = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const done = await fetch(approved.headers.get('location')!, { headers: { cookie }, redirect: 'manual' });
  expect(done.status).toBe(200);
  return done.text();
}

/** A DM into the stack, acknowledged; the turn runs in the stack's worker (stack.idle() to wait). */
async function dm(teamId: string, userId: string, text: string): Promise<void> {
  const res = await postSlack(stack.url, slackRequest(messageEvent({ teamId, userId }, { text }), SIGNING_SECRET));
  expect(res.status).toBe(200);
}

async function uninstall(teamId: string): Promise<void> {
  const event = { type: 'event_callback', team_id: teamId, api_app_id: 'A0LOCAL', event_id: `EvUNINSTALL${teamId}`, event_time: Math.floor(Date.now() / 1000), event: { type: 'app_uninstalled' } };
  expect((await postSlack(stack.url, slackRequest(event, SIGNING_SECRET))).status).toBe(200);
}

/** Another worker process: its own token cache and SDK clients, the same table. */
function otherWorker(options: { db?: DynamoDBDocumentClient; timing?: Partial<RefreshTiming> } = {}): SlackWorkspaces & { tokenFor: NonNullable<SlackWorkspaces['tokenFor']> } {
  const config: SlackConfig = {
    signingSecret: '',
    botToken: '',
    apiUrl: `${proxy.url}/api/`,
    oauth: { clientId: slack.oauth.clientId, clientSecret: slack.oauth.clientSecret, stateSecret: '' },
  };
  const workspaces = slackWorkspaces(config, {
    db: options.db ?? stack.db.worker,
    tableName: stack.config.tableName,
    logger: createLogger({ sink: logs.sink, level: 'debug' }),
    box: localSecretBox(INSTALLATION_KEY),
    ...(options.timing ? { refreshTiming: options.timing } : {}),
  });
  return { ...workspaces, tokenFor: workspaces.tokenFor! };
}

/** What tokenFor reads of a turn's record. */
const recordOf = (teamId: string) => ({ workspaceId: teamId, reference: {} }) as Pick<InboxRecord, 'workspaceId' | 'reference'> as InboxRecord;

const query = (teamId: string) => ({ teamId, enterpriseId: undefined, isEnterpriseInstall: false as const });

async function item(teamId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await stack.db.worker.send(new GetCommand({ TableName: stack.config.tableName, Key: { pk: `SLACK#T#${teamId}`, sk: INSTALLATION_SK }, ConsistentRead: true }));
  return Item;
}

const refreshGrants = () => slack.calls.filter((c) => c.method === 'oauth.v2.access' && c.args.grant_type === 'refresh_token').length;
const postsTo = (channel: string) => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel && c.delivered);
const callsWith = (token: string) => slack.calls.filter((c) => c.token === token);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('the installation store on dynalite: versions and conditional writes', () => {
  const box = localSecretBox(INSTALLATION_KEY);
  const installation = (teamId: string, token: string): Installation<'v2', false> => ({
    team: { id: teamId, name: teamId },
    enterprise: undefined,
    isEnterpriseInstall: false,
    authVersion: 'v2',
    bot: { id: 'B1', userId: 'U1', scopes: ['chat:write'], token, refreshToken: `xoxe-1-${token}`, expiresAt: Math.floor(Date.now() / 1000) + 60 },
    user: { id: 'UINSTALLER', token: undefined, scopes: undefined },
  });

  it('every write gives the record a new version; a fresh install is unconditional', async () => {
    await store.storeInstallation(installation('TSTORE1', 'xoxb-store-1'));
    const first = await store.readInstallation(query('TSTORE1'));
    expect(first.version).toEqual(expect.any(String));
    // A reinstall over it: legitimate, whatever was there.
    await store.storeInstallation(installation('TSTORE1', 'xoxb-store-2'));
    const second = await store.readInstallation(query('TSTORE1'));
    expect(second.version).not.toBe(first.version);
    expect(second.installation.bot?.token).toBe('xoxb-store-2');
  });

  it('a write-back over a deleted installation is refused and creates nothing', async () => {
    await store.storeInstallation(installation('TSTORE2', 'xoxb-store-3'));
    const read = await store.readInstallation(query('TSTORE2'));
    await store.deleteInstallation(query('TSTORE2'));
    expect(await store.storeRefreshed(read, installation('TSTORE2', 'xoxb-refreshed'))).toBe(false);
    expect(await store.takeRefreshLease(read, 'me', 10_000)).toBe(false);
    expect(await store.releaseRefreshLease(read, 'me', 'token_revoked')).toBe(false);
    expect(await item('TSTORE2')).toBeUndefined();
    await expect(store.readInstallation(query('TSTORE2'))).rejects.toThrow(NoInstallation);
  });

  it('a write-back over a reinstall (uninstalled and installed again since it was read) is refused', async () => {
    await store.storeInstallation(installation('TSTORE3', 'xoxb-old'));
    const read = await store.readInstallation(query('TSTORE3'));
    await store.deleteInstallation(query('TSTORE3'));
    await store.storeInstallation(installation('TSTORE3', 'xoxb-reinstalled'));
    expect(await store.storeRefreshed(read, installation('TSTORE3', 'xoxb-stale-refresh'))).toBe(false);
    expect((await store.readInstallation(query('TSTORE3'))).installation.bot?.token).toBe('xoxb-reinstalled');
  });

  it('one refresh lease at a time per version; it expires, is given up, and a write-back clears it', async () => {
    await store.storeInstallation(installation('TSTORE4', 'xoxb-lease'));
    const read = await store.readInstallation(query('TSTORE4'));
    expect(await store.takeRefreshLease(read, 'worker-a', 200)).toBe(true);
    expect(await store.takeRefreshLease(read, 'worker-b', 10_000)).toBe(false);
    // Its own lease again (a retried request whose first answer was lost): still its own.
    expect(await store.takeRefreshLease(read, 'worker-a', 200)).toBe(true);
    expect((await store.readInstallation(query('TSTORE4'))).refreshLease?.holder).toBe('worker-a');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await store.takeRefreshLease(read, 'worker-b', 10_000)).toBe(true);
    expect(await store.releaseRefreshLease(read, 'worker-a')).toBe(false);
    expect(await store.releaseRefreshLease(read, 'worker-b')).toBe(true);
    expect(await store.takeRefreshLease(read, 'worker-c', 10_000)).toBe(true);
    expect(await store.storeRefreshed(read, installation('TSTORE4', 'xoxb-lease-refreshed'))).toBe(true);
    const after = await store.readInstallation(query('TSTORE4'));
    expect(after.refreshLease).toBeUndefined();
    expect(after.version).not.toBe(read.version);
    // The version read is gone: nothing more is accepted on it.
    expect(await store.takeRefreshLease(read, 'worker-d', 10_000)).toBe(false);
    expect(await store.storeRefreshed(read, installation('TSTORE4', 'xoxb-lease-stale'))).toBe(false);
  });

  it('a record from before versions takes leases and write-backs once, then has a version', async () => {
    const pk = 'SLACK#T#TSTORE5';
    const sealed = await box.seal(JSON.stringify(installation('TSTORE5', 'xoxb-legacy')), pk);
    await stack.db.worker.send(
      new PutCommand({ TableName: stack.config.tableName, Item: { pk, sk: INSTALLATION_SK, type: 'slack_installation', teamId: 'TSTORE5', isEnterpriseInstall: false, sealed, updatedAt: new Date().toISOString() } }),
    );
    const read = await store.readInstallation(query('TSTORE5'));
    expect(read.version).toBeUndefined();
    expect(await store.takeRefreshLease(read, 'worker-a', 10_000)).toBe(true);
    expect(await store.storeRefreshed(read, installation('TSTORE5', 'xoxb-legacy-refreshed'))).toBe(true);
    expect((await store.readInstallation(query('TSTORE5'))).version).toEqual(expect.any(String));
    expect(await store.storeRefreshed(read, installation('TSTORE5', 'xoxb-legacy-again'))).toBe(false);
  });
});

describe('race 1: a refresh answered after the workspace uninstalled', () => {
  it('does not bring the installation back, and the refreshed token is never used (not installed)', async () => {
    const grants = refreshGrants();
    const hold = proxy.holdNextRefresh();
    await dm('TLATE', 'ULARA', 'seattle tomorrow');
    // The turn's first lookup refreshes the 60-second token; Slack has answered, late.
    await hold.reached;
    await uninstall('TLATE');
    expect(await item('TLATE')).toBeUndefined();
    hold.release();
    await stack.idle();
    const stale = (await hold.answer).access_token!;
    expect(refreshGrants()).toBe(grants + 1);
    expect(await item('TLATE')).toBeUndefined();
    expect(callsWith(stale)).toEqual([]);
    expect(postsTo('DULARA')).toEqual([]);
    expect(logs.records().some((r) => r.msg === 'slack token refresh discarded: the installation changed meanwhile' && r.teamId === 'TLATE')).toBe(true);
  });

  it('an erase while another worker’s refresh is in flight: not installed, and nothing cached for it', async () => {
    const worker = otherWorker();
    const hold = proxy.holdNextRefresh();
    const lookup = worker.tokenFor(recordOf('TGONE'));
    await hold.reached;
    await worker.uninstall({ workspaceId: 'TGONE' }, 'app_uninstalled');
    hold.release();
    const error = await rejection(lookup);
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(sendFailureCode(error)).toBe('not_installed');
    expect(await item('TGONE')).toBeUndefined();
    expect(sendFailureCode(await rejection(worker.tokenFor(recordOf('TGONE'))))).toBe('not_installed');
    expect(callsWith((await hold.answer).access_token!)).toEqual([]);
  });

  it('a lookup that read the installation just before an erase neither returns nor caches its token', async () => {
    // Hold the worker's read of the installation (DynamoDB has answered) while the erase runs.
    let arrived!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = true;
    const db = stack.db.worker;
    const send = db.send.bind(db) as (command: unknown) => Promise<unknown>;
    const holdingDb = new Proxy(db, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
        return async (command: unknown) => {
          const result = await send(command);
          if (holding && command instanceof GetCommand && command.input.Key?.pk === 'SLACK#T#TPLAIN') {
            holding = false;
            arrived();
            await released;
          }
          return result;
        };
      },
    });
    const worker = otherWorker({ db: holdingDb });
    const lookup = worker.tokenFor(recordOf('TPLAIN'));
    await reached;
    await worker.uninstall({ workspaceId: 'TPLAIN' }, 'app_uninstalled');
    release();
    expect(sendFailureCode(await rejection(lookup))).toBe('not_installed');
    expect(sendFailureCode(await rejection(worker.tokenFor(recordOf('TPLAIN'))))).toBe('not_installed');
  });
});

describe('race 2: two turns refreshing one rotating token at once', () => {
  it('one refresh across two workers and two turns; the others wait for it and use the new token', async () => {
    const grants = refreshGrants();
    const seen = proxy.refreshes();
    const hold = proxy.holdNextRefresh();
    await dm('TBOTH', 'UBEA', 'seattle tomorrow');
    await hold.reached;
    // The stack's worker holds the refresh lease; a second worker and a second turn want the token.
    const worker = otherWorker();
    const waiting = worker.tokenFor(recordOf('TBOTH'));
    await dm('TBOTH', 'UBEN', 'seattle tomorrow');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const installed = await store.readInstallation(query('TBOTH'));
    expect(installed.refreshLease).toBeDefined();
    hold.release();
    const fresh = (await hold.answer).access_token!;
    expect(await waiting).toBe(fresh);
    await stack.idle();
    expect(refreshGrants()).toBe(grants + 1);
    expect(proxy.refreshes()).toBe(seen + 1);
    expect(postsTo('DUBEA').map((c) => c.token)).toEqual([fresh]);
    expect(postsTo('DUBEN').map((c) => c.token)).toEqual([fresh]);
    const stored = await store.readInstallation(query('TBOTH'));
    expect(stored.installation.bot?.token).toBe(fresh);
    expect(stored.refreshLease).toBeUndefined();
    expect(logs.lines.join('\n')).not.toMatch(/invalid_refresh_token|token_expired/);
  });

  it('a lease left by a crashed worker: the others wait a bounded time, use a token still good, and refresh once it expires', async () => {
    const worker = otherWorker({ timing: { waitMs: 300, pollMs: 50 } });
    const current = await store.readInstallation(query('TGHOST'));
    const bot = current.installation.bot!;
    const rewrite = async (expiresInSeconds: number) => {
      await store.storeInstallation({ ...current.installation, bot: { ...bot, expiresAt: Math.floor(Date.now() / 1000) + expiresInSeconds } });
      return store.readInstallation(query('TGHOST'));
    };
    const grants = refreshGrants();
    // Ten minutes left, inside the refresh window: the waiter gives up on the lease and uses it.
    expect(await store.takeRefreshLease(await rewrite(600), 'crashed-worker', 60_000)).toBe(true);
    const started = Date.now();
    expect(await worker.tokenFor(recordOf('TGHOST'))).toBe(bot.token);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // Ten seconds left: not worth handing out; a transient failure (the core retries), not permanent.
    const other = otherWorker({ timing: { waitMs: 300, pollMs: 50 } });
    expect(await store.takeRefreshLease(await rewrite(10), 'crashed-worker', 700)).toBe(true);
    const error = await rejection(other.tokenFor(recordOf('TGHOST')));
    expect(error).not.toBeInstanceOf(PermanentSendError);
    expect(String(error)).toContain('timed out waiting');
    expect(refreshGrants()).toBe(grants);
    // The lease runs out: the next lookup refreshes.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const token = await other.tokenFor(recordOf('TGHOST'));
    expect(token).not.toBe(bot.token);
    expect(slack.oauth.tokens.get(token!)).toBe('TGHOST');
    expect(refreshGrants()).toBe(grants + 1);
  });
});

describe('race 3: Slack refusing a refresh is permanent at once', () => {
  /** The workspace's installation written again as it is (a new version, no refusal recorded). */
  const reset = async (teamId: string) => store.storeInstallation(await store.fetchInstallation(query(teamId)));

  it.each(['token_revoked', 'invalid_auth', 'account_inactive', 'invalid_refresh_token', 'invalid_client_id'])(
    '%s: PermanentSendError with Slack’s code, asked once, for every worker',
    async (code) => {
      await reset('TREFUSE');
      const seen = proxy.refreshes();
      proxy.refuseNextRefresh(code);
      const worker = otherWorker();
      const error = await rejection(worker.tokenFor(recordOf('TREFUSE')));
      expect(error).toBeInstanceOf(PermanentSendError);
      expect(sendFailureCode(error)).toBe(code);
      // Recorded on the installation: neither this worker nor another asks Slack again.
      expect(sendFailureCode(await rejection(worker.tokenFor(recordOf('TREFUSE'))))).toBe(code);
      expect(sendFailureCode(await rejection(otherWorker().tokenFor(recordOf('TREFUSE'))))).toBe(code);
      expect(proxy.refreshes()).toBe(seen + 1);
      const stored = await store.readInstallation(query('TREFUSE'));
      expect(stored.refreshRefused).toBe(code);
      expect(stored.refreshLease).toBeUndefined();
    },
  );

  it('a refresh token already used (the fake Slack’s own invalid_refresh_token): permanent', async () => {
    await reset('TREFUSE');
    const installation = await store.fetchInstallation(query('TREFUSE'));
    // Someone else used it, outside the bridge.
    await new WebClient(undefined, { slackApiUrl: slack.apiUrl }).oauth.v2.access({
      client_id: slack.oauth.clientId,
      client_secret: slack.oauth.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: installation.bot!.refreshToken!,
    });
    const error = await rejection(otherWorker().tokenFor(recordOf('TREFUSE')));
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(sendFailureCode(error)).toBe('invalid_refresh_token');
  });

  it('through the stack: a DM from a workspace whose token is revoked gets no reply, Slack asked once', async () => {
    const seen = proxy.refreshes();
    proxy.refuseNextRefresh('token_revoked');
    await dm('TREVOKE', 'URITA', 'seattle tomorrow');
    await stack.idle();
    // Every later lookup of the turn (and its retries) is refused from the record, not by Slack.
    expect(proxy.refreshes()).toBe(seen + 1);
    expect(postsTo('DURITA')).toEqual([]);
    expect((await store.readInstallation(query('TREVOKE'))).refreshRefused).toBe('token_revoked');
    expect(logs.records().filter((r) => r.msg === 'slack token refresh refused' && r.teamId === 'TREVOKE')).toEqual([expect.objectContaining({ code: 'token_revoked' })]);
  });

  it('a transient failure (internal_error) is not recorded: the next lookup refreshes', async () => {
    const worker = otherWorker();
    proxy.refuseNextRefresh('internal_error');
    const error = await rejection(worker.tokenFor(recordOf('TFLAKY')));
    expect(error).not.toBeInstanceOf(PermanentSendError);
    const stored = await store.readInstallation(query('TFLAKY'));
    expect(stored.refreshRefused).toBeUndefined();
    expect(stored.refreshLease).toBeUndefined();
    const token = await worker.tokenFor(recordOf('TFLAKY'));
    expect(slack.oauth.tokens.get(token!)).toBe('TFLAKY');
  });
});

describe('a refresh Slack did whose answer was lost', () => {
  it('fails the lookup transiently; the next finds the refresh token used: permanent (only a reinstall helps)', async () => {
    const worker = otherWorker();
    const grants = refreshGrants();
    proxy.dropNextRefresh();
    const lost = await rejection(worker.tokenFor(recordOf('TDROP')));
    expect(lost).not.toBeInstanceOf(PermanentSendError);
    expect(refreshGrants()).toBe(grants + 1);
    expect((await store.readInstallation(query('TDROP'))).refreshLease).toBeUndefined();
    const error = await rejection(worker.tokenFor(recordOf('TDROP')));
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(sendFailureCode(error)).toBe('invalid_refresh_token');
  });
});

describe('a reinstall during a refresh', () => {
  it('is kept: the stale refresh is dropped and the worker uses the new installation', async () => {
    const worker = otherWorker();
    const hold = proxy.holdNextRefresh();
    const lookup = worker.tokenFor(recordOf('TAGAIN'));
    await hold.reached;
    await uninstall('TAGAIN');
    // The fake approves installs round-robin: the next is the first workspace's, TAGAIN.
    expect(await install()).toContain('Brek is installed in Again Hotels');
    const reinstalled = await store.readInstallation(query('TAGAIN'));
    hold.release();
    const stale = (await hold.answer).access_token!;
    const token = await lookup;
    expect(token).not.toBe(stale);
    expect(slack.oauth.tokens.get(token!)).toBe('TAGAIN');
    // The reinstall's own 60-second token was refreshed in turn, over the reinstall's version.
    const stored = await store.readInstallation(query('TAGAIN'));
    expect(stored.installation.bot?.token).toBe(token);
    expect(stored.installation.bot?.token).not.toBe(reinstalled.installation.bot?.token);
    expect(callsWith(stale)).toEqual([]);
    await dm('TAGAIN', 'UAGATA', 'seattle tomorrow');
    await stack.idle();
    expect(postsTo('DUAGATA').map((c) => c.token)).toEqual([token]);
  });
});

describe('secrets', () => {
  it('no token, refresh token or client secret in the table or any log line', async () => {
    const scan = await stack.db.worker.send(new ScanCommand({ TableName: stack.config.tableName }));
    const table = JSON.stringify(scan.Items ?? []);
    const logText = logs.lines.join('\n');
    expectNoSlackSecrets(table, logText, slack);
  });
});
