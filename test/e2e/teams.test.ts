// Teams end to end through HTTP: real RS256 JWTs from a local Bot Framework (metadata + keys),
// the local stack's /teams/messages, the worker on dynalite, the sandbox, and a fake connector
// capturing what the SDK's client posts.
import { describe, expect, it } from 'vitest';
import { botAddedActivity, executeActivity, messageActivity, postActivity, refreshActivity, suggestedActionActivity, type SuggestedActionSent, type TeamsUser } from '../../dev/simulate/teams.ts';
import { inboxKey } from '../../core/store/inbox.ts';
import { teamsActorId } from '../../adapters/teams/profile.ts';
import { MESSAGES } from '../../core/wording.ts';
import { ACTION_WORDS, unpackButton } from '../../core/reply.ts';
import { attachTestCard } from '../../dev/simulate/payment.ts';
import { useStack } from '../support/stack.ts';

const h = useStack();
let users = 0;

type Card = { body?: unknown[]; actions?: Action[]; refresh?: { action?: Action; userIds?: string[] } };
type Action = { type: string; title?: string; verb?: string; data?: Record<string, string>; url?: string; style?: string; card?: Card };

const fake = () => h.stack.fakeTeams!;
/** A message as the traveller sees it in the conversation now: a reply replaces its placeholder. */
type Seen = { id: string; body: { text?: string; summary?: string; attachments?: unknown[]; suggestedActions?: { to?: string[]; actions: SuggestedActionSent[] } } };
const posts = (conversationId: string): Seen[] =>
  fake()
    .conversation(conversationId)
    .map((activity) => ({
      id: activity.id,
      body: {
        ...(activity.text !== undefined ? { text: activity.text } : {}),
        ...(activity.summary !== undefined ? { summary: activity.summary } : {}),
        ...(activity.attachments ? { attachments: activity.attachments } : {}),
        ...(activity.suggestedActions ? { suggestedActions: activity.suggestedActions } : {}),
      },
    }));

function cardOf(call: Seen | undefined): Card {
  const attachments = (call?.body.attachments ?? []) as { contentType: string; content: Card }[];
  return attachments.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content ?? {};
}

/** Every button on a card, nested containers and show-cards included (its refresh is no button). */
function actionsOf(card: Card): Action[] {
  const found: Action[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (typeof n.type === 'string' && n.type.startsWith('Action.')) found.push(n as unknown as Action);
    for (const [key, value] of Object.entries(n)) if (key !== 'refresh') walk(value);
  };
  walk(card);
  return found;
}

const chips = (message: Seen | undefined) => message?.body.suggestedActions?.actions ?? [];

/** A traveller in their personal chat with the bot, or (`group`) in a group chat with it and others. */
function traveller(tenantId = 'tenant-test', where: { group?: boolean } = {}) {
  const user: TeamsUser = { tenantId, aadObjectId: `aad-${++users}-user` };
  const conversationId = where.group ? `19:group-${users}@thread.v2` : `a:${user.aadObjectId}`;
  const place = where.group ? ({ conversationId, conversationType: 'groupChat', mention: true } as const) : { conversationId };
  const serviceUrl = () => fake().serviceUrl;
  const token = () => fake().signInbound({ serviceUrl: serviceUrl() });
  return {
    user,
    conversationId,
    actorId: teamsActorId(tenantId, user.aadObjectId),
    async say(text: string) {
      const before = posts(conversationId).length;
      const res = await postActivity(h.stack.url, messageActivity(user, text, { serviceUrl: serviceUrl(), ...place }), token());
      expect(res.status).toBe(200);
      await h.stack.idle();
      const after = posts(conversationId);
      expect(after.length).toBe(before + 1);
      return after.at(-1)!;
    },
    async click(message: Seen, verb: string, as: TeamsUser = user) {
      const action = actionsOf(cardOf(message)).find((a) => a.type === 'Action.Execute' && a.verb === verb);
      expect(action, `action ${verb}`).toBeDefined();
      const before = posts(conversationId).length;
      const res = await postActivity(h.stack.url, executeActivity(as, verb, action!.data, '1000000000001', { serviceUrl: serviceUrl(), ...place }), token());
      expect(res.status).toBe(200);
      const invokeAnswer = (await res.json()) as { statusCode: number; type: string; value: unknown };
      await h.stack.idle();
      return { invokeAnswer, reply: posts(conversationId).slice(before).at(-1) };
    },
    /** Taps the suggested action titled `title` under `message`, as `as` (the traveller). */
    async tap(message: Seen, title: string, as: TeamsUser = user) {
      const chip = chips(message).find((a) => a.title === title);
      expect(chip, `suggested action ${title}`).toBeDefined();
      const before = posts(conversationId).length;
      const res = await postActivity(h.stack.url, suggestedActionActivity(as, chip!, { serviceUrl: serviceUrl(), ...place }), token());
      expect(res.status).toBe(200);
      await h.stack.idle();
      const after = posts(conversationId);
      expect(after.length).toBe(before + 1);
      return after.at(-1)!;
    },
    /** Opens `message` as `as`: Teams asks the bot for the card as it stands (its refresh). */
    async open(message: Seen, as: TeamsUser) {
      const refresh = cardOf(message).refresh;
      expect(refresh?.action?.verb).toBe('refresh');
      const res = await postActivity(h.stack.url, refreshActivity(as, refresh!, { serviceUrl: serviceUrl(), ...place }), token());
      expect(res.status).toBe(200);
      return (await res.json()) as { statusCode: number; type: string; value: Card };
    },
  };
}

