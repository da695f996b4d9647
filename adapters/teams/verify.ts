// Bot Framework JWTs (a connector → bot call), checked with `jose` against the keys published
// next to the OpenID metadata (adapters/teams/signing-keys.ts): Bearer scheme, issuer
// https://api.botframework.com only, audience the bot, RS256 only, `nbf` with 5 minutes of skew,
// `exp` with 60 s of grace, a signing key endorsed for the activity's channelId, and a serviceurl
// claim matching the activity's serviceUrl — always, so a token cannot send replies elsewhere.
// https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { HttpRequest } from '../../core/http.ts';
import type { Verdict } from '../../core/ingress.ts';
import type { TeamsConfig } from './config.ts';
import { BotFrameworkSigningKeys } from './signing-keys.ts';

const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';
/** Microsoft's 5 minutes of clock skew (the Teams SDK's, which this replaces), for `nbf`. */
const CLOCK_SKEW_SECONDS = 300;
/** Tokens live an hour; past `exp` we allow one minute, not the skew's five. */
const EXPIRY_GRACE_SECONDS = 60;

const normalizeUrl = (url: string) => url.replace(/\/+$/, '').toLowerCase();
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function unverifiedClaims(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

function unverifiedHeader(token: string): { alg?: unknown; kid?: unknown } | undefined {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
}

export class TeamsVerifier {
  private readonly signingKeys: BotFrameworkSigningKeys;
  /** The audiences the Bot Framework mints for a bot (the Teams SDK accepted the same three). */
  private readonly audiences: string[];

  constructor(config: Pick<TeamsConfig, 'appId' | 'tenantId' | 'openIdMetadataUrl'>) {
    this.signingKeys = new BotFrameworkSigningKeys(config.openIdMetadataUrl);
    this.audiences = [config.appId, `api://botid-${config.appId}`, `api://${config.appId}`];
  }

  async verify(request: HttpRequest, now: number): Promise<Verdict> {
    const auth = request.headers.authorization ?? '';
    if (!/^Bearer\s+\S+/i.test(auth)) return { ok: false, reason: 'unsigned: no bearer token' };
    let activity: { serviceUrl?: unknown; channelId?: unknown };
    try {
      activity = (JSON.parse(request.body.toString('utf8')) ?? {}) as typeof activity;
    } catch {
      return { ok: false, reason: 'body is not JSON, so it cannot be bound to the token' };
    }
    const { serviceUrl, channelId } = typeof activity === 'object' ? activity : {};
    if (typeof serviceUrl !== 'string' || serviceUrl === '') return { ok: false, reason: 'activity without serviceUrl' };
    const token = auth.replace(/^Bearer\s+/i, '');
    const claims = unverifiedClaims(token);
    if (claims?.iss !== BOT_FRAMEWORK_ISSUER) return { ok: false, reason: 'issuer is not the Bot Framework' };

    // Refused before any key lookup, so a token that cannot verify never costs a fetch.
    const header = unverifiedHeader(token);
    if (header?.alg !== 'RS256') return { ok: false, reason: `token rejected: algorithm ${String(header?.alg)} is not RS256` };
    if (typeof header.kid !== 'string' || header.kid === '') return { ok: false, reason: 'token rejected: no key id' };
    const signingKey = await this.signingKeys.find(header.kid, now);
    if (!signingKey) return { ok: false, reason: 'token rejected: the signing key is not published' };
    try {
      await jwtVerify(token, signingKey.key, {
        algorithms: ['RS256'],
        issuer: BOT_FRAMEWORK_ISSUER,
        audience: this.audiences,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(now),
      });
    } catch (error) {
      return { ok: false, reason: `token rejected: ${messageOf(error)}` };
    }
    // A missing channelId would otherwise let a key endorsed for any channel through.
    if (typeof channelId !== 'string' || !signingKey.endorsements.includes(channelId)) {
      return { ok: false, reason: `token rejected: the signing key is not endorsed for channel ${typeof channelId === 'string' ? channelId : '(none)'}` };
    }
    if (typeof claims.serviceurl !== 'string' || normalizeUrl(claims.serviceurl) !== normalizeUrl(serviceUrl)) {
      return { ok: false, reason: 'token rejected: serviceurl claim does not match the activity' };
    }
    if (typeof claims.exp !== 'number' || claims.exp + EXPIRY_GRACE_SECONDS < Math.floor(now / 1000)) return { ok: false, reason: 'token expired' };
    return { ok: true };
  }
}
