// Card-number detection: 13–19 digits, optionally grouped by single spaces or dashes, that pass
// the Luhn check and stand alone (not inside a longer token such as psu_1771456992743_x).
// Used wherever text could carry a primary account number (PAN) that must never go further.
// A run of digit groups is searched span by span, so digits next to a card — its expiry in
// "4111 1111 1111 1111 12/26" — cannot hide it by making the whole run Luhn-invalid.

const RUN = /(?<![\w-])\d+(?:[ -]\d+)*(?![\w-])/g;

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
  for (const run of text.matchAll(RUN)) {
    const groups = [...run[0].matchAll(/\d+/g)].map((g) => ({ digits: g[0], start: g.index, end: g.index + g[0].length }));
    // Left to right, the longest card-shaped span of whole groups starting at each group.
    for (let i = 0; i < groups.length; ) {
      let match: number | undefined;
      let digits = '';
      for (let j = i; j < groups.length && digits.length + groups[j]!.digits.length <= 19; j++) {
        digits += groups[j]!.digits;
        if (digits.length >= 13 && luhnValid(digits)) match = j;
      }
      if (match === undefined) {
        i++;
        continue;
      }
      found.push(run[0].slice(groups[i]!.start, groups[match]!.end));
      i = match + 1;
    }
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
