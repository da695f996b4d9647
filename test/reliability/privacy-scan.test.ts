// The privacy scan must be able to fail: it finds what a leak would look like, and only that.
import { describe, expect, it } from 'vitest';
import { findLeaks } from '../support/privacy.ts';

const scan = (text: string, known: string[] = []) => findLeaks([{ where: 'line', text }], known).map((l) => l.what);

describe('the privacy scan', () => {
  it.each([
    ['a card number as typed', 'pay with 4242 4242 4242 4242 please', 'card number'],
    ['a card number run together', '{"text":"4000056655665556"}', 'card number'],
    ['an E.164 phone number', 'from +14155550123 today', 'phone number'],
    ['a WhatsApp address', 'whatsapp:+14155550123', 'phone number'],
    ['a Slack bot token', 'xoxb-1234-5678-abcdef', 'slack token'],
    ['a bearer credential', 'authorization: Bearer abc.def.ghi-jkl', 'bearer credential'],
    ['a JWT', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig', 'jwt'],
  ])('finds %s', (_, text, what) => {
    expect(scan(text)).toContain(what);
  });

  it('finds a known secret or phone number in any spelling: as is, digits only, URL-encoded', () => {
    expect(scan('secret=s3cr3t-value-123', ['s3cr3t-value-123'])).toContain('known secret or personal value');
    expect(scan('wa 14155550199 hashed?', ['+14155550199'])).toContain('known secret or personal value');
    expect(scan('From=whatsapp%3A%2B14155550199', ['whatsapp:+14155550199'])).toContain('known secret or personal value');
  });

  it('does not mistake the bridge’s identifiers for personal data', () => {
    expect(scan('{"sessionId":"sess_1795839598763_6ymn7v35","traceId":"t:slack:sess_1795839598763_x:evt_1795839598763"}')).toEqual([]);
    expect(scan('{"idempotencyKey":"bridge:sess_1_a:text:1795839598763","actorId":"whatsapp:5ae2e897764a957357e0960eb0ff9dce"}')).toEqual([]);
  });
});
