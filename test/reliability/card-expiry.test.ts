// A known miss of the PCI guard (core/pci.ts), found while building the fuzz suite: a card number
// followed by a space and more digits — typically its expiry, "4111 1111 1111 1111 12/26" — is
// read as one longer, Luhn-invalid run, so nothing is redacted: the number is stored in the inbox
// record, sent to Brek and kept in the session. DESIGN.md: "A card number (13–19 digits,
// Luhn-valid, spaces/dashes allowed) in a message is never sent to Brek, never stored".
// `it.fails` keeps `npm test` green while the bug stands and turns red once it is fixed, so the
// marker is then removed. Not fixed here: core/ belongs to another change in flight.
import { describe, expect, it } from 'vitest';
import { redactCardNumbers } from '../../core/pci.ts';
import { messageEvent, postSlack, slackRequest } from '../../dev/simulate/slack.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';

const h = useStack();
const CARDS = [
  ['my card is 4111 1111 1111 1111 12/26 cvv 123', '4111 1111 1111 1111'],
  ['card 5555555555554444 05/28', '5555555555554444'],
  ['4242-4242-4242-4242 1 2', '4242-4242-4242-4242'],
] as const;

describe('KNOWN BUG: a card number followed by its expiry is not redacted', () => {
  it.fails.each(CARDS)('redactCardNumbers(%j) removes %s', (message, card) => {
    expect(redactCardNumbers(message).text).not.toContain(card);
  });

  it.fails('over the stack: Brek never receives the card number of "card 5555555555554444 05/28"', async () => {
    const before = h.brekExchanges.length;
    const res = await postSlack(h.stack.url, slackRequest(messageEvent({ teamId: 'T0PCI', userId: 'UPCI' }, { text: 'card 5555555555554444 05/28' }), SIGNING_SECRET));
    expect(res.status).toBe(200);
    await h.stack.idle();
    const sent = h.brekExchanges.slice(before).map((e) => e.requestBody).join('\n');
    expect(sent).not.toContain('5555555555554444');
  });
});
