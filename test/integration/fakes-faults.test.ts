// The fake channel APIs fail the way the platforms do, seen through the real SDK clients: a
// refusal before the work (nothing posted), or the work done and the answer lost — a dropped
// connection, a 5xx, an answer after the client's timeout. For each, what the client saw and
// what the platform now shows (the fakes' truth views). Plus the read APIs an exactly-once
// protocol looks posts up with: Slack's history/replies with message metadata, Twilio's list.
import { Client as TeamsClient } from '@microsoft/teams.api';
import { LogLevel, WebClient } from '@slack/web-api';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultPlan, mulberry32, type Chaos, type FaultKind } from '../../dev/fakes/faults.ts';
import { startFakeSlack, type FakeSlack, type SlackCall } from '../../dev/fakes/slack.ts';
import { startFakeTeams, type FakeTeams } from '../../dev/fakes/teams.ts';
import { rfc2822, startFakeTwilio, type FakeTwilio } from '../../dev/fakes/twilio.ts';

/** The clients' timeout: well under the fakes' default slow_after delay (1500 ms). */
const TIMEOUT_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a rejected SDK call threw, reduced to what a sender can classify by. */
async function failureOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('the call succeeded');
}

describe('faults', () => {
  it('mulberry32 replays a seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from({ length: 5 }, mulberry32(43))).not.toEqual(first);
  });

  it('FaultPlan: queued faults first (FIFO, per method), then chaos on the posting methods only', () => {
    const plan = new FaultPlan(['post']);
    plan.push({ kind: 'drop_after' });
    plan.push({ kind: 'refuse', status: 429 }, 'read');
    plan.push({ kind: 'error_after' }, '*');
    expect(plan.next('read')).toEqual({ kind: 'refuse', status: 429 });
    expect(plan.next('read')).toEqual({ kind: 'error_after' });
    expect(plan.next('post')).toEqual({ kind: 'drop_after' });
    expect(plan.next('post')).toBeUndefined();
    plan.chaos({ seed: 1, rate: 1, kinds: { slow_after: 1 }, templates: { slow_after: { delayMs: 5 } } });
    expect(plan.next('read')).toBeUndefined();
    expect(plan.next('post')).toEqual({ kind: 'slow_after', delayMs: 5 });
    expect(plan.injected).toEqual({ refuse: 1, drop_after: 1, error_after: 1, slow_after: 1 });
    expect(plan.log.map((entry) => entry.source)).toEqual(['queued', 'queued', 'queued', 'chaos']);
  });
});

