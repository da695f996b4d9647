// `npm run ops -- turns` and `npm run ops -- replay` as an operator runs them: real processes
// against a local stack (dynalite, the Brek sandbox, the fake channels) found through its
// stack.json, and a replay in deployed mode (TABLE_NAME + the worker's variables), which runs the
// worker's own pipeline in the ops process and answers the traveller in the fake channel.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listTurns, turnView, type InboxFields } from '../core/store/turn-views.ts';
import type { Stack } from '../dev/stack.ts';
import { run } from './support/spawn.ts';
import { SIGNING_SECRET, useStack } from './support/stack.ts';
import { traveller, type Traveller } from './reliability/channels.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'bridge-ops-'));
const ACTOR_SECRET = 'test-actor-secret-0123456789';
// Short Brek retries, so a turn made to fail fails in a second.
const h = useStack({}, { dataDir, brek: { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 2_000 } } });

/** The local stack is found through BRIDGE_DATA_DIR; TABLE_NAME empty = not deployed mode. */
const LOCAL = { BRIDGE_DATA_DIR: dataDir, TABLE_NAME: '' };

/** What the deployed worker gets: DESIGN.md's variables, here with the stack's values. */
function workerEnv(stack: Stack): Record<string, string> {
  const { config, slack, teams, whatsapp } = stack;
  return {
    TABLE_NAME: config.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: config.dynamoEndpoint!,
    BREK_BASE_URL: config.brek.baseUrl!,
    BREK_PARTNER_API_KEY: config.brek.apiKey!,
    ACTOR_ID_SECRET: ACTOR_SECRET,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    TEAMS_APP_ID: teams.appId,
    TEAMS_APP_PASSWORD: teams.appPassword,
    TEAMS_TOKEN_URL: teams.tokenUrl,
    TEAMS_OPENID_METADATA_URL: teams.openIdMetadataUrl,
    TEAMS_CONNECTOR_HOSTS: teams.connectorHosts.join(','),
    TWILIO_ACCOUNT_SID: whatsapp.accountSid,
    TWILIO_AUTH_TOKEN: whatsapp.authToken,
    TWILIO_WHATSAPP_FROM: whatsapp.from,
    TWILIO_API_URL: whatsapp.apiUrl!,
    // Deployed mode wins over a running local stack.
    BRIDGE_DATA_DIR: dataDir,
  };
}

async function ops(args: string[], env: Record<string, string>, options: { silent?: boolean } = {}): Promise<{ code: number | null; out: string }> {
  const child = run('npm', ['run', ...(options.silent === false ? [] : ['--silent']), 'ops', '--', ...args], env);
  const code = await child.exited;
  return { code, out: child.output() };
}

const TEXTS = ['find me a las vegas hotel from 5/15 to 5/16', 'and for 2 nights?'];
let sent = 0;
async function say(t: Traveller, text: string): Promise<string | undefined> {
  const before = t.replies().length;
  const res = await t.message(text, `ops-${t.channel}-${sent++}`).deliver(0);
  expect(res.status).toBe(200);
  await h.stack.idle();
  return t.replies().slice(before).at(-1);
}

