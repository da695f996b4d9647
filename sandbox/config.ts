// The sandbox's settings, from the BREK_SANDBOX_* variables (docs/sandbox.md).
import { DEV_PARTNER_KEY } from '../core/dev-defaults.ts';
import { StartupError } from '../dev/cli.ts';

/** The documented dev key: safe to publish, accepted only by the sandbox (a deployed bridge refuses it). */
export { DEV_PARTNER_KEY };
export const DEV_PARTNER_ID = 'demo';

export interface SandboxConfig {
  port: number;
  host: string;
  /** key → partnerId */
  keys: Map<string, string>;
  /** Base of the links handed to travellers (setup, details, confirmation); default the server's own URL. */
  publicUrl?: string;
  /** Enables the /__sandbox admin API (fault injection, request log); unset = no admin API at all. */
  adminKey?: string;
  rateLimitPerMinute: number;
  /** How long a payment setup link stays usable. */
  setupTokenTtlMs: number;
  /** Where its sessions, cards, bookings and setup links are kept across restarts (state.ts); unset = in memory only. */
  dataDir?: string;
}

class SandboxConfigError extends StartupError {}

function parseKeys(spec: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const key = colon === -1 ? entry : entry.slice(0, colon);
    const partnerId = colon === -1 ? '' : entry.slice(colon + 1);
    if (!key || !partnerId) {
      throw new SandboxConfigError(`BREK_SANDBOX_KEYS: "${entry.slice(0, 4)}…" is not key:partnerId`);
    }
    keys.set(key, partnerId);
  }
  if (keys.size === 0) throw new SandboxConfigError('BREK_SANDBOX_KEYS: no key:partnerId pairs given');
  return keys;
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SandboxConfigError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function sandboxConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxConfig {
  const publicUrl = env.BREK_SANDBOX_PUBLIC_URL?.trim();
  if (publicUrl && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    throw new SandboxConfigError(`BREK_SANDBOX_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  }
  const config: SandboxConfig = {
    port: parseInteger('BREK_SANDBOX_PORT', env.BREK_SANDBOX_PORT, 4010, 0, 65535),
    host: env.BREK_SANDBOX_HOST?.trim() || '127.0.0.1',
    keys: parseKeys(env.BREK_SANDBOX_KEYS ?? `${DEV_PARTNER_KEY}:${DEV_PARTNER_ID}`),
    rateLimitPerMinute: parseInteger('BREK_SANDBOX_RATE_LIMIT', env.BREK_SANDBOX_RATE_LIMIT, 120, 1, 1_000_000),
    setupTokenTtlMs: 30 * 60_000,
  };
  if (publicUrl) config.publicUrl = publicUrl.replace(/\/+$/, '');
  if (env.BREK_SANDBOX_ADMIN_KEY) config.adminKey = env.BREK_SANDBOX_ADMIN_KEY;
  if (env.BREK_SANDBOX_DATA_DIR?.trim()) config.dataDir = env.BREK_SANDBOX_DATA_DIR.trim();
  return config;
}
