// WhatsApp (through Twilio) as one ChannelAdapter: Twilio's signature check and the normaliser on
// POST /whatsapp/webhook, and the Messages API sender.
import type { ChannelAdapter } from '../../core/channel.ts';
import { whatsappProfile } from './profile.ts';
import { renderWhatsApp } from './render.ts';
import { loadWhatsAppConfig, type WhatsAppConfig } from './config.ts';
import { whatsappIngress } from './ingress.ts';
import { twilioClient, WhatsAppSender } from './send.ts';

export const whatsappAdapter: ChannelAdapter<WhatsAppConfig> = {
  profile: whatsappProfile,
  configured: (env) => Boolean(env.TWILIO_ACCOUNT_SID),
  config: (env, mode, role) => loadWhatsAppConfig(env, mode, role),
  render: (reply) => renderWhatsApp(reply),
  ingress: (config) => whatsappIngress(config),
  sender: (config, deps) => new WhatsAppSender(twilioClient(config, deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}), config.from, deps.logger),
};
