// What the bridge knows of WhatsApp (through Twilio) without its SDK: name, route, secrets, the
// fake Twilio's account, its hashed actor ids and which conversation ids are personal.
import { createHmac } from 'node:crypto';
import { registerChannel } from '../../core/channel.ts';

/** The fake Twilio's account (dev/fakes/twilio.ts; its auth token is random per start). */
export const FAKE_TWILIO_ACCOUNT_SID = `AC${'0'.repeat(24)}fa4e7111`;

/** `wa:` + an HMAC of the number pair (normalize.ts): pseudonymous. */
const HASHED_PAIR = /^wa:[0-9a-f]{32}$/;

export const whatsappProfile = registerChannel({
  channel: 'whatsapp',
  title: 'WhatsApp',
  aliases: ['twilio'],
  route: '/whatsapp/webhook',
  ingressFunction: 'WhatsAppIngress',
  secrets: { TwilioAuthToken: 'TWILIO_AUTH_TOKEN' },
  // Twilio account SIDs.
  secretPatterns: [/\bAC[0-9a-f]{32}\b/g],
  devCredentials: [{ variable: 'TWILIO_ACCOUNT_SID', value: FAKE_TWILIO_ACCOUNT_SID, what: 'the fake Twilio’s account SID' }],
  deploy: {
    // Twilio's signature needs the auth token, and the number is hashed before anything is stored.
    // WHATSAPP_WEBHOOK_URL is the URL Twilio signs: a function cannot know its own URL when it is
    // made, so it is a deploy-time setting (deploy, copy whatsappWebhookUrl, deploy again).
    ingress: { optional: ['TWILIO_ACCOUNT_SID', 'TWILIO_WHATSAPP_FROM', 'WHATSAPP_WEBHOOK_URL'], secrets: ['TwilioAuthToken', 'ActorIdSecret'] },
    // The worker also sends with the Content API (off: text only) and, after 24 hours, approved templates.
    worker: { optional: ['TWILIO_ACCOUNT_SID', 'TWILIO_WHATSAPP_FROM', 'WHATSAPP_WEBHOOK_URL', 'WHATSAPP_CONTENT_API', 'WHATSAPP_TEMPLATE_BOOKED', 'WHATSAPP_TEMPLATE_NOTICE'], secrets: ['TwilioAuthToken'] },
    // Twilio: the WhatsApp sender's incoming-message webhook, and WHATSAPP_WEBHOOK_URL.
    urlOutput: 'whatsappWebhookUrl',
  },
  // Anything but the hashed pair may hold the traveller's number.
  conversationIsPersonal: (conversationId: string) => !HASHED_PAIR.test(conversationId),
});

/** A phone number is personal data: Brek and the logs only ever see this keyed hash of it. */
export function whatsappActorId(e164: string, secret: string): string {
  const number = e164.replace(/^whatsapp:/, '');
  return `whatsapp:${createHmac('sha256', secret).update(number).digest('hex').slice(0, 32)}`;
}
