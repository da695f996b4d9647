// Slack distribution (issue 11): the OAuth v2 install flow through the local stack's routes and a
// fake Slack (authorize page + oauth.v2.access) that the SDK's InstallProvider really calls; two
// workspaces installed, each DM answered with its own workspace's token; one uninstalled — its
// installation and travellers' data gone from the table — while the other keeps working; rotating
// tokens refreshed before expiry; tokens never in clear in the table or the logs.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadSlackConfig } from '../../adapters/slack/config.ts';
import { DynamoInstallationStore, INSTALLATION_SK, NoInstallation } from '../../adapters/slack/installations.ts';
import { localSecretBox } from '../../core/crypto.ts';
import { normalizeSlack } from '../../adapters/slack/normalize.ts';
import { DEV_PARTNER_KEY } from '../../core/dev-defaults.ts';
import { InboxStore } from '../../core/store/inbox.ts';
import { processTurn } from '../../core/turn.ts';
import { workerDeps } from '../../functions/worker-deps.ts';
import type { ConfigError } from '../../core/config.ts';
import { createLogger, memorySink } from '../../core/log.ts';
import { startFakeKms } from '../../dev/fakes/kms.ts';
import { startFakeSlack, type FakeSlack } from '../../dev/fakes/slack.ts';
import { messageEvent, postSlack, slackRequest } from '../../dev/simulate/slack.ts';
import { startStack, type Stack } from '../../dev/stack.ts';
import { SIGNING_SECRET } from '../support/stack.ts';
import { expectNoSlackSecrets } from '../support/privacy.ts';
import { fakeSlackDistribution, loadInstallFunction } from '../support/slack-install.ts';

const STATE_SECRET = 'state-secret-for-tests-0123456789';
const INSTALLATION_KEY = 'a'.repeat(8) + '0123456789abcdef'.repeat(3) + 'b'.repeat(8);

let slack: FakeSlack;
let stack: Stack;
const logs = memorySink();
const brekCalls: string[] = [];
const ADMIN_KEY = 'oauth-admin-key';

