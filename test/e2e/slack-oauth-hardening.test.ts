// Slack distribution hardened (issue 18, its OAuth part): the install state is single-use (a
// replayed state and cookie install nothing, even with a fresh code; two redirects racing on one
// state install once); the state cookie is HttpOnly and SameSite=Lax (Secure with a __Host- name
// over https) and cleared on every outcome of the redirect; failed installs and failed token
// refreshes are counted for the alarms; a workspace without a live installation — never installed,
// or uninstalled — reaches neither Brek nor Slack, its turn recorded `not_installed`; and a token
// cached by another worker when its workspace left is dropped at Slack's first refusal.
//
// Through the local stack (its install routes, ingress and worker, on dynalite) with a fake Slack
// whose authorize page and oauth.v2.access the SDK's InstallProvider really uses; some cases also
// through slackWorkspaces() in-process, as the deployed install function builds it, on the same table.
import { createHmac } from 'node:crypto';
import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SlackConfig } from '../../adapters/slack/config.ts';
import { INSTALLATION_SK } from '../../adapters/slack/installations.ts';
import { OAUTH_STATE_PK_PREFIX, OAUTH_STATE_SK } from '../../adapters/slack/oauth-state.ts';
import { classifySlackError, SlackSender, slackWebClient } from '../../adapters/slack/send.ts';
import { slackWorkspaces, type SlackWorkspaces } from '../../adapters/slack/workspaces.ts';
import { localSecretBox } from '../../core/crypto.ts';
import { PermanentSendError, sendFailureCode } from '../../core/delivery.ts';
import type { HttpRequest, HttpResponse } from '../../core/http.ts';
import { createLogger } from '../../core/log.ts';
import type { BridgeMetrics, MetricName } from '../../core/metrics.ts';
import { SLACK_METRIC } from '../../adapters/slack/profile.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { listTurns } from '../../core/ops/views.ts';
import { startFakeKms } from '../../dev/fakes/kms.ts';
import { startFakeSlack, type FakeSlack } from '../../dev/fakes/slack.ts';
import { messageEvent, postSlack, slackRequest } from '../../dev/simulate/slack.ts';
import { fakeSlackDistribution, loadInstallFunction } from '../support/slack-install.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';

const STATE_SECRET = 'state-secret-for-hardening-0123456789';
const INSTALLATION_KEY = 'e'.repeat(8) + '0123456789abcdef'.repeat(3) + 'f'.repeat(8);
const HTTPS_REDIRECT = 'https://install.example/slack/oauth_redirect';

let slack: FakeSlack;
/** Filled once the fake Slack listens; useStack reads it when its own beforeAll runs (after this one). */
const env: Record<string, string> = {};
beforeAll(async () => {
  slack = await startFakeSlack();
  for (const teamId of ['TONCE', 'TREPLAY', 'TRACE1', 'TRACE2', 'TOLD', 'TFORGE', 'TCOOKIE', 'TLEFT', 'TSTALE', 'THTTPS', 'TMETRIC', 'TLAMBDA']) {
    slack.oauth.addWorkspace({ teamId, teamName: `${teamId} Hotels`, botUserId: `UBOT${teamId}` });
  }
  slack.oauth.addWorkspace({ teamId: 'TROTATE', teamName: 'Rotate Rooms', botUserId: 'UBOTROT', expiresIn: 60 });
  slack.oauth.addWorkspace({ teamId: 'TREFUSED', teamName: 'Refused Rooms', botUserId: 'UBOTREF', expiresIn: 60 });
  Object.assign(env, {
    ...fakeSlackDistribution(slack, STATE_SECRET),
    INSTALLATION_KEY,
  });
});
const h = useStack(env);
afterAll(async () => {
  await slack?.close();
});

/** The browser's side of a started install: its cookie, and Slack's authorize URL with the state. */
interface StartedInstall {
  setCookie: string;
  /** `name=value`, as the browser sends it back. */
  cookie: string;
  state: string;
  authorize: URL;
}