/** One turn of `turns --json` output, by id. */
function viewOf(out: string, id: string): Record<string, unknown> | undefined {
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((view) => view.id === id);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Nothing personal or secret in what an operator sees. */
function expectNothingPersonal(out: string, travellers: Traveller[]): void {
  for (const text of TEXTS) expect(out.toLowerCase()).not.toContain(text);
  for (const value of [SIGNING_SECRET, ACTOR_SECRET, h.stack.slack.botToken, h.stack.whatsapp.authToken, h.stack.teams.appPassword, h.stack.config.brek.apiKey!, ...travellers.flatMap((t) => t.personal)]) {
    expect(out).not.toContain(value);
  }
}

describe('npm run ops -- turns', () => {
  let travellers: Traveller[];

  it('lists the local stack’s turns, newest first, replied with Brek’s request ids', async () => {
    travellers = (['slack', 'teams', 'whatsapp'] as const).map((channel) => traveller(h, channel, `ops-${channel}`));
    for (const t of travellers) expect(await say(t, TEXTS[0]!)).toContain('Las Vegas');
    const views = await listTurns(h.stack.db.worker, h.stack.config.tableName);
    expect(views.map((v) => v.channel)).toEqual(['whatsapp', 'teams', 'slack']);
    const requestIds = h.brekExchanges.filter((e) => e.path.endsWith('/events')).map((e) => e.responseHeaders['x-request-id']);
    expect(views.map((v) => v.brekRequestId).sort()).toEqual([...requestIds].sort());

    // As the README shows it (npm's own header lines included).
    const { code, out } = await ops(['turns'], LOCAL, { silent: false });
    expect(code).toBe(0);
    expect(out).toMatch(/^id\s+when \(UTC\)\s+channel\s+actor\s+state\s+status\s+latency\s+brek request id\s+trace id\s+error$/m);
    const rows = out.split('\n').filter((line) => views.some((v) => line.startsWith(`${v.id} `)));
    expect(rows).toHaveLength(3);
    for (const [i, view] of views.entries()) {
      expect(rows[i]).toMatch(new RegExp(`^${escape(view.id)}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+${view.channel}\\s+\\S+\\s+replied\\s+shortlist\\s+\\d+ ms\\s+${view.brekRequestId}\\s+${view.traceId}\\s+-$`));
    }
    expect(out).toContain(`3 turns, newest first, in table brek-bridge of the local stack at ${h.stack.url}`);
    expectNothingPersonal(out, travellers);

    const json = await ops(['turns', '--json', '--limit', '2'], LOCAL);
    expect(json.code).toBe(0);
    const lines = json.out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ id: views[0]!.id, channel: 'whatsapp', state: 'replied', status: 'shortlist', brekRequestId: views[0]!.brekRequestId, traceId: views[0]!.traceId });
    expect(lines[0]!.latencyMs).toEqual(expect.any(Number));
    expect(lines[0]).not.toHaveProperty('error');
  }, 60_000);

  let failedId: string;

  it('shows a turn Brek failed under --failed, with the apology and the error', async () => {
    const slack = travellers[0]!;
    await h.faults({ endpoints: { sendEvent: { rate5xx: 1, status5xx: 503 } } });
    try {
      expect(await say(slack, TEXTS[1]!)).toContain('busy right now');
    } finally {
      await h.faults(null);
    }
    const { code, out } = await ops(['turns', '--failed'], LOCAL, { silent: false });
    expect(code).toBe(0);
    const rows = out.split('\n').filter((line) => /\bslack\b/.test(line));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^(\S+)\s+.*\s+slack\s+slack:TREL:U\w+\s+failed\s+bridge_apology\s+\d+ ms\s+[0-9a-f-]{36}\s+-\s+Brek 503: /);
    failedId = rows[0]!.split(/\s+/)[0]!;
    expect(out).toContain(`1 failed turn, newest first, in table brek-bridge of the local stack at ${h.stack.url}`);
    expectNothingPersonal(out, travellers);
    // The whole list has it too, as the newest.
    const all = await ops(['turns', '--json'], LOCAL);
    expect(viewOf(all.out, failedId)).toMatchObject({ state: 'failed', status: 'bridge_apology', error: expect.stringContaining('Brek 503') });
  }, 60_000);

  it('npm run ops -- replay <id>, deployed mode: the worker’s pipeline answers the traveller, then the turn reads replied', async () => {
    const slack = travellers[0]!;
    const before = slack.replies().length;
    const env = workerEnv(h.stack);
    const { code, out } = await ops(['replay', failedId], env, { silent: false });
    expect(out).toMatch(new RegExp(`turn ${escape(failedId)}: replied \\((\\w+)\\)`));
    expect(code).toBe(0);
    // The traveller got Brek's answer this time, in the fake Slack.
    expect(slack.replies()).toHaveLength(before + 1);
    expect(slack.replies().at(-1)).not.toContain('busy right now');
    expectNothingPersonal(out, travellers);

    const listed = await ops(['turns', '--json'], LOCAL);
    const view = viewOf(listed.out, failedId);
    expect(view).toMatchObject({ state: 'replied', brekRequestId: expect.any(String), traceId: expect.any(String) });
    expect(view).not.toHaveProperty('error');
    expect((await ops(['turns', '--failed'], LOCAL)).out.trim()).toBe(`no failed turns in table brek-bridge of the local stack at ${h.stack.url}`);

    // Once answered, it is not replayed again.
    const again = await ops(['replay', failedId], env);
    expect(again.code).toBe(1);
    expect(again.out.trim()).toBe(`npm run ops: Turn "${failedId}" is replied, not failed: only a failed turn is replayed.`);
    expect(slack.replies()).toHaveLength(before + 1);
  }, 60_000);

  it('npm run ops -- replay <id>, local mode: the stack’s POST /console/replay does it', async () => {
    const slack = travellers[0]!;
    await h.faults({ endpoints: { sendEvent: { rate5xx: 1, status5xx: 503 } } });
    try {
      await say(slack, 'and for 3 nights?');
    } finally {
      await h.faults(null);
    }
    const [failed] = await listTurns(h.stack.db.worker, h.stack.config.tableName, { failed: true });
    const before = slack.replies().length;
    // As the README shows it.
    const { code, out } = await ops(['replay', failed!.id], LOCAL, { silent: false });
    expect(out).toMatch(new RegExp(`^turn ${escape(failed!.id)}: replied \\(\\w+\\)$`, 'm'));
    expect(code).toBe(0);
    expect(slack.replies()).toHaveLength(before + 1);
    expect(slack.replies().at(-1)).not.toContain('busy right now');
    expectNothingPersonal(out, travellers);
    // The stack refuses a second replay (400), and ops says why in one line.
    const again = await ops(['replay', failed!.id], LOCAL);
    expect(again.code).toBe(1);
    expect(again.out.trim()).toBe(`npm run ops: Turn "${failed!.id}" is replied, not failed: only a failed turn is replayed.`);
    const unknown = await ops(['replay', 'no-such-turn'], LOCAL);
    expect(unknown.code).toBe(1);
    expect(unknown.out.trim()).toBe('npm run ops: No turn "no-such-turn" in table brek-bridge (ids are what `npm run ops -- turns` prints; turns are kept 48 h).');
  }, 60_000);
});

