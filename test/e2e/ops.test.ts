// `npm run ops -- turns`, `replay` and `trace` as an operator runs them: real processes against a
// local stack (dynalite, the Brek sandbox, the fake channels) found through its stack.json, and in
// deployed mode (TABLE_NAME): a replay there runs the worker's own pipeline in the ops process and
// answers the traveller in the fake channel. Then the pure parts: views, stories, the Logs query.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { CHANNEL_PROFILES } from '../../adapters/profiles.ts';
import type { Channel } from '../support/travellers.ts';
import { printableConversation, shortActor } from '../../core/ops/present.ts';
import { traceItems, turnStory, type InboxStoryFields } from '../../core/ops/trace.ts';
import { listTurns, turnView, type InboxFields, type TurnView } from '../../core/ops/views.ts';
import { ensureTable, threadPk } from '../../core/store/table.ts';
import { logGroupHints, logsInsightsQuery, queryWindow, SST_NAMES, sstPrefixName, stageOfTable, startQueryCommand } from '../../dev/ops-logs.ts';
import type { Stack } from '../../dev/stack.ts';
import { run } from '../support/spawn.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';
import { traveller, type Traveller } from '../support/travellers.ts';

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
    expect(again.out.trim()).toBe(`npm run ops: Turn "${failedId}" is replied, not failed: only a failed turn (or one whose delivery is unknown) is replayed.`);
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
    expect(again.out.trim()).toBe(`npm run ops: Turn "${failed!.id}" is replied, not failed: only a failed turn (or one whose delivery is unknown) is replayed.`);
    const unknown = await ops(['replay', 'no-such-turn'], LOCAL);
    expect(unknown.code).toBe(1);
    expect(unknown.out.trim()).toBe('npm run ops: No turn "no-such-turn" in table brek-bridge (ids are what `npm run ops -- turns` prints; turns are kept 48 h).');
  }, 60_000);
});

