// The Slack renderer as a pure function: structure (blocks, action ids, URLs, styles) for every
// status and for artifacts with fields missing; every message checked against Block Kit limits.
import type { Button, KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseEventData } from '../../core/brek/results.ts';
import { replyFromResult, textReply, type Reply } from '../../core/reply.ts';
import { MAX_OPTIONS_SHOWN } from '../../core/reply-format.ts';
import { escapeMrkdwn, readButton, renderClicked, renderSlack } from '../../adapters/slack/render.ts';
import { blockKitProblems } from '../support/blockkit.ts';

const OWNER = 'slack:T1:U1';

function reply(status: string, artifacts?: unknown, text = 'Message from Brek'): Reply {
  const data = parseEventData({ result: { status, message: { text }, artifacts } });
  return replyFromResult(data!.result, OWNER);
}

function render(r: Reply) {
  const message = renderSlack(r);
  expect(blockKitProblems(message)).toEqual([]);
  return message;
}

function buttonsOf(blocks: KnownBlock[]): Button[] {
  return blocks.flatMap((b) => {
    if (b.type === 'section' && b.accessory?.type === 'button') return [b.accessory];
    if (b.type === 'actions') return b.elements.filter((e): e is Button => e.type === 'button');
    return [];
  });
}

const OPTION = { optionId: 'o-1', name: 'Inn <at> the Market & Co', pricePerNight: 276.66, totalPrice: 980.67, currency: 'USD', refundable: true, rating: 4.8, distanceTo: '0.4 miles from Seattle', detailsUrl: 'https://b.test/book/hotel/abc?checkIn=2026-03-20' };

describe('shortlist', () => {
  it('one section per option with every fact, a Book button carrying the option and owner, and a details link', () => {
    const { text, blocks } = render(reply('shortlist', { shortlist: [OPTION, { ...OPTION, optionId: 'o-2', name: 'Second', refundable: false }] }));
    expect(blocks).toHaveLength(3);
    const first = blocks[1]!;
    expect(first.type).toBe('section');
    const body = (first as { text: { text: string } }).text.text;
    expect(body).toBe(
      '*1. Inn &lt;at&gt; the Market &amp; Co*\n$276.66/night · $980.67 total\nRefundable · ★ 4.8 · 0.4 miles from Seattle\n<https://b.test/book/hotel/abc?checkIn=2026-03-20|View details>',
    );
    const [book1, book2] = buttonsOf(blocks);
    expect(book1).toMatchObject({ type: 'button', action_id: 'book_option:1', style: 'primary', text: { type: 'plain_text', text: 'Book' } });
    expect(readButton(book1!.action_id!, book1!.value)).toEqual({ action: 'book_option', ownerActorId: OWNER, optionId: 'o-1', label: 'Inn <at> the Market & Co' });
    expect(book2?.action_id).toBe('book_option:2');
    expect(JSON.stringify(blocks[2])).toContain('Non-refundable');
    // The top-level text is mrkdwn too: Brek's text escaped there as in the blocks.
    expect(text).toBe('Message from Brek\n1. Inn &lt;at&gt; the Market &amp; Co\n2. Second');
  });

  it('options with fields missing render what there is; without an optionId there is no Book button', () => {
    const { blocks } = render(reply('shortlist', { shortlist: [{ name: 'Bare' }, { optionId: 'x' }] }));
    expect((blocks[1] as { text: { text: string } }).text.text).toBe('*1. Bare*');
    expect((blocks[1] as { accessory?: unknown }).accessory).toBeUndefined();
    expect((blocks[2] as { text: { text: string } }).text.text).toBe('*2. Option 2*');
    expect(buttonsOf(blocks).map((b) => b.action_id)).toEqual(['book_option:2']);
  });

  it('a long shortlist is cut off gracefully within Block Kit limits', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ ...OPTION, optionId: `o-${i}`, name: `Hotel ${i} ${'x'.repeat(400)}` }));
    const { blocks } = render(reply('shortlist', { shortlist: many }, 'y'.repeat(5000)));
    expect(buttonsOf(blocks)).toHaveLength(MAX_OPTIONS_SHOWN);
    expect(JSON.stringify(blocks.at(-1))).toContain(`and ${60 - MAX_OPTIONS_SHOWN} more`);
  });

  it('an empty shortlist is plain text', () => {
    const { blocks } = render(reply('shortlist', { shortlist: [] }));
    expect(blocks).toHaveLength(1);
    expect(buttonsOf(blocks)).toEqual([]);
  });
});

