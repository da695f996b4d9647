// The WhatsApp renderer as a pure function: every status, missing fields, and long messages
// split at line boundaries without breaking a link.
import { describe, expect, it } from 'vitest';
import { parseEventData } from '../../core/brek/results.ts';
import { replyFromResult, textReply, type Reply } from '../../core/reply.ts';
import { MAX_OPTIONS_SHOWN } from '../../core/reply-format.ts';
import { CONTENT_LIMITS, contentDefinition, MAX_BODY, renderWhatsApp, renderWhatsAppParts, splitMessage, templateUse } from '../../adapters/whatsapp/render.ts';
import { ACTION_WORDS, unpackButton } from '../../core/reply.ts';

const OWNER = 'whatsapp:0123456789abcdef0123456789abcdef';
function reply(status: string, artifacts?: unknown, text = 'Message from Brek'): Reply {
  return replyFromResult(parseEventData({ result: { status, message: { text }, artifacts } })!.result, OWNER);
}
const OPTION = { optionId: 'o-1', name: 'Inn at the Market', pricePerNight: 276.66, totalPrice: 980.67, currency: 'USD', refundable: true, rating: 4.8, distanceTo: '0.4 miles from Seattle', detailsUrl: 'https://b.test/book/hotel/abc' };

describe('WhatsApp text', () => {
  it('shortlist: numbered options with every fact and the link, then how to book', () => {
    expect(renderWhatsApp(reply('shortlist', { shortlist: [OPTION, { optionId: 'o-2', name: 'Bare' }] }))).toEqual([
      'Message from Brek\n\n*1. Inn at the Market*\n$276.66/night · $980.67 total\nRefundable · ★ 4.8 · 0.4 miles from Seattle\nhttps://b.test/book/hotel/abc\n\n*2. Bare*\n\n_Reply with a number (1–2) to book._',
    ]);
    // Nothing bookable: no prompt to reply with a number.
    expect(renderWhatsApp(reply('shortlist', { shortlist: [{ name: 'No id' }] }))[0]).not.toContain('Reply with a number');
  });

  it('payment setup, confirmation and booked', () => {
    expect(renderWhatsApp(reply('payment_setup_required', { payment: { setupUrl: 'https://b.test/portal/payment?token=psu_1_a' } }))).toEqual([
      'Message from Brek\n\nSet up payment: https://b.test/portal/payment?token=psu_1_a\n\nReply *DONE* when you have added your card.',
    ]);
    expect(renderWhatsApp(reply('payment_setup_required', {}))).toEqual(['Message from Brek']);
    expect(renderWhatsApp(reply('payment_confirmation_required', { payment: { cardBrand: 'visa', cardLast4: '4242' } }))).toEqual([
      'Message from Brek\n\nReply *YES* to pay with VISA •••• 4242, or *NO*.',
    ]);
    expect(renderWhatsApp(reply('payment_confirmation_required'))[0]).toContain('Reply *YES* to pay with your saved card, or *NO*.');
    const booking = { bookingId: 'A1WDDC', hotelName: 'Branding Iron Motel', totalPrice: 110.26, currency: 'USD', confirmationUrl: 'https://b.test/my-bookings/c1', cancelPolicy: 'Refundable until x' };
    expect(renderWhatsApp(reply('booked', { booking }, 'Booked Branding Iron Motel.'))).toEqual([
      'Booked Branding Iron Motel.\n\n*Hotel:* Branding Iron Motel\n*Total:* $110.26\n*Booking id:* A1WDDC\n*Cancellation:* Refundable until x\n\nView your booking: https://b.test/my-bookings/c1\n\n_To cancel, reply *cancel my booking*._',
    ]);
    expect(renderWhatsApp(reply('booked', {}, 'Booked.'))).toEqual(['Booked.']);
  });

  it('each link once: a setup link already in Brek’s words is not repeated', () => {
    const url = 'https://b.test/portal/payment?token=psu_1_a';
    expect(renderWhatsApp(reply('payment_setup_required', { payment: { setupUrl: url } }, `Please add a card. Set up here: ${url}\nPlease reply "Done".`))).toEqual([
      `Please add a card. Set up here: ${url}\nPlease reply "Done".\n\nSet up payment with the link above.\n\nReply *DONE* when you have added your card.`,
    ]);
    // A longer link that merely starts with it is another link.
    expect(renderWhatsApp(reply('payment_setup_required', { payment: { setupUrl: url } }, `See ${url}2`))[0]).toContain(`Set up payment: ${url}\n`);
  });

  it('only options that can be booked are numbered, and the prompt names those numbers', () => {
    const parts = renderWhatsApp(reply('shortlist', { shortlist: [OPTION, { name: 'No id' }, { ...OPTION, optionId: 'o-3', name: 'Third', detailsUrl: 'https://b.test/3' }] }));
    expect(parts[0]).toContain('*1. Inn at the Market*');
    expect(parts[0]).toContain('• *No id*');
    expect(parts[0]).toContain('*3. Third*');
    expect(parts[0]).toMatch(/_Reply with 1 or 3 to book\._$/);
    expect(renderWhatsApp(reply('shortlist', { shortlist: [OPTION, { name: 'No id' }] }))[0]).toMatch(/_Reply with 1 to book\._$/);
  });

  it('a token with no space is cut between characters, never inside an emoji', () => {
    const parts = splitMessage('👨‍👩‍👧‍👦'.repeat(300));
    expect(parts.length).toBe(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(MAX_BODY);
      expect(part.replaceAll('👨‍👩‍👧‍👦', '')).toBe('');
    }
  });

  it('guest name, errors, unknown statuses and the bridge’s own messages: the text', () => {
    expect(renderWhatsApp(reply('guest_name_required'))).toEqual(['Message from Brek']);
    expect(renderWhatsApp(reply('error', { shortlist: [OPTION] }))).toEqual(['Message from Brek']);
    expect(renderWhatsApp(reply('something_new'))).toEqual(['Message from Brek']);
    expect(renderWhatsApp(textReply(OWNER, 'bridge_apology', 'Sorry'))).toEqual(['Sorry']);
    expect(renderWhatsApp(reply('error', undefined, ''))).toEqual(['Sorry, that did not work.']);
  });

  it('a long shortlist shows the first options, split at line boundaries, each part within the limit, no link broken', () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ ...OPTION, optionId: `o-${i}`, name: `Hotel ${i} Hôtel ✨`, distanceTo: `${'near the sea '.repeat(12)}${i}`, detailsUrl: `https://b.test/book/hotel/${'a'.repeat(60)}${i}?checkIn=2026-05-15&checkOut=2026-05-16` }));
    const parts = renderWhatsApp(reply('shortlist', { shortlist: many }));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(MAX_BODY);
    const joined = parts.join('\n');
    for (let i = 0; i < MAX_OPTIONS_SHOWN; i++) expect(joined).toContain(`https://b.test/book/hotel/${'a'.repeat(60)}${i}?checkIn=2026-05-15&checkOut=2026-05-16`);
    expect(joined).not.toContain(`*${MAX_OPTIONS_SHOWN + 1}. `);
    expect(joined).toContain(`…and ${25 - MAX_OPTIONS_SHOWN} more.`);
    expect(parts.at(-1)).toContain(`Reply with a number (1–${MAX_OPTIONS_SHOWN}) to book.`);
  });

  it('an over-long line is split at spaces', () => {
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    const parts = splitMessage(`intro\n${words}\nhttps://b.test/x`);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(MAX_BODY);
    expect(parts.join(' ').split(/\s+/)).toEqual(`intro ${words} https://b.test/x`.split(' '));
  });
});

