// A miss of the PCI guard that the fuzz suite found: a card number followed by more digits —
// typically its expiry, "4111 1111 1111 1111 12/26" — was read as one longer, Luhn-invalid run,
// so nothing was redacted and the number reached the inbox record and Brek. core/pci.ts now
// searches a run of digit groups span by span; these cases keep it that way.
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

describe('a card number followed by its expiry', () => {
  it.each(CARDS)('is removed by redactCardNumbers(%j): %s', (message, card) => {
    expect(redactCardNumbers(message).text).not.toContain(card);
  });

  it('over the stack: Brek never receives the card number of "card 5555555555554444 05/28"', async () => {
    const before = h.brekExchanges.length;
    const res = await postSlack(h.stack.url, slackRequest(messageEvent({ teamId: 'T0PCI', userId: 'UPCI' }, { text: 'card 5555555555554444 05/28' }), SIGNING_SECRET));
    expect(res.status).toBe(200);
    await h.stack.idle();
    const sent = h.brekExchanges.slice(before).map((e) => e.requestBody).join('\n');
    expect(sent).not.toContain('5555555555554444');
  });
});
