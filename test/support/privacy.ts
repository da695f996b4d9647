// The privacy check of the reliability suite: everything the bridge wrote to its log and sent to
// Brek is captured, then searched for the exact personal values and secrets the tests used (in
// every spelling a leak could take) and for anything shaped like a card number, a phone number
// or a credential. The patterns are this file's own, not the logger's, so a gap in the logger's
// scrubber shows up here instead of being repeated.
import { expect } from 'vitest';
import type { FakeSlack } from '../../dev/fakes/slack.ts';
import type { Exchange } from '../../sandbox/server.ts';

export interface Leak {
  where: string;
  what: string;
  sample: string;
  /** The text around it, the value itself masked, so a failure says where it sat. */
  around: string;
}

function around(text: string, found: string): string {
  const at = text.indexOf(found);
  return `${text.slice(Math.max(0, at - 40), at)}<${found.length} chars>${text.slice(at + found.length, at + found.length + 40)}`;
}

/**
 * Luhn-valid digit runs of card length, spaces and dashes allowed between digits, standing alone:
 * digits inside an identifier (Brek's `sess_1795839598763_x`, a Teams activity id at the end of an
 * idempotency key `…:text:1795839598763`) are not a typed card. The exact card numbers the tests
 * type are searched for everywhere besides (see `known`).
 */
function cardNumbersIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?<![\w.:-])\d(?:[ -]?\d){12,18}(?![\w-])/g)) {
    const digits = match[0].replace(/[ -]/g, '');
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) found.push(match[0]);
  }
  return found;
}

const SHAPES: { what: string; pattern: RegExp }[] = [
  { what: 'phone number', pattern: /\+\d{8,15}\b/g },
  // A number after whatsapp: (the bridge's hashed ids are hex, so they do not match).
  { what: 'whatsapp address', pattern: /whatsapp:\+?\d{7,15}(?!\w)/gi },
  { what: 'slack token', pattern: /xox[abposr]-[A-Za-z0-9-]{6,}/g },
  { what: 'bearer credential', pattern: /Bearer\s+[A-Za-z0-9._~+/=-]{8,}/gi },
  { what: 'jwt', pattern: /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./g },
];

/** Every spelling of a known value a leak could take: as is, digits only, URL- and JSON-escaped. */
function spellings(value: string): string[] {
  const digits = value.replace(/\D/g, '');
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  if (digits.length >= 8 && /^[\d +()-]+$/.test(value.replace(/^whatsapp:/, ''))) forms.add(digits);
  return [...forms].filter((form) => form.length >= 6);
}

export function findLeaks(sources: { where: string; text: string }[], known: string[]): Leak[] {
  const leaks: Leak[] = [];
  const knownForms = known.flatMap((value) => spellings(value).map((form) => ({ value, form })));
  for (const { where, text } of sources) {
    for (const card of cardNumbersIn(text)) leaks.push({ where, what: 'card number', sample: card, around: around(text, card) });
    for (const { what, pattern } of SHAPES) {
      for (const match of text.matchAll(pattern)) leaks.push({ where, what, sample: match[0], around: around(text, match[0]) });
    }
    for (const { value, form } of knownForms) {
      if (text.includes(form)) leaks.push({ where, what: 'known secret or personal value', sample: `${value.slice(0, 4)}…`, around: around(text, form) });
    }
  }
  return leaks;
}

/** What Brek saw of an exchange, less the partner credential that Brek is meant to receive. */
export function brekRequestText(exchange: Exchange): string {
  const headers = Object.fromEntries(
    Object.entries(exchange.requestHeaders).filter(([name]) => !['authorization', 'x-api-key', 'x-partner-api-key'].includes(name.toLowerCase())),
  );
  return `${exchange.method} ${exchange.path}\n${JSON.stringify(headers)}\n${exchange.requestBody}`;
}

/** No Slack token (issued by the fake, or any xox*- shape) and no client secret in the table or the logs. */
export function expectNoSlackSecrets(table: string, logText: string, slack: FakeSlack): void {
  for (const token of slack.oauth.tokens.keys()) {
    expect(table).not.toContain(token);
    expect(logText).not.toContain(token);
  }
  expect(table).not.toMatch(/xox[bpe]-/);
  expect(logText).not.toMatch(/xox[bpe]-/);
  expect(logText).not.toContain(slack.oauth.clientSecret);
}
