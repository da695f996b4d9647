// The Bot Framework's signing keys, fetched by us from the OpenID metadata's `jwks_uri` (not by
// jose's remote key set) so each key keeps its `endorsements`. Forged tokens choose their `kid`,
// so a miss must not cost a fetch each: the set is refreshed on a schedule and, on an unknown
// kid, refetched at most once per MISS_REFETCH_MS, concurrent callers sharing that one fetch.
import { importJWK } from 'jose';
import { createLogger } from '../../core/log.ts';
import { isObj } from '../../core/util.ts';

/** jose 5 returns a KeyObject, jose 6 a CryptoKey: whichever it is, jwtVerify takes it. */
type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKey {
  key: VerificationKey;
  /** The channels (activity `channelId`s) this key may sign for. */
  endorsements: readonly string[];
}

/** Microsoft rotates the keys on a schedule of weeks and publishes new ones ahead of use. */
const REFRESH_MS = 24 * 60 * 60 * 1000;
/**
 * An unknown kid refetches at most this often: enough for a key that appeared since the last
 * refresh, bounded for kids a forger makes up. botframework-connector waits an hour; five minutes
 * bounds forged traffic as well and shortens the refusal of a genuine new key.
 */
const MISS_REFETCH_MS = 5 * 60 * 1000;
/** After a failed fetch: soon enough to recover from a blip, not a fetch per request. */
const FAILED_RETRY_MS = 10 * 1000;
const FETCH_TIMEOUT_MS = 5000;

const log = createLogger({ bindings: { component: 'teams-signing-keys' } });

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.json();
}

const stringsOf = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export class BotFrameworkSigningKeys {
  private keys = new Map<string, SigningKey>();
  /** When the last successful fetch was (ms, the verifier's clock); -Infinity before any. */
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /** No fetch starts before this (ms), whatever the cause. */
  private nextFetchAllowedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly openIdMetadataUrl: string) {}

  /** The published key with this kid, or undefined; `now` is the verifier's clock (ms). */
  async find(kid: string, now: number): Promise<SigningKey | undefined> {
    if (now - this.fetchedAt >= REFRESH_MS) await this.refresh(now);
    const known = this.keys.get(kid);
    if (known) return known;
    await this.refresh(now);
    return this.keys.get(kid);
  }

  /** Single-flight and rate-bounded: a caller arriving while a fetch runs waits for that one. */
  private refresh(now: number): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (now < this.nextFetchAllowedAt) return Promise.resolve();
    this.nextFetchAllowedAt = now + FAILED_RETRY_MS;
    this.inFlight = this.fetchKeys()
      .then((keys) => {
        this.keys = keys;
        this.fetchedAt = now;
        this.nextFetchAllowedAt = now + MISS_REFETCH_MS;
      })
      // Keep the keys we had: a stale set beats refusing every delivery while Microsoft is unreachable.
      .catch((error: unknown) => log.warn('teams signing keys: fetch failed, keeping the previous set', { error: error instanceof Error ? error.message : String(error), keys: this.keys.size }))
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<Map<string, SigningKey>> {
    const metadata = await getJson(this.openIdMetadataUrl);
    const jwksUri = isObj(metadata) ? metadata.jwks_uri : undefined;
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw new Error('OpenID metadata without a jwks_uri');
    const set = await getJson(jwksUri);
    const keys = new Map<string, SigningKey>();
    for (const jwk of isObj(set) && Array.isArray(set.keys) ? set.keys : []) {
      if (!isObj(jwk) || jwk.kty !== 'RSA' || typeof jwk.kid !== 'string' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') continue;
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      if (jwk.alg !== undefined && jwk.alg !== 'RS256') continue;
      try {
        // Only the RSA members: the rest (endorsements, x5c) is ours to read, not the importer's.
        const key = await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RS256');
        keys.set(jwk.kid, { key, endorsements: stringsOf(jwk.endorsements) });
      } catch (error) {
        log.warn('teams signing keys: a published key does not import', { kid: jwk.kid, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return keys;
  }
}
