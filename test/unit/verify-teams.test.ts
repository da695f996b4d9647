// Teams' inbound token check (adapters/teams/verify.ts) called directly, one table row per
// request: each row changes exactly one thing in a genuine Bot Framework delivery. The keys are
// served by a local OpenID/JWKS server whose private keys this test holds, so the verifier
// fetches and checks them over HTTP as it does Microsoft's. Expected outcomes are the Bot Framework's rules
// for a connector → bot call (https://learn.microsoft.com/azure/bot-service/rest-api/
// bot-framework-rest-connector-authentication): a Bearer JWT, issuer https://api.botframework.com,
// audience the bot's app id, not expired (5 minutes of skew; we allow 60 s past `exp`, and
// 300 s before `nbf`), signed RS256 by a published key whose endorsements include the
// activity's channelId, and a serviceurl claim matching the activity's serviceUrl.
import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeamsVerifier } from '../../adapters/teams/verify.ts';
import type { HttpRequest } from '../../core/http.ts';
import { serveOpenIdKeys } from '../support/bot-keys.ts';
import { checkVerdict, type VerdictRow } from '../support/verdicts.ts';

const APP_ID = '00000000-0000-4000-8000-00000000b07a';
const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';
/** What the Bot Framework Emulator's tokens carry (botframework-connector's EmulatorValidation). */
const EMULATOR_ISSUER = 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/';
const SERVICE_URL = 'https://smba.trafficmanager.net/amer/';

/** The published keys: one endorsed for Teams, one only for Web Chat; `unpublished` is not served. */
const keys = {
  teams: { kid: 'teams-endorsed-key', pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), endorsements: ['msteams'] },
  webchat: { kid: 'webchat-only-key', pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), endorsements: ['webchat'] },
  unpublished: { kid: 'teams-endorsed-key', pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), endorsements: [] },
  /** Published only once a test rotates it in (`rotatedIn`). */
  rotated: { kid: 'rotated-in-key', pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), endorsements: ['msteams'] },
};
let rotatedIn = false;
type KeyName = keyof typeof keys;

let keyServer: Awaited<ReturnType<typeof serveOpenIdKeys>> | undefined;
/** How many times the key set was fetched. */
let keySetFetches = 0;
let verifier: TeamsVerifier;

beforeAll(async () => {
  const published = () =>
    [keys.teams, keys.webchat, ...(rotatedIn ? [keys.rotated] : [])].map((k) => ({ ...(k.pair.publicKey as KeyObject).export({ format: 'jwk' }), kid: k.kid, use: 'sig', alg: 'RS256', endorsements: k.endorsements }));
  keyServer = await serveOpenIdKeys(published, () => (keySetFetches += 1));
  verifier = new TeamsVerifier({ appId: APP_ID, openIdMetadataUrl: keyServer.openIdMetadataUrl });
});

afterAll(() => keyServer?.close());

/** One delivery as the Bot Framework would make it: a token, its header and key, the activity. */
interface Delivery {
  /** The receiver's clock (ms) passed to verify; tokens are minted against it. */
  now: number;
  claims: Record<string, unknown>;
  alg: 'RS256' | 'RS512';
  kid: string | undefined;
  key: KeyName;
  /** The Authorization header from the token (Bot Framework: `Bearer <token>`). */
  authorization: (token: string) => string | undefined;
  /** The token from the signed one (Bot Framework: as signed). */
  token: (signed: string) => string;
  activity: Record<string, unknown>;
  /** The body from the activity (Bot Framework: its JSON). */
  body: (activity: Record<string, unknown>) => string;
}

function genuine(): Delivery {
  const now = Date.now();
  const seconds = Math.floor(now / 1000);
  return {
    now,
    claims: { serviceurl: SERVICE_URL, nbf: seconds - 5, exp: seconds + 3600, iss: BOT_FRAMEWORK_ISSUER, aud: APP_ID },
    alg: 'RS256',
    kid: keys.teams.kid,
    key: 'teams',
    authorization: (token) => `Bearer ${token}`,
    token: (signed) => signed,
    activity: {
      type: 'message',
      id: '1780000000000',
      channelId: 'msteams',
      serviceUrl: SERVICE_URL,
      from: { id: '29:unit-user', aadObjectId: 'aad-unit-user' },
      recipient: { id: `28:${APP_ID}`, name: 'Brek' },
      conversation: { id: 'a:aad-unit-user', conversationType: 'personal', tenantId: 'tenant-unit' },
      text: 'vegas tomorrow',
    },
    body: (activity) => JSON.stringify(activity),
  };
}

function sign(d: Delivery): string {
  return jwt.sign(d.claims, keys[d.key].pair.privateKey, { algorithm: d.alg, ...(d.kid === undefined ? {} : { keyid: d.kid }) });
}

function toRequest(d: Delivery): HttpRequest {
  const authorization = d.authorization(d.token(sign(d)));
  return {
    method: 'POST',
    path: '/teams/messages',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(authorization === undefined ? {} : { authorization }) },
    body: Buffer.from(d.body(d.activity)),
  };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

