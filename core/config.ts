// The environment contract of DESIGN.md ("Runtime contract"), read and checked once at start-up.
// Every problem is reported at once, each naming its variable, so a misconfigured deploy fails
// with one readable message instead of a stack trace on the first turn.
import type { AuthStyle } from './brek/client.ts';

export type Mode = 'local' | 'deployed';

export interface CoreConfig {
  mode: Mode;
  brek: {
    /** Unset locally = the embedded sandbox (the local stack fills it in). */
    baseUrl?: string;
    apiKey?: string;
    authStyle: AuthStyle;
  };
  tableName: string;
  /** Unset locally = an embedded DynamoDB-compatible server; unset deployed = AWS itself. */
  dynamoEndpoint?: string;
  /** Keys the WhatsApp actor hash; unset locally = generated once by the local stack. */
  actorIdSecret?: string;
  idempotencyPrefix: string;
  sessionIdleHours: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects problems while reading variables, so all of them are reported together. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  required(name: string, why: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is required ${why}`);
    return value;
  }

  url(name: string, options: { required?: string; httpsOnly?: boolean } = {}): string | undefined {
    const value = options.required ? this.required(name, options.required) : this.optional(name);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problems.push(`${name} must be an absolute URL, got "${value}"`);
      return undefined;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      this.problems.push(`${name} must be an http(s) URL, got "${value}"`);
      return undefined;
    }
    return value.replace(/\/+$/, '');
  }

  number(name: string, fallback: number, { min, max }: { min: number; max: number }): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }

  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

const AUTH_STYLES: readonly AuthStyle[] = ['x-partner-api-key', 'bearer', 'api-key'];
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/** What a function needs beyond the table: an ingress never calls Brek. */
export interface Needs {
  brek: boolean;
  actorIdSecret: boolean;
}

/** Reads the channel-neutral part of the configuration. Channel sections are read by their adapters. */
export function loadCoreConfig(env: Env = process.env, mode: Mode = 'deployed', needs: Needs = { brek: true, actorIdSecret: true }): CoreConfig {
  const read = new EnvReader(env);
  const deployed = mode === 'deployed';
  const requireBrek = deployed && needs.brek;
  const baseUrl = read.url('BREK_BASE_URL', requireBrek ? { required: 'when deployed (the Brek API base URL)' } : {});
  const apiKey = requireBrek || (baseUrl && !deployed)
    ? read.required('BREK_PARTNER_API_KEY', baseUrl && !deployed ? 'when BREK_BASE_URL is set' : 'when deployed')
    : read.optional('BREK_PARTNER_API_KEY');
  const tableName = read.optional('TABLE_NAME') ?? 'brek-bridge';
  if (!TABLE_NAME.test(tableName)) read.problems.push(`TABLE_NAME must be 3-255 letters, digits, "_", "-" or ".", got "${tableName}"`);
  const dynamoEndpoint = read.url('AWS_ENDPOINT_URL_DYNAMODB');
  const actorIdSecret = deployed && needs.actorIdSecret
    ? read.required('ACTOR_ID_SECRET', 'when deployed (it keys the WhatsApp actor id hash)')
    : read.optional('ACTOR_ID_SECRET');
  if (actorIdSecret !== undefined && actorIdSecret.length < 16) {
    read.problems.push('ACTOR_ID_SECRET must be at least 16 characters');
  }
  const idempotencyPrefix = read.optional('IDEMPOTENCY_PREFIX') ?? 'bridge';
  if (!PREFIX.test(idempotencyPrefix)) {
    read.problems.push(`IDEMPOTENCY_PREFIX must be 1-64 letters, digits, "_", "-" or ".", got "${idempotencyPrefix}"`);
  }
  const config: CoreConfig = {
    mode,
    brek: { authStyle: read.oneOf('BREK_AUTH_STYLE', AUTH_STYLES, 'x-partner-api-key') },
    tableName,
    idempotencyPrefix,
    sessionIdleHours: read.number('SESSION_IDLE_HOURS', 24, { min: 0.01, max: 24 * 365 }),
  };
  if (baseUrl) config.brek.baseUrl = baseUrl;
  if (apiKey) config.brek.apiKey = apiKey;
  if (dynamoEndpoint) config.dynamoEndpoint = dynamoEndpoint;
  if (actorIdSecret) config.actorIdSecret = actorIdSecret;
  read.done();
  return config;
}
