// The credentials this repository ships for development and tests: Brek's here, each channel's in
// its profile (adapters/<channel>/profile.ts). The local stack, the fakes and the sandbox take
// their defaults from there, and a deployed configuration (core/config.ts, 'deployed' mode)
// refuses each of them, so the lists cannot drift. Also the stand-ins a person might paste from
// the README and docs/ ('<partner API key>', 'xoxb-…', 'changeme').
import { knownChannels } from './channel.ts';

/** The Brek sandbox's documented partner key: public, accepted only by the sandbox. */
export const DEV_PARTNER_KEY = 'brek_sandbox_dev_key';

export interface DevDefault {
  /** The variable the dev code sets it in. */
  variable: string;
  value: string;
  /** Said in the refusal instead of the value. */
  what: string;
}

/**
 * Refused when deployed, in any secret variable — except in its own variable when the service it
 * authenticates to is on this machine (localhost, 127.0.0.1, ::1): only a local stand-in accepts it,
 * as under `sst dev` with a local sandbox.
 */
const DEV_DEFAULTS: readonly DevDefault[] = [
  { variable: 'BREK_PARTNER_API_KEY', value: DEV_PARTNER_KEY, what: 'the Brek sandbox’s dev key' },
];

/** Brek's and every loaded channel's (each channel's profile lists its own). */
export function shippedCredentials(): DevDefault[] {
  return [...DEV_DEFAULTS, ...knownChannels().flatMap((profile) => profile.devCredentials)];
}

export function devDefault(value: string): DevDefault | undefined {
  return shippedCredentials().find((d) => d.value === value);
}

/** Stock words people leave in a secret's place (compared whole, ignoring case). */
const STOCK_WORDS = new Set([
  'changeme', 'change-me', 'change_me', 'changeit', 'replaceme', 'replace-me', 'replace_me',
  'secret', 'password', 'passwd', 'token', 'key', 'apikey', 'api-key', 'api_key',
  'test', 'testing', 'dummy', 'example', 'sample', 'placeholder', 'todo', 'tbd', 'fixme',
  'none', 'null', 'undefined', 'default', 'xoxb-',
]);

/**
 * A value no real credential has: a stock word, the docs' `<…>` and `…` stand-ins, an
 * unexpanded shell substitution (`$(openssl rand -hex 32)` pasted in quotes), `your-…`, or one
 * character repeated (`xxxxxxxx`).
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim().toLowerCase();
  return (
    STOCK_WORDS.has(v) ||
    /^<.*>$/.test(v) ||
    v.includes('…') ||
    /\$\(|\$\{/.test(v) ||
    /^your[-_ ]/.test(v) ||
    /^(.)\1*$/u.test(v)
  );
}

/** Host names that can only be this machine. */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  } catch {
    return false;
  }
}
