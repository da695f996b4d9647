// Dates as the traveller reads them (core/reply-time.ts), and the progress line (core/wording.ts).
import { describe, expect, it } from 'vitest';
import { formatInstant, localizeInstants, localizeReply } from '../../core/reply-time.ts';
import { textReply } from '../../core/reply.ts';
import { progressNote } from '../../core/wording.ts';

describe('instants in the traveller’s time zone', () => {
  it.each([
    ['2027-05-15T01:00:00Z', 'America/Los_Angeles', 'Fri 14 May, 6:00 PM PDT'],
    ['2027-05-15T01:00:00Z', 'UTC', 'Sat 15 May, 1:00 AM UTC'],
    ['2027-01-15T01:00:00.000Z', 'America/New_York', 'Thu 14 Jan, 8:00 PM EST'],
    ['2027-05-15T03:00:00+02:00', 'UTC', 'Sat 15 May, 1:00 AM UTC'],
  ])('%s in %s reads %s', (iso, zone, expected) => {
    expect(formatInstant(iso, zone)).toBe(expected);
  });

  it('rewrites every instant in a text, leaves bare dates and other digits, and falls back to UTC for an unknown zone', () => {
    expect(localizeInstants('Refundable until 2027-05-15T01:00:00Z; check-in 2027-05-15, room 2027', 'America/Los_Angeles')).toBe(
      'Refundable until Fri 14 May, 6:00 PM PDT; check-in 2027-05-15, room 2027',
    );
    expect(localizeInstants('until 2027-05-15T01:00:00Z', 'Mars/Olympus_Mons')).toBe('until Sat 15 May, 1:00 AM UTC');
    expect(localizeInstants('not an instant: 2027-13-45T99:00:00Z', 'UTC')).toBe('not an instant: 2027-13-45T99:00:00Z');
  });

  it('a reply: its text, options and booking are localised; links and ids never', () => {
    const reply = {
      ...textReply('slack:T:U', 'booked', 'Booked. Free cancellation until 2027-05-15T01:00:00Z.'),
      booking: { bookingId: 'bk_2027-05-15T01:00:00Z', cancelPolicy: 'Refundable until 2027-05-15T01:00:00Z', confirmationUrl: 'https://b.test/c?at=2027-05-15T01:00:00Z' },
    };
    const local = localizeReply(reply, 'America/Los_Angeles');
    expect(local.text).toBe('Booked. Free cancellation until Fri 14 May, 6:00 PM PDT.');
    expect(local.booking).toEqual({ ...reply.booking, cancelPolicy: 'Refundable until Fri 14 May, 6:00 PM PDT' });
  });
});

describe('the progress line while Brek works', () => {
  it.each([
    [{ type: 'text', text: 'Find a refundable hotel in Las Vegas this weekend' }, undefined, 'Searching hotels in Las Vegas…'],
    [{ type: 'text', text: 'hotels in seattle' }, undefined, 'Searching hotels…'],
    [{ type: 'text', text: '2' }, { lastStatus: 'shortlist' }, 'Booking option 2…'],
    [{ type: 'text', text: 'Done' }, { lastStatus: 'payment_setup_required' }, 'Checking your card…'],
    [{ type: 'action', action: 'say', text: 'Done', ownerActorId: 'a' }, { lastStatus: 'payment_setup_required' }, 'Checking your card…'],
    [{ type: 'action', action: 'book_option', optionId: 'o1', ownerActorId: 'a' }, undefined, 'Booking your room…'],
    [{ type: 'action', action: 'confirm_payment_card', ownerActorId: 'a' }, undefined, 'Confirming your payment…'],
    [{ type: 'action', action: 'cancel_booking', bookingId: 'b', ownerActorId: 'a' }, undefined, 'Cancelling your booking…'],
  ] as const)('%j after %j: %s', (input, open, status) => {
    const note = progressNote(input, open);
    expect(note.status).toBe(status);
    expect(note.loading[0]).toBe(status);
  });
});