describe('Slack Web API through the WebClient', () => {
  let slack: FakeSlack;
  let web: WebClient;
  let channels = 0;
  const channel = () => `D${++channels}FAULT`;
  const lastCall = (): SlackCall => slack.calls.at(-1)!;
  const clientWith = (timeout: number) => new WebClient('xoxb-fake', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, timeout, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });

  beforeAll(async () => {
    slack = await startFakeSlack();
    web = clientWith(TIMEOUT_MS);
  });
  afterAll(() => slack?.close());

  it('refuse 429: a rate-limited error with Retry-After, nothing posted', async () => {
    const dm = channel();
    slack.fail({ method: 'chat.postMessage', kind: 'refuse', status: 429, retryAfter: 0 });
    const error = await failureOf(web.chat.postMessage({ channel: dm, text: 'one' }));
    expect(error).toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 0 });
    expect(lastCall()).toMatchObject({ fault: 'refuse:429', delivered: false });
    expect(slack.posted(dm)).toEqual([]);
  });

  it('refuse with a platform error (the old fail() shape): ok:false, nothing posted', async () => {
    const dm = channel();
    slack.fail({ method: 'chat.postMessage', error: 'channel_not_found' });
    const error = await failureOf(web.chat.postMessage({ channel: dm, text: 'one' }));
    expect(error).toMatchObject({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'channel_not_found' } });
    expect(lastCall()).toMatchObject({ fault: 'refuse:channel_not_found', delivered: false });
    expect(slack.posted(dm)).toEqual([]);
  });

  it('drop_after: the connection dies (a request error), yet the message is in the channel', async () => {
    const dm = channel();
    const heard: SlackCall[] = [];
    const off = slack.on((call) => heard.push(call));
    slack.fail({ method: 'chat.postMessage', kind: 'drop_after' });
    const error = await failureOf(web.chat.postMessage({ channel: dm, text: 'lost answer' }));
    off();
    expect(error).toMatchObject({ code: 'slack_webapi_request_error' });
    expect(lastCall()).toMatchObject({ fault: 'drop_after', delivered: true });
    expect(slack.posted(dm).map((m) => m.text)).toEqual(['lost answer']);
    // Listeners hear of the post although its answer never left.
    expect(heard.map((c) => [c.method, c.delivered])).toEqual([['chat.postMessage', true]]);
  });

  it.each([500, 503])('error_after %i: an HTTP error, yet the message is in the channel', async (status) => {
    const dm = channel();
    slack.fail({ method: 'chat.postMessage', kind: 'error_after', status });
    const error = await failureOf(web.chat.postMessage({ channel: dm, text: `five hundred ${status}` }));
    expect(error).toMatchObject({ code: 'slack_webapi_http_error', statusCode: status, body: { ok: false, error: 'internal_error' } });
    expect(lastCall()).toMatchObject({ fault: `error_after:${status}`, delivered: true });
    expect(slack.posted(dm)).toHaveLength(1);
  });

  it('slow_after: the client times out, yet the message is in the channel; a patient client gets the answer late', async () => {
    const dm = channel();
    slack.fail({ method: 'chat.postMessage', kind: 'slow_after' });
    const error = await failureOf(web.chat.postMessage({ channel: dm, text: 'slow' }));
    expect(error).toMatchObject({ code: 'slack_webapi_request_error' });
    expect((error.original as Error).name).toBe('TimeoutError');
    expect(lastCall()).toMatchObject({ fault: 'slow_after', delivered: true });
    expect(slack.posted(dm)).toHaveLength(1);

    slack.fail({ method: 'chat.postMessage', kind: 'slow_after', delayMs: 250 });
    const started = Date.now();
    const answer = await clientWith(5_000).chat.postMessage({ channel: dm, text: 'slow but waited for' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(answer).toMatchObject({ ok: true, ts: lastCall().ts });
    expect(slack.posted(dm)).toHaveLength(2);
  });

  it('chat.update of a ts never posted there: message_not_found; of a posted one: the channel shows the new text', async () => {
    const dm = channel();
    const { ts } = await web.chat.postMessage({ channel: dm, text: 'before' });
    expect(await failureOf(web.chat.update({ channel: dm, ts: '1600000000.000100', text: 'x' }))).toMatchObject({ data: { error: 'message_not_found' } });
    expect(await failureOf(web.chat.update({ channel: 'D0ELSEWHERE', ts: ts!, text: 'x' }))).toMatchObject({ data: { error: 'message_not_found' } });
    await web.chat.update({ channel: dm, ts: ts!, text: 'after' });
    expect(slack.posted(dm).map((m) => [m.ts, m.text])).toEqual([[ts, 'after']]);
  });

  it('oauth.v2.access honours one-shot faults: a refresh answered late still spends the refresh token', async () => {
    // Its own fake: once tokens are issued, the fake accepts only those.
    const slack = await startFakeSlack();
    const web = new WebClient(undefined, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, timeout: TIMEOUT_MS, logLevel: LogLevel.ERROR });
    const lastCall = (): SlackCall => slack.calls.at(-1)!;
    try {
      slack.oauth.addWorkspace({ teamId: 'TROTATE', teamName: 'Rotate', botUserId: 'UROTATE', expiresIn: 43_200 });
      const redirectUri = 'http://localhost/slack/oauth_redirect';
      const authorize = await fetch(`${slack.oauth.authorizeUrl}?client_id=${slack.oauth.clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s`, { redirect: 'manual' });
      const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
      const credentials = { client_id: slack.oauth.clientId, client_secret: slack.oauth.clientSecret };
      const install = await web.oauth.v2.access({ ...credentials, code, redirect_uri: redirectUri });
      const refreshToken = String(install.refresh_token);

      slack.fail({ method: 'oauth.v2.access', kind: 'slow_after', delayMs: 800 });
      const error = await failureOf(web.oauth.v2.access({ ...credentials, grant_type: 'refresh_token', refresh_token: refreshToken }));
      expect((error.original as Error).name).toBe('TimeoutError');
      expect(lastCall()).toMatchObject({ method: 'oauth.v2.access', fault: 'slow_after', delivered: true });
      expect(slack.oauth.grants.refresh_token).toBe(1);
      // Rotated while the client was not looking: its refresh token is spent.
      expect(await failureOf(web.oauth.v2.access({ ...credentials, grant_type: 'refresh_token', refresh_token: refreshToken }))).toMatchObject({ data: { error: 'invalid_refresh_token' } });
    } finally {
      await slack.close();
    }
  });

  it('metadata round trip: postMessage (form and JSON bodies) → conversations.history / replies with include_all_metadata', async () => {
    const dm = channel();
    const tagged = (tag: string) => ({ event_type: 'brek_reply', event_payload: { tag } });
    const parent = await web.chat.postMessage({ channel: dm, text: 'parent', metadata: tagged('p.0') });
    const reply = await web.chat.postMessage({ channel: dm, text: 'in thread', thread_ts: parent.ts!, metadata: tagged('r.0') });
    const broadcast = await web.chat.postMessage({ channel: dm, text: 'broadcast', thread_ts: parent.ts!, reply_broadcast: true });
    // Other clients send JSON; metadata as an object or as a JSON string.
    const postJson = async (body: Record<string, unknown>) =>
      (await (await fetch(`${slack.apiUrl}chat.postMessage`, { method: 'POST', headers: { authorization: 'Bearer xoxb-fake', 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) })).json()) as { ok: boolean; ts?: string; error?: string };
    const jsonObject = await postJson({ channel: dm, text: 'json object', metadata: tagged('j.0') });
    const jsonString = await postJson({ channel: dm, text: 'json string', metadata: JSON.stringify(tagged('j.1')) });
    expect([jsonObject.ok, jsonString.ok]).toEqual([true, true]);
    expect(await postJson({ channel: dm, text: 'x', metadata: { event_type: 'no_payload' } })).toEqual({ ok: false, error: 'invalid_metadata_format' });
    expect(await failureOf(web.chat.postMessage({ channel: dm, text: 'x', metadata: { event_type: 7, event_payload: {} } as never }))).toMatchObject({ data: { error: 'invalid_metadata_format' } });

    const tagOf = (m: { metadata?: { event_payload?: unknown } }) => (m.metadata?.event_payload as { tag?: string } | undefined)?.tag;
    const history = await web.conversations.history({ channel: dm, include_all_metadata: true });
    // Top-level messages, newest first; the plain thread reply is not there, the broadcast is.
    expect(history.messages!.map((m) => m.text)).toEqual(['json string', 'json object', 'broadcast', 'parent']);
    expect(history.messages!.map(tagOf)).toEqual(['j.1', 'j.0', undefined, 'p.0']);
    expect(history.messages![3]).toMatchObject({ type: 'message', ts: parent.ts, user: 'UBOT', bot_id: 'BBOT', thread_ts: parent.ts, reply_count: 2 });
    expect(history.messages![2]).toMatchObject({ subtype: 'thread_broadcast', thread_ts: parent.ts });
    expect(history).toMatchObject({ has_more: false, response_metadata: { next_cursor: '' } });
    const plain = await web.conversations.history({ channel: dm });
    expect(plain.messages!.some((m) => 'metadata' in m)).toBe(false);

    const thread = await web.conversations.replies({ channel: dm, ts: parent.ts!, include_all_metadata: true });
    expect(thread.messages!.map((m) => [m.ts, m.text, tagOf(m)])).toEqual([
      [parent.ts, 'parent', 'p.0'],
      [reply.ts, 'in thread', 'r.0'],
      [broadcast.ts, 'broadcast', undefined],
    ]);
    expect(await failureOf(web.conversations.replies({ channel: dm, ts: '1600000000.000100' }))).toMatchObject({ data: { error: 'thread_not_found' } });
    // The truth view: everything the channel shows, in post order, with metadata.
    expect(slack.posted(dm).map((m) => [m.text, m.metadata?.event_type])).toEqual([
      ['parent', 'brek_reply'],
      ['in thread', 'brek_reply'],
      ['broadcast', undefined],
      ['json object', 'brek_reply'],
      ['json string', 'brek_reply'],
    ]);
  });

  it('history pages with cursors (the WebClient paginates) and honours oldest/latest/inclusive', async () => {
    const dm = channel();
    const posted: string[] = [];
    for (let i = 0; i < 5; i++) posted.push((await web.chat.postMessage({ channel: dm, text: `m${i}` })).ts!);
    const pages: string[][] = [];
    for await (const page of web.paginate('conversations.history', { channel: dm, limit: 2 })) pages.push((((page as { messages?: unknown }).messages ?? []) as { text: string }[]).map((m) => m.text));
    expect(pages).toEqual([['m4', 'm3'], ['m2', 'm1'], ['m0']]);
    const between = await web.conversations.history({ channel: dm, oldest: posted[1], latest: posted[3] });
    expect(between.messages!.map((m) => m.text)).toEqual(['m2']);
    const inclusive = await web.conversations.history({ channel: dm, oldest: posted[1], latest: posted[3], inclusive: true });
    expect(inclusive.messages!.map((m) => m.text)).toEqual(['m3', 'm2', 'm1']);
    expect((await web.conversations.history({ channel: 'D0NEVERUSED' })).messages).toEqual([]);
  });

  it('chaos with a fixed seed injects the same faults twice', async () => {
    const chaos: Chaos = { seed: 7, rate: 0.5, kinds: { refuse: 1, drop_after: 1, error_after: 1, slow_after: 1 }, templates: { refuse: { status: 429, retryAfter: 0 }, slow_after: { delayMs: 500 } } };
    const run = async () => {
      const dm = channel();
      const from = slack.calls.length;
      slack.chaos(chaos);
      const outcomes: string[] = [];
      for (let i = 0; i < 16; i++) {
        outcomes.push(await web.chat.postMessage({ channel: dm, text: `c${i}` }).then(() => 'ok', (error: { code?: string; statusCode?: number }) => `${error.code}${error.statusCode ? `:${error.statusCode}` : ''}`));
        // Reads are not posting calls: chaos leaves them alone.
        await web.conversations.history({ channel: dm, limit: 1 });
      }
      slack.chaos(null);
      const faults = slack.calls.slice(from).filter((c) => c.method === 'chat.postMessage').map((c) => c.fault ?? '-');
      return { outcomes, faults, posted: slack.posted(dm).map((m) => m.text) };
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(new Set(first.faults).size).toBeGreaterThan(2);
    // Refused posts are missing from the channel; every other one is there, whatever the client heard.
    const expected = first.faults.map((fault, i) => (fault.startsWith('refuse') ? undefined : `c${i}`)).filter((text) => text !== undefined);
    expect(first.posted).toEqual(expected);
    expect(slack.calls.filter((c) => c.method === 'conversations.history').every((c) => !c.fault)).toBe(true);
  });
});

