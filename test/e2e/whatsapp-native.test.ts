// Issue 21 on WhatsApp, end to end through the local stack: list pickers and quick replies sent
// through the fake Twilio's Content API (resources made once per shape, their SIDs in the table),
// tapped as Twilio posts the taps (ListId / ButtonPayload), owner-bound; the plain-text fallbacks;
// the typing indicator; status callbacks the fake posts, recorded on the turn, a failed one
// counted and traced; approved templates after the 24-hour window; the zone from the number.
import { createHmac } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inboxKey } from '../../core/store/inbox.ts';
import { describe, expect, it } from 'vitest';
import { inboundMessage, postTwilio, tapReply, type WhatsAppUser } from '../../dev/simulate/whatsapp.ts';
import { attachTestCard } from '../../dev/simulate/payment.ts';
import type { TwilioMessage } from '../../dev/fakes/twilio.ts';
import { whatsappActorId } from '../../adapters/whatsapp/profile.ts';
import { CONTENT_PK } from '../../adapters/whatsapp/content.ts';
import { timeZoneOfNumber } from '../../adapters/whatsapp/timezone.ts';
import { traceTurns } from '../../core/ops/trace.ts';
import { METRIC, type BridgeMetrics, type MetricName } from '../../core/metrics.ts';
import { MESSAGES } from '../../core/wording.ts';
import { ACTION_WORDS } from '../../core/reply.ts';
import { useStack } from '../support/stack.ts';

const added: { name: MetricName; dimensions?: Record<string, string> }[] = [];
const metrics: BridgeMetrics = { add: (name, _value, dimensions) => void added.push({ name, ...(dimensions ? { dimensions } : {}) }), flush: () => undefined };
const h = useStack({}, { metrics, brek: { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 2_000 } } });
const SECRET = 'test-actor-secret-0123456789';
let users = 0;

const twilio = () => h.stack.fakeTwilio!;
/** The stored key of a message, as the normaliser derives it (the number only ever hashed). */
function keyOf(phone: string, messageSid: string) {
  const conversationId = `wa:${createHmac('sha256', SECRET).update(`${h.stack.whatsapp.from}|whatsapp:${phone}`).digest('hex').slice(0, 32)}`;
  return inboxKey({ actorId: whatsappActorId(phone, SECRET), conversationId, channelMessageId: messageSid });
}
const webhook = () => h.stack.whatsapp.webhookUrl;
const fromUs = (phone: string) => twilio().messages.filter((m) => m.to === `whatsapp:${phone}` && m.delivered);
const setupLink = (text: string) => /(https?:\/\/\S+\/portal\/payment\?token=psu_\S+)/.exec(text)?.[1];

