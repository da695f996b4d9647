// Twilio's inbound WhatsApp webhook exactly as Twilio sends it: form-encoded, signed with the
// account's auth token over the configured URL and every parameter (the library's own signer).
import { randomBytes } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';

export interface WhatsAppUser {
  /** E.164, e.g. +14155550100. */
  phone: string;
  name?: string;
}

export function inboundMessage(user: WhatsAppUser, to: string, body: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SmsMessageSid: '',
    NumMedia: '0',
    ProfileName: user.name ?? 'Traveller',
    MessageType: 'text',
    SmsSid: '',
    WaId: user.phone.replace(/^\+/, ''),
    SmsStatus: 'received',
    Body: body,
    To: to,
    NumSegments: '1',
    ReferralNumMedia: '0',
    MessageSid: `SM${randomBytes(16).toString('hex')}`,
    AccountSid: 'AC00000000000000000000000000000000',
    From: `whatsapp:${user.phone}`,
    ApiVersion: '2010-04-01',
    ...extra,
  };
}

export function signTwilio(authToken: string, url: string, params: Record<string, string>): string {
  return getExpectedTwilioSignature(authToken, url, params);
}

/** Posts to the bridge's webhook; `signedUrl` is the URL Twilio signs (the configured public one). */
export async function postTwilio(targetUrl: string, signedUrl: string, authToken: string | undefined, params: Record<string, string>): Promise<Response> {
  const body = new URLSearchParams(params).toString();
  return fetch(targetUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authToken ? { 'x-twilio-signature': signTwilio(authToken, signedUrl, params) } : {}) },
    body,
  });
}
