// The Teams renderer as a pure function: Adaptive Card structure for every status and for
// artifacts with fields missing.
import { describe, expect, it } from 'vitest';
import { parseEventData } from '../../core/brek/results.ts';
import { ACTION_WORDS, replyFromResult, textReply, unpackButton, type Reply } from '../../core/reply.ts';
import { MAX_OPTIONS_SHOWN } from '../../core/reply-format.ts';
import { activityBytes, readRefresh, renderClicked, renderRefreshed, renderTeams, renderWorking, TEAMS_LIMITS, type CardJson, type TeamsRenderContext } from '../../adapters/teams/render.ts';
import { cardProblems } from '../support/adaptive-cards.ts';

const OWNER = 'teams:tenant:aad-1';

function reply(status: string, artifacts?: unknown, text = 'Message from Brek'): Reply {
  return replyFromResult(parseEventData({ result: { status, message: { text }, artifacts } })!.result, OWNER);
}

type Node = Record<string, unknown>;
function all(card: CardJson, predicate: (n: Node) => boolean): Node[] {
  const found: Node[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    if (predicate(node as Node)) found.push(node as Node);
    for (const v of Object.values(node)) walk(v);
  };
  walk(card);
  return found;
}
const actions = (card: CardJson) => all(card, (n) => typeof n.type === 'string' && n.type.startsWith('Action.'));
type Run = { type: 'TextRun'; text: string; weight?: string };
/** "Title: value" lines: a bold run, then the value (a RichTextBlock, so Teams parses neither). */
const facts = (card: CardJson) =>
  all(card, (n) => n.type === 'RichTextBlock' && (n.inlines as Run[]).length === 2 && (n.inlines as Run[])[0]!.weight === 'Bolder').map((f) =>
    (f.inlines as Run[]).map((r) => r.text).join(''),
  );
/** Every string Teams parses as markdown: TextBlock text, Fact titles and values. */
const parsed = (card: CardJson) => [
  ...all(card, (n) => n.type === 'TextBlock').map((n) => String(n.text)),
  ...all(card, (n) => n.type === 'FactSet').flatMap((f) => (f.facts as { title: string; value: string }[]).flatMap((x) => [x.title, x.value])),
];

function render(r: Reply) {
  const message = renderTeams(r);
  expect(message.card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
  expect(message.text.trim().length).toBeGreaterThan(0);
  expect(JSON.stringify(message.card).length).toBeLessThan(28 * 1024); // Teams' card size limit
  return message;
}

const OPTION = { optionId: 'o-1', name: 'Inn at the Market', pricePerNight: 276.66, totalPrice: 980.67, currency: 'USD', refundable: true, rating: 4.8, distanceTo: '0.4 miles from Seattle', detailsUrl: 'https://b.test/book/hotel/abc' };

describe('shortlist', () => {
  it('one container per option with facts, a Book (Execute) action and a Details link', () => {
    const { card, text } = render(reply('shortlist', { shortlist: [OPTION, { ...OPTION, optionId: 'o-2', name: 'Second', refundable: false }] }));
    const containers = all(card, (n) => n.type === 'Container');
    expect(containers).toHaveLength(2);
    expect(facts(containers[0] as CardJson)).toEqual(['Per night: $276.66', 'Total: $980.67', 'Refundable: Yes', 'Rating: ★ 4.8', 'Distance: 0.4 miles from Seattle']);
    const [book, details] = actions(containers[0] as CardJson);
    expect(book).toMatchObject({ type: 'Action.Execute', title: 'Book', verb: 'book_option', style: 'positive' });
    expect(unpackButton(book!.data)).toEqual({ action: 'book_option', ownerActorId: OWNER, optionId: 'o-1', label: 'Inn at the Market' });
    expect(details).toMatchObject({ type: 'Action.OpenUrl', title: 'Details', url: 'https://b.test/book/hotel/abc' });
    expect(facts(containers[1] as CardJson)).toContain('Refundable: No');
    // The activity text is a short summary, not the card again (Teams shows both).
    expect(text).toBe('Message from Brek');
  });

  it('fields missing: only what there is; no optionId, no Book', () => {
    const { card } = render(reply('shortlist', { shortlist: [{ name: 'Bare' }, { optionId: 'x' }] }));
    const [first, second] = all(card, (n) => n.type === 'Container');
    expect(facts(first as CardJson)).toEqual([]);
    expect(actions(first as CardJson)).toEqual([]);
    expect(JSON.stringify(second)).toContain('2. Option 2');
    expect(actions(second as CardJson).map((a) => a.verb)).toEqual(['book_option']);
  });

  it('a long shortlist is cut off with a note', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ ...OPTION, optionId: `o-${i}`, name: `Hotel ${i}` }));
    const { card } = render(reply('shortlist', { shortlist: many }));
    expect(all(card, (n) => n.type === 'Container')).toHaveLength(MAX_OPTIONS_SHOWN);
    expect(JSON.stringify(card)).toContain(`and ${30 - MAX_OPTIONS_SHOWN} more`);
  });
});