describe('the booking steps', () => {
  it('guest_name_required: the prompt only', () => {
    const { blocks, text } = render(reply('guest_name_required', undefined, 'Before I book, I need the guest name.'));
    expect(blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'Before I book, I need the guest name.' } }]);
    expect(text).toBe('Before I book, I need the guest name.');
  });

  it('payment_setup_required: the message, a Set up payment URL button and the "done" hint', () => {
    const url = 'https://b.test/portal/payment?token=psu_1_abc';
    const { blocks } = render(reply('payment_setup_required', { payment: { setupUrl: url } }, `Set up here: ${url}`));
    const [setup] = buttonsOf(blocks);
    expect(setup).toMatchObject({ text: { text: 'Set up payment' }, url, style: 'primary', action_id: 'open_url:setup' });
    expect(setup?.value).toBeUndefined();
    expect(JSON.stringify(blocks.at(-1))).toContain('Reply *done* here');
    // Without a URL there is nothing to click.
    expect(buttonsOf(render(reply('payment_setup_required', {})).blocks)).toEqual([]);
  });

  it('payment_confirmation_required: the card and Yes (primary) / No (danger) buttons', () => {
    const { blocks } = render(
      reply('payment_confirmation_required', { payment: { paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 3, expYear: 2030 } }),
    );
    expect(JSON.stringify(blocks[1])).toContain('*Card:* VISA •••• 4242 (exp 03/2030)');
    const [yes, no] = buttonsOf(blocks);
    expect(yes).toMatchObject({ action_id: 'confirm_payment_card', style: 'primary', text: { text: 'Yes, use this card' } });
    expect(readButton(yes!.action_id!, yes!.value)).toMatchObject({ action: 'confirm_payment_card', ownerActorId: OWNER, paymentMethodId: 'pm_card_visa' });
    expect(no).toMatchObject({ action_id: 'decline_payment', style: 'danger', text: { text: 'No' } });
    // Card details missing: still the two buttons, no card line.
    const bare = render(reply('payment_confirmation_required')).blocks;
    expect(bare).toHaveLength(2);
    expect(buttonsOf(bare).map((b) => b.action_id)).toEqual(['confirm_payment_card', 'decline_payment']);
  });

  it('booked: hotel, total, booking id, cancel policy; View booking link and Cancel booking with a confirm dialog', () => {
    const booking = { bookingId: 'A1WDDC', confirmationBookingId: 'c1', hotelName: 'Branding Iron Motel', totalPrice: 110.26, currency: 'USD', confirmationUrl: 'https://b.test/my-bookings/c1', cancelPolicy: 'Refundable until 2026-05-15T01:00:00Z' };
    const { blocks, text } = render(reply('booked', { booking }, 'Booked Branding Iron Motel.'));
    const fields = (blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toEqual(['*Hotel*\nBranding Iron Motel', '*Total*\n$110.26', '*Booking id*\nA1WDDC', '*Cancellation*\nRefundable until 2026-05-15T01:00:00Z']);
    const [view, cancel] = buttonsOf(blocks);
    expect(view).toMatchObject({ text: { text: 'View booking' }, url: 'https://b.test/my-bookings/c1' });
    expect(cancel).toMatchObject({ action_id: 'cancel_booking', style: 'danger', confirm: { style: 'danger', confirm: { text: 'Cancel booking' }, deny: { text: 'Keep it' } } });
    expect(readButton(cancel!.action_id!, cancel!.value)).toMatchObject({ action: 'cancel_booking', bookingId: 'A1WDDC', ownerActorId: OWNER });
    expect(text).toBe('Booked Branding Iron Motel. — Branding Iron Motel — Booking A1WDDC — https://b.test/my-bookings/c1');
    // A booking with nothing but a message is still a message.
    expect(render(reply('booked', {}, 'Booked.')).blocks).toHaveLength(1);
  });

  it('error and unknown statuses: text only, never write buttons', () => {
    for (const r of [reply('error', { shortlist: [OPTION] }), reply('clarification_required', { booking: { bookingId: 'B' } }), reply('something_new'), textReply(OWNER, 'bridge_apology', 'Sorry')]) {
      const { blocks } = render(r);
      expect(blocks).toHaveLength(1);
      expect(buttonsOf(blocks)).toEqual([]);
    }
    // Empty text still renders (Slack refuses empty sections).
    expect(render(reply('error', undefined, '')).blocks).toHaveLength(1);
  });
});

