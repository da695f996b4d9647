// Slack request signatures, checked with Bolt's own verifier (imported alone: Bolt's root module
// would bundle the whole framework into the ingress). Bolt checks only that a request is not
// older than 5 minutes; we also refuse ones more than 5 minutes in the future.
import { verifySlackRequest } from '@slack/bolt/dist/receivers/verify-request.js';
import type { HttpRequest } from '../../core/http.ts';
import type { Verdict } from '../../core/ingress.ts';

const MAX_SKEW_SECONDS = 5 * 60;

export function verifySlack(request: HttpRequest, signingSecret: string, now: number): Verdict {
  const signature = request.headers['x-slack-signature'];
  const timestampHeader = request.headers['x-slack-request-timestamp'];
  if (!signature || !timestampHeader) return { ok: false, reason: 'unsigned: missing x-slack-signature or x-slack-request-timestamp' };
  const timestamp = Number(timestampHeader);
  if (!/^\d+$/.test(timestampHeader) || !Number.isSafeInteger(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  if (timestamp > Math.floor(now / 1000) + MAX_SKEW_SECONDS) return { ok: false, reason: 'timestamp is in the future' };
  try {
    verifySlackRequest({
      signingSecret,
      // The exact bytes as UTF-8: Slack signs the body it sent, accents and emoji included.
      body: request.body.toString('utf8'),
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: now,
    });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
