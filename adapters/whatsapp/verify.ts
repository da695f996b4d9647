// Twilio request signatures, checked with the twilio library's own validator (its webhooks
// module alone: the package root would bundle the whole REST client into the ingress). The URL
// is the configured public one, never rebuilt from proxy headers; every received parameter
// counts, repeated keys included. Both of Twilio's schemes: form parameters, and a JSON body
// whose SHA-256 is in the signed URL (bodySHA256).
import { validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import { mediaType, type HttpRequest } from '../../core/http.ts';
import type { Verdict } from '../../core/ingress.ts';

/** Form parameters as Twilio signs them: a repeated key becomes the list of its values. */
export function formParams(body: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const seen = params[key];
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

export function verifyTwilio(request: HttpRequest, authToken: string, webhookUrl: string): Verdict {
  const signature = request.headers['x-twilio-signature'];
  if (!signature) return { ok: false, reason: 'unsigned: no X-Twilio-Signature' };
  const body = request.body.toString('utf8');
  // The configured origin and path, with the query exactly as received (bodySHA256 lives there).
  const url = request.rawQuery ? `${webhookUrl.split('?')[0]}?${request.rawQuery}` : webhookUrl;
  const ok = url.includes('bodySHA256=') || mediaType(request) === 'application/json'
    ? validateRequestWithBody(authToken, signature, url, body)
    : validateRequest(authToken, signature, url, formParams(body));
  return ok ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
