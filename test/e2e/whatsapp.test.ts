// WhatsApp end to end through HTTP: form posts signed exactly as Twilio signs them, the local
// stack's /whatsapp/webhook, the worker on dynalite, the sandbox, and the real `twilio` client
// posting to a fake Messages API.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inboundMessage, postTwilio, type WhatsAppUser } from '../../dev/simulate/whatsapp.ts';
import { attachTestCard } from '../../dev/simulate/payment.ts';
import { inboxKey } from '../../core/store/inbox.ts';
import { whatsappActorId } from '../../adapters/whatsapp/profile.ts';
import { MESSAGES } from '../../core/wording.ts';
import { traceTurns } from '../../core/ops/trace.ts';
import { useStack } from '../support/stack.ts';

const h = useStack();
let users = 0;

const twilio = () => h.stack.fakeTwilio!;
const webhook = () => h.stack.whatsapp.webhookUrl;
const inbox = (phone: string) => twilio().messages.filter((m) => m.to === `whatsapp:${phone}` && m.delivered);

function traveller() {
  const user: WhatsAppUser = { phone: `+1415555${String(1000 + ++users).padStart(4, '0')}` };
  return {
    user,
    async say(text: string, extra: Record<string, string> = {}) {
      const before = inbox(user.phone).length;
      const res = await postTwilio(webhook(), webhook(), twilio().authToken, inboundMessage(user, h.stack.whatsapp.from, text, extra));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
      await h.stack.idle();
      return inbox(user.phone).slice(before).map((m) => m.body).join('\n');
    },
  };
}

const SECRET = 'test-actor-secret-0123456789';
/** The stored key of a message, as the normaliser derives it (the number only ever hashed). */
function keyOf(phone: string, messageSid: string) {
  const conversationId = `wa:${createHmac('sha256', SECRET).update(`${h.stack.whatsapp.from}|whatsapp:${phone}`).digest('hex').slice(0, 32)}`;
  return inboxKey({ actorId: whatsappActorId(phone, SECRET), conversationId, channelMessageId: messageSid });
}

const setupLink = (text: string) => /(https?:\/\/\S+\/portal\/payment\?token=psu_\S+)/.exec(text)?.[1];

describe('the golden path on WhatsApp', () => {
  it('search → "1" → "John Doe" → link → "done" → "yes" → booked, in plain text', async () => {
    const t = traveller();
    const list = await t.say('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable');
    expect(list).toContain('I found options matching your request in Las Vegas.');
    expect(list).toContain('*1. Branding Iron Motel*\n$98.11/night · $110.26 total\nRefundable · ★ 2 · 2.7 miles from Las Vegas\nhttp');
    expect(list).toMatch(/_Reply with a number \(1–\d\) to book\._$/);

    expect(await t.say('1')).toContain('guest name');
    const setup = await t.say('John Doe');
    expect(setup).toContain('Reply *DONE* when you have added your card.');
    expect((await attachTestCard(setupLink(setup)!)).status).toBe(200);
    const consent = await t.say('done');
    expect(consent).toMatch(/Reply \*YES\* to pay with VISA •••• 4242, or \*NO\*\.$/);
    const booked = await t.say('yes');
    expect(booked).toMatch(/^Booked Branding Iron Motel\./);
    expect(booked).toContain('*Total:* $110.26');
    expect(booked).toMatch(/View your booking: http\S+\/my-bookings\/[0-9a-f]{24}/);
    expect(booked).toContain('_To cancel, reply *cancel my booking*._');
    // "1" and "yes" became Brek's explicit actions.
    const kinds = (await h.brekRequests()).filter((r) => r.sessionId && r.status === 200 && r.kind).map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['action_book_option', 'action_confirm_payment_card']));
  });

  it('scenario A: "done" before adding a card gives a new link', async () => {
    const t = traveller();
    await t.say('seattle tomorrow');
    await t.say('1');
    const first = setupLink(await t.say('Jane Roe'));
    const again = setupLink(await t.say('done'));
    expect(again).toBeDefined();
    expect(again).not.toBe(first);
  });

  it('scenarios B and C: a saved card goes straight to YES/NO; "no" stops it', async () => {
    const t = traveller();
    await t.say('boston tomorrow');
    await t.say('1');
    await attachTestCard(setupLink(await t.say('Ann Lee'))!);
    await t.say('done');
    expect(await t.say('yes')).toMatch(/^Booked/);
    await t.say('boston tomorrow for 2 nights');
    await t.say('2');
    expect(await t.say('Ann Lee')).toContain('Reply *YES* to pay with VISA •••• 4242');
    expect(await t.say('no')).toBe('No problem. I will not charge this card or continue this booking.');
  });

  it('a number outside the list is answered without calling Brek', async () => {
    const t = traveller();
    const list = await t.say('denver tomorrow');
    const count = (list.match(/^\*\d+\. /gm) ?? []).length;
    const before = (await h.brekRequests()).length;
    expect(await t.say('9')).toBe(MESSAGES.pickBookable(Array.from({ length: count }, (_, i) => i + 1)));
    expect((await h.brekRequests()).length).toBe(before);
  });
});

