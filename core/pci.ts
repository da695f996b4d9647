// Card-number detection: 13–19 digits, optionally grouped by single spaces or dashes, that pass
// the Luhn check and stand alone (not inside a longer token such as psu_1771456992743_x).
// Used wherever text could carry a primary account number (PAN) that must never go further.

const CANDIDATE = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The card numbers in a text, as they appear there. */
export function findCardNumbers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) found.push(match[0]);
  }
  return found;
}

export function containsCardNumber(text: string): boolean {
  return findCardNumbers(text).length > 0;
}

export const CARD_NUMBER_MARK = '[card number removed]';

/** The text with every card number replaced, and whether there was one. */
export function redactCardNumbers(text: string): { text: string; redacted: boolean } {
  const found = findCardNumbers(text);
  let out = text;
  for (const number of found) out = out.split(number).join(CARD_NUMBER_MARK);
  return { text: out, redacted: found.length > 0 };
}