function started(location: string, setCookie: string, teamId: string): StartedInstall {
  const authorize = new URL(location);
  // Slack's own `team` parameter: the fake approves that workspace.
  authorize.searchParams.set('team', teamId);
  return { setCookie, cookie: setCookie.split(';')[0]!, state: authorize.searchParams.get('state')!, authorize };
}

async function startInstall(teamId: string): Promise<StartedInstall> {
  const res = await fetch(`${h.stack.url}/slack/install`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return started(res.headers.get('location')!, res.headers.get('set-cookie') ?? '', teamId);
}

/** Slack's authorize page approves: the redirect back, with a fresh code and the state. */
async function approve(install: StartedInstall, teamId?: string): Promise<URL> {
  const authorize = new URL(install.authorize);
  if (teamId) authorize.searchParams.set('team', teamId);
  const approved = await fetch(authorize, { redirect: 'manual' });
  return new URL(approved.headers.get('location')!);
}

async function redirect(back: URL | string, cookie?: string): Promise<{ status: number; page: string; setCookie: string }> {
  const url = typeof back === 'string' ? `${h.stack.url}${back}` : `${h.stack.url}${back.pathname}${back.search}`;
  const res = await fetch(url, { redirect: 'manual', ...(cookie ? { headers: { cookie } } : {}) });
  return { status: res.status, page: await res.text(), setCookie: res.headers.get('set-cookie') ?? '' };
}

async function scanAll(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await h.stack.db.worker.send(new ScanCommand({ TableName: h.stack.config.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function installation(teamId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await h.stack.db.worker.send(new GetCommand({ TableName: h.stack.config.tableName, Key: { pk: `SLACK#T#${teamId}`, sk: INSTALLATION_SK }, ConsistentRead: true }));
  return Item;
}

/** Where a state is stored: the layout adapters/slack/oauth-state.ts documents. */
const stateKey = (state: string) => ({ pk: `${OAUTH_STATE_PK_PREFIX}${createHmac('sha256', STATE_SECRET).update(state).digest('base64url')}`, sk: OAUTH_STATE_SK });

/** A cookie's attributes, lower-cased names; `name` and `value` for its first pair. */
function cookieParts(header: string): { name: string; value: string; attributes: Map<string, string> } {
  const [pair, ...rest] = header.split(';').map((part) => part.trim());
  const at = pair!.indexOf('=');
  const attributes = new Map(rest.map((part) => [part.split('=')[0]!.toLowerCase(), part.split('=').slice(1).join('=')] as const));
  return { name: pair!.slice(0, at), value: pair!.slice(at + 1), attributes };
}

function expectCleared(setCookie: string, name = 'slack-app-oauth-state'): void {
  const cookie = cookieParts(setCookie);
  expect(cookie.name).toBe(name);
  expect(cookie.value).toBe('');
  expect(cookie.attributes.get('max-age')).toBe('0');
  expect(cookie.attributes.has('httponly')).toBe(true);
  expect(cookie.attributes.get('samesite')).toBe('Lax');
  expect(cookie.attributes.get('path')).toBe('/');
}

async function dm(teamId: string, userId: string, text: string): Promise<void> {
  const res = await postSlack(h.stack.url, slackRequest(messageEvent({ teamId, userId }, { text }), SIGNING_SECRET));
  expect(res.status).toBe(200);
  await h.stack.idle();
}

async function uninstall(teamId: string): Promise<void> {
  const event = { type: 'event_callback', team_id: teamId, api_app_id: 'A0LOCAL', event_id: `EvUNINSTALL${teamId}`, event_time: Math.floor(Date.now() / 1000), event: { type: 'app_uninstalled' } };
  expect((await postSlack(h.stack.url, slackRequest(event, SIGNING_SECRET))).status).toBe(200);
  await h.stack.idle();
}

/** Metrics kept in memory, as added. */
function capturedMetrics(): BridgeMetrics & { added: { name: MetricName; value: number; dimensions?: Record<string, string> }[] } {
  const added: { name: MetricName; value: number; dimensions?: Record<string, string> }[] = [];
  return { added, add: (name, value, dimensions) => void added.push({ name, value, ...(dimensions ? { dimensions } : {}) }), flush: () => undefined };
}

/** The install routes as the deployed install function builds them, in this process, on the stack's table. */
function installFunction(options: { redirectUri?: string; metrics?: BridgeMetrics; db?: DynamoDBDocumentClient } = {}): SlackWorkspaces {
  const config: SlackConfig = {
    signingSecret: '',
    botToken: '',
    apiUrl: slack.apiUrl,
    oauth: {
      clientId: slack.oauth.clientId,
      clientSecret: slack.oauth.clientSecret,
      stateSecret: STATE_SECRET,
      redirectUri: options.redirectUri ?? HTTPS_REDIRECT,
      authorizationUrl: slack.oauth.authorizeUrl,
    },
  };
  return slackWorkspaces(config, {
    db: options.db ?? h.stack.db.worker,
    tableName: h.stack.config.tableName,
    logger: createLogger({ sink: h.logs.sink, level: 'debug' }),
    box: localSecretBox(INSTALLATION_KEY),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
}

const get = (path: string, query = '', cookie?: string): HttpRequest => ({
  method: 'GET',
  path,
  headers: { host: 'install.example', ...(cookie ? { cookie } : {}) },
  body: Buffer.alloc(0),
  ...(query ? { rawQuery: query } : {}),
});

/** A whole install through route() in-process: install path, Slack's approval, redirect (with the cookie unless told). */
async function installInProcess(workspaces: SlackWorkspaces, teamId: string, cookie?: (issued: string) => string): Promise<{ start: HttpResponse; done: HttpResponse }> {
  const start = (await workspaces.oauth!.route(get('/slack/install')))!;
  const install = started(start.headers!.location!, start.headers!['set-cookie']!, teamId);
  const back = await approve(install);
  const done = (await workspaces.oauth!.route(get(back.pathname, back.search.slice(1), cookie ? cookie(install.cookie) : install.cookie)))!;
  return { start, done };
}

describe('the install state is single-use', () => {
  it('a replayed state and cookie, with a fresh code from Slack, are refused and install nothing', async () => {
    const install = await startInstall('TONCE');
    const done = await redirect(await approve(install), install.cookie);
    expect(done.status).toBe(200);
    expect(done.page).toContain('Brek is installed in TONCE Hotels');
    const grants = slack.oauth.grants.authorization_code;

    // Someone who captured the redirect (state and cookie) gets Slack to issue another code for it.
    const replay = await redirect(await approve(install, 'TREPLAY'), install.cookie);
    expect(replay.status).toBe(400);
    expect(replay.page).toContain('Brek was not installed');
    expect(replay.page).toContain('already used');
    expect(slack.oauth.grants.authorization_code).toBe(grants);
    expect(await installation('TREPLAY')).toBeUndefined();
  });

  it('the state is stored at /slack/install under a keyed hash (never itself), ten minutes, and gone once used', async () => {
    const install = await startInstall('TONCE');
    const { Item } = await h.stack.db.worker.send(new GetCommand({ TableName: h.stack.config.tableName, Key: stateKey(install.state), ConsistentRead: true }));
    const now = Math.floor(Date.now() / 1000);
    expect(Item).toMatchObject({ type: 'slack_oauth_state', installOptions: { redirectUri: `${h.stack.url}/slack/oauth_redirect` } });
    expect(Number(Item!.expiresAt)).toBeGreaterThanOrEqual(now + 590);
    expect(Number(Item!.expiresAt)).toBeLessThanOrEqual(now + 601);
    expect(JSON.stringify(await scanAll())).not.toContain(install.state);
    expect((await redirect(await approve(install), install.cookie)).status).toBe(200);
    const after = await h.stack.db.worker.send(new GetCommand({ TableName: h.stack.config.tableName, Key: stateKey(install.state), ConsistentRead: true }));
    expect(after.Item).toBeUndefined();
  });

  it('two redirects racing on one state (two codes): exactly one installs', async () => {
    const install = await startInstall('TRACE1');
    const [first, second] = [await approve(install, 'TRACE1'), await approve(install, 'TRACE2')];
    const grants = slack.oauth.grants.authorization_code;
    const answers = await Promise.all([redirect(first, install.cookie), redirect(second, install.cookie)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    expect(slack.oauth.grants.authorization_code).toBe(grants + 1);
    const installed = [await installation('TRACE1'), await installation('TRACE2')].filter(Boolean);
    expect(installed).toHaveLength(1);
  });

  it('a state past its ten minutes is refused though still in the table (TTL deletes late; dynalite never)', async () => {
    const install = await startInstall('TOLD');
    await h.stack.db.worker.send(
      new UpdateCommand({ TableName: h.stack.config.tableName, Key: stateKey(install.state), UpdateExpression: 'SET expiresAt = :past', ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 } }),
    );
    const late = await redirect(await approve(install), install.cookie);
    expect(late.status).toBe(400);
    expect(late.page).toContain('expired');
    expect(await installation('TOLD')).toBeUndefined();
  });

  it('a state never issued (cookie and state forged to match) is refused; a real one without its cookie is refused and not spent', async () => {
    const grants = slack.oauth.grants.authorization_code;
    const forged = await redirect('/slack/oauth_redirect?code=code-forged&state=forged', 'slack-app-oauth-state=forged');
    expect(forged.status).toBe(400);
    expect(slack.oauth.grants.authorization_code).toBe(grants);

    const install = await startInstall('TFORGE');
    const back = await approve(install);
    // Another browser (no cookie): refused before the state is looked at, so the installer's own still works.
    expect((await redirect(back)).status).toBe(400);
    expect((await redirect(back, 'slack-app-oauth-state=someone-else')).status).toBe(400);
    expect((await redirect(back, install.cookie)).status).toBe(200);
    expect(await installation('TFORGE')).toBeDefined();
  });
});

describe('the state cookie', () => {
  it('over http (the local stack): HttpOnly, SameSite=Lax, Path=/, ten minutes; not Secure, no __Host- name', async () => {
    const install = await startInstall('TCOOKIE');
    const cookie = cookieParts(install.setCookie);
    expect(cookie.name).toBe('slack-app-oauth-state');
    expect(cookie.value).toBe(install.state);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Lax');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.get('max-age')).toBe('600');
    expect(cookie.attributes.has('secure')).toBe(false);
    expect(cookie.attributes.has('domain')).toBe(false);
  });

  it('is cleared on every outcome of the redirect: success, access_denied, a bad state, no code, Slack refusing the code', async () => {
    const success = await startInstall('TCOOKIE');
    const installed = await redirect(await approve(success), success.cookie);
    expect(installed.status).toBe(200);
    expectCleared(installed.setCookie);

    const cancelled = await startInstall('TCOOKIE');
    const denied = await redirect(`/slack/oauth_redirect?error=access_denied&state=${cancelled.state}`, cancelled.cookie);
    expect(denied.status).toBe(400);
    expect(denied.page).toContain('cancelled');
    expectCleared(denied.setCookie);

    const mismatched = await startInstall('TCOOKIE');
    const badState = await redirect(`/slack/oauth_redirect?code=x&state=${mismatched.state}`, 'slack-app-oauth-state=another');
    expect(badState.status).toBe(400);
    expectCleared(badState.setCookie);

    const noCode = await startInstall('TCOOKIE');
    const missing = await redirect(`/slack/oauth_redirect?state=${noCode.state}`, noCode.cookie);
    expect(missing.status).toBe(400);
    expectCleared(missing.setCookie);

    const refused = await startInstall('TCOOKIE');
    slack.fail({ method: 'oauth.v2.access', error: 'invalid_code' });
    const slackSaidNo = await redirect(await approve(refused), refused.cookie);
    expect(slackSaidNo.status).toBe(502);
    expect(slackSaidNo.page).toContain('Brek was not installed');
    expectCleared(slackSaidNo.setCookie);
  });

  it('over https: a __Host- name, Secure, Path=/, no Domain; the flow completes with it and only with it', async () => {
    const workspaces = installFunction();
    const { start, done } = await installInProcess(workspaces, 'THTTPS');
    const issued = cookieParts(start.headers!['set-cookie']!);
    expect(issued.name).toBe('__Host-slack-app-oauth-state');
    expect(issued.attributes.has('secure')).toBe(true);
    expect(issued.attributes.has('httponly')).toBe(true);
    expect(issued.attributes.get('samesite')).toBe('Lax');
    expect(issued.attributes.get('path')).toBe('/');
    expect(issued.attributes.has('domain')).toBe(false);
    expect(start.headers!['cache-control']).toBe('no-store');
    expect(done.status).toBe(200);
    expectCleared(done.headers!['set-cookie']!, '__Host-slack-app-oauth-state');
    expect(cookieParts(done.headers!['set-cookie']!).attributes.has('secure')).toBe(true);
    expect(await installation('THTTPS')).toBeDefined();

    // The same state under the unprefixed name (a cookie a sibling subdomain could plant) is not the browser's.
    const planted = await installInProcess(workspaces, 'THTTPS', (cookie) => cookie.replace(/^__Host-/, ''));
    expect(planted.done.status).toBe(400);
  });
});

describe('metrics for the alarms', () => {
  it('SlackInstallFailed counts each failed install or redirect by reason; a success counts nothing', async () => {
    const metrics = capturedMetrics();
    const workspaces = installFunction({ metrics });
    const route = (request: HttpRequest) => workspaces.oauth!.route(request);
    const reasons = () => metrics.added.filter((m) => m.name === SLACK_METRIC.installFailed).map((m) => m.dimensions?.reason);

    const { done } = await installInProcess(workspaces, 'TMETRIC');
    expect(done.status).toBe(200);
    expect(metrics.added).toEqual([]);

    expect((await route(get('/slack/oauth_redirect', 'error=access_denied')))!.status).toBe(400);
    expect((await route(get('/slack/oauth_redirect', 'state=s', '__Host-slack-app-oauth-state=s')))!.status).toBe(400);
    expect((await route(get('/slack/oauth_redirect', 'code=c&state=s', '__Host-slack-app-oauth-state=s')))!.status).toBe(400);
    slack.fail({ method: 'oauth.v2.access', error: 'invalid_code' });
    expect((await installInProcess(workspaces, 'TMETRIC')).done.status).toBe(502);
    expect(reasons()).toEqual(['access_denied', 'missing_code', 'state', 'oauth_access']);

    // The table failing: storing the state at /slack/install, and storing the installation at the redirect.
    const failing = (what: 'state' | 'installation') =>
      new Proxy(h.stack.db.worker, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
          return async (command: { input?: { Item?: { sk?: unknown } } }) => {
            const sk = command.input?.Item?.sk;
            if ((what === 'state' && sk === OAUTH_STATE_SK) || (what === 'installation' && sk === INSTALLATION_SK)) throw new Error('table unavailable');
            return target.send(command as never);
          };
        },
      });
    const noState = installFunction({ metrics, db: failing('state') });
    const refused = (await noState.oauth!.route(get('/slack/install')))!;
    expect(refused.status).toBe(500);
    expect(refused.body).toContain('could not start the installation');
    const noStore = installFunction({ metrics, db: failing('installation') });
    const unsaved = (await installInProcess(noStore, 'TMETRIC')).done;
    expect(unsaved.status).toBe(500);
    expect(unsaved.body).toContain('could not save the installation');
    expectCleared(unsaved.headers!['set-cookie']!, '__Host-slack-app-oauth-state');
    expect(reasons()).toEqual(['access_denied', 'missing_code', 'state', 'oauth_access', 'storage', 'storage']);
    expect(h.logs.records().filter((r) => r.msg === 'slack install failed').map((r) => r.reason)).toEqual(expect.arrayContaining(['state', 'storage']));
  });

  it('SlackTokenRefreshFailed counts each failed refresh of a rotating token (Slack down, or refusing)', async () => {
    const metrics = capturedMetrics();
    const workspaces = installFunction({ metrics });
    for (const teamId of ['TROTATE', 'TREFUSED']) expect((await installInProcess(workspaces, teamId)).done.status).toBe(200);
    const failures = () => metrics.added.filter((m) => m.name === SLACK_METRIC.tokenRefreshFailed).map((m) => m.dimensions?.reason);
    const record = (teamId: string) => ({ workspaceId: teamId, reference: {} }) as Pick<InboxRecord, 'workspaceId' | 'reference'> as InboxRecord;

    // Issued for 60 s: every lookup refreshes it until one succeeds.
    slack.fail({ method: 'oauth.v2.access', error: 'internal_error' });
    await expect(workspaces.tokenFor!(record('TROTATE'))).rejects.toThrow();
    expect(failures()).toEqual(['error']);
    expect(slack.oauth.tokens.get((await workspaces.tokenFor!(record('TROTATE')))!)).toBe('TROTATE');
    expect(failures()).toEqual(['error']);

    slack.fail({ method: 'oauth.v2.access', error: 'token_revoked' });
    await expect(workspaces.tokenFor!(record('TREFUSED'))).rejects.toBeInstanceOf(PermanentSendError);
    // Recorded on the installation: not asked again, not counted again.
    await expect(workspaces.tokenFor!(record('TREFUSED'))).rejects.toBeInstanceOf(PermanentSendError);
    expect(failures()).toEqual(['error', 'token_revoked']);
  });

  it('the deployed install function (functions/slack-oauth.ts) writes SlackInstallFailed as an EMF line, with the https cookie', async () => {
    const kms = await startFakeKms();
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const { handler, event } = await loadInstallFunction({
        tableName: h.stack.config.tableName,
        dynamoEndpoint: h.stack.config.dynamoEndpoint!,
        slack,
        stateSecret: STATE_SECRET,
        redirectUri: HTTPS_REDIRECT,
        kms,
        host: 'install.example',
      });
      const start = await handler(event('/slack/install'));
      expect(start.statusCode).toBe(302);
      const [issued] = start.cookies ?? [];
      expect(issued).toMatch(/^__Host-slack-app-oauth-state=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=600$/);
      const state = new URL(start.headers!.location!).searchParams.get('state')!;
      const denied = await handler(event('/slack/oauth_redirect', `error=access_denied&state=${state}`, [issued!.split(';')[0]!]));
      expect(denied.statusCode).toBe(400);
      expect(denied.cookies?.[0]).toMatch(/^__Host-slack-app-oauth-state=; .*Max-Age=0/);
      const emf = lines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(emf).toEqual([expect.objectContaining({ SlackInstallFailed: 1, reason: 'access_denied', service: 'brek-bridge' })]);
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
      await kms.close();
    }
  });
});

describe('a workspace without a live installation reaches neither Brek nor Slack', () => {
  /** Brek's and Slack's view of one message: what each was asked while it was handled. */
  async function whatItReached(teamId: string, userId: string): Promise<{ brek: number; slack: string[] }> {
    const brekBefore = (await h.brekRequests()).length;
    const exchangesBefore = h.brekExchanges.length;
    const slackBefore = slack.calls.length;
    await dm(teamId, userId, 'a hotel in lisbon next friday');
    expect(h.brekExchanges.length - exchangesBefore).toBe((await h.brekRequests()).length - brekBefore);
    return { brek: (await h.brekRequests()).length - brekBefore, slack: slack.calls.slice(slackBefore).map((c) => c.method) };
  }

  /** The turn as operators see it (`npm run ops -- turns --failed`), and its inbox record. */
  async function recordedTurn(teamId: string) {
    const views = (await listTurns(h.stack.db.worker, h.stack.config.tableName, { failed: true })).filter((view) => view.actorId.startsWith(`slack:${teamId}:`));
    const records = (await scanAll()).filter((item) => String(item.pk).startsWith(`T#slack:${teamId}:`) && String(item.sk).startsWith('IN#'));
    return { views, records };
  }

  it('never installed: no Brek call, no Slack call; the turn is failed `not_installed`, nothing sent', async () => {
    expect(await whatItReached('TNEVER', 'UNORA')).toEqual({ brek: 0, slack: [] });
    const { views, records } = await recordedTurn('TNEVER');
    expect(views).toEqual([expect.objectContaining({ state: 'failed', status: 'none', error: expect.stringMatching(/^send: not_installed: /) })]);
    expect(records).toEqual([expect.objectContaining({ state: 'failed', replyStatus: 'none', lastError: expect.stringMatching(/^send: not_installed: /) })]);
    // No thread and no Brek session were made for it.
    expect((await scanAll()).filter((item) => String(item.pk).startsWith('T#slack:TNEVER:') && item.sk === 'THREAD')).toEqual([]);
    expect(h.logs.records().some((r) => r.msg === 'turn cannot be answered here; nothing asked, nothing sent' && r.code === 'not_installed')).toBe(true);
  });

  it('left (app_uninstalled): answered before, and afterwards reaches nothing', async () => {
    const install = await startInstall('TLEFT');
    expect((await redirect(await approve(install), install.cookie)).status).toBe(200);
    const before = await whatItReached('TLEFT', 'ULUIS');
    expect(before.brek).toBeGreaterThan(0);
    expect(before.slack).toContain('chat.postMessage');
    await uninstall('TLEFT');
    expect(await whatItReached('TLEFT', 'ULUIS')).toEqual({ brek: 0, slack: [] });
    const { views } = await recordedTurn('TLEFT');
    expect(views).toEqual([expect.objectContaining({ state: 'failed', status: 'none', error: expect.stringMatching(/^send: not_installed: /) })]);
  });

  it('a token another worker cached when its workspace left: Slack’s invalid_auth drops it, so it is used once, not twice', async () => {
    const install = await startInstall('TSTALE');
    expect((await redirect(await approve(install), install.cookie)).status).toBe(200);
    // Another worker process: its own cache, the same table; the stack's worker runs the erase.
    const worker = slackWorkspaces({ signingSecret: '', botToken: '', apiUrl: slack.apiUrl, oauth: { clientId: slack.oauth.clientId, clientSecret: slack.oauth.clientSecret, stateSecret: '' } }, {
      db: h.stack.db.worker,
      tableName: h.stack.config.tableName,
      logger: createLogger({ sink: h.logs.sink, level: 'debug' }),
      box: localSecretBox(INSTALLATION_KEY),
    });
    const sender = new SlackSender(slackWebClient('', slack.apiUrl), createLogger({ sink: h.logs.sink }), worker.tokenFor);
    const record = { workspaceId: 'TSTALE', reference: { channel: 'DUSTAN' } } as Pick<InboxRecord, 'workspaceId' | 'reference'> as InboxRecord;
    const token = (await worker.tokenFor!(record))!;
    expect(slack.oauth.tokens.get(token)).toBe('TSTALE');

    await uninstall('TSTALE');
    // Slack revokes the workspace's tokens when the app is uninstalled.
    slack.oauth.revoke('TSTALE');
    expect(await installation('TSTALE')).toBeUndefined();
    // Within its minute the other worker still has it: the cache was not told.
    expect(await worker.tokenFor!(record)).toBe(token);
    const context = { record, index: 0, tag: 'p0', since: Date.now() };
    const refused = await sender.post({ message: { text: 'your hotels', blocks: [] } }, context).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(classifySlackError(refused)).toEqual({ kind: 'permanent', code: 'not_installed' });
    // Dropped at that refusal: the next lookup reads the table, which has no installation.
    const next = await worker.tokenFor!(record).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(next).toBeInstanceOf(PermanentSendError);
    expect(sendFailureCode(next)).toBe('not_installed');
    expect(slack.calls.filter((c) => c.token === token && c.method === 'chat.postMessage')).toHaveLength(1);
    expect(h.logs.records().some((r) => r.msg === 'slack token dropped from the cache: Slack refused it as not installed' && r.workspaceId === 'TSTALE')).toBe(true);
  });

  it('Slack’s answers for a token that no longer works are permanent `not_installed`; other refusals keep their code', () => {
    const platform = (error: string) => ({ code: 'slack_webapi_platform_error', data: { ok: false, error } });
    for (const code of ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'team_not_found', 'app_uninstalled']) {
      expect(classifySlackError(platform(code))).toEqual({ kind: 'permanent', code: 'not_installed' });
    }
    expect(classifySlackError(platform('channel_not_found'))).toEqual({ kind: 'permanent', code: 'channel_not_found' });
    expect(classifySlackError(platform('internal_error'))).toEqual({ kind: 'ambiguous', code: 'internal_error' });
  });
});
