// Identifiers in the shapes Brek documents (sess_<ms>_<8 chars>, evt_<ms>, psu_<ms>_<8 chars>).
import { createHash, randomBytes, randomUUID } from 'node:crypto';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomChars(length: number, alphabet = ALPHANUMERIC): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

export const newSessionId = (now: number) => `sess_${now}_${randomChars(8)}`;
export const newSetupToken = (now: number) => `psu_${now}_${randomChars(8)}`;
export const newRequestId = () => randomUUID();
export const newBookingId = () => randomChars(6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
export const newConfirmationBookingId = () => randomBytes(12).toString('hex');

/** evt_<ms> as documented, kept unique by never handing out the same millisecond twice. */
export function eventIdClock(): (now: number) => string {
  let last = 0;
  return (now) => {
    last = Math.max(now, last + 1);
    return `evt_${last}`;
  };
}

/** A UUID-shaped id derived from its inputs, so the same hotel and stay keep one optionId. */
export function stableUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1), for replayable choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