describe('WhatsApp interactive messages (issue 21: Content API)', () => {
  const idOf = (id: string) => unpackButton(JSON.parse(id));

  it('a shortlist: the text as before, its last message carrying a list picker of the bookable options', () => {
    const parts = renderWhatsAppParts(reply('shortlist', { shortlist: [OPTION, { name: 'No id' }, { optionId: 'o-3', name: 'A hotel whose name is far too long for a list item' }] }));
    expect(parts.map((p) => p.body)).toEqual(renderWhatsApp(reply('shortlist', { shortlist: [OPTION, { name: 'No id' }, { optionId: 'o-3', name: 'A hotel whose name is far too long for a list item' }] })));
    const picker = parts.at(-1)!.interactive!;
    expect(picker.shape).toBe('list:2');
    expect(picker.variables['1']).toBe(parts.at(-1)!.body);
    expect(idOf(picker.variables['2']!)).toEqual({ action: 'book_option', ownerActorId: OWNER, optionId: 'o-1', label: 'Inn at the Market' });
    expect(picker.variables['3']).toBe('1. Inn at the Market');
    expect(picker.variables['4']).toMatch(/^\$276\.66\/night · \$980\.67 total · Refundable/);
    expect(picker.variables['4']!.length).toBeLessThanOrEqual(CONTENT_LIMITS.itemDescription);
    expect(picker.variables['6']!.length).toBeLessThanOrEqual(CONTENT_LIMITS.itemTitle);
    expect(picker.variables['6']).toMatch(/^3\. A hotel whose name…$/);
    expect(idOf(picker.variables['5']!)?.optionId).toBe('o-3');
  });

  it('at most 10 items; an option whose id does not fit Twilio’s 200 characters stays bookable by number only', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ optionId: i === 0 ? 'x'.repeat(180) : `o-${i}`, name: `Hotel ${i + 1}` }));
    const parts = renderWhatsAppParts(reply('shortlist', { shortlist: many }));
    const picker = parts.at(-1)!.interactive!;
    const ids = Object.entries(picker.variables).filter(([k]) => Number(k) % 3 === 2).map(([, v]) => v);
    expect(ids.length).toBeLessThanOrEqual(CONTENT_LIMITS.listItems);
    expect(picker.shape).toBe(`list:${ids.length}`);
    expect(ids.every((id) => id.length <= CONTENT_LIMITS.id)).toBe(true);
    expect(ids.map((id) => idOf(id)?.optionId)).not.toContain('x'.repeat(180));
  });

  it('a text too long to carry the controls: its last paragraph (how to book) goes with them', () => {
    const long = 'A long message from Brek. '.repeat(50);
    const parts = renderWhatsAppParts(reply('shortlist', { shortlist: [OPTION] }, long));
    const last = parts.at(-1)!;
    expect(last.body).toBe('_Reply with 1 to book._');
    expect(last.interactive?.shape).toBe('list:1');
    expect(parts.every((p) => p.body.length <= (p.interactive ? CONTENT_LIMITS.body : MAX_BODY))).toBe(true);
  });

  it('a payment confirmation: quick replies for yes and no; the setup link: “Done”; suggestions: up to 3', () => {
    const consent = renderWhatsAppParts(reply('payment_confirmation_required', { payment: { cardBrand: 'visa', cardLast4: '4242', paymentMethodId: 'pm_1' } }));
    expect(consent).toHaveLength(1);
    const yesNo = consent[0]!.interactive!;
    expect(yesNo.shape).toBe('quick:2');
    expect([yesNo.variables['3'], yesNo.variables['5']]).toEqual([ACTION_WORDS.confirmCard, ACTION_WORDS.declineCard]);
    expect(idOf(yesNo.variables['2']!)).toMatchObject({ action: 'confirm_payment_card', paymentMethodId: 'pm_1', ownerActorId: OWNER });
    expect(idOf(yesNo.variables['4']!)).toMatchObject({ action: 'decline_payment', ownerActorId: OWNER });

    const setup = renderWhatsAppParts(reply('payment_setup_required', { payment: { setupUrl: 'https://b.test/portal/payment?token=psu_1_a' } }));
    expect(setup.at(-1)!.interactive).toEqual({ shape: 'quick:1', variables: { '1': setup.at(-1)!.body, '2': expect.any(String), '3': 'Done' } });
    expect(idOf(setup.at(-1)!.interactive!.variables['2']!)).toMatchObject({ action: 'say', text: 'Done' });

    const welcome = renderWhatsAppParts(textReply(OWNER, 'bridge_welcome', 'Hi', ACTION_WORDS.samples));
    const samples = welcome.at(-1)!.interactive!;
    expect(samples.shape).toBe('quick:3');
    for (const at of ['3', '5', '7']) expect(samples.variables[at]!.length).toBeLessThanOrEqual(CONTENT_LIMITS.quickTitle);
    expect(idOf(samples.variables['2']!)).toMatchObject({ action: 'say', text: ACTION_WORDS.samples[0] });
    // Nothing to tap: text only.
    expect(renderWhatsAppParts(reply('booked', {}, 'Booked.'))).toEqual([{ body: 'Booked.' }]);
  });

  it('one Content definition per shape, every word a variable; none for shapes Twilio refuses', () => {
    expect(contentDefinition('list:3')).toMatchObject({ language: 'en', types: { 'twilio/list-picker': { body: '{{1}}', button: 'Choose a hotel', items: [{ id: '{{2}}', item: '{{3}}', description: '{{4}}' }, {}, { id: '{{8}}', item: '{{9}}', description: '{{10}}' }] }, 'twilio/text': { body: '{{1}}' } } });
    expect(contentDefinition('quick:2')).toMatchObject({ types: { 'twilio/quick-reply': { body: '{{1}}', actions: [{ id: '{{2}}', title: '{{3}}' }, { id: '{{4}}', title: '{{5}}' }] } } });
    expect(contentDefinition('quick:4')).toBeUndefined();
    expect(contentDefinition('list:11')).toBeUndefined();
    expect(contentDefinition('list:0')).toBeUndefined();
    expect(contentDefinition('card:1')).toBeUndefined();
  });

  it('what must reach the traveller after 24 hours: a booking and an apology, as one line', () => {
    expect(templateUse(reply('booked', {}, 'Booked Branding Iron Motel.\nSee you.'))).toEqual({ template: 'booked', variables: { '1': 'Booked Branding Iron Motel. See you.' } });
    expect(templateUse(textReply(OWNER, 'bridge_apology', 'Sorry, busy.'))?.template).toBe('notice');
    expect(templateUse(reply('shortlist', { shortlist: [OPTION] }))).toBeUndefined();
  });
});