describe('npm run ops refuses clearly', () => {
  it('an unknown turn id', async () => {
    const { code, out } = await ops(['replay', 'no-such-turn'], workerEnv(h.stack));
    expect(code).toBe(1);
    expect(out.trim()).toBe('npm run ops: No turn "no-such-turn" in table brek-bridge (ids are what `npm run ops -- turns` prints; turns are kept 48 h).');
  });

  it('no target: no TABLE_NAME and no local stack', async () => {
    const none = { BRIDGE_DATA_DIR: mkdtempSync(join(tmpdir(), 'bridge-ops-none-')), TABLE_NAME: '' };
    for (const args of [['turns'], ['replay', 'x']]) {
      const { code, out } = await ops(args, none);
      expect(code).toBe(1);
      expect(out.trim()).toBe('npm run ops: no target: set TABLE_NAME (with AWS credentials) for a deployed table, or start the local stack with `npm start`.');
    }
  });

  it('a bad command line', async () => {
    const usage = '(usage: npm run ops -- turns [--failed] [--limit N] [--json] | replay <id> [--json])';
    for (const [args, message] of [
      [['frobnicate'], `unknown command "frobnicate" ${usage}`],
      [['replay'], `replay takes one turn id (the first column of \`npm run ops -- turns\`) ${usage}`],
      [['turns', '--limit', '0'], '--limit must be a whole number of 1 or more, got "0"'],
    ] as const) {
      const { code, out } = await ops([...args], LOCAL);
      expect(code).toBe(1);
      expect(out.trim()).toBe(`npm run ops: ${message}`);
    }
  });
});

describe('turnView', () => {
  const inbox: InboxFields = {
    pk: 'T#slack:T:U#D1',
    sk: 'IN#m1',
    dedupeKey: 'm1',
    channel: 'slack',
    actorId: 'slack:T:U',
    conversationId: 'D1',
    channelMessageId: 'Ev1',
    receivedAt: '2030-01-01T00:00:00.000Z',
    state: 'received',
  };
  const at = Date.parse(inbox.receivedAt);

  it('the thread’s outcome wins, with its latency and ids', () => {
    const view = turnView({ ...inbox, state: 'failed', lastError: 'old' }, { turns: { m1: { state: 'replied', status: 'shortlist', at: at + 250, brekRequestId: 'r1', traceId: 't1' } } }, at + 1_000);
    expect(view).toEqual({ ...view, state: 'replied', status: 'shortlist', latencyMs: 250, finishedAt: '2030-01-01T00:00:00.250Z', brekRequestId: 'r1', traceId: 't1' });
    expect(view.error).toBeUndefined();
  });

  it('a live lease on the turn is processing; an expired one is not', () => {
    expect(turnView(inbox, { turns: {}, leaseKey: 'm1', leaseUntil: at + 10 }, at).state).toBe('processing');
    expect(turnView(inbox, { turns: {}, leaseKey: 'm1', leaseUntil: at - 1 }, at).state).toBe('received');
    expect(turnView(inbox, { turns: {}, leaseKey: 'other', leaseUntil: at + 10 }, at).state).toBe('received');
    // A replay under way: the failed outcome is still there, the lease says it is being worked on.
    expect(turnView(inbox, { turns: { m1: { state: 'failed', status: 'bridge_apology', at } }, leaseKey: 'm1', leaseUntil: at + 10 }, at).state).toBe('processing');
  });

  it('without a thread, the inbox record’s state, error (scrubbed) and kept Brek answer', () => {
    const view = turnView(
      { ...inbox, state: 'failed', replyStatus: 'none', lastError: 'send: Twilio refused whatsapp:+15551234567', brek: { requestId: 'r2', result: { traceId: 't2' } } },
      undefined,
      at,
    );
    expect(view).toMatchObject({ state: 'failed', status: 'none', brekRequestId: 'r2', traceId: 't2' });
    expect(view.error).toBe('send: Twilio refused [phone]');
    expect(view.latencyMs).toBeUndefined();
  });
});
