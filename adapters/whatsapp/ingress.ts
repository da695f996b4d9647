// WhatsApp's ingress: Twilio's signature check, normalisation, one inbox write, and empty TwiML
// at once (the worker replies through the API).
import type { ChannelIngress } from '../../core/ingress.ts';
import type { WhatsAppConfig } from './config.ts';
import { EMPTY_TWIML, normalizeWhatsApp } from './normalize.ts';
import { verifyTwilio } from './verify.ts';

export function whatsappIngress(config: Pick<WhatsAppConfig, 'authToken' | 'webhookUrl' | 'actorIdSecret' | 'from'>): ChannelIngress {
  return {
    channel: 'whatsapp',
    verify: (request) => verifyTwilio(request, config.authToken, config.webhookUrl),
    // Our own sender: a request from it is a status callback, never a traveller.
    normalize: (request) => normalizeWhatsApp(request, config.actorIdSecret, config.from ? { sender: config.from } : {}),
    acknowledge: () => ({ status: 200, headers: { 'content-type': 'text/xml' }, body: EMPTY_TWIML }),
  };
}
