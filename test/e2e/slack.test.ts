// Slack end to end through HTTP: signed requests to the local stack's /slack/events, the core and
// worker on dynalite, the Brek sandbox, and the real WebClient answering into a fake Slack Web API.
import type { Button, KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { blockAction, messageEvent, postSlack, signSlack, slackRequest, slackTs, type SlackUser } from '../../dev/simulate/slack.ts';
import type { SlackCall } from '../../dev/fakes/slack.ts';
import { inboxKey } from '../../core/store/inbox.ts';
import { slackActorId } from '../../adapters/slack/profile.ts';
import { attachTestCard } from '../../dev/simulate/payment.ts';
import { PROGRESS_REACTION_DELAY_MS } from '../../adapters/slack/send.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';

const h = useStack();
let users = 0;

const slackCalls = (method: string) => h.stack.fakeSlack!.calls.filter((c) => c.method === method && c.delivered);
const posts = (channel: string) => slackCalls('chat.postMessage').filter((c) => c.args.channel === channel);

function blocksOf(call: SlackCall | undefined): KnownBlock[] {
  return (call?.args.blocks ?? []) as KnownBlock[];
}

function buttons(call: SlackCall | undefined): Button[] {
  const out: Button[] = [];
  for (const block of blocksOf(call)) {
    if (block.type === 'section' && block.accessory?.type === 'button') out.push(block.accessory);
    if (block.type === 'actions') for (const e of block.elements) if (e.type === 'button') out.push(e);
  }
  return out;
}

/** A Slack user in their own DM with the app. */
function traveller(teamId = 'T0TEST') {
  const user: SlackUser = { teamId, userId: `U${++users}TEST` };
  const channel = `D${users}TEST`;
  return {
    user,
    channel,
    actorId: slackActorId(teamId, user.userId),
    async say(text: string, options: Parameters<typeof messageEvent>[1] extends infer O ? Partial<O> : never = {}) {
      const before = posts(options.channel ?? channel).length;
      const res = await postSlack(h.stack.url, slackRequest(messageEvent(user, { text, channel, ...options }), SIGNING_SECRET));
      expect(res.status).toBe(200);
      await h.stack.idle();
      const after = posts(options.channel ?? channel);
      expect(after.length).toBe(before + 1);
      return after.at(-1)!;
    },
    async click(message: SlackCall, actionIdPrefix: string, as: SlackUser = user) {
      const target = buttons(message).find((b) => b.action_id?.startsWith(actionIdPrefix));
      expect(target, `button ${actionIdPrefix}`).toBeDefined();
      const res = await postSlack(
        h.stack.url,
        slackRequest(
          blockAction(as, { actionId: target!.action_id!, ...(target!.value ? { value: target!.value } : {}), channel: String(message.args.channel), messageTs: `${Date.now() / 1000}` }),
          SIGNING_SECRET,
          { form: true },
        ),
      );
      expect(res.status).toBe(200);
      await h.stack.idle();
      return posts(String(message.args.channel)).at(-1)!;
    },
  };
}

async function attach(setupUrl: string) {
  expect((await attachTestCard(setupUrl)).status).toBe(200);
}

describe('the golden path in Slack', () => {
  it('search → Book → guest name → Set up payment → done → Yes → booked', async () => {
    const t = traveller();
    // Brek slower than the hourglass's delay: the search shows it (a quicker answer needs none).
    await h.faults({ endpoints: { sendEvent: { latencyMs: PROGRESS_REACTION_DELAY_MS + 500 } } });
    const list = await t.say('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable').finally(() => h.faults(null));
    expect(list.args.text).toContain('I found options matching your request in Las Vegas.');
    const sections = blocksOf(list).filter((b) => b.type === 'section');
    expect(sections[1]).toMatchObject({ text: { type: 'mrkdwn', text: expect.stringContaining('*1. Branding Iron Motel*') } });
    expect(JSON.stringify(sections[1])).toContain('$98.11/night · $110.26 total');
    const book = buttons(list)[0]!;
    expect(book).toMatchObject({ action_id: 'book_option:1', style: 'primary', text: { text: 'Book' } });
    expect(JSON.parse(book.value!)).toMatchObject({ o: t.actorId, l: 'Branding Iron Motel' });
    // Progress: an hourglass on the traveller's message while Brek works, removed after the reply.
    const mine = h.stack.fakeSlack!.calls.filter((c) => c.delivered && c.args.channel === t.channel);
    const added = mine.findIndex((c) => c.method === 'reactions.add');
    const removed = mine.findIndex((c) => c.method === 'reactions.remove');
    expect(added).toBeGreaterThanOrEqual(0);
    expect(added).toBeLessThan(mine.indexOf(list));
    expect(removed).toBeGreaterThan(mine.indexOf(list));
    // The timezone came from users.info and reached Brek at session creation.
    const session = [...h.stack.sandbox!.world.sessions.values()].find((s) => s.actor.actorId === t.actorId);
    expect(session?.actor.timezoneOffsetMinutes).toBe(-480);
    expect(session?.workspaceId).toBe('T0TEST');

    const guest = await t.click(list, 'book_option:1');
    expect(guest.args.text).toContain('guest name');
    const update = slackCalls('chat.update').at(-1);
    expect(update?.args).toMatchObject({ channel: t.channel, text: '⏳ Booking Branding Iron Motel…' });

    const setup = await t.say('John Doe');
    const setupButton = buttons(setup)[0]!;
    expect(setupButton).toMatchObject({ text: { text: 'Set up payment' }, style: 'primary' });
    expect(setupButton.url).toMatch(/\/portal\/payment\?token=psu_/);
    await attach(setupButton.url!);

    const consent = await t.say('done');
    expect(JSON.stringify(blocksOf(consent))).toContain('VISA •••• 4242 (exp 12/2030)');
    expect(buttons(consent).map((b) => [b.text.text, b.style])).toEqual([
      ['Yes, use this card', 'primary'],
      ['No', 'danger'],
    ]);

    const booked = await t.click(consent, 'confirm_payment_card');
    expect(booked.args.text).toMatch(/^Booked Branding Iron Motel\./);
    const fields = blocksOf(booked).find((b) => b.type === 'section' && 'fields' in b && b.fields);
    expect(JSON.stringify(fields)).toContain('$110.26');
    const [view, cancel] = buttons(booked);
    expect(view).toMatchObject({ text: { text: 'View booking' } });
    expect(view?.url).toMatch(/\/my-bookings\/[0-9a-f]{24}$/);
    expect(cancel).toMatchObject({ action_id: 'cancel_booking', style: 'danger', confirm: { title: { text: 'Cancel this booking?' } } });

    // Cancel it, through the confirm-dialog button.
    const cancelled = await t.click(booked, 'cancel_booking');
    expect(cancelled.args.text).toContain('Cancelled your booking at Branding Iron Motel');
  });

  it('scenario A: "done" before adding a card gives a new Set up payment link', async () => {
    const t = traveller();
    await t.say('seattle tomorrow');
    await t.say('book option 1');
    const first = buttons(await t.say('Jane Roe'))[0]!.url;
    const again = buttons(await t.say('done'))[0]!.url;
    expect(again).toMatch(/psu_/);
    expect(again).not.toBe(first);
  });

  it('scenarios B and C: a saved card goes straight to Yes/No; No stops the booking', async () => {
    const t = traveller();
    await t.say('boston tomorrow');
    await t.say('2');
    await attach(buttons(await t.say('Ann Lee'))[0]!.url!);
    await t.say('done');
    await t.say('yes');
    await t.say('boston tomorrow for 2 nights');
    await t.say('book option 1');
    const consent = await t.say('Ann Lee');
    expect(buttons(consent).map((b) => b.action_id)).toEqual(['confirm_payment_card', 'decline_payment']);
    const declined = await t.click(consent, 'decline_payment');
    expect(declined.args.text).toBe('No problem. I will not charge this card or continue this booking.');
    expect(buttons(declined)).toEqual([]);
  });
});

describe('exactly one reply', () => {
  it('the same event delivered 3 times (Slack retries) → 1 Brek event, 1 reply', async () => {
    const t = traveller();
    const event = messageEvent(t.user, { text: 'denver tomorrow', channel: t.channel });
    const statuses = [];
    for (const retryNum of [0, 1, 2]) {
      statuses.push((await postSlack(h.stack.url, slackRequest(event, SIGNING_SECRET, retryNum ? { retryNum } : {}))).status);
    }
    await h.stack.idle();
    expect(statuses).toEqual([200, 200, 200]);
    expect(posts(t.channel)).toHaveLength(1);
    const events = (await h.brekRequests()).filter((r) => r.text === 'denver tomorrow' && r.status === 200);
    expect(events).toHaveLength(1);
  });

  it('one message as message.im + app_mention, or retried with a new event id → 1 reply', async () => {
    const t = traveller();
    const ts = slackTs();
    const deliveries = [
      messageEvent(t.user, { text: '<@UBOT> austin tomorrow', channel: t.channel, ts }),
      messageEvent(t.user, { text: '<@UBOT> austin tomorrow', channel: t.channel, ts, type: 'app_mention' }),
      messageEvent(t.user, { text: '<@UBOT> austin tomorrow', channel: t.channel, ts }), // new event id
    ];
    await Promise.all(deliveries.map((d) => postSlack(h.stack.url, slackRequest(d, SIGNING_SECRET))));
    await h.stack.idle();
    expect(posts(t.channel)).toHaveLength(1);
    expect((await h.brekRequests()).filter((r) => r.text === 'austin tomorrow' && r.status === 200)).toHaveLength(1);
  });
});

describe('channels and threads', () => {
  it('a mention in a channel is answered in a thread; the traveller continues there without mentioning', async () => {
    const t = traveller();
    const channel = `C${users}CHAN`;
    const ts = slackTs();
    const first = await t.say('<@UBOT> miami tomorrow', { channel, ts, type: 'app_mention' });
    expect(first.args.thread_ts).toBe(ts);
    const next = await t.say('book option 1', { channel, threadTs: ts, channelType: 'channel' });
    expect(next.args.thread_ts).toBe(ts);
    expect(next.args.text).toContain('guest name');

    // Someone else chatting in that thread is not answered (and nothing reaches Brek).
    const other: SlackUser = { teamId: 'T0TEST', userId: `U${++users}OTHER` };
    const before = (await h.brekRequests()).length;
    await postSlack(h.stack.url, slackRequest(messageEvent(other, { text: 'nice, enjoy Miami', channel, threadTs: ts, channelType: 'channel' }), SIGNING_SECRET));
    await h.stack.idle();
    expect(posts(channel)).toHaveLength(2);
    expect((await h.brekRequests()).length).toBe(before);
    // A top-level channel message without a mention is not even stored.
    const chatter = messageEvent(other, { text: 'lunch?', channel, channelType: 'channel' });
    await postSlack(h.stack.url, slackRequest(chatter, SIGNING_SECRET));
    const key = inboxKey({ actorId: slackActorId('T0TEST', other.userId), conversationId: `${channel}:${(chatter.event as { ts: string }).ts}`, channelMessageId: String(chatter.event_id), dedupeKey: `msg:${channel}:${(chatter.event as { ts: string }).ts}` });
    expect(await h.stack.core.inbox.get(key)).toBeUndefined();
  });

  it('a click by someone other than the owner gets an ephemeral refusal and calls nothing', async () => {
    const t = traveller();
    const list = await t.say('seattle tomorrow');
    const updatesBefore = slackCalls('chat.update').length;
    const brekBefore = (await h.brekRequests()).length;
    const intruder: SlackUser = { teamId: 'T0TEST', userId: `U${++users}INTRUDER` };
    const book = buttons(list)[0]!;
    await postSlack(
      h.stack.url,
      slackRequest(blockAction(intruder, { actionId: book.action_id!, value: book.value!, channel: t.channel, messageTs: String(Date.now() / 1000) }), SIGNING_SECRET, { form: true }),
    );
    await h.stack.idle();
    const ephemeral = slackCalls('chat.postEphemeral').at(-1);
    expect(ephemeral?.args).toMatchObject({ channel: t.channel, user: intruder.userId });
    expect(String(ephemeral?.args.text)).toContain('belongs to someone else');
    expect(slackCalls('chat.update').length).toBe(updatesBefore);
    expect((await h.brekRequests()).length).toBe(brekBefore);
  });
});

describe('requests that are not turns', () => {
  const user: SlackUser = { teamId: 'T0TEST', userId: 'UIGNORED' };
  const post = (payload: Record<string, unknown>, options: Parameters<typeof slackRequest>[2] = {}) =>
    postSlack(h.stack.url, slackRequest(payload, SIGNING_SECRET, options));

  it('answers url_verification after verifying it', async () => {
    const res = await post({ type: 'url_verification', challenge: 'c-123', token: 'x' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('c-123');
    const unsigned = await fetch(`${h.stack.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"url_verification","challenge":"c"}' });
    expect(unsigned.status).toBe(401);
  });

  it('ignores bot messages, our own, edits, deletions, other subtypes and other events with 200', async () => {
    const before = slackCalls('chat.postMessage').length;
    const ignored = [
      messageEvent(user, { text: 'from a bot', extra: { bot_id: 'B1' } }),
      messageEvent({ teamId: 'T0TEST', userId: 'UBOT' }, { text: 'our own' }),
      messageEvent(user, { text: 'edited', extra: { subtype: 'message_changed' } }),
      messageEvent(user, { text: '', extra: { subtype: 'message_deleted' } }),
      messageEvent(user, { text: 'joined', extra: { subtype: 'channel_join' } }),
      { ...messageEvent(user, { text: 'x' }), event: { type: 'reaction_added', user: 'U1' } },
      { type: 'app_rate_limited', team_id: 'T0TEST', minute_rate_limited: 1 },
    ];
    for (const payload of ignored) expect((await post(payload)).status).toBe(200);
    await h.stack.idle();
    expect(slackCalls('chat.postMessage').length).toBe(before);
  });

  it('refuses malformed and unknown bodies with a clear 4xx', async () => {
    const signed = (body: string, type: string) =>
      fetch(`${h.stack.url}/slack/events`, { method: 'POST', headers: { 'content-type': type, ...signSlack(body, SIGNING_SECRET) }, body });
    expect((await signed('{"type":', 'application/json')).status).toBe(400);
    expect((await signed('{"type":"mystery"}', 'application/json')).status).toBe(400);
    expect((await signed('[1,2]', 'application/json')).status).toBe(400);
    expect((await signed('payload=%7Bnot-json', 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await signed('a=b', 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await signed('hello', 'text/plain')).status).toBe(415);
    expect((await signed('{"type":"url_verification","challenge":"ok"}', 'application/json; charset=utf-8')).status).toBe(200);
    const huge = await fetch(`${h.stack.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(1024 * 1024 + 1) });
    expect(huge.status).toBe(413);
  });
});

describe('forgeries', () => {
  const user: SlackUser = { teamId: 'T0TEST', userId: 'UFORGER' };
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, () => { headers: Record<string, string>; body: string }][] = [
    ['unsigned', () => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(messageEvent(user, { text: 'vegas tomorrow' })) })],
    ['wrong secret', () => slackRequest(messageEvent(user, { text: 'vegas tomorrow' }), 'not-the-secret')],
    ['stale (6 min old)', () => slackRequest(messageEvent(user, { text: 'vegas tomorrow' }), SIGNING_SECRET, { timestampSeconds: now - 360 })],
    ['future (6 min ahead)', () => slackRequest(messageEvent(user, { text: 'vegas tomorrow' }), SIGNING_SECRET, { timestampSeconds: now + 360 })],
    [
      'tampered body',
      () => {
        const signed = slackRequest(messageEvent(user, { text: 'vegas tomorrow' }), SIGNING_SECRET);
        return { ...signed, body: signed.body.replace('vegas', 'paris') };
      },
    ],
    ['garbage signature', () => ({ ...slackRequest(messageEvent(user, { text: 'x' }), SIGNING_SECRET), headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(now), 'x-slack-signature': 'v1=abc' } })],
  ];
  it.each(cases)('%s → 401, nothing stored, nothing forwarded', async (_name, build) => {
    const request = build();
    const brekBefore = (await h.brekRequests()).length;
    const res = await fetch(`${h.stack.url}/slack/events`, { method: 'POST', headers: request.headers, body: request.body });
    expect(res.status).toBe(401);
    await h.stack.idle();
    const payload = JSON.parse(request.body) as { event: { channel: string; ts: string }; event_id: string };
    const key = inboxKey({ actorId: slackActorId('T0TEST', 'UFORGER'), conversationId: payload.event.channel, channelMessageId: payload.event_id, dedupeKey: `msg:${payload.event.channel}:${payload.event.ts}` });
    expect(await h.stack.core.inbox.get(key)).toBeUndefined();
    expect((await h.brekRequests()).length).toBe(brekBefore);
  });
});