describe('the booking steps', () => {
  it('guest_name_required, error and unknown statuses: the text only, no actions', () => {
    for (const r of [reply('guest_name_required'), reply('error', { shortlist: [OPTION] }), reply('clarification_required'), textReply(OWNER, 'bridge_apology', 'Sorry')]) {
      const { card } = render(r);
      expect(actions(card)).toEqual([]);
      expect(card.body).toHaveLength(1);
    }
    expect(render(reply('error', undefined, '')).text).toBe('Sorry, that did not work.');
  });

  it('payment_setup_required: an OpenUrl Set up payment button and the "done" hint', () => {
    const url = 'https://b.test/portal/payment?token=psu_1_abc';
    const { card } = render(reply('payment_setup_required', { payment: { setupUrl: url } }));
    const [setup, done] = actions(card);
    expect(setup).toEqual({ type: 'Action.OpenUrl', url, title: 'Set up payment', style: 'positive' });
    expect(done).toMatchObject({ type: 'Action.Execute', verb: 'say', title: 'Done' });
    expect(unpackButton(done!.data)).toMatchObject({ action: 'say', text: 'Done', ownerActorId: OWNER });
    expect(JSON.stringify(card)).toContain('Reply **done** here');
    expect(actions(render(reply('payment_setup_required', {})).card)).toEqual([]);
  });

  it('payment_confirmation_required: the card facts and Yes / No', () => {
    const { card } = render(reply('payment_confirmation_required', { payment: { paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 3, expYear: 2030 } }));
    expect(facts(card)).toEqual(['Card: VISA •••• 4242', 'Expires: 03/2030']);
    const [yes, no] = actions(card);
    expect(yes).toMatchObject({ type: 'Action.Execute', verb: 'confirm_payment_card', style: 'positive', title: 'Yes, use this card' });
    expect(unpackButton(yes!.data)).toMatchObject({ paymentMethodId: 'pm_card_visa', ownerActorId: OWNER });
    expect(no).toMatchObject({ type: 'Action.Execute', verb: 'decline_payment', style: 'destructive', title: 'No' });
    const bare = render(reply('payment_confirmation_required')).card;
    expect(facts(bare)).toEqual([]);
    expect(actions(bare).map((a) => a.verb)).toEqual(['confirm_payment_card', 'decline_payment']);
  });

  it('booked: facts, View booking, and Cancel booking behind a confirming Show Card', () => {
    const booking = { bookingId: 'A1WDDC', hotelName: 'Branding Iron Motel', totalPrice: 110.26, currency: 'USD', confirmationUrl: 'https://b.test/my-bookings/c1', cancelPolicy: 'Refundable until x' };
    const { card, text } = render(reply('booked', { booking }, 'Booked Branding Iron Motel.'));
    expect(facts(card)).toEqual(['Hotel: Branding Iron Motel', 'Total: $110.26', 'Booking id: A1WDDC', 'Cancellation: Refundable until x']);
    const top = card.actions as Node[];
    expect(top[0]).toMatchObject({ type: 'Action.OpenUrl', title: 'View booking', url: 'https://b.test/my-bookings/c1' });
    expect(top[1]).toMatchObject({ type: 'Action.ShowCard', title: 'Cancel booking' });
    const confirm = actions(top[1] as CardJson).find((a) => a.type === 'Action.Execute');
    expect(confirm).toMatchObject({ verb: 'cancel_booking', style: 'destructive', title: 'Yes, cancel it' });
    expect(unpackButton(confirm!.data)).toMatchObject({ bookingId: 'A1WDDC' });
    expect(text).toBe('Booked Branding Iron Motel.');
    expect(actions(render(reply('booked', {}, 'Booked.')).card)).toEqual([]);
  });

  it('the activity text is the first line only, never the card again', () => {
    const { text, card } = render(reply('shortlist', { shortlist: [OPTION] }, '\n  I found options in Seattle.\nSorted by price.'));
    expect(text).toBe('I found options in Seattle.');
    expect(JSON.stringify(card)).toContain('Sorted by price.');
  });

  it('an id too long for a button value loses only that button; a link too long for a button is written out', () => {
    const { card } = render(reply('shortlist', { shortlist: [{ ...OPTION, optionId: 'x'.repeat(2_100) }, { ...OPTION, optionId: 'o-2' }] }));
    expect(actions(card).filter((a) => a.verb === 'book_option').map((a) => unpackButton(a.data)?.optionId)).toEqual(['o-2']);
    const long = `https://b.test/${'a'.repeat(3_100)}`;
    const setup = render(reply('payment_setup_required', { payment: { setupUrl: long } })).card;
    expect(actions(setup).map((a) => a.verb)).toEqual(['say']);
    expect(JSON.stringify(setup)).toContain(`Set up payment: ${long}`);
  });

  it('keeps accents and emoji; a clicked card becomes a one-line note', () => {
    expect(JSON.stringify(render(reply('shortlist', { shortlist: [{ ...OPTION, name: 'Hôtel Château Étoile ✨🏨' }] })).card)).toContain('Hôtel Château Étoile ✨🏨');
    expect(renderClicked('book_option', 'Hôtel ✨')).toMatchObject({ type: 'AdaptiveCard', body: [{ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: '⏳ Booking Hôtel ✨…' }] }] });
  });
});