describe('npm run ops -- trace', () => {
  let t: Record<Channel, Traveller>;
  /** Each channel's turn, as `listTurns` sees it, with Brek's ids as the sandbox recorded them. */
  const turn = {} as Record<Channel, { view: TurnView; requestId: string; traceId: string }>;

  /** The sandbox's record of the latest POST /events: the x-request-id it answered with, and its traceId. */
  function lastBrekEvent(): { status: number; requestId: string; traceId?: string } {
    const exchange = h.brekExchanges.filter((e) => e.method === 'POST' && e.path.endsWith('/events')).at(-1)!;
    const body = exchange.responseBody as { data?: { result?: { traceId?: string } } } | undefined;
    return { status: exchange.status, requestId: exchange.responseHeaders['x-request-id']!, ...(body?.data?.result?.traceId ? { traceId: body.data.result.traceId } : {}) };
  }

  async function newestTurn(): Promise<TurnView> {
    return (await listTurns(h.stack.db.worker, h.stack.config.tableName, { limit: 1 }))[0]!;
  }

  /** The messages of the stack's log lines the printed query's filter selects. */
  const loggedBy = (channelMessageId: string, brekRequestId: string) =>
    h.logs.records().filter((r) => r.channelMessageId === channelMessageId || r.brekRequestId === brekRequestId).map((r) => r.msg);

  /** The step lines of a story, without their times. */
  const steps = (out: string) => [...out.matchAll(/^ {4}(?:[\d:. -]+Z)?\s+(received|taken up|Brek|reply|earlier|finished)\s+(.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);

  it('by each kind of channel message id: the turn’s story with Brek’s ids as the sandbox recorded them, and the Logs Insights query', async () => {
    t = { slack: traveller(h, 'slack', 'trace-slack'), teams: traveller(h, 'teams', 'trace-teams'), whatsapp: traveller(h, 'whatsapp', 'trace-whatsapp') };
    for (const channel of ['slack', 'teams', 'whatsapp'] as const) {
      expect(await say(t[channel], TEXTS[0]!)).toContain('Las Vegas');
      const brek = lastBrekEvent();
      expect(brek.status).toBe(200);
      turn[channel] = { view: await newestTurn(), requestId: brek.requestId, traceId: brek.traceId! };
      expect(turn[channel].view).toMatchObject({ channel, brekRequestId: brek.requestId, traceId: brek.traceId });
    }
    const slack = turn.slack.view;
    // A Slack turn's id is msg:<channel>:<ts>; its logs carry the event id.
    expect(slack.id).toMatch(/^msg:D\w+:\d+\.\d+$/);
    expect(slack.channelMessageId).toMatch(/^Ev\w+$/);
    const ids: [Channel, string][] = [
      ['slack', slack.id],
      ['slack', `IN#${slack.id}`],
      ['slack', slack.id.split(':').at(-1)!],
      ['slack', slack.channelMessageId],
      ['teams', turn.teams.view.channelMessageId],
      ['whatsapp', turn.whatsapp.view.channelMessageId],
    ];
    const runs = await Promise.all(ids.map(([, id]) => ops(['trace', id], LOCAL)));
    for (const [i, [channel, id]] of ids.entries()) {
      const { code, out } = runs[i]!;
      const { view, requestId, traceId } = turn[channel];
      expect(code, out).toBe(0);
      expect(out).toContain(`1 turn with channel message id ${id}, in table brek-bridge of the local stack at ${h.stack.url}`);
      expect(out).toContain(`\nturn ${view.id}\n`);
      expect(out).toMatch(new RegExp(`^  channel +${channel}$`, 'm'));
      expect(out).toMatch(new RegExp(`^  actor +${escape(view.actorId)}$`, 'm'));
      expect(out).toMatch(new RegExp(`^  channel message id +${escape(view.channelMessageId)}$`, 'm'));
      expect(out).toMatch(/^  received at +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/m);
      expect(out).toMatch(/^  state now +replied \(shortlist\)$/m);
      expect(steps(out)).toEqual([
        `received: accepted by the ${channel} ingress (channel message id ${view.channelMessageId})`,
        'taken up: by the worker',
        `Brek: answered shortlist (x-request-id ${requestId}, traceId ${traceId})`,
        // Issue 21: WhatsApp's messages ask for status callbacks, and the trace says what Twilio reported.
        channel === 'whatsapp' ? expect.stringMatching(/^reply: shortlist delivered; the channel says: SM[0-9a-f]{32} delivered$/) : 'reply: shortlist delivered',
        expect.stringMatching(/^finished: replied, \d+ ms after it was received$/),
      ]);
      expect(out).toMatch(/^  Brek session +sess_\w+ \(the conversation’s current one\)$/m);
      expect(out).toMatch(new RegExp(`^  Brek request id +${requestId}$`, 'm'));
      expect(out).toMatch(new RegExp(`^  trace id +${escape(traceId)}$`, 'm'));
      expect(out).toMatch(/^  kept Brek answer +-$/m);
      expect(out).toMatch(/^  error +-$/m);
      // The query for this turn, and where it would run.
      expect(out).toContain(`  | filter channelMessageId = "${view.channelMessageId}" or brekRequestId = "${requestId}"\n  | sort @timestamp asc\n`);
      const ingress = { slack: 'SlackIngress', teams: 'TeamsIngress', whatsapp: 'WhatsAppIngress' }[channel];
      expect(out).toContain(`  /aws/lambda/brek-bridge-<stage>-${ingress}Function-…  (${channel} ingress)\n  /aws/lambda/brek-bridge-<stage>-BridgeSubscriberWorkerFunctionFunction-…  (worker)\n`);
      expect(out).toContain('In a deployment, run the query in CloudWatch Logs Insights');
      expectNothingPersonal(out, Object.values(t));
      // What the query finds: the stack's own log lines of this turn, ingress to reply.
      expect(loggedBy(view.channelMessageId, requestId)).toEqual(expect.arrayContaining(['turn accepted', 'brek event', 'turn replied']));
    }
    // WhatsApp's conversation id is a keyed hash of the number pair: shown, never the number.
    const whatsapp = runs.at(-1)!.out;
    expect(turn.whatsapp.view.conversationId).toMatch(/^wa:[0-9a-f]{32}$/);
    expect(whatsapp).toMatch(new RegExp(`^  conversation +${turn.whatsapp.view.conversationId}$`, 'm'));
  }, 90_000);

  it('by Brek request id and by traceId: the turn whose outcome holds it', async () => {
    const { view, requestId, traceId } = turn.teams;
    const [byRequest, byTrace] = await Promise.all([ops(['trace', requestId], LOCAL), ops(['trace', traceId], LOCAL)]);
    for (const [{ code, out }, id] of [[byRequest, requestId], [byTrace, traceId]] as const) {
      expect(code, out).toBe(0);
      expect(out).toContain(`1 turn with Brek request id or traceId ${id}, in table brek-bridge`);
      expect(out).toContain(`\nturn ${view.id}\n`);
      expect(out).toMatch(new RegExp(`^  Brek request id +${requestId}$`, 'm'));
      expect(out).toMatch(new RegExp(`^  trace id +${escape(traceId)}$`, 'm'));
      expect(out).toContain(`| filter channelMessageId = "${view.channelMessageId}" or brekRequestId = "${requestId}"`);
      expectNothingPersonal(out, Object.values(t));
    }
  }, 60_000);

  it('by actor id, whole or as `turns` shortens it: that actor’s turns, newest first', async () => {
    expect(await say(t.whatsapp, TEXTS[1]!)).toBeTruthy();
    const second = { view: await newestTurn(), ...lastBrekEvent() };
    const actorId = turn.whatsapp.view.actorId;
    expect(second.view.actorId).toBe(actorId);
    expect(shortActor(actorId)).not.toBe(actorId);
    const [whole, short, limited] = await Promise.all([ops(['trace', actorId], LOCAL), ops(['trace', shortActor(actorId)], LOCAL), ops(['trace', actorId, '--limit', '1'], LOCAL)]);
    for (const [{ code, out }, id] of [[whole, actorId], [short, shortActor(actorId)]] as const) {
      expect(code, out).toBe(0);
      expect(out).toContain(`actor ${id}: 2 turns, newest first, in table brek-bridge`);
      const order = [...out.matchAll(/^turn (\S+)$/gm)].map((m) => m[1]);
      expect(order).toEqual([second.view.id, turn.whatsapp.view.id]);
      expect(out).toMatch(new RegExp(`^  Brek request id +${second.requestId}$`, 'm'));
      expect(out).toMatch(new RegExp(`^  Brek request id +${turn.whatsapp.requestId}$`, 'm'));
      // One query for the actor's lines and both turns' Brek calls.
      expect(out).toContain(
        `| filter actorId = "${actorId}" or channelMessageId in ["${second.view.channelMessageId}", "${turn.whatsapp.view.channelMessageId}"] or brekRequestId in ["${second.requestId}", "${turn.whatsapp.requestId}"]`,
      );
      expectNothingPersonal(out, Object.values(t));
    }
    expect(limited.code).toBe(0);
    expect(limited.out).toContain(`actor ${actorId}: the newest 1 of 2 turns (--limit N shows more), in table brek-bridge`);
    expect([...limited.out.matchAll(/^turn (\S+)$/gm)].map((m) => m[1])).toEqual([second.view.id]);
  }, 60_000);

  it('a turn Brek failed: the failed call’s request id and its error', async () => {
    await h.faults({ endpoints: { sendEvent: { rate5xx: 1, status5xx: 503 } } });
    try {
      expect(await say(t.slack, TEXTS[1]!)).toContain('busy right now');
    } finally {
      await h.faults(null);
    }
    const failed = lastBrekEvent();
    expect(failed.status).toBe(503);
    const view = await newestTurn();
    expect(view).toMatchObject({ channel: 'slack', state: 'failed', brekRequestId: failed.requestId });
    const { code, out } = await ops(['trace', view.id], LOCAL);
    expect(code, out).toBe(0);
    expect(out).toMatch(/^  state now +failed \(bridge_apology\)$/m);
    expect(steps(out)).toEqual([
      `received: accepted by the slack ingress (channel message id ${view.channelMessageId})`,
      'taken up: by the worker',
      expect.stringMatching(new RegExp(`^Brek: failed: Brek 503: .+ \\(x-request-id ${failed.requestId}\\)$`)),
      'reply: apology sent (bridge_apology)',
      expect.stringMatching(/^finished: failed, \d+ ms after it was received$/),
    ]);
    expect(out).toMatch(new RegExp(`^  Brek request id +${failed.requestId}$`, 'm'));
    expect(out).toMatch(/^  trace id +-$/m);
    expect(out).toMatch(/^  error +Brek 503: /m);
    expect(out).toContain(`| filter channelMessageId = "${view.channelMessageId}" or brekRequestId = "${failed.requestId}"`);
    expectNothingPersonal(out, Object.values(t));
    // The worker's line for the failed call carries that request id.
    expect(h.logs.records().filter((r) => r.brekRequestId === failed.requestId)).toContainEqual(
      expect.objectContaining({ msg: 'brek unavailable after retries', channelMessageId: view.channelMessageId, status: 503 }),
    );
    expect(loggedBy(view.channelMessageId, failed.requestId)).toEqual(expect.arrayContaining(['turn accepted', 'brek unavailable after retries', 'turn failed; apology sent']));
  }, 60_000);

  it('a reply the channel refused: the Brek answer the inbox keeps, and the send error', async () => {
    // Twilio refuses the next message for good (63016: outside the 24-hour window).
    h.stack.fakeTwilio!.fail({ status: 400, code: 63016 });
    const before = t.whatsapp.replies().length;
    await say(t.whatsapp, 'and for 3 nights?');
    expect(t.whatsapp.replies()).toHaveLength(before);
    const answered = lastBrekEvent();
    const view = await newestTurn();
    expect(view).toMatchObject({ channel: 'whatsapp', state: 'failed', status: 'none' });
    const { code, out } = await ops(['trace', view.channelMessageId], LOCAL);
    expect(code, out).toBe(0);
    expect(out).toMatch(/^  state now +failed \(none\)$/m);
    expect(steps(out)).toEqual([
      `received: accepted by the whatsapp ingress (channel message id ${view.channelMessageId})`,
      'taken up: by the worker',
      expect.stringMatching(new RegExp(`^Brek: answered \\w+ \\(x-request-id ${answered.requestId}, traceId ${escape(answered.traceId!)}\\)$`)),
      'reply: not delivered: Twilio answered 400 (error 63016) (Brek’s answer is kept: a replay re-sends it)',
      expect.stringMatching(/^finished: failed, \d+ ms after it was received$/),
    ]);
    expect(out).toMatch(
      new RegExp(`^  kept Brek answer +\\w+ \\(x-request-id ${answered.requestId}, traceId ${escape(answered.traceId!)}, session sess_\\w+\\); \`npm run ops -- replay ${escape(view.id)}\` re-sends it$`, 'm'),
    );
    expect(out).toMatch(/^  error +send: Twilio answered 400 \(error 63016\)$/m);
    expectNothingPersonal(out, Object.values(t));
  }, 60_000);

  it('--json, and in deployed mode where to run the query: the CloudWatch console or aws logs start-query', async () => {
    const { view, requestId, traceId } = turn.slack;
    const json = await ops(['trace', view.channelMessageId, '--json'], LOCAL);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { match: string; total: number; turns: Record<string, unknown>[]; logs: { query: string; logGroups: unknown[]; startTime: number; endTime: number } };
    expect(parsed).toMatchObject({ match: 'message', total: 1, turns: [{ id: view.id, channel: 'slack', state: 'replied', brekRequestId: requestId, traceId, brekSessionId: expect.stringMatching(/^sess_/) }] });
    expect(parsed.turns[0]!.steps).toEqual(expect.arrayContaining([{ step: 'received', at: view.receivedAt, text: expect.any(String) }]));
    expect(parsed.logs.query).toBe(logsInsightsQuery({ channelMessageIds: [view.channelMessageId], brekRequestIds: [requestId] }));
    expect(parsed.logs.startTime).toBeLessThan(Date.parse(view.receivedAt) / 1000);
    expectNothingPersonal(json.out, Object.values(t));

    // TABLE_NAME: the table as a deployment's (this one is not SST-named, so the stage is not known).
    const deployed = await ops(['trace', requestId], { TABLE_NAME: h.stack.config.tableName, AWS_ENDPOINT_URL_DYNAMODB: h.stack.config.dynamoEndpoint! });
    expect(deployed.code, deployed.out).toBe(0);
    expect(deployed.out).toContain(`in table brek-bridge at ${h.stack.config.dynamoEndpoint}`);
    expect(deployed.out).toContain('Run it in the CloudWatch console (Logs Insights: pick those log groups and the time range, paste the query), or:');
    expect(deployed.out).toMatch(/^ {2}aws logs start-query --start-time \d+ --end-time \d+ \\$/m);
    expect(deployed.out).toContain(`--query-string 'fields @timestamp, @log, level, msg, channel, status, brekStatus, brekRequestId, traceId, error, error.message | filter channelMessageId = "${view.channelMessageId}" or brekRequestId = "${requestId}" | sort @timestamp asc | limit 1000'`);
    expect(deployed.out).toContain('aws logs get-query-results --query-id');
    expectNothingPersonal(deployed.out, Object.values(t));

    // A table SST named tells the stage, so the log groups are named up to SST's random suffix.
    const sstTable = 'brek-bridge-prod-BridgeTable-abcdefhk';
    const db = h.stack.db.worker;
    await ensureTable(db, sstTable);
    const { Items = [] } = await db.send(new QueryCommand({ TableName: h.stack.config.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': threadPk(view.actorId, view.conversationId) } }));
    for (const item of Items) await db.send(new PutCommand({ TableName: sstTable, Item: item }));
    const sst = await ops(['trace', view.id], { TABLE_NAME: sstTable, AWS_ENDPOINT_URL_DYNAMODB: h.stack.config.dynamoEndpoint! });
    expect(sst.code, sst.out).toBe(0);
    expect(sst.out).toMatch(new RegExp(`^  Brek request id +${requestId}$`, 'm'));
    expect(sst.out).toContain(
      '  /aws/lambda/brek-bridge-prod-SlackIngressFunction-…  (slack ingress)\n  /aws/lambda/brek-bridge-prod-BridgeSubscriberWorkerFunctionFunction-…  (worker)\n  /aws/lambda/brek-bridge-prod-SlackInstallFunction-…  (slack install, deployed with SLACK_CLIENT_ID)\n(SST ends each name with 8 random characters)\n',
    );
    expect(sst.out).toContain(
      `  --log-group-names $(for p in /aws/lambda/brek-bridge-prod-SlackIngressFunction- /aws/lambda/brek-bridge-prod-BridgeSubscriberWorkerFunctionFunction- /aws/lambda/brek-bridge-prod-SlackInstallFunction-; do aws logs describe-log-groups --log-group-name-prefix "$p" --query 'logGroups[].logGroupName' --output text; done) \\\n`,
    );
  }, 60_000);

  it('an id nothing matches: exit 1 and one line', async () => {
    const { code, out } = await ops(['trace', 'no-such-id'], LOCAL);
    expect(code).toBe(1);
    expect(out.trim()).toBe(
      `npm run ops: nothing in table brek-bridge of the local stack at ${h.stack.url} matches "no-such-id" (a channel message id, actor id, Brek request id or traceId; turns are kept 48 h)`,
    );
  });
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
    const usage = '(usage: npm run ops -- turns [--failed] [--limit N] [--json] | replay <id> [--json] | trace <id> [--limit N] [--json] | erase <actor id | channel:workspace:> [--scan] [--json])';
    for (const [args, message] of [
      [['frobnicate'], `unknown command "frobnicate" ${usage}`],
      [['replay'], `replay takes one turn id (the first column of \`npm run ops -- turns\`) ${usage}`],
      [['turns', '--limit', '0'], '--limit must be a whole number of 1 or more, got "0"'],
      [['trace'], `trace takes one id: a channel message id, an actor id, or a Brek request id or traceId ${usage}`],
      [['trace', 'a', '--failed'], `--failed is for turns ${usage}`],
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

describe('turnStory and traceItems', () => {
  const inbox: InboxStoryFields = {
    pk: 'T#whatsapp:abc#wa:0123456789abcdef0123456789abcdef',
    sk: 'IN#SM1',
    dedupeKey: 'SM1',
    channel: 'whatsapp',
    actorId: 'whatsapp:abc',
    conversationId: 'wa:0123456789abcdef0123456789abcdef',
    channelMessageId: 'SM1',
    receivedAt: '2030-01-01T00:00:00.000Z',
    state: 'received',
  };
  const at = Date.parse(inbox.receivedAt);
  const texts = (story: { steps: { step: string; text: string }[] }) => story.steps.map((s) => `${s.step}: ${s.text}`);

  it('a failed send keeps Brek’s answer; the story says so and where the error came from', () => {
    const story = turnStory(
      'SM1',
      { ...inbox, state: 'failed', replyStatus: 'none', lastError: 'send: Twilio answered 400 (error 63016)', brek: { sessionId: 's1', requestId: 'r1', result: { status: 'shortlist', traceId: 't1' } } },
      { turns: { SM1: { state: 'failed', status: 'none', at: at + 40, error: 'send: Twilio answered 400 (error 63016)', brekRequestId: 'r1', traceId: 't1' } }, sessionId: 's1' },
      at + 1_000,
    );
    expect(story).toMatchObject({ state: 'failed', brekRequestId: 'r1', traceId: 't1', brekSessionId: 's1', keptAnswer: { status: 'shortlist', sessionId: 's1', brekRequestId: 'r1', traceId: 't1' }, latencyMs: 40 });
    expect(texts(story)).toEqual([
      'received: accepted by the whatsapp ingress (channel message id SM1)',
      'taken_up: by the worker',
      'brek: answered shortlist (x-request-id r1, traceId t1)',
      'reply: not delivered: Twilio answered 400 (error 63016) (Brek’s answer is kept: a replay re-sends it)',
      'finished: failed, 40 ms after it was received',
    ]);
    expect(story.steps[0]!.at).toBe(inbox.receivedAt);
    expect(story.steps.at(-1)!.at).toBe('2030-01-01T00:00:00.040Z');
  });

  it('an apology that could not be sent after Brek failed; a replayed turn; a bridge answer; a turn not taken up yet; one held now', () => {
    const both = turnStory('SM1', { ...inbox, state: 'failed' }, { turns: { SM1: { state: 'failed', status: 'none', at, error: 'send: Twilio answered 500; Brek 503: down', brekRequestId: 'r9' } } }, at);
    expect(texts(both).slice(2, 4)).toEqual(['brek: failed: Brek 503: down (x-request-id r9)', 'reply: not delivered: Twilio answered 500']);
    const replayed = turnStory('SM1', { ...inbox, state: 'failed', lastError: 'Brek 503: down' }, { turns: { SM1: { state: 'replied', status: 'shortlist', at: at + 90_000, brekRequestId: 'r2', traceId: 't2' } } }, at);
    expect(texts(replayed).slice(2)).toEqual([
      'brek: answered shortlist (x-request-id r2, traceId t2)',
      'reply: shortlist delivered',
      'earlier_attempt: an earlier attempt failed (Brek 503: down); replayed since',
      'finished: replied, 90.0 s after it was received',
    ]);
    const own = turnStory('SM1', inbox, { turns: { SM1: { state: 'replied', status: 'bridge_card_number_refused', at } } }, at);
    expect(texts(own)[2]).toBe('brek: not called: the bridge answered itself (bridge_card_number_refused)');
    expect(texts(turnStory('SM1', inbox, undefined, at))).toEqual([
      'received: accepted by the whatsapp ingress (channel message id SM1)',
      'taken_up: not yet: waiting for the worker (if for long, see the worker’s log)',
    ]);
    const held = turnStory('SM1', inbox, { turns: {}, leaseKey: 'SM1', leaseUntil: at + 5_000 }, at);
    expect(held.state).toBe('processing');
    expect(texts(held)[1]).toBe('taken_up: the worker holds it now (lease until 2030-01-01T00:00:05.000Z)');
  });

  it('a turn whose message record expired is told from its thread’s outcome', () => {
    const thread = { pk: inbox.pk, sk: 'THREAD', channel: 'whatsapp', actorId: 'whatsapp:abc', conversationId: inbox.conversationId, sessionId: 's1', turns: { SM0: { state: 'replied', status: 'shortlist', at, brekRequestId: 'r0', traceId: 't0' } } };
    const found = traceItems([thread], 'r0', { now: at })!;
    expect(found).toMatchObject({ match: 'brek', total: 1, stories: [{ id: 'SM0', messageExpired: true, state: 'replied', brekRequestId: 'r0', finishedAt: inbox.receivedAt }] });
    expect(found.stories[0]!.steps[0]!.text).toBe('the message record has expired (kept 48 h); the thread kept the outcome');
    // Its dedupe key finds it too; an expired thread does not.
    expect(traceItems([thread], 'SM0', { now: at })?.match).toBe('message');
    expect(traceItems([{ ...thread, expiresAt: 1 }], 'r0', { now: at })).toBeUndefined();
  });

  it('finds by message id (whole, IN#…, raw id at its end), Brek id, traceId, actor (whole or short); newest first; actor limited', () => {
    const slack = (ts: string, brek: string): Record<string, unknown>[] => [
      { ...inbox, pk: 'T#slack:T:U#D1', sk: `IN#msg:D1:${ts}`, dedupeKey: `msg:D1:${ts}`, channel: 'slack', actorId: 'slack:T:U', conversationId: 'D1', channelMessageId: `Ev${ts}`, receivedAt: new Date(at + Number(ts) * 1000).toISOString() },
      { pk: 'T#slack:T:U#D1', sk: 'THREAD', turns: { [`msg:D1:${ts}`]: { state: 'replied', status: 'shortlist', at: at + Number(ts) * 1000 + 5, brekRequestId: brek, traceId: `trace-${brek}` } } },
    ];
    // Both turns' thread is one record: the scan returns it once, with both outcomes.
    const [first, thread1] = slack('1700000001.000100', 'rA');
    const [second, thread2] = slack('1700000002.000200', 'rB');
    const thread = { ...thread1, turns: { ...(thread1!.turns as object), ...(thread2!.turns as object) } };
    const items = [first!, second!, thread];
    const now = at + 1_800_000_000_000;
    const ids = (id: string, limit?: number) => {
      const found = traceItems(items, id, { now, ...(limit ? { limit } : {}) });
      return found && { match: found.match, total: found.total, ids: found.stories.map((s) => s.id) };
    };
    expect(ids('msg:D1:1700000001.000100')).toEqual({ match: 'message', total: 1, ids: ['msg:D1:1700000001.000100'] });
    expect(ids('IN#msg:D1:1700000001.000100')?.ids).toEqual(['msg:D1:1700000001.000100']);
    expect(ids('1700000002.000200')?.ids).toEqual(['msg:D1:1700000002.000200']);
    expect(ids('Ev1700000002.000200')?.ids).toEqual(['msg:D1:1700000002.000200']);
    expect(ids('rA')).toEqual({ match: 'brek', total: 1, ids: ['msg:D1:1700000001.000100'] });
    expect(ids('trace-rB')).toEqual({ match: 'brek', total: 1, ids: ['msg:D1:1700000002.000200'] });
    expect(ids('slack:T:U')).toEqual({ match: 'actor', total: 2, ids: ['msg:D1:1700000002.000200', 'msg:D1:1700000001.000100'] });
    expect(ids('slack:T:U', 1)).toEqual({ match: 'actor', total: 2, ids: ['msg:D1:1700000002.000200'] });
    // A short fragment is not a raw channel id.
    expect(ids('200')).toBeUndefined();
    expect(ids('')).toBeUndefined();
  });

  it('prints a conversation id only when it cannot be personal', () => {
    expect(printableConversation('whatsapp', 'wa:0123456789abcdef0123456789abcdef')).toBe('wa:0123456789abcdef0123456789abcdef');
    for (const raw of ['whatsapp:+15551234567|whatsapp:+14155238886', '+15551234567']) {
      const printed = printableConversation('whatsapp', raw);
      expect(printed).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect(printed).toBe(printableConversation('whatsapp', raw));
    }
    expect(printableConversation('slack', 'C0123:1795878912.346001')).toBe('C0123:1795878912.346001');
    expect(printableConversation('teams', 'a:1xYz-personal-chat')).toBe('a:1xYz-personal-chat');
    expect(printableConversation('teams', '19:chat+15551234567@thread')).toMatch(/^sha256:/);
  });
});

describe('the Logs Insights query and log groups', () => {
  it('one id per field is `=`, several are `in [...]`, joined with or; quotes are escaped', () => {
    expect(logsInsightsQuery({ channelMessageIds: ['Ev1'], brekRequestIds: ['r1'] })).toBe(
      [
        'fields @timestamp, @log, level, msg, channel, status, brekStatus, brekRequestId, traceId, error, error.message',
        '| filter channelMessageId = "Ev1" or brekRequestId = "r1"',
        '| sort @timestamp asc',
        '| limit 1000',
      ].join('\n'),
    );
    expect(logsInsightsQuery({ actorIds: ['slack:T:U'], channelMessageIds: ['a', 'b', 'a'], brekRequestIds: [], traceIds: ['t"1\\'] }).split('\n')[1]).toBe(
      '| filter actorId = "slack:T:U" or channelMessageId in ["a", "b"] or traceId = "t\\"1\\\\"',
    );
    expect(() => logsInsightsQuery({ brekRequestIds: [''] })).toThrow(/at least one id/);
  });

  it('names the log groups of the turn’s ingress, the worker and (Slack) the install routes as SST does: from an SST table name, or with <stage>', () => {
    expect(stageOfTable('brek-bridge-prod-BridgeTable-abcdefhk')).toBe('prod');
    expect(stageOfTable('brek-bridge-pr-42-BridgeTable-abcdefhk')).toBe('pr-42');
    expect(stageOfTable('brek-bridge')).toBeUndefined();
    expect(logGroupHints(['slack'], 'brek-bridge-prod-BridgeTable-abcdefhk')).toEqual({
      stage: 'prod',
      groups: [
        { function: 'slack ingress', prefix: '/aws/lambda/brek-bridge-prod-SlackIngressFunction-' },
        { function: 'worker', prefix: '/aws/lambda/brek-bridge-prod-BridgeSubscriberWorkerFunctionFunction-' },
        { function: 'slack install, deployed with SLACK_CLIENT_ID', prefix: '/aws/lambda/brek-bridge-prod-SlackInstallFunction-' },
      ],
    });
    // Only a Slack turn has an installation to look into.
    expect(logGroupHints(['teams', 'whatsapp'], 'brek-bridge-prod-BridgeTable-abcdefhk').groups.map((g) => g.function)).toEqual(['teams ingress', 'whatsapp ingress', 'worker']);
    // A long stage shortens the app name first (SST's prefixName), within 55 characters.
    expect(logGroupHints(['whatsapp'], 'brek-bridge-production-BridgeTable-abcdefhk').groups.map((g) => g.prefix)).toEqual([
      '/aws/lambda/brek-bridge-production-WhatsAppIngressFunction-',
      '/aws/lambda/brek--production-BridgeSubscriberWorkerFunctionFunction-',
    ]);
    expect(sstPrefixName('brek-bridge', 'a-very-long-stage-name-for-review', 'BridgeSubscriberWorkerFunctionFunction', 55)).toBe('a-very-long-stag-BridgeSubscriberWorkerFunctionFunction');
    expect(logGroupHints(['teams', 'teams'], undefined)).toEqual({
      groups: [
        { function: 'teams ingress', prefix: '/aws/lambda/brek-bridge-<stage>-TeamsIngressFunction-' },
        { function: 'worker', prefix: '/aws/lambda/brek-bridge-<stage>-BridgeSubscriberWorkerFunctionFunction-' },
      ],
    });
  });

  it('the names it assumes are sst.config.ts’s', () => {
    const config = readFileSync(new URL('../../sst.config.ts', import.meta.url), 'utf8');
    expect(config).toContain(`name: '${SST_NAMES.app}'`);
    expect(config).toContain(`new sst.aws.Dynamo('${SST_NAMES.table}'`);
    expect(config).toMatch(new RegExp(`table\\.subscribe\\(\\s*'${SST_NAMES.worker}'`));
    // Every function: the ingress of each channel, named by its profile (ingressFunction, which
    // ops reads too), and the Slack install routes.
    const functions = [...config.matchAll(/new sst\.aws\.Function\('(\w+)'/g)].map((m) => m[1]);
    expect(functions).toEqual([SST_NAMES.slackInstall]);
    expect(config).toContain('new sst.aws.Function(profile.ingressFunction,');
    expect(config).toMatch(/CHANNEL_PROFILES\.map\(\(profile\) => \(\{\s*profile,\s*fn: new sst\.aws\.Function\(profile\.ingressFunction/);
    expect(CHANNEL_PROFILES.map((profile) => profile.ingressFunction)).toEqual(['SlackIngress', 'TeamsIngress', 'WhatsAppIngress']);
  });

  it('aws logs start-query: the groups looked up by prefix when the stage is known, the window from the turn’s times', () => {
    const window = queryWindow(['2030-01-01T00:00:00.000Z', undefined, '2030-01-01T00:00:01.500Z']);
    expect(window).toEqual({ start: Date.parse('2030-01-01T00:00:00Z') / 1000 - 300, end: Date.parse('2030-01-01T00:00:02Z') / 1000 + 3600 });
    const query = logsInsightsQuery({ channelMessageIds: ["it's"] });
    const known = startQueryCommand(query, logGroupHints(['slack'], 'brek-bridge-prod-BridgeTable-abcdefhk'), window);
    expect(known.split('\n')).toEqual([
      `aws logs start-query --start-time ${window.start} --end-time ${window.end} \\`,
      "  --log-group-names $(for p in /aws/lambda/brek-bridge-prod-SlackIngressFunction- /aws/lambda/brek-bridge-prod-BridgeSubscriberWorkerFunctionFunction- /aws/lambda/brek-bridge-prod-SlackInstallFunction-; do aws logs describe-log-groups --log-group-name-prefix \"$p\" --query 'logGroups[].logGroupName' --output text; done) \\",
      `  --query-string 'fields @timestamp, @log, level, msg, channel, status, brekStatus, brekRequestId, traceId, error, error.message | filter channelMessageId = "it'\\''s" | sort @timestamp asc | limit 1000'`,
      'aws logs get-query-results --query-id <queryId printed above>',
    ]);
    expect(startQueryCommand(query, logGroupHints(['slack']), window).split('\n')[1]).toBe(
      '  --log-group-names </aws/lambda/brek-bridge-<stage>-SlackIngressFunction-…> </aws/lambda/brek-bridge-<stage>-BridgeSubscriberWorkerFunctionFunction-…> </aws/lambda/brek-bridge-<stage>-SlackInstallFunction-…> \\',
    );
  });
});