describe('Teams connector through @microsoft/teams.api', () => {
  let teams: FakeTeams;
  let client: TeamsClient;
  let conversations = 0;
  const conversation = () => `a:fault-${++conversations}`;
  const card = { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.5', body: [] } };

  /** The bot's client-credentials token, as adapters/teams/send.ts fetches it. */
  async function botToken(): Promise<string> {
    const res = await fetch(teams.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: teams.appId, client_secret: teams.appPassword, scope: 'https://api.botframework.com/.default' }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  beforeAll(async () => {
    teams = await startFakeTeams();
    const token = await botToken();
    client = new TeamsClient(teams.serviceUrl, { token: () => token, timeout: TIMEOUT_MS });
  });
  afterAll(() => teams?.close());

  const post = (id: string, text: string) => client.conversations.createActivity(id, { type: 'message', text, attachments: [card] });

  it.each([
    { status: 429, retryAfter: 2 },
    { status: 412 },
    { status: 502 },
    { status: 504 },
  ])('refuse $status: the client sees it, nothing is created', async ({ status, retryAfter }) => {
    const id = conversation();
    teams.fail({ kind: 'refuse', status, ...(retryAfter ? { retryAfter } : {}) });
    const error = await failureOf(post(id, 'refused'));
    expect(error.response).toMatchObject({ status });
    if (retryAfter) expect((error.response as { headers: Record<string, string> }).headers['retry-after']).toBe('2');
    expect(teams.calls.at(-1)).toMatchObject({ fault: `refuse:${status}`, delivered: false });
    expect(teams.calls.at(-1)!.id).toBeUndefined();
    expect(teams.conversation(id)).toEqual([]);
  });

  it('the old fail() shape is still a refusal', async () => {
    const id = conversation();
    teams.fail({ status: 429, retryAfter: 1 });
    expect((await failureOf(post(id, 'x'))).response).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    expect(teams.conversation(id)).toEqual([]);
  });

  it.each([500, 503])('error_after %i: the client sees the 5xx, the activity exists', async (status) => {
    const id = conversation();
    teams.fail({ kind: 'error_after', status });
    const error = await failureOf(post(id, 'created anyway'));
    expect(error.response).toMatchObject({ status });
    const call = teams.calls.at(-1)!;
    expect(call).toMatchObject({ fault: `error_after:${status}`, delivered: true });
    expect(teams.conversation(id)).toEqual([{ id: call.id, text: 'created anyway', attachments: [card], updates: 0 }]);
  });

  it('drop_after: no answer at all (a reset socket), the activity exists; listeners heard of it', async () => {
    const id = conversation();
    const heard: string[] = [];
    const off = teams.on((call) => heard.push(call.id ?? '?'));
    teams.fail({ kind: 'drop_after' });
    const error = await failureOf(post(id, 'dropped'));
    off();
    expect(error.response).toBeUndefined();
    expect(error.code).toBe('ECONNRESET');
    expect(teams.conversation(id).map((a) => a.text)).toEqual(['dropped']);
    expect(heard).toEqual([teams.calls.at(-1)!.id]);
  });

  it('slow_after: the client times out, the activity exists', async () => {
    const id = conversation();
    teams.fail({ kind: 'slow_after' });
    const error = await failureOf(post(id, 'slow'));
    expect(error.code).toBe('ECONNABORTED');
    expect(teams.conversation(id).map((a) => a.text)).toEqual(['slow']);
  });

  it('PUT replaces an activity it created; an id never created there is 404 ActivityNotFound; typing is no message', async () => {
    const id = conversation();
    await client.conversations.createActivity(id, { type: 'typing' });
    const { id: activityId } = await post(id, 'first');
    await client.conversations.updateActivity(id, activityId, { type: 'message', text: 'second' });
    expect(teams.conversation(id)).toEqual([{ id: activityId, text: 'second', updates: 1 }]);
    const missing = await failureOf(client.conversations.updateActivity(id, '1999999999999', { type: 'message', text: 'x' }));
    expect(missing.response).toMatchObject({ status: 404, data: { error: { code: 'ActivityNotFound' } } });
    const elsewhere = await failureOf(client.conversations.activities(conversation()).update(activityId, { type: 'message', text: 'x' }));
    expect(elsewhere.response).toMatchObject({ status: 404 });
    expect(teams.calls.filter((c) => c.conversationId === id && c.body.type === 'typing')).toHaveLength(1);
  });

  it('PUT faults apply too: error_after on an update still replaces it', async () => {
    const id = conversation();
    const { id: activityId } = await post(id, 'before');
    teams.fail({ kind: 'error_after', method: 'PUT', status: 503 });
    expect((await failureOf(client.conversations.updateActivity(id, activityId, { type: 'message', text: 'after' }))).response).toMatchObject({ status: 503 });
    expect(teams.conversation(id)).toEqual([{ id: activityId, text: 'after', updates: 1 }]);
  });

  it('chaos with a fixed seed: the same faults twice, refusals among 429/412/502/504', async () => {
    const chaos: Chaos = { seed: 3, rate: 0.6, kinds: { refuse: 2, drop_after: 1, error_after: 1, slow_after: 1 }, templates: { slow_after: { delayMs: 450 } } };
    const run = async () => {
      const id = conversation();
      const from = teams.calls.length;
      teams.chaos(chaos);
      for (let i = 0; i < 16; i++) await post(id, `c${i}`).catch(() => undefined);
      teams.chaos(null);
      return { faults: teams.calls.slice(from).map((c) => c.fault ?? '-'), shown: teams.conversation(id).map((a) => a.text) };
    };
    const first = await run();
    expect(await run()).toEqual(first);
    const refusals = first.faults.filter((f) => f.startsWith('refuse:'));
    expect(refusals.length).toBeGreaterThan(1);
    expect(refusals.every((f) => ['refuse:429', 'refuse:412', 'refuse:502', 'refuse:504'].includes(f))).toBe(true);
    expect(first.shown).toEqual(first.faults.map((f, i) => (f.startsWith('refuse') ? undefined : `c${i}`)).filter((t) => t !== undefined));
  });
});

describe('Twilio Messages API through the twilio client', () => {
  type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];
  /** As adapters/whatsapp/send.ts's twilioClient, with a short timeout, counting requests. */
  class RedirectingRequestClient extends twilio.RequestClient {
    requests: string[] = [];
    constructor(
      private readonly origin: string,
      timeout: number,
    ) {
      super({ timeout });
    }

    override request<TData>(opts: RequestOptions & { data?: TData }) {
      const uri = new URL(opts.uri);
      const target = new URL(this.origin);
      uri.protocol = target.protocol;
      uri.host = target.host;
      this.requests.push(`${opts.method.toUpperCase()} ${uri.pathname}`);
      return super.request({ ...opts, uri: uri.toString() });
    }
  }
  const clientFor = (fake: FakeTwilio, authToken = fake.authToken) => {
    const http = new RedirectingRequestClient(fake.url, TIMEOUT_MS);
    return { http, client: twilio(fake.accountSid, authToken, { httpClient: http }) };
  };

  let fake: FakeTwilio;
  let client: ReturnType<typeof twilio>;
  const from = 'whatsapp:+14155238886';
  let numbers = 0;
  const recipient = () => `whatsapp:+1415555${String(++numbers).padStart(4, '0')}`;

  beforeAll(async () => {
    fake = await startFakeTwilio({ maxPageSize: 3 });
    client = clientFor(fake).client;
  });
  afterAll(() => fake?.close());

  it('answers like Twilio: 201 queued with RFC 2822 dates, then sent a few ms later', async () => {
    const to = recipient();
    const message = await client.messages.create({ from, to, body: 'hello' });
    expect(message).toMatchObject({ to, from, body: 'hello', status: 'queued', direction: 'outbound-api', accountSid: fake.accountSid, dateSent: null, numSegments: '1' });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(message.uri).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Messages/${message.sid}.json`);
    expect(rfc2822(Date.UTC(2015, 6, 30, 20, 12, 31))).toBe('Thu, 30 Jul 2015 20:12:31 +0000');
    await sleep(30);
    const fetched = await client.messages(message.sid).fetch();
    expect(fetched).toMatchObject({ sid: message.sid, status: 'sent' });
    expect(fetched.dateSent).toBeInstanceOf(Date);
    expect((await failureOf(client.messages(`SM${'0'.repeat(32)}`).fetch()))).toMatchObject({ status: 404, code: 20404 });
  });

  it('wrong credentials: 401 code 20003', async () => {
    const { client: wrong } = clientFor(fake, 'not-the-token');
    expect(await failureOf(wrong.messages.create({ from, to: recipient(), body: 'x' }))).toMatchObject({ status: 401, code: 20003 });
    expect(await failureOf(wrong.messages.list({ limit: 1 }))).toMatchObject({ status: 401, code: 20003 });
  });

  it('refuse 429 (code 20429) and refuse 400 code 21211 (old and new shapes): nothing sent', async () => {
    const to = recipient();
    fake.fail({ status: 429 });
    expect(await failureOf(client.messages.create({ from, to, body: 'a' }))).toMatchObject({ status: 429, code: 20429 });
    fake.fail({ kind: 'refuse', status: 400, code: 21211 });
    expect(await failureOf(client.messages.create({ from, to, body: 'b' }))).toMatchObject({ status: 400, code: 21211 });
    expect(fake.messages.filter((m) => m.to === to).map((m) => [m.fault, m.delivered])).toEqual([
      ['refuse:429', false],
      ['refuse:21211', false],
    ]);
    expect(fake.delivered(to)).toEqual([]);
    expect(await client.messages.list({ to })).toEqual([]);
  });

  it.each([500, 503])('error_after %i: a RestException, yet the message was accepted and is listed', async (status) => {
    const to = recipient();
    fake.fail({ kind: 'error_after', status });
    expect(await failureOf(client.messages.create({ from, to, body: 'accepted' }))).toMatchObject({ status, code: status === 503 ? 20503 : 20500 });
    expect(fake.delivered(to).map((m) => [m.body, m.fault])).toEqual([['accepted', `error_after:${status}`]]);
    expect((await client.messages.list({ to })).map((m) => m.body)).toEqual(['accepted']);
  });

  it('drop_after: a reset connection (no status), yet the message was accepted', async () => {
    const to = recipient();
    const heard: string[] = [];
    const off = fake.on((m) => heard.push(m.body));
    fake.fail({ kind: 'drop_after' });
    const error = await failureOf(client.messages.create({ from, to, body: 'dropped' }));
    off();
    expect(error.status).toBeUndefined();
    expect(error.code).toBe('ECONNRESET');
    expect(fake.delivered(to).map((m) => m.body)).toEqual(['dropped']);
    expect(heard).toEqual(['dropped']);
  });

  it('slow_after: the client times out, yet the message was accepted', async () => {
    const to = recipient();
    fake.fail({ kind: 'slow_after' });
    const error = await failureOf(client.messages.create({ from, to, body: 'slow' }));
    expect(error.code).toBe('ECONNABORTED');
    expect(fake.delivered(to).map((m) => m.body)).toEqual(['slow']);
  });

  it('messages.list({to, from, limit}) pages past one page (PageSize capped at 3), newest first; each() too', async () => {
    const to = recipient();
    const other = recipient();
    for (let i = 0; i < 7; i++) await client.messages.create({ from, to, body: `m${i}` });
    await client.messages.create({ from, to: other, body: 'someone else' });
    await client.messages.create({ from: 'whatsapp:+14155550000', to, body: 'another sender' });
    await sleep(30);
    const { http, client: counting } = clientFor(fake);
    const listed = await counting.messages.list({ to, from, limit: 10 });
    expect(listed.map((m) => m.body)).toEqual(['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);
    expect(http.requests.filter((r) => r.startsWith('GET'))).toHaveLength(3);
    expect((await counting.messages.list({ to, from, limit: 5 })).map((m) => m.body)).toEqual(['m6', 'm5', 'm4', 'm3', 'm2']);
    const seen: string[] = [];
    await counting.messages.each({ to, from, pageSize: 2 }, (m) => void seen.push(m.body));
    expect(seen).toEqual(['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);
    const page = await counting.messages.page({ to, from, pageSize: 2 });
    expect(page.instances.map((m) => m.body)).toEqual(['m6', 'm5']);
    expect(page.nextPageUrl).toContain('PageToken=PA');
    const next = await page.nextPage();
    expect(next!.instances.map((m) => m.body)).toEqual(['m4', 'm3']);
    expect((await next!.previousPage())!.instances.map((m) => m.body)).toEqual(['m6', 'm5']);
  });

  it('DateSent filters as twilio-node sends them (dateSent, dateSentBefore, dateSentAfter): on the sent date, never a queued message', async () => {
    const to = recipient();
    await client.messages.create({ from, to, body: 'dated' });
    await sleep(30);
    const now = new Date();
    const hourAgo = new Date(Date.now() - 3_600_000);
    expect((await client.messages.list({ to, dateSentAfter: hourAgo })).map((m) => m.body)).toEqual(['dated']);
    expect(await client.messages.list({ to, dateSentBefore: hourAgo })).toEqual([]);
    expect((await client.messages.list({ to, dateSentBefore: new Date(now.getTime() + 2_000) })).map((m) => m.body)).toEqual(['dated']);
    expect(await client.messages.list({ to, dateSent: hourAgo })).toEqual([]);

    const slowCarrier = await startFakeTwilio({ sentAfterMs: 60_000 });
    try {
      const { client: queuedClient } = clientFor(slowCarrier);
      await queuedClient.messages.create({ from, to, body: 'still queued' });
      expect((await queuedClient.messages.list({ to })).map((m) => [m.body, m.status, m.dateSent])).toEqual([['still queued', 'queued', null]]);
      expect(await queuedClient.messages.list({ to, dateSentAfter: hourAgo })).toEqual([]);
    } finally {
      await slowCarrier.close();
    }
  });

  it('chaos with a fixed seed injects the same faults twice; list calls are left alone', async () => {
    const chaos: Chaos = { seed: 11, rate: 0.5, kinds: { refuse: 1, drop_after: 1, error_after: 1, slow_after: 1 }, templates: { slow_after: { delayMs: 450 } } };
    const run = async () => {
      const to = recipient();
      const from0 = fake.messages.length;
      fake.chaos(chaos);
      const outcomes: string[] = [];
      for (let i = 0; i < 16; i++) {
        outcomes.push(await client.messages.create({ from, to, body: `c${i}` }).then(() => 'ok', (error: { status?: number; code?: string | number }) => String(error.status ?? error.code)));
        await client.messages.list({ to, limit: 1 });
      }
      fake.chaos(null);
      return { outcomes, faults: fake.messages.slice(from0).map((m) => m.fault ?? '-'), accepted: fake.delivered(to).map((m) => m.body) };
    };
    const before: Record<FaultKind, number> = fake.injected();
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    const after = fake.injected();
    expect(Object.values(after).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0)).toBe(2 * first.faults.filter((f) => f !== '-').length);
    expect(first.accepted).toEqual(first.faults.map((f, i) => (f.startsWith('refuse') ? undefined : `c${i}`)).filter((t) => t !== undefined));
  });
});