beforeAll(async () => {
  slack = await startFakeSlack();
  slack.oauth.addWorkspace({ teamId: 'TALPHA', teamName: 'Alpha Travel', botUserId: 'UBOTA' });
  slack.oauth.addWorkspace({ teamId: 'TBETA', teamName: 'Beta Tours', botUserId: 'UBOTB' });
  slack.oauth.addWorkspace({ teamId: 'TGAMMA', teamName: 'Gamma Trips', botUserId: 'UBOTG', expiresIn: 60 });
  stack = await startStack({
    dataDir: 'memory',
    logger: createLogger({ sink: logs.sink, level: 'debug' }),
    onBrekExchange: (exchange) => brekCalls.push(`${exchange.method} ${exchange.path} ${exchange.requestBody}`),
    env: {
      BREK_SANDBOX_ADMIN_KEY: ADMIN_KEY,
      PORT: '0',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      ...fakeSlackDistribution(slack, STATE_SECRET),
      INSTALLATION_KEY,
      ACTOR_ID_SECRET: 'test-actor-secret-0123456789',
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await slack?.close();
});

/** A browser's walk through the install: our install path, Slack's approval, our redirect. */
async function install(): Promise<{ status: number; page: string }> {
  const start = await fetch(`${stack.url}/slack/install`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(cookie).toMatch(/^slack-app-oauth-state=/);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.origin + authorize.pathname).toBe(slack.oauth.authorizeUrl);
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${stack.url}/slack/oauth_redirect`);
  expect(authorize.searchParams.get('scope')).toContain('chat:write');
  const approved = await fetch(authorize, { redirect: 'manual' });
  const back = approved.headers.get('location')!;
  const done = await fetch(back, { headers: { cookie }, redirect: 'manual' });
  return { status: done.status, page: await done.text() };
}

async function dm(teamId: string, userId: string, text: string): Promise<void> {
  const res = await postSlack(stack.url, slackRequest(messageEvent({ teamId, userId }, { text }), SIGNING_SECRET));
  expect(res.status).toBe(200);
  await stack.idle();
}

async function scanAll(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stack.db.worker.send(new ScanCommand({ TableName: stack.config.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const postsTo = (channel: string) => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel && c.delivered);

describe('Slack OAuth install, per-workspace tokens, uninstall', () => {
  it('installs into two workspaces with the SDK’s flow, showing a success page', async () => {
    for (const name of ['Alpha Travel', 'Beta Tours']) {
      const { status, page } = await install();
      expect(status).toBe(200);
      expect(page).toContain(`Brek is installed in ${name}`);
    }
    expect(slack.oauth.grants.authorization_code).toBe(2);
    const installs = (await scanAll()).filter((item) => item.sk === INSTALLATION_SK);
    expect(installs.map((i) => i.pk).sort()).toEqual(['SLACK#T#TALPHA', 'SLACK#T#TBETA']);
  });

  it('answers a DM in each workspace with that workspace’s own bot token', async () => {
    await dm('TALPHA', 'UANNA', 'seattle tomorrow');
    await dm('TBETA', 'UBORIS', 'seattle tomorrow');
    const [alpha] = postsTo('DUANNA');
    const [beta] = postsTo('DUBORIS');
    expect(alpha && slack.oauth.tokens.get(alpha.token!)).toBe('TALPHA');
    expect(beta && slack.oauth.tokens.get(beta.token!)).toBe('TBETA');
  });

  it('refuses a forged or replayed redirect with a clear failure page, storing nothing', async () => {
    const before = (await scanAll()).length;
    const noCookie = await fetch(`${stack.url}/slack/oauth_redirect?code=x&state=y`, { redirect: 'manual' });
    expect(noCookie.status).toBe(400);
    expect(await noCookie.text()).toContain('Brek was not installed');
    const cancelled = await fetch(`${stack.url}/slack/oauth_redirect?error=access_denied`, { redirect: 'manual' });
    expect(cancelled.status).toBe(400);
    expect(await cancelled.text()).toContain('cancelled');
    expect((await scanAll()).length).toBe(before);
  });

  it('keeps bot tokens sealed: no token in clear anywhere in the table or the logs', async () => {
    const table = JSON.stringify(await scanAll());
    const logText = logs.lines.join('\n');
    expect(slack.oauth.tokens.size).toBeGreaterThan(0);
    expectNoSlackSecrets(table, logText, slack);
  });

  it('a turn in flight when its workspace uninstalls neither re-creates its items nor opens Brek sessions', async () => {
    // Brek takes a second over each call, so the uninstall lands while the turn waits on it.
    const faults = (body: unknown) =>
      fetch(`${stack.sandbox!.url}/__sandbox/faults`, { method: body ? 'PUT' : 'DELETE', headers: { 'x-sandbox-admin-key': ADMIN_KEY, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    await faults({ endpoints: { createSession: { latencyMs: 600 }, sendEvent: { latencyMs: 600 } } });
    const sessionsOpened = () => brekCalls.filter((c) => c.startsWith('POST') && c.includes('/sessions') && c.includes('slack:TALPHA:UAMY')).length;
    try {
      const res = await postSlack(stack.url, slackRequest(messageEvent({ teamId: 'TALPHA', userId: 'UAMY' }, { text: 'paris tomorrow' }), SIGNING_SECRET));
      expect(res.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const uninstall = { type: 'event_callback', team_id: 'TALPHA', api_app_id: 'A0LOCAL', event_id: 'EvUNINSTALL0', event_time: Math.floor(Date.now() / 1000), event: { type: 'app_uninstalled' } };
      expect((await postSlack(stack.url, slackRequest(uninstall, SIGNING_SECRET))).status).toBe(200);
      await stack.idle();
    } finally {
      await faults(null);
    }
    const left = (await scanAll()).filter((i) => JSON.stringify(i).includes('TALPHA'));
    expect(left).toEqual([]);
    expect(sessionsOpened()).toBe(1);
    expect(postsTo('DUAMY')).toEqual([]);
  });

  it('app_uninstalled erases that workspace — installation, sessions, messages — and the other keeps working', async () => {
    const uninstall = {
      type: 'event_callback',
      team_id: 'TALPHA',
      api_app_id: 'A0LOCAL',
      event_id: 'EvUNINSTALL1',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_uninstalled' },
    };
    const res = await postSlack(stack.url, slackRequest(uninstall, SIGNING_SECRET));
    expect(res.status).toBe(200);
    // Acknowledged once stored; the worker erases (core/workspace-erase.ts).
    await stack.idle();
    const items = await scanAll();
    expect(items.filter((i) => JSON.stringify(i).includes('TALPHA'))).toEqual([]);
    expect(items.some((i) => String(i.pk).startsWith('T#slack:TBETA:'))).toBe(true);
    expect(items.some((i) => i.pk === 'SLACK#T#TBETA')).toBe(true);
    // Slack retries an event it got no answer for: a second delivery erases nothing more.
    expect((await postSlack(stack.url, slackRequest(uninstall, SIGNING_SECRET))).status).toBe(200);

    const betaPosts = postsTo('DUBORIS').length;
    await dm('TBETA', 'UBORIS', '1');
    expect(postsTo('DUBORIS').length).toBe(betaPosts + 1);
    const line = logs.records().find((l) => l.msg === 'workspace erased');
    expect(line).toMatchObject({ reason: 'app_uninstalled', workspaceId: 'TALPHA' });
  });

  it('a message from the uninstalled workspace gets no reply (no token to answer with)', async () => {
    const before = slack.calls.length;
    await dm('TALPHA', 'UANNA', 'hello again');
    expect(slack.calls.slice(before).filter((c) => c.method === 'chat.postMessage' && c.delivered)).toEqual([]);
  });

  it('refreshes a rotating token before it expires, and stores the new one (sealed)', async () => {
    const { status } = await install();
    expect(status).toBe(200);
    const issuedAtInstall = new Set(slack.oauth.tokens.keys());
    // Issued for 60 s: inside authorize()'s 2-hour window, so the first turn refreshes it.
    await dm('TGAMMA', 'UGRETA', 'seattle tomorrow');
    expect(slack.oauth.grants.refresh_token).toBe(1);
    const [post] = postsTo('DUGRETA');
    expect(post?.token && issuedAtInstall.has(post.token)).toBe(false);
    expect(slack.oauth.tokens.get(post!.token!)).toBe('TGAMMA');
    expect(JSON.stringify(await scanAll())).not.toContain(post!.token!);
  });

  it('tokens_revoked: a user token alone changes nothing; the bot token revoked erases the workspace', async () => {
    const revoked = (tokens: Record<string, string[]>, id: string) => ({
      type: 'event_callback',
      team_id: 'TGAMMA',
      api_app_id: 'A0LOCAL',
      event_id: id,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'tokens_revoked', tokens },
    });
    expect((await postSlack(stack.url, slackRequest(revoked({ oauth: ['UGRETA'] }, 'EvREVOKE1'), SIGNING_SECRET))).status).toBe(200);
    await stack.idle();
    expect((await scanAll()).some((i) => i.pk === 'SLACK#T#TGAMMA')).toBe(true);
    expect((await postSlack(stack.url, slackRequest(revoked({ bot: ['UBOTG'] }, 'EvREVOKE2'), SIGNING_SECRET))).status).toBe(200);
    await stack.idle();
    expect((await scanAll()).filter((i) => JSON.stringify(i).includes('TGAMMA'))).toEqual([]);
  });
});

describe('the deployed install function (functions/slack-oauth.ts), as Lambda calls it', () => {
  it('runs the flow with function-URL events: cookies in and out of the payload’s own fields', async () => {
    slack.oauth.addWorkspace({ teamId: 'TDELTA', teamName: 'Delta Lambda', botUserId: 'UBOTD' });
    const kms = await startFakeKms();
    try {
      const { handler, event } = await loadInstallFunction({
        tableName: stack.config.tableName,
        dynamoEndpoint: stack.config.dynamoEndpoint!,
        slack,
        stateSecret: STATE_SECRET,
        redirectUri: 'http://127.0.0.1:9/slack/oauth_redirect',
        kms,
        host: 'install.lambda-url.test',
      });
      const start = await handler(event('/slack/install'));
      expect(start.statusCode).toBe(302);
      expect(start.headers?.['set-cookie']).toBeUndefined();
      const [cookie] = start.cookies ?? [];
      expect(cookie).toMatch(/^slack-app-oauth-state=/);
      const approved = await fetch(start.headers!.location!, { redirect: 'manual' });
      const back = new URL(approved.headers.get('location')!);
      const done = await handler(event('/slack/oauth_redirect', back.search.slice(1), [cookie!.split(';')[0]!]));
      expect(done.statusCode).toBe(200);
      expect(done.body).toContain('Brek is installed in Delta Lambda');
      const items = await scanAll();
      expect(items.some((i) => i.pk === 'SLACK#T#TDELTA')).toBe(true);
      expect((await handler(event('/elsewhere'))).statusCode).toBe(404);
      // Sealed through KMS: a data key made for it, and no token in clear.
      expect(kms.calls.GenerateDataKey).toBe(1);
      const item = items.find((i) => i.pk === 'SLACK#T#TDELTA')!;
      expect(String(item.sealed).startsWith('v1.kms.')).toBe(true);
      expect(JSON.stringify(item)).not.toMatch(/xox[bpe]-/);

      // The deployed worker's wiring opens that installation through KMS and answers with its token.
      vi.stubEnv('BREK_BASE_URL', stack.config.brek.baseUrl!);
      vi.stubEnv('BREK_PARTNER_API_KEY', DEV_PARTNER_KEY);
      vi.stubEnv('ACTOR_ID_SECRET', 'test-actor-secret-0123456789');
      const { deps } = workerDeps(process.env, createLogger({ sink: logs.sink }));
      const body = JSON.stringify(messageEvent({ teamId: 'TDELTA', userId: 'UDORA' }, { text: 'seattle tomorrow' }));
      const normalized = normalizeSlack({ method: 'POST', path: '/slack/events', headers: { 'content-type': 'application/json' }, body: Buffer.from(body) });
      if (normalized.type !== 'turn') throw new Error('not a turn');
      const { record } = await new InboxStore(stack.db.worker, stack.config.tableName).accept(normalized.turn);
      expect(await processTurn(record, deps)).toMatchObject({ outcome: 'replied' });
      const [post] = postsTo('DUDORA');
      expect(post && slack.oauth.tokens.get(post.token!)).toBe('TDELTA');
      expect(kms.calls.Decrypt).toBe(1);
    } finally {
      vi.unstubAllEnvs();
      await kms.close();
    }
  });
});

describe('distribution settings, deployed', () => {
  const base = {
    SLACK_CLIENT_ID: '1234.5678',
    SLACK_CLIENT_SECRET: 'c1d2e3f4a5b6c7d8e9f0a1b2',
    SLACK_STATE_SECRET: 'e3b0c44298fc1c149afbf4c8996fb924',
    SLACK_REDIRECT_URI: 'https://install.example/slack/oauth_redirect',
  };
  const problems = (env: Record<string, string | undefined>, role: 'install' | 'worker' | 'ingress') => {
    try {
      loadSlackConfig(env, 'deployed', role);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('the install routes need the client secret, a 16+ character state secret and an https redirect URI', () => {
    expect(problems(base, 'install')).toEqual([]);
    expect(problems({ ...base, SLACK_CLIENT_SECRET: undefined }, 'install')).toEqual([expect.stringContaining('SLACK_CLIENT_SECRET is required')]);
    expect(problems({ ...base, SLACK_STATE_SECRET: 'short-secret' }, 'install')).toEqual(['SLACK_STATE_SECRET must be at least 16 characters']);
    expect(problems({ ...base, SLACK_REDIRECT_URI: undefined }, 'install')).toEqual([expect.stringContaining('SLACK_REDIRECT_URI is required')]);
    expect(problems({ ...base, SLACK_REDIRECT_URI: 'http://install.example/slack/oauth_redirect' }, 'install')).toEqual([expect.stringContaining('SLACK_REDIRECT_URI must be an https URL')]);
  });

  it('the worker needs the client secret (token refresh) but no bot token; the ingress needs neither', () => {
    const worker = { SLACK_CLIENT_ID: base.SLACK_CLIENT_ID, SLACK_CLIENT_SECRET: base.SLACK_CLIENT_SECRET };
    expect(problems(worker, 'worker')).toEqual([]);
    expect(problems({ SLACK_CLIENT_ID: base.SLACK_CLIENT_ID }, 'worker')).toEqual([expect.stringContaining('SLACK_CLIENT_SECRET is required')]);
    expect(problems({ SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543', SLACK_CLIENT_ID: base.SLACK_CLIENT_ID }, 'ingress')).toEqual([]);
  });
});

describe('org-wide (Enterprise Grid) installations', () => {
  it('are stored once per organisation and serve each of its workspaces', async () => {
    const store = new DynamoInstallationStore(stack.db.worker, stack.config.tableName, localSecretBox(INSTALLATION_KEY));
    const org = {
      team: undefined,
      enterprise: { id: 'EORG1', name: 'Org One' },
      isEnterpriseInstall: true,
      authVersion: 'v2' as const,
      bot: { id: 'BORG', userId: 'UBORG', scopes: ['chat:write'], token: 'xoxb-org-token-0001' },
      user: { id: 'UADMIN', token: undefined, scopes: undefined },
    };
    await store.storeInstallation(org);
    const item = (await scanAll()).find((i) => i.pk === 'SLACK#E#EORG1')!;
    expect(JSON.stringify(item)).not.toContain('xoxb-org-token-0001');
    // A workspace of the org has no record of its own: the org's installation answers for it.
    const found = await store.fetchInstallation({ teamId: 'TORGWS', enterpriseId: 'EORG1', isEnterpriseInstall: false });
    expect(found.bot?.token).toBe('xoxb-org-token-0001');
    await expect(store.fetchInstallation({ teamId: 'TNOWHERE', enterpriseId: undefined, isEnterpriseInstall: false })).rejects.toThrow(NoInstallation);
    await store.deleteInstallation({ teamId: undefined, enterpriseId: 'EORG1', isEnterpriseInstall: true });
    await expect(store.fetchInstallation({ teamId: 'TORGWS', enterpriseId: 'EORG1', isEnterpriseInstall: false })).rejects.toThrow(NoInstallation);
  });
});
