// A stand-in for the Bot Framework's OpenID metadata and signing keys whose private key the test
// holds, so a test can mint any token the real service could (or could never) send: a chosen
// `nbf`, `alg: none`, HMAC with the public key, claims the fake Teams signer does not offer.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';
const KID = 'reliability-test-key';

export interface BotKeyServer {
  openIdMetadataUrl: string;
  /** A token as the Bot Framework signs it; every claim and header overridable. */
  sign(options: BotTokenOptions): string;
  close(): Promise<void>;
}

export interface BotTokenOptions {
  audience: string;
  serviceUrl?: string;
  issuer?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Seconds from now before which the token is not valid. */
  notBefore?: number;
  /** Sign with a key the metadata does not publish, under the published key id. */
  foreignKey?: boolean;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The Bot Framework's OpenID metadata and its key set (`published()`, read on each fetch) over
 * real HTTP, so the SDK's validator fetches and checks them as it does Microsoft's.
 */
export async function serveOpenIdKeys(
  published: () => object[],
  onKeySetFetch: () => void = () => undefined,
): Promise<{ openIdMetadataUrl: string; close(): Promise<void> }> {
  let base = '';
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/v1/.well-known/openidconfiguration') {
      return send(200, { issuer: BOT_FRAMEWORK_ISSUER, jwks_uri: `${base}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (req.url === '/v1/.well-known/keys') {
      onKeySetFetch();
      return send(200, { keys: published() });
    }
    return send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `alg: none`: a header and claims with an empty signature. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT', kid: KID })}.${b64url(claims)}.`;
}

export async function startBotKeyServer(): Promise<BotKeyServer & { publicKeyPem: string; claims(options: BotTokenOptions): Record<string, unknown> }> {
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys = await serveOpenIdKeys(() => [
    { ...(signing.publicKey as KeyObject).export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256', endorsements: ['msteams'] },
  ]);

  const claims = (o: BotTokenOptions): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    return {
      ...(o.serviceUrl === undefined ? {} : { serviceurl: o.serviceUrl }),
      aud: o.audience,
      iss: o.issuer ?? BOT_FRAMEWORK_ISSUER,
      iat: now,
      exp: now + (o.expiresIn ?? 3600),
      ...(o.notBefore === undefined ? {} : { nbf: now + o.notBefore }),
      jti: randomUUID(),
    };
  };
  return {
    openIdMetadataUrl: keys.openIdMetadataUrl,
    publicKeyPem: signing.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    claims,
    sign: (o) => jwt.sign(claims(o), (o.foreignKey ? foreign : signing).privateKey, { algorithm: 'RS256', keyid: KID }),
    close: keys.close,
  };
}
