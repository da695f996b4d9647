// One error type for every way a Brek call can fail, so callers branch on `kind`, not on HTTP
// details. `retryable` follows the guide: only 429, 5xx, timeouts and network failures.

export type BrekErrorKind =
  | 'validation' // 400
  | 'auth' // 401, 403
  | 'session_not_found' // 404
  | 'actor_mismatch' // 409
  | 'rate_limited' // 429
  | 'server' // 5xx
  | 'timeout' // no answer within the per-try timeout
  | 'network' // connection refused/reset, DNS
  | 'client' // any other 4xx
  | 'malformed_response'; // a 2xx whose body is not the documented envelope

const RETRYABLE: ReadonlySet<BrekErrorKind> = new Set(['rate_limited', 'server', 'timeout', 'network']);

export interface BrekErrorInit {
  kind: BrekErrorKind;
  message: string;
  status?: number | undefined;
  code?: string | undefined;
  details?: unknown;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
  attempts?: number;
  cause?: unknown;
}

export class BrekError extends Error {
  override readonly name = 'BrekError';
  readonly kind: BrekErrorKind;
  readonly status: number | undefined;
  /** Machine-readable `code` from the gateway envelope, when Brek sent one. */
  readonly code: string | undefined;
  readonly details: unknown;
  /** From the body's `requestId` or the `x-request-id` header: what Brek support asks for. */
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** How many tries were made before giving up (1 = no retry). */
  attempts: number;

  constructor(init: BrekErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts ?? 1;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

export function isBrekError(value: unknown, kind?: BrekErrorKind): value is BrekError {
  return value instanceof BrekError && (kind === undefined || value.kind === kind);
}

export function kindForStatus(status: number): BrekErrorKind {
  if (status === 400) return 'validation';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'session_not_found';
  if (status === 409) return 'actor_mismatch';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'client';
}