async function attach(setupUrl: string) {
  expect((await attachTestCard(setupUrl)).status).toBe(200);
}

describe('the golden path in Teams', () => {
  it('search → Book → guest name → Set up payment → done → Yes → booked, with Adaptive Cards', async () => {
    const t = traveller();
    const list = await t.say('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable');
    expect(list.body.summary).toContain('I found options matching your request in Las Vegas.');
    const card = cardOf(list);
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    expect(JSON.stringify(card)).toContain('1. Branding Iron Motel');
    expect(JSON.stringify(card)).toContain('$110.26');
    const [book] = actionsOf(card).filter((a) => a.verb === 'book_option');
    expect(book).toMatchObject({ type: 'Action.Execute', title: 'Book', style: 'positive', data: { a: 'book_option', o: t.actorId, l: 'Branding Iron Motel' } });
    expect(actionsOf(card).find((a) => a.type === 'Action.OpenUrl' && a.title === 'Details')?.url).toMatch(/\/book\/hotel\//);
    // A placeholder went out before the Brek call and the reply replaced it (one message, updated);
    // every call carried a token we issued.
    const calls = fake().calls.filter((c) => c.conversationId === t.conversationId);
    // The placeholder says what the turn is doing.
    expect(calls.find((c) => c.method === 'POST')?.body.text).toBe('⏳ Searching hotels…');
    // The card is the message: a short summary for notifications, no text repeating it above the card.
    expect(list.body.text).toBeUndefined();
    expect(list.body.summary!.length).toBeLessThanOrEqual(200);
    expect(calls.find((c) => c.method === 'PUT')?.activityId).toBe(calls.find((c) => c.method === 'POST')?.id);
    expect(fake().calls.filter((c) => c.conversationId === t.conversationId).every((c) => c.authorized)).toBe(true);
    // The timezone came from the activity's localTimestamp, the zone from its localTimezone.
    const session = [...h.stack.sandbox!.world.sessions.values()].find((s) => s.actor.actorId === t.actorId);
    expect(session?.actor.timezoneOffsetMinutes).toBe(-480);
    expect((await h.stack.core.threads.get({ actorId: t.actorId, conversationId: t.conversationId }))?.timeZone).toBe('America/Los_Angeles');

    const { invokeAnswer, reply: guest } = await t.click(list, 'book_option');
    expect(invokeAnswer).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(JSON.stringify(invokeAnswer.value)).toContain('⏳ Booking Branding Iron Motel…');
    expect(guest?.body.summary).toContain('guest name');

    const setup = await t.say('John Doe');
    const setupAction = actionsOf(cardOf(setup)).find((a) => a.title === 'Set up payment');
    expect(setupAction).toMatchObject({ type: 'Action.OpenUrl', style: 'positive' });
    await attach(setupAction!.url!);

    // "Done" is a suggestion under the setup link; the yes/no, suggestions in place of card buttons.
    expect(chips(setup).map((a) => a.title)).toEqual(['Done']);
    const consent = await t.say('done');
    expect(JSON.stringify(cardOf(consent))).toContain('VISA •••• 4242');
    expect(actionsOf(cardOf(consent))).toEqual([]);
    expect(chips(consent).map((a) => a.title)).toEqual(['Yes, use this card', 'No']);

    const booked = await t.tap(consent, 'Yes, use this card');
    expect(booked?.body.summary).toMatch(/^Booked Branding Iron Motel\./);
    const bookedActions = actionsOf(cardOf(booked));
    expect(bookedActions.find((a) => a.title === 'View booking')?.url).toMatch(/\/my-bookings\/[0-9a-f]{24}$/);
    expect(bookedActions.find((a) => a.type === 'Action.ShowCard')).toMatchObject({ title: 'Cancel booking' });
    const { reply: cancelled } = await t.click(booked, 'cancel_booking');
    expect(cancelled?.body.summary).toContain('Cancelled your booking at Branding Iron Motel');
  });

  it('scenario A: "done" before adding a card gives a new setup link', async () => {
    const t = traveller();
    await t.say('seattle tomorrow');
    await t.say('book option 1');
    const url = (call: Seen) => actionsOf(cardOf(call)).find((a) => a.title === 'Set up payment')?.url;
    const first = url(await t.say('Jane Roe'));
    const again = url(await t.say('done'));
    expect(again).toMatch(/psu_/);
    expect(again).not.toBe(first);
  });

  it('scenarios B and C: a saved card goes straight to Yes/No; No stops the booking', async () => {
    const t = traveller();
    await t.say('boston tomorrow');
    await t.say('1');
    await attach(actionsOf(cardOf(await t.say('Ann Lee'))).find((a) => a.title === 'Set up payment')!.url!);
    await t.say('done');
    await t.say('yes');
    await t.say('boston tomorrow for 2 nights');
    await t.say('book option 1');
    const consent = await t.say('Ann Lee');
    expect(chips(consent).map((a) => a.title)).toEqual(['Yes, use this card', 'No']);
    const reply = await t.tap(consent, 'No');
    expect(reply.body.summary).toBe('No problem. I will not charge this card or continue this booking.');
    expect(actionsOf(cardOf(reply))).toEqual([]);
    expect(chips(reply)).toEqual([]);
  });
});

describe('exactly once, and who may click', () => {
  it('the same activity delivered 3 times → 1 Brek event, 1 reply; a retried invoke gets the same answer', async () => {
    const t = traveller();
    const activity = messageActivity(t.user, 'denver tomorrow', { serviceUrl: fake().serviceUrl });
    for (let i = 0; i < 3; i++) expect((await postActivity(h.stack.url, activity, fake().signInbound({ serviceUrl: fake().serviceUrl }))).status).toBe(200);
    await h.stack.idle();
    expect(posts(t.conversationId)).toHaveLength(1);
    expect((await h.brekRequests()).filter((r) => r.text === 'denver tomorrow' && r.status === 200)).toHaveLength(1);

    const list = posts(t.conversationId)[0]!;
    const book = actionsOf(cardOf(list)).find((a) => a.verb === 'book_option')!;
    const invoke = executeActivity(t.user, 'book_option', book.data, '1000000000002', { serviceUrl: fake().serviceUrl, conversationId: t.conversationId });
    const answers = [];
    for (let i = 0; i < 2; i++) answers.push(await (await postActivity(h.stack.url, invoke, fake().signInbound({ serviceUrl: fake().serviceUrl }))).json());
    await h.stack.idle();
    expect(answers[1]).toEqual(answers[0]);
    expect(posts(t.conversationId)).toHaveLength(2);
  });

  it('a click by someone else is refused in the invoke answer and nothing is stored or sent', async () => {
    const t = traveller();
    const list = await t.say('seattle tomorrow');
    const before = (await h.brekRequests()).length;
    const intruder: TeamsUser = { tenantId: 'tenant-test', aadObjectId: 'aad-intruder' };
    const book = actionsOf(cardOf(list)).find((a) => a.verb === 'book_option')!;
    const res = await postActivity(h.stack.url, executeActivity(intruder, 'book_option', book.data, '1', { serviceUrl: fake().serviceUrl, conversationId: t.conversationId }), fake().signInbound({ serviceUrl: fake().serviceUrl }));
    expect(await res.json()).toEqual({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: MESSAGES.notYourButton });
    await h.stack.idle();
    expect(posts(t.conversationId)).toHaveLength(1);
    expect((await h.brekRequests()).length).toBe(before);
  });

  it('a channel mention is answered with the mention stripped; the bot joining a personal chat says hello', async () => {
    const t = traveller();
    const channel = '19:general@thread.tacv2;messageid=1700000000001';
    const before = posts(channel).length;
    await postActivity(h.stack.url, messageActivity(t.user, 'austin tomorrow', { serviceUrl: fake().serviceUrl, conversationId: channel, conversationType: 'channel', mention: true }), fake().signInbound({ serviceUrl: fake().serviceUrl }));
    await h.stack.idle();
    expect(posts(channel).length).toBe(before + 1);
    expect((await h.brekRequests()).some((r) => r.text === 'austin tomorrow')).toBe(true);

    const newcomer = traveller();
    await postActivity(h.stack.url, botAddedActivity(newcomer.user, { serviceUrl: fake().serviceUrl }), fake().signInbound({ serviceUrl: fake().serviceUrl }));
    await h.stack.idle();
    expect(posts(newcomer.conversationId).at(-1)?.body.summary).toBe(MESSAGES.welcome);
  });
});

describe('forgeries', () => {
  const user: TeamsUser = { tenantId: 'tenant-test', aadObjectId: 'aad-forger' };
  const cases: [string, (serviceUrl: string) => string | undefined][] = [
    ['unsigned', () => undefined],
    ['forged (a key Microsoft does not publish)', (s) => fake().signInbound({ serviceUrl: s, foreignKey: true })],
    ['wrong audience', (s) => fake().signInbound({ serviceUrl: s, audience: 'someone-elses-bot' })],
    ['wrong issuer', (s) => fake().signInbound({ serviceUrl: s, issuer: 'https://evil.example' })],
    ['Entra issuer (skips the serviceurl check in the SDK)', (s) => fake().signInbound({ serviceUrl: s, issuer: 'https://login.microsoftonline.com/tenant-test/v2.0' })],
    ['expired', (s) => fake().signInbound({ serviceUrl: s, expiresInSeconds: -600 })],
    ['serviceUrl mismatch', () => fake().signInbound({ serviceUrl: 'https://smba.trafficmanager.net/amer/' })],
    ['no serviceurl claim', (s) => fake().signInbound({ serviceUrl: s, omitServiceUrl: true })],
  ];
  it.each(cases)('%s → 401, nothing stored', async (_name, token) => {
    const activity = messageActivity(user, 'vegas tomorrow', { serviceUrl: fake().serviceUrl });
    const res = await postActivity(h.stack.url, activity, token(fake().serviceUrl));
    expect(res.status).toBe(401);
    const key = inboxKey({ actorId: teamsActorId('tenant-test', 'aad-forger'), conversationId: `a:aad-forger`, channelMessageId: String(activity.id) });
    expect(await h.stack.core.inbox.get(key)).toBeUndefined();
  });

  it('an activity without a serviceUrl is refused', async () => {
    const activity = messageActivity(user, 'hi', { serviceUrl: fake().serviceUrl });
    delete activity.serviceUrl;
    expect((await postActivity(h.stack.url, activity, fake().signInbound({ serviceUrl: fake().serviceUrl }))).status).toBe(401);
  });
});

describe('the connector allowlist', () => {
  it('a serviceUrl outside the allowlist gets no token and the turn is marked failed', async () => {
    const { startStack } = await import('../../dev/stack.ts');
    const { createLogger, memorySink } = await import('../../core/log.ts');
    const logs = memorySink();
    // A stack whose allowlist is Teams' public connector only: the fake connector on 127.0.0.1 is not on it.
    const strict = await startStack({
      dataDir: 'memory',
      logger: createLogger({ sink: logs.sink }),
      env: { PORT: '0', TEAMS_CONNECTOR_HOSTS: 'smba.trafficmanager.net', ACTOR_ID_SECRET: 'test-actor-secret-0123456789', SLACK_SIGNING_SECRET: 'x'.repeat(20) },
    });
    try {
      const fakeTeams = strict.fakeTeams!;
      const user: TeamsUser = { tenantId: 'tenant-test', aadObjectId: 'aad-allowlist' };
      const activity = messageActivity(user, 'vegas tomorrow', { serviceUrl: fakeTeams.serviceUrl });
      expect((await postActivity(strict.url, activity, fakeTeams.signInbound({ serviceUrl: fakeTeams.serviceUrl }))).status).toBe(200);
      await strict.idle();
      expect(fakeTeams.tokensIssued).toBe(0);
      expect(fakeTeams.calls).toHaveLength(0);
      const record = await strict.core.inbox.get(inboxKey({ actorId: teamsActorId('tenant-test', 'aad-allowlist'), conversationId: 'a:aad-allowlist', channelMessageId: String(activity.id) }));
      expect(record?.state).toBe('failed');
      expect(record?.lastError).toContain('is not an allowed Teams connector');
    } finally {
      await strict.close();
    }
  });

  it('connector 429s are retried (Retry-After honoured) and the reply still goes once', async () => {
    const t = traveller();
    fake().fail({ status: 429, retryAfter: 1 });
    const reply = await t.say('orlando tomorrow');
    expect(reply.body.summary).toContain('Orlando');
  });
});

describe('issue 21: suggested actions in a personal chat, refreshed cards, group chats as before', () => {
  it('a booking with only suggested actions for the steps Teams suggests: a sample search, "Done", Yes', async () => {
    const t = traveller();
    await postActivity(h.stack.url, botAddedActivity(t.user, { serviceUrl: fake().serviceUrl }), fake().signInbound({ serviceUrl: fake().serviceUrl }));
    await h.stack.idle();
    const welcome = posts(t.conversationId).at(-1)!;
    expect(chips(welcome).map((a) => a.title)).toEqual(ACTION_WORDS.samples);
    // Each chip is for the traveller only, and carries its owner.
    expect(welcome.body.suggestedActions?.to).toEqual([`29:${t.user.aadObjectId}`]);
    expect(chips(welcome).every((a) => a.type === 'messageBack' && unpackButton(a.value)?.ownerActorId === t.actorId)).toBe(true);

    const list = await t.tap(welcome, ACTION_WORDS.samples[0]);
    expect(fake().calls.filter((c) => c.conversationId === t.conversationId && c.method === 'POST').at(-1)?.body.text).toBe('⏳ Searching hotels in Las Vegas…');
    expect((await h.brekRequests()).some((r) => r.text === ACTION_WORDS.samples[0])).toBe(true);
    // The welcome was not retired for the tap: a suggestion has no card.
    expect(posts(t.conversationId).find((p) => p.id === welcome.id)?.body.summary).toBe(MESSAGES.welcome);
    expect(chips(list)).toEqual([]);

    const { reply: guest } = await t.click(list, 'book_option');
    expect(guest?.body.summary).toContain('guest name');
    const setup = await t.say('Kim Park');
    expect(chips(setup).map((a) => [a.type, a.title, a.text])).toEqual([['messageBack', 'Done', 'Done']]);
    await attach(actionsOf(cardOf(setup)).find((a) => a.title === 'Set up payment')!.url!);

    const consent = await t.tap(setup, 'Done');
    expect(JSON.stringify(cardOf(consent))).toContain('VISA •••• 4242');
    expect(chips(consent).map((a) => [a.title, a.text, a.displayText])).toEqual([
      ['Yes, use this card', 'yes', 'Yes, use this card'],
      ['No', 'no', 'No'],
    ]);
    const booked = await t.tap(consent, 'Yes, use this card');
    expect(booked.body.summary).toMatch(/^Booked /);
    expect(cardOf(booked).refresh?.userIds).toEqual([`29:${t.user.aadObjectId}`]);
  });

  it('a suggestion carrying someone else’s button is refused by its owner check, and Brek is not asked', async () => {
    const t = traveller();
    await t.say('boston tomorrow');
    await t.say('1');
    const setup = await t.say('Lee Ann');
    const done = chips(setup).find((a) => a.title === 'Done')!;
    const intruder: TeamsUser = { tenantId: 'tenant-test', aadObjectId: 'aad-intruder-2' };
    const before = (await h.brekRequests()).length;
    const res = await postActivity(h.stack.url, suggestedActionActivity(intruder, done, { serviceUrl: fake().serviceUrl, conversationId: t.conversationId }), fake().signInbound({ serviceUrl: fake().serviceUrl }));
    expect(res.status).toBe(200);
    await h.stack.idle();
    expect((await h.brekRequests()).length).toBe(before);
    expect(posts(t.conversationId).at(-1)?.body.summary).toBe(MESSAGES.notYourButton);
    // An imBack (the text alone) is the traveller's own message: "done" from the owner goes on.
    const again = await t.tap({ ...setup, body: { ...setup.body, suggestedActions: { actions: [{ type: 'imBack', title: 'Done', value: 'done' }] } } }, 'Done');
    expect(again.body.summary).toBeDefined();
  });

  it('in a group chat the card keeps its buttons; a booked card opened later shows it booked, then cancelled', async () => {
    const t = traveller('tenant-test', { group: true });
    const colleague: TeamsUser = { tenantId: 'tenant-test', aadObjectId: 'aad-colleague' };
    const list = await t.say('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable');
    const { reply: guest } = await t.click(list, 'book_option');
    expect(guest?.body.summary).toContain('guest name');
    const setup = await t.say('Sam Doe');
    expect(chips(setup)).toEqual([]);
    expect(actionsOf(cardOf(setup)).map((a) => a.title)).toEqual(['Set up payment', 'Done']);
    await attach(actionsOf(cardOf(setup)).find((a) => a.title === 'Set up payment')!.url!);
    const consent = await t.say('done');
    expect(chips(consent)).toEqual([]);
    expect(actionsOf(cardOf(consent)).map((a) => a.verb)).toEqual(['confirm_payment_card', 'decline_payment']);
    // Still open: whoever opens the consent card sees it as it was.
    expect((await t.open(consent, colleague)).value.actions).toEqual(cardOf(consent).actions);

    const { reply: booked } = await t.click(consent, 'confirm_payment_card');
    const brekBefore = (await h.brekRequests()).length;
    // The consent card, opened after the booking, says the payment went through.
    expect(JSON.stringify((await t.open(consent, colleague)).value)).toContain('This payment was confirmed');
    // The booked card, opened by a colleague: booked still, drawn as it was (its refresh kept).
    const seenBooked = await t.open(booked!, colleague);
    expect(seenBooked).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(seenBooked.value.body).toEqual(cardOf(booked).body);
    expect(seenBooked.value.refresh?.userIds).toEqual([`29:${colleague.aadObjectId}`]);

    const { reply: cancelled } = await t.click(booked!, 'cancel_booking');
    expect(cancelled?.body.summary).toContain('Cancelled your booking');
    const seenCancelled = await t.open(booked!, colleague);
    expect(JSON.stringify(seenCancelled.value)).toMatch(/❌ This booking at Branding Iron Motel \(booking \w+\) was cancelled\./);
    expect(actionsOf(seenCancelled.value)).toEqual([]);
    // Opening cards asked Brek nothing.
    expect((await h.brekRequests()).filter((r) => r.status === 200).length).toBe(brekBefore + 1);
  });

  it('a refresh for a card of another tenant, or not ours, is answered without reading anything', async () => {
    const t = traveller();
    const stranger: TeamsUser = { tenantId: 'tenant-other', aadObjectId: 'aad-stranger' };
    const forged = { action: { verb: 'refresh', data: { a: 'refresh', o: t.actorId, r: JSON.stringify({ status: 'booked', messageText: 'x', artifacts: {} }) } } };
    const res = await postActivity(h.stack.url, refreshActivity(stranger, forged, { serviceUrl: fake().serviceUrl, conversationId: t.conversationId }), fake().signInbound({ serviceUrl: fake().serviceUrl }));
    expect(await res.json()).toEqual({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'That card is not one of mine.' });
  });
});

describe('the fake connector and suggested actions', () => {
  async function postToConnector(body: Record<string, unknown>): Promise<Response> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: fake().appId, client_secret: fake().appPassword, scope: 'https://api.botframework.com/.default' });
    const { access_token: token } = (await (await fetch(fake().tokenUrl, { method: 'POST', body: form })).json()) as { access_token: string };
    return fetch(`${fake().serviceUrl}v3/conversations/a%3Aaad-fake-check/activities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ type: 'message', text: 'pick one', ...body }),
    });
  }
  const chip = (title: string) => ({ type: 'imBack', title, value: title });

  it('keeps up to three imBack / messageBack suggestions, and refuses more, other types, or ones without a title', async () => {
    const ok = await postToConnector({ suggestedActions: { to: ['29:aad-fake-check'], actions: [chip('A'), { type: 'messageBack', title: 'B', text: 'b', value: { a: 'say' } }, chip('C')] } });
    expect(ok.status).toBe(201);
    expect(fake().conversation('a:aad-fake-check').at(-1)?.suggestedActions?.actions.map((a) => a.title)).toEqual(['A', 'B', 'C']);
    const refused: Record<string, unknown>[] = [
      { actions: [chip('A'), chip('B'), chip('C'), chip('D')] },
      { actions: [{ type: 'openUrl', title: 'Site', value: 'https://example.com' }] },
      { actions: [{ type: 'imBack', value: 'x' }] },
      { actions: [{ type: 'imBack', title: 'x' }] },
      { actions: 'A, B' },
    ];
    for (const suggestedActions of refused) {
      const res = await postToConnector({ suggestedActions });
      expect(res.status, JSON.stringify(suggestedActions)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BadArgument');
    }
  });
});
