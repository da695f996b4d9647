// Latency and fault injection for reliability tests, set through the admin API. Off by default.
// Random draws come from a seeded generator so a failing run can be replayed exactly.
import { seededRandom } from './ids.ts';

export type Endpoint = 'createSession' | 'sendEvent' | 'getSession';
const ENDPOINTS: readonly Endpoint[] = ['createSession', 'sendEvent', 'getSession'];

/** One scripted outcome for the next call: an error status, a hang, or a late answer. */
type ScriptedFault =
  | { status: 429 | 500 | 502 | 503 | 504; retryAfterSeconds?: number }
  | { hang: true }
  | { late: true };

export interface EndpointFaults {
  /** Added before the request is handled. */
  latencyMs?: number;
  /** A further random 0..jitterMs. */
  jitterMs?: number;
  /** Share of calls answered 429 rate_limited (0..1). */
  rate429?: number;
  /** Share of calls answered with `status5xx` (0..1). */
  rate5xx?: number;
  status5xx?: 500 | 502 | 503 | 504;
  /** Retry-After on injected 429/5xx answers; absent = no header. */
  retryAfterSeconds?: number;
  /** Share of calls that never get an answer (the socket is held, then dropped). */
  hangRate?: number;
  /** Share of calls that are processed but answered only after `hangMs`: a timeout after the write. */
  lateRate?: number;
  /** Outcomes for the next calls, used up in order before the rates apply. */
  script?: ScriptedFault[];
}

export interface FaultSettings {
  seed?: number;
  hangMs?: number;
  /** Overrides BREK_SANDBOX_RATE_LIMIT while set. */
  rateLimitPerMinute?: number;
  endpoints?: Partial<Record<Endpoint, EndpointFaults>>;
}

export type FaultDecision =
  | { kind: 'none'; delayMs: number }
  | { kind: 'status'; delayMs: number; status: number; retryAfterSeconds?: number }
  | { kind: 'hang'; delayMs: number; hangMs: number }
  | { kind: 'late'; delayMs: number; hangMs: number };

const DEFAULT_HANG_MS = 30_000;

export class FaultInjector {
  private settings: FaultSettings = {};
  private random = seededRandom(1);

  get current(): FaultSettings {
    return this.settings;
  }

  set(settings: FaultSettings): void {
    this.settings = structuredClone(settings);
    this.random = seededRandom(settings.seed ?? 1);
  }

  clear(): void {
    this.set({});
  }

  decide(endpoint: Endpoint): FaultDecision {
    const faults = this.settings.endpoints?.[endpoint];
    if (!faults) return { kind: 'none', delayMs: 0 };
    const delayMs = (faults.latencyMs ?? 0) + this.random() * (faults.jitterMs ?? 0);
    const hangMs = this.settings.hangMs ?? DEFAULT_HANG_MS;
    const scripted = faults.script?.shift();
    if (scripted) {
      if ('hang' in scripted) return { kind: 'hang', delayMs, hangMs };
      if ('late' in scripted) return { kind: 'late', delayMs, hangMs };
      return withRetryAfter({ kind: 'status', delayMs, status: scripted.status }, scripted.retryAfterSeconds);
    }
    const roll = this.random();
    let edge = faults.rate429 ?? 0;
    if (roll < edge) return withRetryAfter({ kind: 'status', delayMs, status: 429 }, faults.retryAfterSeconds);
    edge += faults.rate5xx ?? 0;
    if (roll < edge) {
      return withRetryAfter({ kind: 'status', delayMs, status: faults.status5xx ?? 503 }, faults.retryAfterSeconds);
    }
    edge += faults.hangRate ?? 0;
    if (roll < edge) return { kind: 'hang', delayMs, hangMs };
    edge += faults.lateRate ?? 0;
    if (roll < edge) return { kind: 'late', delayMs, hangMs };
    return { kind: 'none', delayMs };
  }
}

function withRetryAfter(decision: FaultDecision & { kind: 'status' }, retryAfterSeconds: number | undefined): FaultDecision {
  return retryAfterSeconds === undefined ? decision : { ...decision, retryAfterSeconds };
}

/** Checks an admin request body; returns a reason when it is not a FaultSettings. */
export function validateFaultSettings(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'body must be an object';
  const settings = value as Record<string, unknown>;
  for (const key of Object.keys(settings)) {
    if (!['seed', 'hangMs', 'rateLimitPerMinute', 'endpoints'].includes(key)) return `unknown setting "${key}"`;
  }
  for (const key of ['seed', 'hangMs', 'rateLimitPerMinute'] as const) {
    const v = settings[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) return `${key} must be a number >= 0`;
  }
  const endpoints = settings.endpoints;
  if (endpoints === undefined) return undefined;
  if (typeof endpoints !== 'object' || endpoints === null) return 'endpoints must be an object';
  for (const [name, faults] of Object.entries(endpoints)) {
    if (!(ENDPOINTS as readonly string[]).includes(name)) return `unknown endpoint "${name}" (one of ${ENDPOINTS.join(', ')})`;
    if (typeof faults !== 'object' || faults === null) return `endpoints.${name} must be an object`;
    for (const [key, v] of Object.entries(faults as Record<string, unknown>)) {
      if (key === 'script') {
        if (!Array.isArray(v)) return `endpoints.${name}.script must be an array`;
        continue;
      }
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `endpoints.${name}.${key} must be a number >= 0`;
      if (key.startsWith('rate') && v > 1) return `endpoints.${name}.${key} must be between 0 and 1`;
    }
  }
  return undefined;
}
