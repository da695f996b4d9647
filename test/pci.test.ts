import { describe, expect, it } from 'vitest';
import { containsCardNumber, findCardNumbers, luhnValid } from '../core/pci.ts';

describe('card-number detection', () => {
  it('finds Luhn-valid 13–19 digit numbers, grouped by spaces or dashes', () => {
    expect(findCardNumbers('my card is 4242 4242 4242 4242 thanks')).toEqual(['4242 4242 4242 4242']);
    expect(findCardNumbers('4111-1111-1111-1111')).toEqual(['4111-1111-1111-1111']);
    expect(findCardNumbers('amex 378282246310005.')).toEqual(['378282246310005']);
    expect(findCardNumbers('two: 4242424242424242 and 5555555555554444')).toHaveLength(2);
    expect(containsCardNumber('6011111111111117')).toBe(true); // 16 digits
    expect(containsCardNumber('4222222222222')).toBe(true); // 13 digits
  });

  it('leaves ordinary numbers and ids alone', () => {
    for (const text of [
      '4242 4242 4242 4241', // fails Luhn
      'call me at +1 415 555 0100',
      'booking 1771456992743',
      'https://x.test/portal/payment?token=psu_1771456992743_e2634ddd',
      'evt_1771456966998',
      'order 12345678901234567890123', // too long
      'dates 5/15 to 5/16 for 2 rooms under $200',
    ]) {
      expect(containsCardNumber(text), text).toBe(false);
    }
  });

  it('implements Luhn', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });
});