type Row = VerdictRow<Delivery>;
const check = checkVerdict;

const REJECTED = /^token rejected/;
/** One claim set, or removed when `value` is undefined. */
const claim = (name: string, value: unknown) => (d: Delivery): Delivery => {
  const { [name]: _replaced, ...others } = d.claims;
  return { ...d, claims: value === undefined ? others : { ...others, [name]: value } };
};
/** `exp` this many seconds from the receiver's clock. */
const expiresIn = (offset: number) => (d: Delivery): Delivery => claim('exp', Math.floor(d.now / 1000) + offset)(d);

const rows: Row[] = [
  ['genuine', (d) => d, 'accepted'],
  ['the scheme spelt `bearer` (auth schemes are case-insensitive)', (d) => ({ ...d, authorization: (t) => `bearer ${t}` }), 'accepted'],
  ['no Authorization header', (d) => ({ ...d, authorization: () => undefined }), /^unsigned/],
  ['a Basic Authorization header', (d) => ({ ...d, authorization: () => `Basic ${Buffer.from(`${APP_ID}:password`).toString('base64')}` }), /^unsigned/],
  ['`Bearer` with no token', (d) => ({ ...d, authorization: () => 'Bearer ' }), /^unsigned/],
  ['a token that is not a JWT', (d) => ({ ...d, token: () => 'not-a-jwt-at-all' }), /issuer is not the Bot Framework/],
  ['audience another bot', claim('aud', 'ffffffff-0000-4000-8000-00000000b07a'), REJECTED],
  ['audience missing', claim('aud', undefined), REJECTED],
  ['issuer not the Bot Framework', claim('iss', 'https://evil.example'), /issuer is not the Bot Framework/],
  ['an Emulator token (Entra v1 issuer; not a Teams connector call)', claim('iss', EMULATOR_ISSUER), /issuer is not the Bot Framework/],
  ['an Entra v2 token for the bot (the SDK’s agentic path, which skips serviceurl)', claim('iss', 'https://login.microsoftonline.com/tenant-unit/v2.0'), /issuer is not the Bot Framework/],
  ['expired 60 s ago (within our grace)', expiresIn(-60), 'accepted'],
  ['expired 61 s ago (past our grace, within the SDK’s 300 s)', expiresIn(-61), /token expired/],
  ['expired 10 min ago', expiresIn(-600), REJECTED],
  ['no exp claim', claim('exp', undefined), /token expired/],
  ['not valid for another 4 min (nbf, inside the 5-minute skew)', (d) => claim('nbf', Math.floor(d.now / 1000) + 240)(d), 'accepted'],
  ['not valid for another 6 min (nbf, past the 5-minute skew)', (d) => claim('nbf', Math.floor(d.now / 1000) + 360)(d), REJECTED],
  ['a kid the metadata does not publish', (d) => ({ ...d, kid: 'some-other-key' }), REJECTED],
  ['an unpublished key under the published kid', (d) => ({ ...d, key: 'unpublished' }), REJECTED],
  ['RS512 with the published key (the metadata offers RS256 only)', (d) => ({ ...d, alg: 'RS512' }), REJECTED],
  ['alg none, no signature', (d) => ({ ...d, token: (t) => `${b64url({ alg: 'none', typ: 'JWT', kid: keys.teams.kid })}.${t.split('.')[1]}.` }), REJECTED],
  [
    'HS256 keyed with the published public key (algorithm confusion)',
    (d) => ({
      ...d,
      token: (t) => {
        const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: keys.teams.kid })}.${t.split('.')[1]}`;
        const pem = keys.teams.pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
        return `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
      },
    }),
    REJECTED,
  ],
  [
    'claims changed after signing (serviceurl and activity pointed elsewhere)',
    (d) => ({
      ...d,
      activity: { ...d.activity, serviceUrl: 'https://evil.example/teams/' },
      token: (t) => {
        const [header, , signature] = t.split('.');
        return `${header}.${b64url({ ...claimsOf(t), serviceurl: 'https://evil.example/teams/' })}.${signature}`;
      },
    }),
    REJECTED,
  ],
  ['serviceurl claim for another region than the activity’s', claim('serviceurl', 'https://smba.trafficmanager.net/emea/'), REJECTED],
  ['activity serviceUrl changed (claim kept)', (d) => ({ ...d, activity: { ...d.activity, serviceUrl: 'https://evil.example/teams/' } }), REJECTED],
  ['serviceurl claim missing', claim('serviceurl', undefined), REJECTED],
  ['serviceurl claim without its trailing slash and host in upper case (the SDK compares them normalised)', claim('serviceurl', 'https://SMBA.trafficmanager.net/amer'), 'accepted'],
  ['activity without serviceUrl', (d) => ({ ...d, activity: { ...d.activity, serviceUrl: undefined } }), /activity without serviceUrl/],
  ['body not JSON', (d) => ({ ...d, body: () => 'serviceUrl=https://smba.trafficmanager.net/amer/' }), /not JSON/],
  // The token binds the bot, the issuer and the serviceUrl, never the body: a changed text passes.
  ['activity text changed (the token does not sign the body)', (d) => ({ ...d, activity: { ...d.activity, text: 'paris tomorrow' } }), 'accepted'],
];