describe('escaping and values', () => {
  it('escapes mrkdwn control characters in Brek text', () => {
    expect(escapeMrkdwn('a < b & c > d <https://x|y>')).toBe('a &lt; b &amp; c &gt; d &lt;https://x|y&gt;');
    const { blocks, text } = render(reply('error', undefined, 'Use <!channel> & <@U1>'));
    expect(JSON.stringify(blocks)).toContain('Use &lt;!channel&gt; &amp; &lt;@U1&gt;');
    expect(text).toBe('Use &lt;!channel&gt; &amp; &lt;@U1&gt;');
  });

  it('keeps accents and emoji intact', () => {
    const { blocks } = render(reply('shortlist', { shortlist: [{ ...OPTION, name: 'Hôtel Château Étoile ✨🏨' }] }));
    expect(JSON.stringify(blocks)).toContain('Hôtel Château Étoile ✨🏨');
  });

  it('rejects button values that are not ours', () => {
    expect(readButton('book_option:1', 'not json')).toBeUndefined();
    expect(readButton('book_option:1', '{"i":"x"}')).toBeUndefined();
    expect(readButton('open_url:setup', undefined)).toBeUndefined();
    expect(readButton('something_else', '{"o":"a"}')).toBeUndefined();
  });

  it('a URL in <url|label> has |, < and > percent-encoded, even in a Reply not built from Brek', () => {
    const hand: Reply = { ...textReply(OWNER, 'shortlist', 'Pick one'), kind: 'shortlist', options: [{ index: 1, name: 'A', detailsUrl: 'https://b.test/a|b>c<d' }] };
    const { blocks } = render(hand);
    expect((blocks[1] as { text: { text: string } }).text.text).toContain('<https://b.test/a%7Cb%3Ec%3Cd|View details>');
    // Built from Brek, the URL is already RFC 3986-clean (core/reply.ts): the same link.
    const built = render(reply('shortlist', { shortlist: [{ ...OPTION, detailsUrl: 'https://b.test/a|b' }] }));
    expect(JSON.stringify(built.blocks)).toContain('<https://b.test/a%7Cb|View details>');
  });

  it('a link too long for a button is left to the text; an id too long for a value loses only its button', () => {
    const long = `https://b.test/${'a'.repeat(3_100)}`;
    const setup = render(reply('payment_setup_required', { payment: { setupUrl: long } }));
    expect(buttonsOf(setup.blocks).map((b) => b.action_id)).toEqual(['say:0']);
    expect(setup.text).toContain(long);
    const ids = render(reply('shortlist', { shortlist: [{ ...OPTION, optionId: 'x'.repeat(2_100) }, { ...OPTION, optionId: 'o-2', name: 'Second' }] }));
    expect(buttonsOf(ids.blocks).map((b) => b.action_id)).toEqual(['book_option:2']);
    expect(JSON.stringify(ids.blocks[1])).toContain('1. Inn &lt;at&gt; the Market &amp; Co');
    const card = render(reply('payment_confirmation_required', { payment: { paymentMethodId: 'p'.repeat(2_100) } }));
    expect(buttonsOf(card.blocks).map((b) => b.action_id)).toEqual(['decline_payment']);
    expect(JSON.stringify(card.blocks)).toContain('Reply *yes* here');
  });

  it('the clicked message turns into a one-line progress note without buttons', () => {
    expect(renderClicked('<!channel> & co', 'book_option')).toEqual({ text: '⏳ Booking &lt;!channel&gt; &amp; co…', blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: '⏳ Booking &lt;!channel&gt; &amp; co…' }] }] });
    expect(renderClicked('Hôtel ✨', 'book_option')).toEqual({ text: '⏳ Booking Hôtel ✨…', blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: '⏳ Booking Hôtel ✨…' }] }] });
    expect(renderClicked(undefined, 'decline_payment').text).toBe('✋ You declined this payment.');
  });
});