/** Resolves once every status callback the fake has to post for these messages was answered. */
async function callbacksSettled(sids: string[], statuses: string[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (sids.every((sid) => statuses.every((status) => twilio().callbacks.some((c) => c.sid === sid && c.status === status)))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`status callbacks ${statuses.join(', ')} not all posted`);
}

function traveller(phone = `+1415556${String(1000 + ++users).padStart(4, '0')}`) {
  const user: WhatsAppUser = { phone };
  const post = async (params: Record<string, string>) => {
    const before = fromUs(user.phone).length;
    twilio().received(`whatsapp:${user.phone}`);
    const res = await postTwilio(webhook(), webhook(), twilio().authToken, params);
    expect(res.status).toBe(200);
    await h.stack.idle();
    return { params, sent: fromUs(user.phone).slice(before) };
  };
  return {
    user,
    actorId: () => whatsappActorId(user.phone, SECRET),
    say: (text: string) => post(inboundMessage(user, h.stack.whatsapp.from, text)),
    /** Taps a choice of the latest message that offers any. */
    tap: (choice: number | string, on?: TwilioMessage) => {
      const message = on ?? fromUs(user.phone).filter((m) => m.interactive).at(-1);
      if (!message) throw new Error('no message with choices');
      return post(tapReply(user, h.stack.whatsapp.from, message, choice));
    },
  };
}

const text = (sent: TwilioMessage[]) => sent.map((m) => m.body).join('\n');

describe('a booking with only the new controls', () => {
  it('list pick → name → "Done" quick reply → "Yes, use this card" quick reply → booked', async () => {
    const t = traveller();
    const list = await t.say('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable');
    const picker = list.sent.find((m) => m.interactive?.type === 'list');
    expect(picker?.contentSid).toMatch(/^HX[0-9a-f]{32}$/);
    expect(picker?.interactive).toMatchObject({ type: 'list', button: 'Choose a hotel' });
    const items = picker?.interactive?.type === 'list' ? picker.interactive.items : [];
    expect(items[0]).toMatchObject({ item: '1. Branding Iron Motel', description: expect.stringContaining('$98.11/night') });
    for (const item of items) {
      expect(item.item.length).toBeLessThanOrEqual(24);
      expect(item.description.length).toBeLessThanOrEqual(72);
      expect(item.id.length).toBeLessThanOrEqual(200);
    }
    // Numbers still work: the text says so, as before.
    expect(text(list.sent)).toMatch(/_Reply with a number \(1–\d\) to book\._$/);

    const name = await t.tap(0);
    expect(text(name.sent)).toContain('guest name');
    const setup = await t.say('John Doe');
    const done = setup.sent.find((m) => m.interactive?.type === 'quick');
    expect(done?.interactive).toEqual({ type: 'quick', buttons: [{ id: expect.any(String), title: ACTION_WORDS.setupDone }] });
    expect((await attachTestCard(setupLink(text(setup.sent))!)).status).toBe(200);

    const consent = await t.tap(ACTION_WORDS.setupDone);
    const yesNo = consent.sent.find((m) => m.interactive?.type === 'quick');
    expect(yesNo?.interactive?.type === 'quick' && yesNo.interactive.buttons.map((b) => b.title)).toEqual([ACTION_WORDS.confirmCard, ACTION_WORDS.declineCard]);
    expect(yesNo?.body).toMatch(/Reply \*YES\* to pay with VISA •••• 4242, or \*NO\*\.$/);

    const booked = await t.tap(ACTION_WORDS.confirmCard);
    expect(text(booked.sent)).toMatch(/^Booked Branding Iron Motel\./);

    // The taps became Brek's explicit actions; "Done" went as the traveller's words.
    const requests = (await h.brekRequests()).filter((r) => r.sessionId && r.status === 200);
    expect(requests.map((r) => r.kind)).toEqual(expect.arrayContaining(['action_book_option', 'action_confirm_payment_card']));
    expect(requests.some((r) => r.text === ACTION_WORDS.setupDone)).toBe(true);
    // WhatsApp's typing indicator was shown on each of the traveller's messages while Brek worked.
    const typedFor = new Set(twilio().typing.map((t) => t.messageId));
    for (const step of [list, name, setup, consent, booked]) expect(typedFor.has(step.params.MessageSid!)).toBe(true);
  });

  it('one Content resource per shape, made once and its SID kept in the table', async () => {
    const before = twilio().contents.size;
    const a = traveller();
    const b = traveller();
    await a.say('seattle tomorrow');
    await b.say('seattle tomorrow');
    const sa = fromUs(a.user.phone).find((m) => m.interactive?.type === 'list')!;
    const sb = fromUs(b.user.phone).find((m) => m.interactive?.type === 'list')!;
    expect(sa.contentSid).toBe(sb.contentSid);
    expect(twilio().contents.size).toBeLessThanOrEqual(before + 1);
    const shape = `list:${sa.interactive?.type === 'list' ? sa.interactive.items.length : 0}`;
    const item = await h.stack.core.db.send(new GetCommand({ TableName: h.stack.config.tableName, Key: { pk: CONTENT_PK, sk: `CONTENT#${shape}` } }));
    expect(item.Item?.contentSid).toBe(sa.contentSid);
    // The variables name no number: only hashed owners and the reply's words.
    expect(JSON.stringify(sa.contentVariables)).not.toContain(a.user.phone);
  });
});

describe('Content resources when two workers race', () => {
  it('both use the first one stored; the other is deleted at Twilio', async () => {
    const { twilioClient } = await import('../../adapters/whatsapp/send.ts');
    const { ContentCatalog } = await import('../../adapters/whatsapp/content.ts');
    const client = () => twilioClient({ accountSid: twilio().accountSid, authToken: twilio().authToken, apiUrl: twilio().url });
    // Two processes: each its own client and catalog, one table. No shortlist here has 7 options.
    const [a, b] = [new ContentCatalog(client(), h.stack.core.db, h.stack.config.tableName), new ContentCatalog(client(), h.stack.core.db, h.stack.config.tableName)];
    const before = new Set(twilio().contents.keys());
    const [sa, sb] = await Promise.all([a.sidFor('list:7'), b.sidFor('list:7')]);
    expect(sa).toBe(sb);
    const made = [...twilio().contents.keys()].filter((sid) => !before.has(sid));
    expect(made).toEqual([sa]);
    // Read once, then known: no second lookup creates anything.
    expect(await a.sidFor('list:7')).toBe(sa);
    expect(twilio().contents.size).toBe(before.size + 1);
  });
});

describe('owner binding', () => {
  it('a list item of someone else’s shortlist is refused, and Brek books nothing', async () => {
    const owner = traveller();
    await owner.say('seattle tomorrow');
    const picker = fromUs(owner.user.phone).find((m) => m.interactive?.type === 'list')!;
    const other = traveller();
    const booksBefore = (await h.brekRequests()).filter((r) => r.kind === 'action_book_option').length;
    const refused = await other.tap(0, picker);
    expect(text(refused.sent)).toContain(MESSAGES.notYourButton);
    expect((await h.brekRequests()).filter((r) => r.kind === 'action_book_option').length).toBe(booksBefore);
  });

  it('a quick-reply payload that is not ours is read as the words it shows', async () => {
    const t = traveller();
    const params = inboundMessage(t.user, h.stack.whatsapp.from, 'seattle tomorrow', { MessageType: 'button', ButtonText: 'seattle tomorrow', ButtonPayload: 'some-other-apps-id' });
    const answer = await (async () => {
      const before = fromUs(t.user.phone).length;
      await postTwilio(webhook(), webhook(), twilio().authToken, params);
      await h.stack.idle();
      return text(fromUs(t.user.phone).slice(before));
    })();
    expect(answer).toContain('Seattle');
  });
});

describe('plain-text fallbacks', () => {
  it('a ContentSid Twilio no longer knows (21655): the same words as text, and the resource made again next time', async () => {
    const t = traveller();
    await t.say('denver tomorrow');
    const first = fromUs(t.user.phone).find((m) => m.interactive?.type === 'list')!;
    twilio().contents.delete(first.contentSid!);
    const again = await t.say('denver tomorrow');
    const refused = twilio().messages.filter((m) => m.to === `whatsapp:${t.user.phone}` && m.fault === 'refuse:21655');
    expect(refused).toHaveLength(1);
    // The refused message went as plain text, with the same words.
    const plain = again.sent.at(-1)!;
    expect(plain.interactive).toBeUndefined();
    expect(plain.body).toMatch(/_Reply with a number \(1–\d\) to book\._$/);
    const third = await t.say('denver tomorrow');
    const picker = third.sent.find((m) => m.interactive?.type === 'list');
    expect(picker?.contentSid).toMatch(/^HX/);
    expect(picker?.contentSid).not.toBe(first.contentSid);
  });

  it('variables Twilio refuses (21656): text; the Content API down: text; WHATSAPP_CONTENT_API=off: text', async () => {
    const t = traveller();
    // A shape not made yet, while the Content API fails: the text goes, nothing is cached.
    const { WhatsAppSender, twilioClient } = await import('../../adapters/whatsapp/send.ts');
    const { ContentCatalog } = await import('../../adapters/whatsapp/content.ts');
    const { textReply } = await import('../../core/reply.ts');
    const client = twilioClient({ accountSid: twilio().accountSid, authToken: twilio().authToken, apiUrl: twilio().url });
    const catalog = new ContentCatalog(client, h.stack.core.db, `${h.stack.config.tableName}`);
    const sender = new WhatsAppSender(client, h.stack.whatsapp.from, undefined, Date.now, { content: catalog });
    // Three suggestions: a shape nothing in this stack has made yet.
    const reply = textReply('whatsapp:owner', 'bridge_help', 'Three choices', ['first', 'second', 'third']);
    const [part] = sender.compose(reply);
    expect(part?.interactive?.shape).toBe('quick:3');
    twilio().fail({ kind: 'refuse', status: 503, method: 'content.create' });
    const record = { reference: { to: `whatsapp:${t.user.phone}` }, receivedAt: new Date().toISOString(), channelMessageId: 'x' } as unknown as Parameters<typeof sender.post>[1]['record'];
    const sid = await sender.post(part!, { record, index: 0, tag: 't.0', since: Date.now() });
    expect(twilio().messages.find((m) => m.sid === sid)).toMatchObject({ body: part!.body });
    expect(twilio().messages.find((m) => m.sid === sid)?.contentSid).toBeUndefined();
    // Not remembered: the next message makes the resource and uses it.
    const next = await sender.post(part!, { record, index: 0, tag: 't.0', since: Date.now() });
    expect(twilio().messages.find((m) => m.sid === next)?.interactive).toMatchObject({ type: 'quick', buttons: [{ title: 'first' }, { title: 'second' }, { title: 'third' }] });

    // Variables Twilio refuses (a quick reply's title over 20 characters): 21656, and the words go as text.
    const tooLong = { body: 'Pick one', interactive: { shape: 'quick:1', variables: { '1': 'Pick one', '2': '{"a":"say","o":"whatsapp:owner","t":"x"}', '3': 'a title far longer than twenty characters' } } };
    const refusedSid = await sender.post(tooLong, { record, index: 0, tag: 't.1', since: Date.now() });
    expect(twilio().messages.filter((m) => m.to === `whatsapp:${t.user.phone}`).at(-2)?.fault).toBe('refuse:21656');
    expect(twilio().messages.find((m) => m.sid === refusedSid)).toMatchObject({ body: 'Pick one' });
    expect(twilio().messages.find((m) => m.sid === refusedSid)?.interactive).toBeUndefined();

    // WHATSAPP_CONTENT_API=off: the sender has no catalog and sends text only.
    const plainSender = new WhatsAppSender(client, h.stack.whatsapp.from);
    expect(plainSender.compose(reply).every((p) => p.interactive === undefined)).toBe(true);
  });
});

describe('status callbacks', () => {
  it('sent, delivered and read are recorded on the turn and traced', async () => {
    const t = traveller();
    const { sent } = await t.say('a hotel in rome tomorrow');
    expect(sent.every((m) => m.statusCallback === webhook())).toBe(true);
    await callbacksSettled(sent.map((m) => m.sid), ['sent', 'delivered']);
    await twilio().markRead(sent.at(-1)!.sid);
    const trace = await traceTurns(h.stack.core.db, h.stack.config.tableName, t.actorId());
    const replied = trace?.stories.flatMap((s) => s.steps).find((step) => step.step === 'reply');
    expect(replied?.text).toContain(`${sent.at(-1)!.sid} read`);
    expect(replied?.text).toContain(`${sent[0]!.sid} ${sent.length > 1 ? 'delivered' : 'read'}`);
    expect(twilio().callbacks.filter((c) => sent.some((m) => m.sid === c.sid)).every((c) => c.answered === 200)).toBe(true);
  });

  it('a message Twilio reports failed (63016: the window closed at WhatsApp) is counted and traced', async () => {
    const t = traveller();
    const params = inboundMessage(t.user, h.stack.whatsapp.from, 'a hotel in paris tomorrow');
    // WhatsApp's clock says the traveller last wrote long ago (the bridge's record says now).
    twilio().received(`whatsapp:${t.user.phone}`, Date.now() - 25 * 3_600_000);
    await postTwilio(webhook(), webhook(), twilio().authToken, params);
    await h.stack.idle();
    const sent = fromUs(t.user.phone);
    await callbacksSettled(sent.map((m) => m.sid), ['failed']);
    expect(added.filter((m) => m.name === METRIC.deliveryFailed && m.dimensions?.code === '63016').length).toBeGreaterThanOrEqual(sent.length);
    const trace = await traceTurns(h.stack.core.db, h.stack.config.tableName, t.actorId());
    const replied = trace?.stories.flatMap((s) => s.steps).find((step) => step.step === 'reply');
    expect(replied?.text).toContain(`${sent[0]!.sid} failed (error 63016)`);
  });
});

describe('after the 24-hour window', () => {
  /** Makes the traveller's message 25 hours old, for the bridge and for WhatsApp, and replays it. */
  async function replayLate(t: ReturnType<typeof traveller>, messageSid: string) {
    const late = Date.now() - 25 * 3_600_000;
    await h.stack.core.db.send(
      new UpdateCommand({
        TableName: h.stack.config.tableName,
        Key: keyOf(t.user.phone, messageSid),
        UpdateExpression: 'SET receivedAt = :late',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':late': new Date(late).toISOString() },
      }),
    );
    twilio().received(`whatsapp:${t.user.phone}`, late);
    const before = fromUs(t.user.phone).length;
    const res = await fetch(`${h.stack.url}/console/replay`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-console-token': h.stack.console.token }, body: JSON.stringify({ id: messageSid }) });
    await h.stack.idle();
    return { status: res.status, sent: fromUs(t.user.phone).slice(before) };
  }

  it('an apology goes as the approved notice template; a shortlist cannot go and the turn stays failed', async () => {
    const t = traveller();
    await h.faults({ endpoints: { createSession: { rate5xx: 1, status5xx: 503 }, sendEvent: { rate5xx: 1, status5xx: 503 } } });
    let first;
    try {
      first = await t.say('lisbon tomorrow');
      const late = await replayLate(t, first.params.MessageSid!);
      expect(late.status).toBe(200);
      expect(late.sent).toHaveLength(1);
      expect(late.sent[0]).toMatchObject({ contentSid: h.stack.whatsapp.templates.notice, status: expect.not.stringMatching(/failed/) });
      expect(late.sent[0]!.body).toMatch(/^An update on your request: /);
    } finally {
      await h.faults(null);
    }
    // Brek answers now, with a shortlist: nothing may carry it after 24 hours.
    const u = traveller();
    twilio().fail({ kind: 'refuse', status: 400, code: 21211 });
    const failedFirst = await u.say('porto tomorrow');
    const late = await replayLate(u, failedFirst.params.MessageSid!);
    expect(late.sent).toHaveLength(0);
    const record = await h.stack.core.inbox.get(keyOf(u.user.phone, failedFirst.params.MessageSid!));
    expect(record?.state).toBe('failed');
    expect(record?.lastError).toContain('24-hour window');
  });
});

describe('the booking template after the window', () => {
  it('a booking confirmation 25 hours late goes as WHATSAPP_TEMPLATE_BOOKED, one message, and WhatsApp lets it through', async () => {
    const { WhatsAppSender, twilioClient } = await import('../../adapters/whatsapp/send.ts');
    const { replyFromResult } = await import('../../core/reply.ts');
    const { parseEventData } = await import('../../core/brek/results.ts');
    const client = twilioClient({ accountSid: twilio().accountSid, authToken: twilio().authToken, apiUrl: twilio().url });
    const sender = new WhatsAppSender(client, h.stack.whatsapp.from, undefined, Date.now, { templates: h.stack.whatsapp.templates, statusCallback: webhook() });
    const to = `whatsapp:+1415558${String(1000 + ++users).padStart(4, '0')}`;
    const late = Date.now() - 25 * 3_600_000;
    twilio().received(to, late);
    const record = { reference: { to }, receivedAt: new Date(late).toISOString(), channelMessageId: 'x' } as unknown as Parameters<typeof sender.post>[1]['record'];
    await sender.ready(record);
    const booking = { bookingId: 'A1WDDC', hotelName: 'Branding Iron Motel', totalPrice: 110.26, currency: 'USD', confirmationUrl: 'https://b.test/my-bookings/c1' };
    const reply = replyFromResult(parseEventData({ result: { status: 'booked', message: { text: 'Booked Branding Iron Motel.' }, artifacts: { booking } } })!.result, 'whatsapp:owner');
    const parts = sender.compose(reply, record);
    expect(parts).toHaveLength(1);
    const sid = await sender.post(parts[0]!, { record, index: 0, tag: 't.0', since: Date.now() });
    const sent = twilio().messages.find((m) => m.sid === sid)!;
    expect(sent).toMatchObject({ contentSid: h.stack.whatsapp.templates.booked, body: 'Your booking is confirmed: Booked Branding Iron Motel.' });
    await twilio().settled();
    expect(sent.status).toBe('delivered');
    // Anything else that late is refused before it is tried.
    const { textReply } = await import('../../core/reply.ts');
    await expect(sender.post(sender.compose(textReply('whatsapp:owner', 'x', 'hello'), record)[0]!, { record, index: 0, tag: 't.1', since: Date.now() })).rejects.toThrow(/24-hour window/);
  });
});

describe('dates in the traveller’s zone', () => {
  it('a single-zone country gives its zone; +1 and multi-zone countries give UTC; the number is never kept', () => {
    expect(timeZoneOfNumber('whatsapp:+447700900123')).toBe('Europe/London');
    expect(timeZoneOfNumber('whatsapp:+819012345678')).toBe('Asia/Tokyo');
    expect(timeZoneOfNumber('whatsapp:+97150123456')).toBe('Asia/Dubai');
    expect(timeZoneOfNumber('whatsapp:+14155550100')).toBeUndefined();
    expect(timeZoneOfNumber('whatsapp:+61412345678')).toBeUndefined();
    expect(timeZoneOfNumber('whatsapp:+34612345678')).toBeUndefined();
  });

  it('a traveller on a UK number reads Brek’s times in London time; on a US number, in UTC said as such', async () => {
    const uk = traveller('+447700900' + String(100 + ++users).slice(-3));
    const { params, sent } = await uk.say('seattle tomorrow');
    const record = await h.stack.core.inbox.get(keyOf(uk.user.phone, params.MessageSid!));
    expect(record?.timeZone).toBe('Europe/London');
    expect(text(sent)).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    // Only the zone is kept of the number: the actor and conversation are hashes, as ever.
    expect(record?.actorId).not.toContain('7700900');
    expect(record?.conversationId).not.toContain('7700900');
  });
});

describe('npm run chat -- --channel whatsapp', () => {
  it('offers the list picker’s items and the quick replies as numbered choices, and a pick is a tap', async () => {
    const { WhatsAppChat } = await import('../../dev/chat/whatsapp.ts');
    const user = { phone: `+1415557${String(1000 + ++users).padStart(4, '0')}` };
    const chat = new WhatsAppChat(webhook(), twilio().url, twilio().authToken, h.stack.whatsapp.from, user);
    await chat.start();
    await chat.send('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable');
    const shortlist = await chat.replies(10_000);
    const choices = shortlist.flatMap((m) => m.buttons).filter((b) => b.click);
    expect(choices[0]?.label).toMatch(/^1\. Branding Iron Motel — \$98\.11\/night/);
    await choices[0]!.click!();
    const asked = await chat.replies(10_000);
    expect(asked.map((m) => m.text).join('\n')).toContain('guest name');
    // The pick reached Brek as its explicit action.
    expect((await h.brekRequests()).some((r) => r.kind === 'action_book_option' && r.status === 200)).toBe(true);
  });
});
