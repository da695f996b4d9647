// Twilio's inbound WhatsApp webhook exactly as Twilio sends it: form-encoded, signed with the
// account's auth token over the configured URL and every parameter (the library's own signer).
// A tap on a quick reply or a list item is posted as Twilio posts it (tapReply).
import { randomBytes } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { whatsappActorId, whatsappProfile } from '../../adapters/whatsapp/profile.ts';
import type { TwilioInteractive } from '../fakes/twilio.ts';
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

/** A message of the bridge's that carries a list or quick replies, as the fake records it. */
export interface TappableMessage {
  sid: string;
  interactive?: TwilioInteractive;
}

/** The choices a message offers, in order: each one's shown words and the id WhatsApp sends back. */
export function choicesOf(message: TappableMessage): { title: string; id: string; description?: string }[] {
  const interactive = message.interactive;
  if (!interactive) return [];
  return interactive.type === 'list' ? interactive.items.map((i) => ({ title: i.item, id: i.id, description: i.description })) : interactive.buttons.map((b) => ({ title: b.title, id: b.id }));
}

/**
 * The webhook Twilio posts when the traveller taps a quick reply (ButtonText, ButtonPayload) or
 * picks a list item (ListId, ListTitle, ListDescription): `choice` is its position (0-based) or its
 * shown words. Throws when the message offers no such choice.
 */
export function tapReply(user: WhatsAppUser, to: string, message: TappableMessage, choice: number | string, extra: Record<string, string> = {}): Record<string, string> {
  const choices = choicesOf(message);
  const picked = typeof choice === 'number' ? choices[choice] : choices.find((c) => c.title === choice);
  if (!picked || !message.interactive) throw new Error(`that message offers no choice ${JSON.stringify(choice)} (it offers: ${choices.map((c) => c.title).join(', ') || 'nothing'})`);
  const fields: Record<string, string> =
    message.interactive.type === 'list'
      ? { MessageType: 'interactive', ListId: picked.id, ListTitle: picked.title, ...(picked.description ? { ListDescription: picked.description } : {}) }
      : { MessageType: 'button', ButtonText: picked.title, ButtonPayload: picked.id };
  return inboundMessage(user, to, picked.title, { ...fields, OriginalRepliedMessageSid: message.sid, ...extra });
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
      // The traveller's message opens WhatsApp's 24-hour window at Twilio.
      stack.fakeTwilio?.received(`whatsapp:${phone}`);
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
