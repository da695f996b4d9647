// Twilio's request signature (adapters/whatsapp/verify.ts) called directly, one table row per
// request: each row changes exactly one thing in a genuine delivery. The expected outcomes are
// Twilio's scheme (https://www.twilio.com/docs/usage/webhooks/webhooks-security): X-Twilio-Signature
// is base64 HMAC-SHA1, keyed with the auth token, of the full URL Twilio requested (query
// included) followed by every POST parameter as name + value, sorted by name (case-sensitive);
// a JSON body is instead bound by its SHA-256 in the URL's bodySHA256 and the URL alone signed.
// The URL is the public one Twilio was configured with, whatever a proxy says the request was.
// The signer below follows that recipe, not our code; for a repeated name it appends each value,
// values sorted, as Twilio's own validators order them.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyTwilio } from '../../adapters/whatsapp/verify.ts';
import type { HttpRequest } from '../../core/http.ts';
import { checkVerdict, type VerdictRow } from '../support/verdicts.ts';

const AUTH_TOKEN = 'unit-test-twilio-auth-token-0123';
const WEBHOOK_URL = 'https://bridge.example.com/whatsapp/webhook';

type Params = [name: string, value: string][];

const MESSAGE: Params = [
  ['SmsMessageSid', 'SM0123456789abcdef0123456789abcdef'],
  ['NumMedia', '0'],
  ['ProfileName', 'Traveller'],
  ['MessageType', 'text'],
  ['WaId', '14155550188'],
  ['SmsStatus', 'received'],
  ['Body', 'vegas tomorrow'],
  ['To', 'whatsapp:+14155550100'],
  ['NumSegments', '1'],
  ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
  ['AccountSid', 'AC00000000000000000000000000000000'],
  ['From', 'whatsapp:+14155550188'],
  ['ApiVersion', '2010-04-01'],
];

/** One delivery as Twilio would make it, and what the receiver is configured with. */
interface Delivery {
  /** The token Twilio signs with. */
  signedWith: string;
  /** The auth token the verifier is configured with. */
  configuredToken: string;
  /** WHATSAPP_WEBHOOK_URL. */
  configuredUrl: string;
  /** The URL Twilio requested: its query is what the bridge receives. */
  requested: string;
  /** The URL in the signed string (Twilio: the one it requested). */
  signedUrl: string;
  /** The parameters as sent, in body order. */
  params: Params;
  /** The parameters in the signed string (Twilio: the ones it sends). */
  signedParams: Params;
  /** The body from the parameters (Twilio: form-encoded). */
  body: (params: Params) => string;
  contentType: string;
  /** X-Twilio-Signature from the computed one (Twilio: as computed); undefined: not sent. */
  signatureHeader: (computed: string) => string | undefined;
  extraHeaders: Record<string, string>;
}

const formEncoded = (params: Params) => new URLSearchParams(params).toString();

function genuine(): Delivery {
  return {
    signedWith: AUTH_TOKEN,
    configuredToken: AUTH_TOKEN,
    configuredUrl: WEBHOOK_URL,
    requested: WEBHOOK_URL,
    signedUrl: WEBHOOK_URL,
    params: MESSAGE,
    signedParams: MESSAGE,
    body: formEncoded,
    contentType: 'application/x-www-form-urlencoded',
    signatureHeader: (computed) => computed,
    extraHeaders: {},
  };
}

/** Twilio's recipe: the URL, then each parameter's name and value, sorted by name (then value). */
function twilioSignature(token: string, url: string, params: Params): string {
  const sorted = [...params].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const data = sorted.reduce((acc, [name, value]) => acc + name + value, url);
  return createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
}

function toRequest(d: Delivery): HttpRequest {
  const requested = new URL(d.requested);
  const signature = d.signatureHeader(twilioSignature(d.signedWith, d.signedUrl, d.signedParams));
  const rawQuery = d.requested.includes('?') ? d.requested.slice(d.requested.indexOf('?') + 1) : '';
  return {
    method: 'POST',
    path: requested.pathname,
    headers: {
      'content-type': d.contentType,
      host: requested.host,
      ...d.extraHeaders,
      ...(signature === undefined ? {} : { 'x-twilio-signature': signature }),
    },
    body: Buffer.from(d.body(d.params), 'utf8'),
    ...(rawQuery ? { rawQuery } : {}),
  };
}

type Row = VerdictRow<Delivery>;
const check = checkVerdict;

const MISMATCH = /signature does not match/;
const withValue = (params: Params, name: string, value: string): Params => params.map(([n, v]) => [n, n === name ? value : v]);
/** Sent and signed alike: what Twilio itself would send. */
const sentAndSigned = (d: Delivery, params: Params): Delivery => ({ ...d, params, signedParams: params });
/** Requested and signed alike. */
const twilioRequests = (d: Delivery, url: string): Delivery => ({ ...d, requested: url, signedUrl: url });

function runTable(base: () => Delivery, rows: Row[]) {
  it.each(rows)('%s', (_name, mutate, expected) => {
    const d = mutate(base());
    check(verifyTwilio(toRequest(d), d.configuredToken, d.configuredUrl), expected);
  });
}

