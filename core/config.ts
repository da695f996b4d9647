// The environment contract (docs/architecture.md, "Routes and environment"), read and checked once at start-up.
// Every problem is reported at once, each naming its variable, so a misconfigured deploy fails
// with one readable message instead of a stack trace on the first turn.
import type { AuthStyle } from './brek/client.ts';
import { knownChannels } from './channel.ts';
import { devDefault, isLoopbackUrl, isPlaceholder } from './dev-defaults.ts';
import type { Logger } from './log.ts';

export type Mode = 'local' | 'deployed';

export interface CoreConfig {
  mode: Mode;
  brek: {
    /** Unset locally = the embedded sandbox (the local stack fills it in). */
    baseUrl?: string;
    apiKey?: string;
    authStyle: AuthStyle;
    /**
     * The partner key's quota, until Brek's answers say (x-ratelimit-limit): the bridge paces its
     * calls to a share of it across every worker (core/brek/quota.ts).
     */
    rateLimitPerMinute: number;
    /** The longest a turn waits for its place in that quota before it is apologised for. */
    queueMaxWaitSeconds: number;
  };
  tableName: string;
  /** Unset locally = an embedded DynamoDB-compatible server; unset deployed = AWS itself. */
  dynamoEndpoint?: string;
  /** Keys hashed actor ids (WhatsApp's phone numbers); unset locally = generated once by the local stack. */
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

/** The secrets the environment contract names for core (each an SST secret when deployed: functions/runtime.ts). */
export const CORE_SECRETS = { BrekPartnerApiKey: 'BREK_PARTNER_API_KEY', ActorIdSecret: 'ACTOR_ID_SECRET' } as const;

/** Every secret variable: core's and each loaded channel's (its profile names them). */
export function secretVariables(): string[] {
  return [...Object.values(CORE_SECRETS), ...knownChannels().flatMap((profile) => Object.values(profile.secrets))];
}

/** Deployed, a secret shorter than this is refused (ACTOR_ID_SECRET needs 16 in every mode). */
const MIN_SECRET_LENGTH = 8;

/**
 * Collects problems while reading variables, so all of them are reported together. A problem names
 * its variable and never holds a secret's value. Deployed, it also refuses what only works on a
 * developer's machine: http to a remote host, development credentials, stand-ins, short secrets.
 */
export class EnvReader {
  readonly problems: string[] = [];
  private readonly secretValues = new Set<string>();
  constructor(
    private readonly env: Env,
    readonly mode: Mode = 'local',
  ) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  required(name: string, why: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is required ${why}`);
    return value;
  }

  /**
   * A secret. `service` is the URL it is sent to: a development credential is accepted there when
   * that URL is on this machine (a local stand-in is all that accepts it).
   */
  secret(name: string, options: { required?: string | undefined; service?: string | undefined; minLength?: number } = {}): string | undefined {
    const value = options.required ? this.required(name, options.required) : this.optional(name);
    if (value === undefined) return undefined;
    this.secretValues.add(value);
    const problem =
      (this.mode === 'deployed' ? this.notForDeployment(name, value, options.service, true) : undefined) ??
      (options.minLength !== undefined && value.length < options.minLength ? `${name} must be at least ${options.minLength} characters` : undefined) ??
      (this.mode === 'deployed' && value.length < MIN_SECRET_LENGTH ? `${name} must be at least ${MIN_SECRET_LENGTH} characters` : undefined);
    if (problem) this.problems.push(problem);
    return value;
  }

  /** A setting that is no secret but has a development default (e.g. the fake Twilio account). */
  setting(name: string, options: { required?: string | undefined; service?: string | undefined } = {}): string | undefined {
    const value = options.required ? this.required(name, options.required) : this.optional(name);
    if (value === undefined || this.mode !== 'deployed') return value;
    const problem = this.notForDeployment(name, value, options.service, false);
    if (problem) this.problems.push(problem);
    return value;
  }

  private notForDeployment(name: string, value: string, service: string | undefined, isSecret: boolean): string | undefined {
    if (isSecret && isPlaceholder(value)) return `${name} is a stand-in, not a real value: set the real one`;
    const shipped = devDefault(value);
    if (shipped && !(shipped.variable === name && isLoopbackUrl(service))) {
      return `${name} is a development value shipped in this repository (${shipped.what}): set the real one`;
    }
    return undefined;
  }

  /** `httpsOnly`: deployed, http is refused except to localhost, 127.0.0.1 or ::1. */
  url(name: string, options: { required?: string; httpsOnly?: boolean } = {}): string | undefined {
    const value = options.required ? this.required(name, options.required) : this.optional(name);
    if (value === undefined) return undefined;
    let parsed: InstanceType<typeof URL>;
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
    if (options.httpsOnly && this.mode === 'deployed' && parsed.protocol === 'http:' && !isLoopbackUrl(value)) {
      this.problems.push(`${name} must be an https URL when deployed (http only to localhost, 127.0.0.1 or ::1)`);
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

  /** Throws every problem at once; a secret's value that reached one (pasted into a URL variable) is blotted out. */
  done(): void {
    if (this.problems.length === 0) return;
    const secrets = [...this.secretValues].filter((v) => v.length >= 6).sort((a, b) => b.length - a.length);
    throw new ConfigError(this.problems.map((problem) => secrets.reduce((text, secret) => text.split(secret).join('[secret]'), problem)));
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
  const read = new EnvReader(env, mode);
  const deployed = mode === 'deployed';
  const requireBrek = deployed && needs.brek;
  const baseUrl = read.url('BREK_BASE_URL', { httpsOnly: true, ...(requireBrek ? { required: 'when deployed (the Brek API base URL)' } : {}) });
  const apiKey = read.secret('BREK_PARTNER_API_KEY', {
    required: requireBrek ? 'when deployed' : baseUrl && !deployed ? 'when BREK_BASE_URL is set' : undefined,
    service: baseUrl,
  });
  const tableName = read.optional('TABLE_NAME') ?? 'brek-bridge';
  if (!TABLE_NAME.test(tableName)) read.problems.push(`TABLE_NAME must be 3-255 letters, digits, "_", "-" or ".", got "${tableName}"`);
  const dynamoEndpoint = read.url('AWS_ENDPOINT_URL_DYNAMODB');
  const actorIdSecret = read.secret('ACTOR_ID_SECRET', {
    required: deployed && needs.actorIdSecret ? 'when deployed (it keys the WhatsApp actor id hash)' : undefined,
    minLength: 16,
  });
  const idempotencyPrefix = read.optional('IDEMPOTENCY_PREFIX') ?? 'bridge';
  if (!PREFIX.test(idempotencyPrefix)) {
    read.problems.push(`IDEMPOTENCY_PREFIX must be 1-64 letters, digits, "_", "-" or ".", got "${idempotencyPrefix}"`);
  }
  const config: CoreConfig = {
    mode,
    brek: {
      authStyle: read.oneOf('BREK_AUTH_STYLE', AUTH_STYLES, 'x-partner-api-key'),
      // Brek's documented example quota; a partner with another sets it (Brek's answers correct it too).
      rateLimitPerMinute: read.number('BREK_RATE_LIMIT_PER_MINUTE', 120, { min: 1, max: 1_000_000 }),
      // A few minutes; the worker's time limit (sst.config.ts) leaves room for it.
      queueMaxWaitSeconds: read.number('BREK_QUEUE_MAX_WAIT_SECONDS', 240, { min: 1, max: 600 }),
    },
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

/** The secrets that are set, by name (never a value). */
function secretsSet(env: Env): string[] {
  return secretVariables().filter((name) => Boolean(env[name]?.trim()));
}

/**
 * A function's cold start: `load` reads its configuration. One line is logged either way — the
 * secrets that are set, by name only, or the problems (each names its variable, never a value) —
 * and a refused configuration is thrown, so the function does not start.
 */
export function configureAtStart<T>(logger: Logger, env: Env, mode: Mode, load: () => T): T {
  let loaded: T;
  try {
    loaded = load();
  } catch (error) {
    if (error instanceof ConfigError) logger.error('configuration refused', { mode, problems: error.problems });
    throw error;
  }
  const set = secretsSet(env);
  // Field names are chosen so the logger's secret-field rule does not blank the names themselves.
  logger.info('configuration', { mode, set, unset: secretVariables().filter((name) => !set.includes(name)) });
  return loaded;
}
