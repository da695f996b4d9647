// Slack's request signature (adapters/slack/verify.ts) called directly, one table row per
// request: each row changes exactly one thing in a genuine delivery. The expected outcomes are
// Slack's rules (https://api.slack.com/authentication/verifying-requests-from-slack): the
// signature is `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body bytes>` keyed with the
// signing secret, and a request more than five minutes from the receiver's clock is refused —
// Bolt's verifier refuses only `timestamp < now - 300`, so exactly 300 s old still passes, and
// ours applies the same bound ahead of the clock. The signer below follows Slack's recipe, not
// our code. Requests go through fromLambdaEvent, as in production, so header case is real.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifySlack } from '../../adapters/slack/verify.ts';
import { fromLambdaEvent, type HttpRequest } from '../../core/http.ts';
import { checkVerdict, type VerdictRow } from '../support/verdicts.ts';

const SIGNING_SECRET = 'unit-test-slack-signing-secret';
/** The receiver's clock, mid-second so that whole-second bounds are unambiguous. */
const NOW_SECONDS = 1_780_000_000;
const NOW_MS = NOW_SECONDS * 1000 + 500;

const EVENT_JSON = JSON.stringify({
  token: 'legacy-verification-token',
  team_id: 'T0UNIT',
  api_app_id: 'A0UNIT',
  event: { type: 'message', channel: 'D0UNIT', user: 'U0UNIT', text: 'vegas tomorrow', ts: '1780000000.000100', channel_type: 'im' },
  type: 'event_callback',
  event_id: 'Ev0UNIT0001',
  event_time: NOW_SECONDS,
});
/** An interactivity delivery: form-encoded, the JSON in one `payload` field. */
const BLOCK_ACTION_FORM = new URLSearchParams({
  payload: JSON.stringify({
    type: 'block_actions',
    team: { id: 'T0UNIT' },
    user: { id: 'U0UNIT' },
    actions: [{ type: 'button', action_id: 'book_option:1', block_id: 'b', value: 'opt-1', action_ts: '1780000000.123456' }],
  }),
}).toString();

/** One delivery as Slack would make it, and what the receiver is configured with. */
interface Delivery {
  /** The secret Slack signs with. */
  signedWith: string;
  /** The secret the verifier is configured with. */
  configured: string;
  /** X-Slack-Request-Timestamp as sent. */
  timestamp: string;
  /** The timestamp that went into the signed string (Slack: the one it sends). */
  signedTimestamp: string;
  body: Buffer;
  /** The bytes that went into the signed string (Slack: the ones it sends). */
  signedBody: Buffer;
  version: string;
  /** The X-Slack-Signature header from the computed one (Slack: as computed). */
  signatureHeader: (computed: string) => string;
  contentType: string;
  /** Header names as they arrive at the Lambda (any case). */
  names: { signature: string; timestamp: string; contentType: string };
  omit: ('signature' | 'timestamp')[];
  extraHeaders: Record<string, string>;
}

function genuine(body: string, contentType: string): Delivery {
  const bytes = Buffer.from(body, 'utf8');
  return {
    signedWith: SIGNING_SECRET,
    configured: SIGNING_SECRET,
    timestamp: String(NOW_SECONDS),
    signedTimestamp: String(NOW_SECONDS),
    body: bytes,
    signedBody: bytes,
    version: 'v0',
    signatureHeader: (computed) => computed,
    contentType,
    names: { signature: 'X-Slack-Signature', timestamp: 'X-Slack-Request-Timestamp', contentType: 'Content-Type' },
    omit: [],
    extraHeaders: {},
  };
}

/** Slack's recipe: HMAC-SHA256 over the bytes `v0:` + timestamp + `:` + raw body. */
function slackSignature(d: Delivery): string {
  const mac = createHmac('sha256', d.signedWith);
  mac.update(`${d.version}:${d.signedTimestamp}:`);
  mac.update(d.signedBody);
  return `${d.version}=${mac.digest('hex')}`;
}

function toRequest(d: Delivery): HttpRequest {
  const headers: Record<string, string> = { [d.names.contentType]: d.contentType, ...d.extraHeaders };
  if (!d.omit.includes('signature')) headers[d.names.signature] = d.signatureHeader(slackSignature(d));
  if (!d.omit.includes('timestamp')) headers[d.names.timestamp] = d.timestamp;
  return fromLambdaEvent({
    rawPath: '/slack/events',
    requestContext: { http: { method: 'POST', path: '/slack/events' } },
    headers,
    body: d.body.toString('base64'),
    isBase64Encoded: true,
  });
}

type Row = VerdictRow<Delivery>;
const check = checkVerdict;

const MISMATCH = /signature mismatch/;
const seconds = (offset: number) => String(NOW_SECONDS + offset);
/** The timestamp sent and signed alike: Slack's clock differs from ours by `offset`. */
const sentAt = (offset: number) => (d: Delivery): Delivery => ({ ...d, timestamp: seconds(offset), signedTimestamp: seconds(offset) });
const bodyAndSigned = (d: Delivery, body: Buffer): Delivery => ({ ...d, body, signedBody: body });

