// The WhatsApp renderer as a pure function: every status, missing fields, and long messages
// split at line boundaries without breaking a link.
import { describe, expect, it } from 'vitest';
import { parseEventData } from '../../core/brek/results.ts';
import { replyFromResult, textReply, type Reply } from '../../core/reply.ts';
import { MAX_OPTIONS_SHOWN } from '../../core/reply-format.ts';
import { MAX_BODY, renderWhatsApp, splitMessage } from '../../adapters/whatsapp/render.ts';

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
