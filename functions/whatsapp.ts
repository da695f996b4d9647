// POST /whatsapp/webhook: verifies Twilio's signature against WHATSAPP_WEBHOOK_URL, hashes the
// number (the actor id secret) and stores — no Brek.
import { loadWhatsAppConfig } from '../adapters/whatsapp/config.ts';
import { whatsappIngress } from '../adapters/whatsapp/ingress.ts';
import { lambdaIngress } from './ingress.ts';

export const handler = lambdaIngress({ brek: false, actorIdSecret: true }, (env) => whatsappIngress(loadWhatsAppConfig(env, 'deployed', 'ingress')));