describe("Brek's words are data", () => {
  // Teams parses TextBlock text and Fact titles and values as markdown (and {{DATE()}} as a
  // function); TextRuns it never parses. Every field of Brek's must land in a TextRun.
  const MARKUP = '**bold** _it_ [Click here for your refund](https://evil.example/refund) {{DATE(2017-02-14T06:00:00Z, SHORT)}} - item\r1. first';
  const everyReply = [
    reply('shortlist', { shortlist: [{ ...OPTION, name: MARKUP, distanceTo: MARKUP }] }, MARKUP),
    reply('payment_setup_required', { payment: { setupUrl: `https://pay.example/s?${'z'.repeat(3_100)}` } }, MARKUP),
    reply('payment_confirmation_required', { payment: { paymentMethodId: 'pm_1', cardBrand: MARKUP, cardLast4: '4242' } }, MARKUP),
    reply('booked', { booking: { bookingId: 'b_1', hotelName: MARKUP, totalPrice: 10, currency: 'USD', cancelPolicy: MARKUP, confirmationUrl: 'https://b.test/c' } }, MARKUP),
    reply('a_status_nobody_documented', undefined, `${MARKUP}\n\n${MARKUP}`),
  ];

  it.each(everyReply.map((r) => [r.kind, r] as const))('%s: none of it in a field Teams parses, all of it shown', (_kind, r) => {
    const { card } = render(r);
    const markdown = parsed(card);
    expect(markdown.filter((t) => /evil\.example|\{\{DATE|\*\*bold/.test(t))).toEqual([]);
    const runs = all(card, (n) => n.type === 'TextRun').map((n) => String(n.text));
    expect(runs.some((t) => t.includes('[Click here for your refund](https://evil.example/refund)'))).toBe(true);
  });

  it('a clicked card shows its label as written', () => {
    const card = renderClicked('book_option', MARKUP);
    expect(parsed(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain('[Click here for your refund](https://evil.example/refund)');
  });
});

describe('issue 21: suggested actions, refresh, the progress line', () => {
  const PERSONAL: TeamsRenderContext = { personal: true, refresh: { userIds: ['29:aad-1'] } };
  const GROUP: TeamsRenderContext = { personal: false, refresh: { userIds: ['29:aad-1'] } };
  const consent = () => reply('payment_confirmation_required', { payment: { paymentMethodId: 'pm_1', brand: 'visa', last4: '4242', expMonth: 3, expYear: 2030 } });
  const booked = () => reply('booked', { booking: { bookingId: 'B-1', hotelName: 'Inn at the Market', confirmationUrl: 'https://b.test/my-bookings/1', cancelPolicy: 'Free until 2027-05-15T01:00:00Z' } }, 'Booked Inn at the Market.');

  it('in a personal chat the yes/no are messageBack suggestions carrying the owner; in a group, card buttons', () => {
    const personal = renderTeams(consent(), PERSONAL);
    expect(actions(personal.card).filter((a) => a.verb !== 'refresh')).toEqual([]);
    expect(personal.suggestedActions?.map((a) => [a.type, a.title, a.text, a.displayText])).toEqual([
      ['messageBack', 'Yes, use this card', 'yes', 'Yes, use this card'],
      ['messageBack', 'No', 'no', 'No'],
    ]);
    expect(unpackButton(personal.suggestedActions![0]!.value)).toMatchObject({ action: 'confirm_payment_card', paymentMethodId: 'pm_1', ownerActorId: OWNER });
    expect(personal.suggestedActions![0]!.value.via).toBe('suggested');
    const group = renderTeams(consent(), GROUP);
    expect(group.suggestedActions).toBeUndefined();
    expect(actions(group.card).filter((a) => a.verb !== 'refresh').map((a) => a.verb)).toEqual(['confirm_payment_card', 'decline_payment']);
    for (const card of [personal.card, group.card]) expect(cardProblems(card)).toEqual([]);
  });

  it('"Done" after the setup link and the welcome samples: suggestions, at most Teams’ three', () => {
    const setup = renderTeams(reply('payment_setup_required', { payment: { setupUrl: 'https://b.test/portal/payment?token=psu_1' } }), PERSONAL);
    expect(setup.suggestedActions?.map((a) => a.title)).toEqual(['Done']);
    expect(actions(setup.card).map((a) => a.title)).toEqual(['Set up payment']);
    const welcome = renderTeams(textReply(OWNER, 'bridge_welcome', 'Hi!', [...ACTION_WORDS.samples, 'A fourth', 'A fifth']), PERSONAL);
    expect(welcome.suggestedActions).toHaveLength(TEAMS_LIMITS.suggestedActions);
    // What does not fit the three stays on the card.
    expect(actions(welcome.card).map((a) => a.title)).toEqual(['A fourth', 'A fifth']);
    expect(activityBytes(welcome)).toBeGreaterThan(activityBytes({ text: welcome.text, card: welcome.card }));
  });

  it('a booked card and a payment step carry a refresh (verb, data, userIds) only when the sender asks', () => {
    expect(renderTeams(booked()).card.refresh).toBeUndefined();
    const card = renderTeams(booked(), GROUP).card;
    const refresh = card.refresh as { action: { type: string; verb: string; data: unknown }; userIds: string[] };
    expect(refresh).toMatchObject({ action: { type: 'Action.Execute', verb: 'refresh' }, userIds: ['29:aad-1'] });
    expect(cardProblems(card)).toEqual([]);
    expect(renderTeams(consent(), GROUP).card.refresh).toBeDefined();
    expect(renderTeams(reply('shortlist', { shortlist: [OPTION] }), GROUP).card.refresh).toBeUndefined();
    // Read back, the data is the same reply: an unchanged card is drawn again exactly.
    const read = readRefresh(refresh.action.data)!;
    expect(read.ownerActorId).toBe(OWNER);
    expect(renderRefreshed(read.reply, { cancelledBookings: [] }, GROUP)).toEqual(card);
  });

  it('the refreshed card says what changed: a cancelled booking, an answered payment step', () => {
    const cancelled = renderRefreshed(booked(), { cancelledBookings: ['B-0', 'B-1'] }, GROUP);
    expect(JSON.stringify(cancelled)).toContain('❌ This booking at Inn at the Market (booking B-1) was cancelled.');
    expect(actions(cancelled)).toEqual([]);
    expect(cancelled.refresh).toBeUndefined();
    expect(JSON.stringify(renderRefreshed(consent(), { lastStatus: 'booked' }, GROUP))).toContain('This payment was confirmed');
    expect(JSON.stringify(renderRefreshed(consent(), { lastStatus: 'shortlist' }, GROUP))).toContain('This payment step is closed');
    expect(renderRefreshed(consent(), { lastStatus: 'payment_confirmation_required' }, GROUP)).toEqual(renderTeams(consent(), GROUP).card);
    for (const card of [cancelled, renderRefreshed(consent(), { lastStatus: 'booked' })]) expect(cardProblems(card)).toEqual([]);
  });

  it('refresh data that is not ours reads as nothing', () => {
    for (const data of [undefined, 'x', { a: 'refresh' }, { a: 'refresh', o: OWNER }, { a: 'refresh', o: OWNER, r: '{not json' }, { a: 'refresh', o: OWNER, r: '[]' }, { a: 'book_option', o: OWNER, r: '{}' }]) {
      expect(readRefresh(data)).toBeUndefined();
    }
    // Whatever it carries is read as Brek's results are: defensively.
    expect(readRefresh({ a: 'refresh', o: OWNER, r: JSON.stringify({ status: 'booked', messageText: 'ok', artifacts: { booking: { bookingId: 7 } } }) })?.reply.booking?.bookingId).toBeUndefined();
  });

  it('the placeholder says what the turn is doing', () => {
    expect(renderWorking({ status: 'Searching hotels in Las Vegas…' })).toBe('⏳ Searching hotels in Las Vegas…');
  });
});
