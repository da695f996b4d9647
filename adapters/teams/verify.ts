// Bot Framework JWTs, verified by the Teams SDK's own validator (signature against the keys
// published next to the OpenID metadata, audience, expiry, issuer, serviceurl claim), imported
// alone so the ingress does not bundle the SDK's Express app. Two checks are ours: the SDK takes
// an Entra-issued token down another path without the serviceurl check, and skips that check
// when the activity has no serviceUrl — we require the Bot Framework issuer and a matching
// serviceurl always.
import { InboundActivityTokenValidator } from '@microsoft/teams.apps/dist/middleware/auth/inbound-activity-token-validator.js';
import { decodeJwtPayload } from '@microsoft/teams.apps/dist/middleware/auth/jwt-validator.js';
import { PUBLIC, withOverrides } from '@microsoft/teams.api/dist/auth/cloud-environment.js';
import type { HttpRequest } from '../../core/http.ts';
import type { Verdict } from '../../core/ingress.ts';
import type { TeamsConfig } from './config.ts';

const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';
/** Tokens live an hour; the SDK tolerates 5 minutes of skew, we keep to one past expiry. */
const EXPIRY_GRACE_SECONDS = 60;

interface SilentLogger {
  child(): SilentLogger;
  [level: string]: unknown;
}
/** The SDK logs verification failures with the token's details; ours logs one line instead. */
const silent: SilentLogger = new Proxy({} as SilentLogger, { get: (_t, prop) => (prop === 'child' ? () => silent : () => undefined) });

const normalizeUrl = (url: string) => url.replace(/\/+$/, '').toLowerCase();

export class TeamsVerifier {
  private readonly validator: InboundActivityTokenValidator;

  constructor(config: Pick<TeamsConfig, 'appId' | 'tenantId' | 'openIdMetadataUrl'>) {
    const cloud = withOverrides(PUBLIC, { openIdMetadataUrl: config.openIdMetadataUrl });
    this.validator = new InboundActivityTokenValidator(config.appId, config.tenantId, undefined, silent as never, cloud);
  }

  async verify(request: HttpRequest, now: number): Promise<Verdict> {
    const auth = request.headers.authorization ?? '';
    if (!/^Bearer\s+\S+/i.test(auth)) return { ok: false, reason: 'unsigned: no bearer token' };
    let serviceUrl: unknown;
    try {
      serviceUrl = (JSON.parse(request.body.toString('utf8')) as { serviceUrl?: unknown }).serviceUrl;
    } catch {
      return { ok: false, reason: 'body is not JSON, so it cannot be bound to the token' };
    }
    if (typeof serviceUrl !== 'string' || serviceUrl === '') return { ok: false, reason: 'activity without serviceUrl' };
    const token = auth.replace(/^Bearer\s+/i, '');
    const claims = decodeJwtPayload(token);
    if (claims?.iss !== BOT_FRAMEWORK_ISSUER) return { ok: false, reason: 'issuer is not the Bot Framework' };
    try {
      await this.validator.check(`Bearer ${token}`, { serviceUrl });
    } catch (error) {
      return { ok: false, reason: `token rejected: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (typeof claims.serviceurl !== 'string' || normalizeUrl(claims.serviceurl) !== normalizeUrl(serviceUrl)) {
      return { ok: false, reason: 'serviceurl claim does not match the activity' };
    }
    if (typeof claims.exp !== 'number' || claims.exp + EXPIRY_GRACE_SECONDS < Math.floor(now / 1000)) return { ok: false, reason: 'token expired' };
    return { ok: true };
  }
}