function runTable(base: () => Delivery, rows: Row[]) {
  it.each(rows)('%s', (_name, mutate, expected) => {
    const d = mutate(base());
    check(verifySlack(toRequest(d), d.configured, NOW_MS), expected);
  });
}

describe('verifySlack: an Events API delivery (JSON)', () => {
  runTable(() => genuine(EVENT_JSON, 'application/json'), [
    ['genuine', (d) => d, 'accepted'],
    ['signed with another app’s signing secret', (d) => ({ ...d, signedWith: 'another-apps-signing-secret' }), MISMATCH],
    ['one body byte changed after signing', (d) => ({ ...d, body: Buffer.from(d.body.toString('utf8').replace('vegas', 'vegaz')) }), MISMATCH],
    ['a trailing newline added after signing', (d) => ({ ...d, body: Buffer.concat([d.body, Buffer.from('\n')]) }), MISMATCH],
    ['the same JSON re-serialised with spaces', (d) => ({ ...d, body: Buffer.from(JSON.stringify(JSON.parse(EVENT_JSON), null, 1)) }), MISMATCH],
    ['accents and emoji, signed as their UTF-8 bytes', (d) => bodyAndSigned(d, Buffer.from(EVENT_JSON.replace('vegas tomorrow', 'Hôtel Château Étoile ✨🏨 à Zürich'))), 'accepted'],
    ['timestamp exactly 5 min old (Bolt refuses only older)', sentAt(-300), 'accepted'],
    ['timestamp 5 min + 1 s old', sentAt(-301), /stale/],
    ['timestamp exactly 5 min ahead', sentAt(300), 'accepted'],
    ['timestamp 5 min + 1 s ahead', sentAt(301), /in the future/],
    ['timestamp in milliseconds', (d) => ({ ...d, timestamp: String(NOW_SECONDS * 1000), signedTimestamp: String(NOW_SECONDS * 1000) }), /in the future/],
    ['timestamp header changed after signing (a replay made fresh)', (d) => ({ ...d, timestamp: seconds(-10) }), MISMATCH],
    ['timestamp not an integer', (d) => ({ ...d, timestamp: `${NOW_SECONDS}.5`, signedTimestamp: `${NOW_SECONDS}.5` }), /malformed timestamp/],
    ['no X-Slack-Signature', (d) => ({ ...d, omit: ['signature'] }), /^unsigned/],
    ['no X-Slack-Request-Timestamp', (d) => ({ ...d, omit: ['timestamp'] }), /^unsigned/],
    ['header names in upper case (HTTP names are case-insensitive)', (d) => ({ ...d, names: { signature: 'X-SLACK-SIGNATURE', timestamp: 'X-SLACK-REQUEST-TIMESTAMP', contentType: 'CONTENT-TYPE' } }), 'accepted'],
    ['header names in lower case, as API Gateway passes them', (d) => ({ ...d, names: { signature: 'x-slack-signature', timestamp: 'x-slack-request-timestamp', contentType: 'content-type' } }), 'accepted'],
    ['a v1 signature (HMAC otherwise computed the same way)', (d) => ({ ...d, version: 'v1' }), /unknown signature version/],
    ['the hex without its v0= prefix', (d) => ({ ...d, signatureHeader: (s) => s.slice('v0='.length) }), /unknown signature version/],
    ['the hex in upper case', (d) => ({ ...d, signatureHeader: (s) => `v0=${s.slice(3).toUpperCase()}` }), MISMATCH],
    ['the hex truncated by one character', (d) => ({ ...d, signatureHeader: (s) => s.slice(0, -1) }), MISMATCH],
    ['an empty hash (v0=)', (d) => ({ ...d, signatureHeader: () => 'v0=' }), MISMATCH],
    ['Slack’s retry headers (X-Slack-Retry-Num, X-Slack-Retry-Reason) on a freshly signed retry', (d) => ({ ...d, extraHeaders: { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' } }), 'accepted'],
    ['verifier configured with an empty secret, request signed with the empty secret', (d) => ({ ...d, signedWith: '', configured: '' }), /signingSecret is empty/],
  ]);
});

describe('verifySlack: an interactivity delivery (form-encoded payload)', () => {
  runTable(() => genuine(BLOCK_ACTION_FORM, 'application/x-www-form-urlencoded'), [
    ['genuine', (d) => d, 'accepted'],
    ['the button value changed after signing', (d) => ({ ...d, body: Buffer.from(BLOCK_ACTION_FORM.replace('opt-1', 'opt-2')) }), MISMATCH],
    ['the same payload with its percent-escapes in lower case (same fields, other bytes)', (d) => ({ ...d, body: Buffer.from(BLOCK_ACTION_FORM.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())) }), MISMATCH],
    ['signed with another app’s signing secret', (d) => ({ ...d, signedWith: 'another-apps-signing-secret' }), MISMATCH],
    ['timestamp 5 min + 1 s old', sentAt(-301), /stale/],
  ]);
});