describe('verifyTwilio: an inbound WhatsApp message (form parameters)', () => {
  runTable(genuine, [
    ['genuine', (d) => d, 'accepted'],
    ['signed with another account’s auth token', (d) => ({ ...d, signedWith: 'another-accounts-auth-token-000' }), MISMATCH],
    ['Body changed after signing', (d) => ({ ...d, params: withValue(d.params, 'Body', 'paris tomorrow') }), MISMATCH],
    ['one parameter name’s case changed after signing (Body → body)', (d) => ({ ...d, params: d.params.map(([n, v]) => [n === 'Body' ? 'body' : n, v]) }), MISMATCH],
    ['a parameter added after signing', (d) => ({ ...d, params: [...d.params, ['MediaUrl0', 'https://evil.example/x.jpg']] }), MISMATCH],
    ['a parameter removed after signing', (d) => ({ ...d, params: d.params.filter(([n]) => n !== 'ProfileName') }), MISMATCH],
    ['parameters sent in another order', (d) => ({ ...d, params: [...d.params].reverse() }), 'accepted'],
    ['spaces encoded as %20 rather than + (same values)', (d) => ({ ...d, body: (p) => formEncoded(p).replace(/\+/g, '%20') }), 'accepted'],
    ['accents and emoji in Body, signed as UTF-8', (d) => sentAndSigned(d, withValue(d.params, 'Body', 'Hôtel Château Étoile ✨🏨 à Zürich')), 'accepted'],
    ['a repeated name, both values signed', (d) => sentAndSigned(d, [...d.params, ['Body', 'and two rooms']]), 'accepted'],
    ['a repeated name with its values sent in the other order', (d) => ({ ...d, params: [['Body', 'and two rooms'], ...d.params], signedParams: [...d.params, ['Body', 'and two rooms']] }), 'accepted'],
    ['a repeated name gaining a value after signing', (d) => ({ ...d, params: [...d.params, ['Body', 'paris tomorrow']] }), MISMATCH],
    ['no parameters at all (empty body), the URL alone signed', (d) => sentAndSigned(d, []), 'accepted'],
    ['empty body, the parameters signed', (d) => ({ ...d, params: [] }), MISMATCH],
    ['no X-Twilio-Signature', (d) => ({ ...d, signatureHeader: () => undefined }), /^unsigned/],
    ['an empty X-Twilio-Signature', (d) => ({ ...d, signatureHeader: () => '' }), /^unsigned/],
    ['the signature truncated by one character', (d) => ({ ...d, signatureHeader: (s) => s.slice(0, -1) }), MISMATCH],
    ['Twilio signed the URL with the default port (:443)', (d) => ({ ...d, signedUrl: 'https://bridge.example.com:443/whatsapp/webhook' }), 'accepted'],
    ['configured with :443, Twilio signed it without', (d) => ({ ...d, configuredUrl: 'https://bridge.example.com:443/whatsapp/webhook' }), 'accepted'],
    ['signed with another port (:8443)', (d) => ({ ...d, signedUrl: 'https://bridge.example.com:8443/whatsapp/webhook' }), MISMATCH],
    ['signed for another path', (d) => ({ ...d, signedUrl: 'https://bridge.example.com/whatsapp/other' }), MISMATCH],
    ['signed over http:// (the scheme behind a TLS-terminating proxy)', (d) => ({ ...d, signedUrl: 'http://bridge.example.com/whatsapp/webhook' }), MISMATCH],
    ['signed for the host a proxy forwards to (X-Forwarded-Host is not trusted)', (d) => ({ ...d, signedUrl: 'https://internal.lambda-url.example/whatsapp/webhook', extraHeaders: { 'x-forwarded-host': 'internal.lambda-url.example' } }), MISMATCH],
    ['X-Forwarded-Proto: http and X-Forwarded-Host on a genuine request (ignored)', (d) => ({ ...d, extraHeaders: { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'internal.lambda-url.example', 'x-forwarded-port': '80' } }), 'accepted'],
    ['a query string in the webhook URL, requested and signed as configured', (d) => ({ ...twilioRequests(d, `${WEBHOOK_URL}?channel=wa&region=us`), configuredUrl: `${WEBHOOK_URL}?channel=wa&region=us` }), 'accepted'],
    ['the query string changed after signing', (d) => ({ ...d, configuredUrl: `${WEBHOOK_URL}?channel=wa`, signedUrl: `${WEBHOOK_URL}?channel=wa`, requested: `${WEBHOOK_URL}?channel=sms` }), MISMATCH],
    ['a query string Twilio never signed, added on the way', (d) => ({ ...d, requested: `${WEBHOOK_URL}?debug=1` }), MISMATCH],
  ]);
});

describe('verifyTwilio: a JSON body bound by bodySHA256', () => {
  const EVENT = JSON.stringify({ MessageSid: 'SM0123456789abcdef0123456789abcdef', MessageStatus: 'delivered', To: 'whatsapp:+14155550188' });
  const sha256 = (body: string) => createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex');
  const urlFor = (body: string) => `${WEBHOOK_URL}?bodySHA256=${sha256(body)}`;
  const json = (): Delivery => ({
    ...twilioRequests(genuine(), urlFor(EVENT)),
    params: [],
    signedParams: [],
    body: () => EVENT,
    contentType: 'application/json',
  });
  runTable(json, [
    ['genuine', (d) => d, 'accepted'],
    ['the body changed after signing', (d) => ({ ...d, body: () => EVENT.replace('delivered', 'read') }), MISMATCH],
    ['the body and its bodySHA256 changed, the signature kept', (d) => ({ ...d, body: () => EVENT.replace('delivered', 'read'), requested: urlFor(EVENT.replace('delivered', 'read')) }), MISMATCH],
    ['signed with another account’s auth token', (d) => ({ ...d, signedWith: 'another-accounts-auth-token-000' }), MISMATCH],
    ['a JSON body without bodySHA256 in the URL', (d) => twilioRequests(d, WEBHOOK_URL), MISMATCH],
  ]);
});