describe('TeamsVerifier: a Bot Framework connector → bot delivery', () => {
  it.each(rows)('%s', async (_name, mutate, expected) => {
    const d = mutate(genuine());
    check(await verifier.verify(toRequest(d), d.now), expected);
  });

  // The Bot Framework says to refuse (403) an activity whose channelId the signing key is not
  // endorsed for (botframework-connector's EndorsementsValidator); the Teams SDK's validator,
  // which the verifier used before, did not.
  it('a key endorsed only for webchat signing an msteams activity → refused', async () => {
    const d: Delivery = { ...genuine(), key: 'webchat', kid: keys.webchat.kid };
    check(await verifier.verify(toRequest(d), d.now), /endors/i);
  });

  // Each forged token with a new kid must not make the ingress fetch Microsoft's key set, or an
  // unauthenticated caller sets our outbound traffic (jwks-rsa, under the Teams SDK, did).
  // botframework-connector refetches on a miss at most once an hour; 20 forgeries may cost one
  // refresh, not 20.
  it('forged tokens with fresh kids do not each fetch the key set', async () => {
    const base = genuine();
    expect((await verifier.verify(toRequest(base), base.now)).ok).toBe(true);
    const before = keySetFetches;
    for (let i = 0; i < 20; i += 1) {
      const forged: Delivery = { ...genuine(), kid: `forged-${randomUUID()}` };
      expect((await verifier.verify(toRequest(forged), forged.now)).ok).toBe(false);
    }
    expect(keySetFetches - before).toBeLessThanOrEqual(1);
  });

  it('the same webchat-only key is accepted for a webchat activity (so the row above tests endorsement alone)', async () => {
    const base = genuine();
    const d: Delivery = { ...base, key: 'webchat', kid: keys.webchat.kid, activity: { ...base.activity, channelId: 'webchat' } };
    check(await verifier.verify(toRequest(d), d.now), 'accepted');
  });

  it('an activity without channelId → refused (dropping it must not skip the endorsement check)', async () => {
    const base = genuine();
    const { channelId: _dropped, ...activity } = base.activity;
    check(await verifier.verify(toRequest({ ...base, activity }), base.now), /endors/i);
  });
});

describe('TeamsVerifier: the key set (fetched, cached, refreshed)', () => {
  /** The same delivery `ms` later on the receiver's clock, its token minted then. */
  const later = (d: Delivery, ms: number): Delivery => {
    const seconds = Math.floor((d.now + ms) / 1000);
    return { ...d, now: d.now + ms, claims: { ...d.claims, nbf: seconds - 5, exp: seconds + 3600 } };
  };

  it('concurrent misses on a cold verifier share one fetch', async () => {
    const cold = new TeamsVerifier({ appId: APP_ID, openIdMetadataUrl: keyServer!.openIdMetadataUrl });
    const before = keySetFetches;
    const forged = Array.from({ length: 20 }, () => ({ ...genuine(), kid: `forged-${randomUUID()}` }));
    const base = genuine();
    const verdicts = await Promise.all([base, ...forged].map((d) => cold.verify(toRequest(d), d.now)));
    expect(verdicts.map((v) => v.ok)).toEqual([true, ...forged.map(() => false)]);
    expect(keySetFetches - before).toBe(1);
  });

  it('a key published after the last fetch is found once the miss interval has passed, and not before', async () => {
    const fresh = new TeamsVerifier({ appId: APP_ID, openIdMetadataUrl: keyServer!.openIdMetadataUrl });
    const base = genuine();
    check(await fresh.verify(toRequest(base), base.now), 'accepted');
    rotatedIn = true;
    try {
      const signedByNewKey: Delivery = { ...base, key: 'rotated', kid: keys.rotated.kid };
      const before = keySetFetches;
      check(await fresh.verify(toRequest(later(signedByNewKey, 60_000)), base.now + 60_000), /not published/);
      expect(keySetFetches - before).toBe(0);
      const afterInterval = later(signedByNewKey, 5 * 60_000);
      check(await fresh.verify(toRequest(afterInterval), afterInterval.now), 'accepted');
      expect(keySetFetches - before).toBe(1);
    } finally {
      rotatedIn = false;
    }
  });

  it('the set is refetched on schedule (24 h), even when every kid is known', async () => {
    const fresh = new TeamsVerifier({ appId: APP_ID, openIdMetadataUrl: keyServer!.openIdMetadataUrl });
    const base = genuine();
    check(await fresh.verify(toRequest(base), base.now), 'accepted');
    const before = keySetFetches;
    const hourLater = later(base, 3_600_000);
    check(await fresh.verify(toRequest(hourLater), hourLater.now), 'accepted');
    expect(keySetFetches - before).toBe(0);
    const dayLater = later(base, 24 * 3_600_000);
    check(await fresh.verify(toRequest(dayLater), dayLater.now), 'accepted');
    expect(keySetFetches - before).toBe(1);
  });
});