describe('non-ASCII end to end', () => {
  it('a hotel name with accents and emoji survives search, rendering and the Book button', async () => {
    const t = traveller();
    const list = await t.say('montréal tomorrow');
    expect(JSON.stringify(blocksOf(list))).toContain('Hôtel Château Étoile ✨🏨');
    const guest = await t.click(list, 'book_option:1');
    expect(guest.args.text).toContain('guest name');
    expect(slackCalls('chat.update').at(-1)?.args.text).toBe('⏳ Booking Hôtel Château Étoile ✨🏨…');
  });

  it('a base64 body through the Lambda handler is read as UTF-8 and verified', async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    Object.assign(process.env, {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-lambda-test',
      BREK_BASE_URL: h.stack.config.brek.baseUrl,
      BREK_PARTNER_API_KEY: 'brek_sandbox_dev_key',
      ACTOR_ID_SECRET: 'lambda-actor-secret-0123',
      AWS_ENDPOINT_URL_DYNAMODB: h.stack.config.dynamoEndpoint,
      TABLE_NAME: h.stack.config.tableName,
    });
    const { handler } = await import('../../functions/slack.ts');
    const user: SlackUser = { teamId: 'T0TEST', userId: 'ULAMBDA' };
    const payload = messageEvent(user, { text: 'Café ☕ in Zürich — Hôtel Château Étoile ✨🏨 please' });
    const request = slackRequest(payload, SIGNING_SECRET, {});
    const result = await handler({
      rawPath: '/slack/events',
      requestContext: { http: { method: 'POST', path: '/slack/events' } },
      headers: request.headers,
      body: Buffer.from(request.body, 'utf8').toString('base64'),
      isBase64Encoded: true,
    });
    expect(result.statusCode).toBe(200);
    const event = payload.event as { channel: string; ts: string };
    const stored = await h.stack.core.inbox.get(
      inboxKey({ actorId: slackActorId('T0TEST', 'ULAMBDA'), conversationId: event.channel, channelMessageId: String(payload.event_id), dedupeKey: `msg:${event.channel}:${event.ts}` }),
    );
    expect(stored?.input).toEqual({ type: 'text', text: 'Café ☕ in Zürich — Hôtel Château Étoile ✨🏨 please' });
  });
});

describe('Slack Web API limits', () => {
  it('a 429 on chat.postMessage is waited out (Retry-After) and the reply still goes once', async () => {
    const t = traveller();
    h.stack.fakeSlack!.fail({ method: 'chat.postMessage', status: 429, retryAfter: 1 });
    const started = Date.now();
    const reply = await t.say('orlando tomorrow');
    expect(reply.args.text).toContain('Orlando');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});
