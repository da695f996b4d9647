// The PCI guard's table: card numbers in the spellings travellers use must be caught; ordinary
// numbers (dates, prices, phones, option numbers, booking ids, Brek ids) must pass untouched.
import { describe, expect, it } from 'vitest';
import { CARD_NUMBER_MARK, containsCardNumber, findCardNumbers, luhnValid, redactCardNumbers } from '../../core/pci.ts';

const CARD_NUMBERS: [string, string][] = [
  ['visa, plain', '4242424242424242'],
  ['visa, spaces', 'my card is 4242 4242 4242 4242'],
  ['visa, dashes', '4242-4242-4242-4242 exp 12/30'],
  ['visa, 4111', 'use 4111 1111 1111 1111 please'],
  ['visa 13 digits', '4222222222222'],
  ['visa 19 digits', '4242424242424242428'],
  ['mastercard', '5555 5555 5555 4444'],
  ['mastercard 2-series', '2223003122003222'],
  ['amex 4-6-5', '3782 822463 10005'],
  ['amex plain', 'amex 371449635398431.'],
  ['discover', '6011 1111 1111 1117'],
  ['diners 14 digits', '3056 9309 0259 04'],
  ['jcb', '3566002020360505'],
  ['unionpay', '6200000000000005'],
  ['in a sentence with punctuation', 'card: 4242424242424242, cvc 123'],
  ['in parentheses', '(5555555555554444)'],
  ['after a newline', 'hi\n4000056655665556'],
  ['two cards', '4242424242424242 and 5555555555554444'],
  ['mixed separators', '4242 4242-4242 4242'],
  ['at the end of a question', 'can you charge 6011000990139424?'],
];

const ORDINARY: [string, string][] = [
  ['fails Luhn', '4242 4242 4242 4241'],
  ['phone, E.164', 'call me at +14155550100'],
  ['phone, grouped', '+1 415 555 0100'],
  ['dates', 'from 5/15 to 5/16, 2026-05-15'],
  ['prices', 'under $200 or 1,250.00 total'],
  ['option number', 'book option 2'],
  ['booking id', 'booking A1WDDC'],
  ['confirmation id', '699649fae0ee4bb440ddccf7'],
  ['Brek setup token', 'https://x.test/portal/payment?token=psu_1771456992743_e2634ddd'],
  ['Brek event id', 'evt_1771456966998'],
  ['Brek session id', 'sess_1771456953407_g7p6233d'],
  ['Slack ts', '1700000000.123456'],
  ['12 digits', '424242424242'],
  ['20 digits', '42424242424242424242'],
  ['order number, too long', 'order 12345678901234567890123'],
  ['last four only', 'the card ending 4242'],
  ['a UUID', '3d49d4cb-22b1-4963-9280-508fb1190f5c'],
  ['digits inside a word', 'ref4242424242424242x'],
  ['room and nights', '2 rooms for 3 nights'],
  ['zip and year', '98101 in 2026'],
];

describe('card-number detection', () => {
  it.each(CARD_NUMBERS)('catches %s', (_name, text) => {
    expect(containsCardNumber(text)).toBe(true);
    const { text: redacted, redacted: changed } = redactCardNumbers(text);
    expect(changed).toBe(true);
    expect(redacted).toContain(CARD_NUMBER_MARK);
    expect(containsCardNumber(redacted)).toBe(false);
    expect(redacted.replace(/\D/g, '').length).toBeLessThan(13);
  });

  it.each(ORDINARY)('lets %s pass', (_name, text) => {
    expect(findCardNumbers(text)).toEqual([]);
    expect(redactCardNumbers(text)).toEqual({ text, redacted: false });
  });

  it('keeps the words around a card number', () => {
    expect(redactCardNumbers('use 4242 4242 4242 4242 for room 2').text).toBe(`use ${CARD_NUMBER_MARK} for room 2`);
  });

  it('implements Luhn', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });
});