describe('keywords and media', () => {
  it('STOP silences the bridge until START; HELP explains', async () => {
    const t = traveller();
    expect(await t.say('HELP')).toBe(MESSAGES.help);
    expect(await t.say('STOP')).toBe(MESSAGES.optedOut);
    const before = (await h.brekRequests()).length;
    expect(await t.say('miami tomorrow')).toBe('');
    expect((await h.brekRequests()).length).toBe(before);
    expect(await t.say('start')).toBe(MESSAGES.optedIn);
    expect(await t.say('miami tomorrow')).toContain('Miami');
  });

  it('a photo without text gets a text-only reply', async () => {
    const t = traveller();
    expect(await t.say('', { NumMedia: '1', MediaUrl0: 'https://api.twilio.com/media/ME1', MediaContentType0: 'image/jpeg' })).toBe(MESSAGES.unsupported('photos, voice notes or files'));
  });
});

describe('exactly once, forgeries and privacy', () => {
  it('the same MessageSid delivered 3 times → 1 Brek event, 1 reply', async () => {
    const t = traveller();
    const params = inboundMessage(t.user, h.stack.whatsapp.from, 'austin tomorrow');
    for (let i = 0; i < 3; i++) expect((await postTwilio(webhook(), webhook(), twilio().authToken, params)).status).toBe(200);
    await h.stack.idle();
    expect(inbox(t.user.phone)).toHaveLength(1);
    expect((await h.brekRequests()).filter((r) => r.text === 'austin tomorrow' && r.status === 200)).toHaveLength(1);
  });

  const cases: [string, (p: Record<string, string>) => { params: Record<string, string>; token?: string; url?: string; tamper?: boolean }][] = [
    ['unsigned', (p) => ({ params: p })],
    ['wrong auth token', (p) => ({ params: p, token: 'not-the-token' })],
    ['signed for another URL', (p) => ({ params: p, token: twilio().authToken, url: 'https://proxy.example/whatsapp/webhook' })],
    ['tampered body', (p) => ({ params: p, token: twilio().authToken, tamper: true })],
  ];
  it.each(cases)('%s → 401, nothing stored', async (_name, build) => {
    const user: WhatsAppUser = { phone: '+14155559999' };
    const original = inboundMessage(user, h.stack.whatsapp.from, 'vegas tomorrow');
    const c = build(original);
    const body = new URLSearchParams(c.tamper ? { ...c.params, Body: 'paris tomorrow' } : c.params).toString();
    const { signTwilio } = await import('../../dev/simulate/whatsapp.ts');
    const res = await fetch(webhook(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(c.token ? { 'x-twilio-signature': signTwilio(c.token, c.url ?? webhook(), c.params) } : {}) },
      body,
    });
    expect(res.status).toBe(401);
    expect(await h.stack.core.inbox.get(keyOf(user.phone, original.MessageSid!))).toBeUndefined();
    // The same message, signed properly, is stored under that key: the check above can fail.
    expect((await postTwilio(webhook(), webhook(), twilio().authToken, original)).status).toBe(200);
    await h.stack.idle();
    expect(await h.stack.core.inbox.get(keyOf(user.phone, original.MessageSid!))).toBeDefined();
  });

  it('repeated form keys are part of the signature', async () => {
    const t = traveller();
    const params = inboundMessage(t.user, h.stack.whatsapp.from, 'nashville tomorrow');
    const { signTwilio } = await import('../../dev/simulate/whatsapp.ts');
    const signature = signTwilio(twilio().authToken, webhook(), params);
    // Twilio signed one value; a second one smuggled in must not pass.
    const body = `${new URLSearchParams(params).toString()}&Body=${encodeURIComponent('paris tomorrow')}`;
    const res = await fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body });
    expect(res.status).toBe(401);
  });

  it('no phone number reaches Brek or any log line', async () => {
    const numbers = [...new Set(twilio().messages.map((m) => m.to.replace('whatsapp:', '')))];
    expect(numbers.length).toBeGreaterThan(5);
    const brek = JSON.stringify(await h.brekRequests()) + JSON.stringify([...h.stack.sandbox!.world.sessions.values()].map((s) => ({ actor: s.actor, conversation: s.conversation })));
    const logs = h.logs.lines.join('\n');
    for (const number of numbers) {
      const digits = number.replace('+', '');
      expect(brek.includes(digits), `Brek saw ${number}`).toBe(false);
      expect(logs.includes(digits), `a log line has ${number}`).toBe(false);
    }
    expect(logs).toContain('whatsapp:'); // the turns were logged — by hashed actor id
  });
});

