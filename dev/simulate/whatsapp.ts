// Twilio's inbound WhatsApp webhook exactly as Twilio sends it: form-encoded, signed with the
// account's auth token over the configured URL and every parameter (the library's own signer).
import { randomBytes } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { whatsappActorId, whatsappProfile } from '../../adapters/whatsapp/profile.ts';
import { digest, messageKey, type TravellerSimulator } from './traveller.ts';

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

/** A traveller writing from their own number (dev/simulate/traveller.ts), hashed by the bridge. */
export const simulateTraveller: TravellerSimulator = (stack, name) => {
  const phone = `+1555${String(parseInt(digest(name, 8), 16) % 10_000_000).padStart(7, '0')}`;
  return {
    channel: 'whatsapp',
    get actorId() {
      return whatsappActorId(phone, stack.whatsapp.actorIdSecret);
    },
    personal: [phone, `whatsapp:${phone}`],
    conversation: `whatsapp:${phone}`,
    request(text, options) {
      const params = inboundMessage({ phone }, stack.whatsapp.from, text, { MessageSid: `SM${digest(messageKey(options), 32)}` });
      const { webhookUrl, authToken } = stack.whatsapp;
      // Posted to the stack's own route; signed over the configured public URL, as Twilio signs.
      return {
        path: whatsappProfile.route,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilio(authToken, webhookUrl, params) },
        body: new URLSearchParams(params).toString(),
      };
    },
    replies: () => stack.fakeTwilio!.messages.filter((m) => m.to === `whatsapp:${phone}` && m.delivered).map((m) => m.body),
  };
};
