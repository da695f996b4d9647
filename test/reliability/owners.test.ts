// Owner binding: a button click or a numeric reply by someone else never acts on another
// traveller's session. The owner is brought to the riskiest moment — a card on file and Brek
// asking to confirm payment — and then others try every way in, on every channel.
import { describe, expect, it } from 'vitest';
import { attachTestCard } from '../../dev/simulate/payment.ts';
import { blockAction, messageEvent, postSlack, slackRequest, slackTs, type SlackUser } from '../../dev/simulate/slack.ts';
import { executeActivity, messageActivity, postActivity, suggestedActionActivity, type SuggestedActionSent, type TeamsUser } from '../../dev/simulate/teams.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';
import { brekEvents, setupLinkIn, traveller, type Traveller } from '../support/travellers.ts';

const h = useStack();
const personal: string[] = [];

/** Brek sessions the owner's events went to, and how many events each has had. */
const eventsOn = (sessionId: string) => h.stack.sandbox!.world.sessions.get(sessionId)?.events.length ?? 0;
const bookingsOn = (sessionId: string) => [...h.stack.sandbox!.world.bookings.values()].filter((b) => b.sessionId === sessionId).length;
const lastSessionId = () => (JSON.parse(brekEvents(h).at(-1)!.body) as { sessionId: string }).sessionId;

/** Every object in a channel payload that `pick` accepts (buttons nest at different depths). */
function collect<T>(node: unknown, pick: (n: Record<string, unknown>) => T | undefined): T[] {
  if (Array.isArray(node)) return node.flatMap((n) => collect(n, pick));
  if (typeof node !== 'object' || node === null) return [];
  const here = pick(node as Record<string, unknown>);
  return [...(here === undefined ? [] : [here]), ...Object.values(node).flatMap((n) => collect(n, pick))];
}

async function toConsent(say: (text: string) => Promise<string>): Promise<string> {
  await say('find me a las vegas hotel from 5/15 to 5/16');
  await say('1');
  expect((await attachTestCard(setupLinkIn(await say('John Doe'))!)).status).toBe(200);
  const consent = await say('done');
  expect(consent).toContain('4242');
  return consent;
}