describe('Twilio status callbacks on the same URL', () => {
  it('are acknowledged, never a turn, and kept on the turn they concern (npm run ops -- trace shows them)', async () => {
    const t = traveller();
    await t.say('a hotel in rome tomorrow');
    const [reply] = inbox(t.user.phone).slice(-1);
    const brekBefore = (await h.brekRequests()).length;
    const sentBefore = twilio().messages.length;
    // The fake's own callbacks for this reply (sent, delivered) come first.
    await twilio().settled();
    // As Twilio posts them: From our sender, To the traveller, the message's SID and its status.
    for (const [status, extra] of [['sent', { Body: reply!.body.slice(0, 100) }], ['delivered', {}], ['read', {}]] as const) {
      const params = { MessageSid: reply!.sid, SmsSid: reply!.sid, AccountSid: twilio().accountSid, From: h.stack.whatsapp.from, To: `whatsapp:${t.user.phone}`, MessageStatus: status, SmsStatus: status, ApiVersion: '2010-04-01', ...extra };
      const res = await postTwilio(webhook(), webhook(), twilio().authToken, params);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    }
    await h.stack.idle();
    expect((await h.brekRequests()).length).toBe(brekBefore);
    expect(twilio().messages.length).toBe(sentBefore); // never answered from our number to itself
    const trace = await traceTurns(h.stack.core.db, h.stack.config.tableName, whatsappActorId(t.user.phone, SECRET));
    const replied = trace?.stories.flatMap((s) => s.steps).find((step) => step.step === 'reply' && step.text.includes(reply!.sid));
    expect(replied?.text).toContain(`the channel says: ${reply!.sid} read`);
  });

  it('a callback for a conversation the bridge does not have stores nothing', async () => {
    const params = { MessageSid: 'SMnothingofours', AccountSid: twilio().accountSid, From: h.stack.whatsapp.from, To: 'whatsapp:+447700900123', MessageStatus: 'delivered' };
    expect((await postTwilio(webhook(), webhook(), twilio().authToken, params)).status).toBe(200);
    const actorId = whatsappActorId('+447700900123', SECRET);
    expect(await traceTurns(h.stack.core.db, h.stack.config.tableName, actorId)).toBeUndefined();
  });
});

describe('the JSON signature scheme', () => {
  it('a JSON body signed with bodySHA256 in the URL verifies (and is then refused as not a message webhook)', async () => {
    const { getExpectedBodyHash, getExpectedTwilioSignature } = await import('twilio/lib/webhooks/webhooks.js');
    const body = JSON.stringify({ MessageSid: 'SMjson', From: 'whatsapp:+14155550000' });
    const url = `${webhook()}?bodySHA256=${getExpectedBodyHash(body)}`;
    const post = (signature: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-twilio-signature': signature }, body });
    expect((await post(getExpectedTwilioSignature(twilio().authToken, url, {}))).status).toBe(415);
    expect((await post(getExpectedTwilioSignature('wrong-token', url, {}))).status).toBe(401);
  });
});

describe('Twilio failures', () => {
  it('a reply more than 24 hours after the traveller wrote is not attempted', async () => {
    const { WhatsAppSender, twilioClient } = await import('../../adapters/whatsapp/send.ts');
    const { PermanentSendError } = await import('../../core/delivery.ts');
    const { textReply } = await import('../../core/reply.ts');
    const sender = new WhatsAppSender(twilioClient({ accountSid: twilio().accountSid, authToken: twilio().authToken, apiUrl: twilio().url }), h.stack.whatsapp.from);
    const record = { reference: { to: 'whatsapp:+14155550123' }, receivedAt: new Date(Date.now() - 25 * 3_600_000).toISOString() } as unknown as Parameters<typeof sender.ready>[0];
    const part = (text: string, at: typeof record) => ({ body: sender.compose(textReply('a', 'x', text))[0]!, context: { record: at, index: 0, tag: 't.0', since: Date.now() } });
    const before = twilio().messages.length;
    // Refused before anything is asked of Brek, and before anything is posted.
    await expect(sender.ready(record)).rejects.toBeInstanceOf(PermanentSendError);
    const late = part('late', record);
    await expect(sender.post(late.body, late.context)).rejects.toBeInstanceOf(PermanentSendError);
    expect(twilio().messages.length).toBe(before);
    const onTime = part('on time', { ...record, receivedAt: new Date().toISOString() });
    await sender.post(onTime.body, onTime.context);
    expect(twilio().messages.at(-1)).toMatchObject({ to: 'whatsapp:+14155550123', body: 'on time', from: h.stack.whatsapp.from });
  });

  it('a 429 is retried and the reply still goes once; a permanent error is not retried', async () => {
    const t = traveller();
    twilio().fail({ status: 429 });
    expect(await t.say('orlando tomorrow')).toContain('Orlando');

    const u = traveller();
    twilio().fail({ status: 400, code: 63016 });
    const params = inboundMessage(u.user, h.stack.whatsapp.from, 'rome tomorrow');
    await postTwilio(webhook(), webhook(), twilio().authToken, params);
    await h.stack.idle();
    expect(twilio().messages.filter((m) => m.to === `whatsapp:${u.user.phone}`)).toHaveLength(1); // one try only
    const record = await h.stack.core.inbox.get(keyOf(u.user.phone, params.MessageSid!));
    expect(record?.state).toBe('failed');
    expect(record?.lastError).toContain('error 63016');
  });
});