describe('owner binding', () => {
  it('Slack: in a channel thread, another member’s clicks and "1"/"yes" replies do not touch the owner’s session', async () => {
    const owner: SlackUser = { teamId: 'TOWN', userId: 'UOWNER1' };
    const other: SlackUser = { teamId: 'TOWN', userId: 'UOTHER1' };
    const channel = 'COWNERS';
    const threadTs = slackTs();
    const inThread = () => h.stack.fakeSlack!.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel && c.args.thread_ts === threadTs);
    const post = async (payload: Record<string, unknown>, form = false) => {
      expect((await postSlack(h.stack.url, slackRequest(payload, SIGNING_SECRET, { form }))).status).toBe(200);
      await h.stack.idle();
    };
    let first = true;
    const ownerSays = async (text: string) => {
      const ts = first ? threadTs : slackTs();
      await post(messageEvent(owner, first ? { text: `<@UBOT> ${text}`, channel, ts, type: 'app_mention' } : { text, channel, ts, threadTs, channelType: 'channel' }));
      first = false;
      return JSON.stringify(inThread().at(-1)?.args);
    };
    const consent = await toConsent(ownerSays);
    const sessionId = lastSessionId();
    const events = eventsOn(sessionId);
    const brekCalls = brekEvents(h).length;

    // The other member clicks every button on the owner's messages, then types "1" and "yes".
    const buttons = inThread().flatMap((c) =>
      collect(c.args.blocks, (n) => (typeof n.action_id === 'string' && typeof n.value === 'string' ? { action_id: n.action_id, value: n.value } : undefined)),
    );
    expect(buttons.length).toBeGreaterThan(0);
    expect(consent).toContain('confirm_payment_card');
    for (const { action_id, value } of buttons) {
      await post(blockAction(other, { actionId: action_id, value, channel, messageTs: slackTs(), threadTs }), true);
    }
    for (const text of ['1', 'yes', '2']) await post(messageEvent(other, { text, channel, ts: slackTs(), threadTs, channelType: 'channel' }));
    const refusals = h.stack.fakeSlack!.calls.filter((c) => c.method === 'chat.postEphemeral' && c.args.user === other.userId).length;

    console.log(`owner binding slack: ${buttons.length} foreign clicks (${refusals} refused privately) and 3 foreign replies, ${eventsOn(sessionId) - events} events on the owner's session, ${brekEvents(h).length - brekCalls} Brek calls`);
    expect(refusals).toBe(buttons.length);
    expect(eventsOn(sessionId)).toBe(events);
    expect(brekEvents(h).length).toBe(brekCalls);
    expect(bookingsOn(sessionId)).toBe(0);
    // The owner's own "yes" still books, once.
    expect(await ownerSays('yes')).toContain('Booked');
    expect(bookingsOn(sessionId)).toBe(1);
  });

  it('Teams: another user’s clicks on the owner’s cards are refused and reach nothing', async () => {
    const owner: TeamsUser = { tenantId: 'tenant-own', aadObjectId: 'aad-owner-1' };
    const other: TeamsUser = { tenantId: 'tenant-own', aadObjectId: 'aad-other-1' };
    const conversationId = `a:${owner.aadObjectId}`;
    const fake = () => h.stack.fakeTeams!;
    // The conversation as the owner sees it: each reply replaced its placeholder.
    const posts = () => fake().conversation(conversationId).map((activity) => ({ body: { text: activity.text, attachments: activity.attachments }, chips: activity.suggestedActions?.actions ?? [] }));
    const send = async (activity: Record<string, unknown>) => {
      const res = await postActivity(h.stack.url, activity, fake().signInbound({ serviceUrl: fake().serviceUrl }));
      await h.stack.idle();
      return res;
    };
    await toConsent(async (text) => {
      await send(messageActivity(owner, text, { serviceUrl: fake().serviceUrl }));
      return JSON.stringify(posts().at(-1)?.body);
    });
    const sessionId = lastSessionId();
    const events = eventsOn(sessionId);
    const brekCalls = brekEvents(h).length;

    const actions = posts().flatMap((c) =>
      collect(c.body, (n) => (n.type === 'Action.Execute' && typeof n.verb === 'string' ? { verb: n.verb, data: n.data } : undefined)),
    // A card's refresh is a read anyone who opens the card makes (answered with the card as it stands), not a click.
    ).filter((a) => a.verb !== 'refresh');
    // A personal chat: the payment's yes/no are suggested actions (issue 21), the rest card buttons.
    const chips: SuggestedActionSent[] = posts().flatMap((c) => c.chips);
    expect(actions.some((a) => a.verb === 'book_option')).toBe(true);
    expect(chips.map((c) => c.title)).toEqual(expect.arrayContaining(['Done', 'Yes, use this card', 'No']));
    const answers: string[] = [];
    for (const action of actions) {
      const res = await send(executeActivity(other, action.verb, action.data, '1', { serviceUrl: fake().serviceUrl, conversationId }));
      answers.push(JSON.stringify(await res.json()));
    }
    // A tapped suggestion is a message: the core's owner check answers it with a reply of its own.
    for (const chip of chips) {
      await send(suggestedActionActivity(other, chip, { serviceUrl: fake().serviceUrl, conversationId }));
      answers.push(JSON.stringify(posts().at(-1)?.body));
    }
    const refused = answers.filter((a) => a.includes('belongs to someone else')).length;
    console.log(`owner binding teams: ${actions.length} foreign clicks and ${chips.length} taps, ${refused} refused, ${eventsOn(sessionId) - events} events on the owner's session`);
    expect(refused).toBe(actions.length + chips.length);
    expect(eventsOn(sessionId)).toBe(events);
    expect(brekEvents(h).length).toBe(brekCalls);
    expect(bookingsOn(sessionId)).toBe(0);
  });

  it('WhatsApp: another number’s "1" and "yes" go to its own conversation, never the owner’s', async () => {
    const owner: Traveller = traveller(h, 'whatsapp', 'owner-wa');
    const other: Traveller = traveller(h, 'whatsapp', 'other-wa');
    personal.push(...owner.personal, ...other.personal);
    let n = 0;
    const say = async (t: Traveller, text: string) => {
      await t.message(text, `owners-wa-${n++}`).deliver(0);
      await h.stack.idle();
      return t.replies().at(-1) ?? '';
    };
    await toConsent((text) => say(owner, text));
    const sessionId = lastSessionId();
    const events = eventsOn(sessionId);
    for (const text of ['1', 'yes', 'YES']) await say(other, text);
    const otherSessions = new Set(brekEvents(h).slice(-3).map((e) => (JSON.parse(e.body) as { sessionId: string }).sessionId));
    console.log(`owner binding whatsapp: 3 replies from another number, ${eventsOn(sessionId) - events} events on the owner's session, ${otherSessions.size} session of its own`);
    expect(eventsOn(sessionId)).toBe(events);
    expect(otherSessions.has(sessionId)).toBe(false);
    expect(bookingsOn(sessionId)).toBe(0);
    expect(await say(owner, 'yes')).toContain('Booked');
  });

  it('leaves no card number, phone number, token or secret in the logs or at Brek', () => {
    expect(h.leaks(personal).slice(0, 5)).toEqual([]);
  });
});
