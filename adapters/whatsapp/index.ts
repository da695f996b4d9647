// WhatsApp (through Twilio) as one ChannelAdapter: Twilio's signature check and the normaliser on
// POST /whatsapp/webhook, and the Messages API sender (with the Content API's list pickers and
// quick replies, status callbacks, the typing indicator and late templates).
import type { ChannelAdapter } from '../../core/channel.ts';
import { whatsappProfile } from './profile.ts';
import { renderWhatsApp } from './render.ts';
import { loadWhatsAppConfig, type WhatsAppConfig } from './config.ts';
import { whatsappIngress } from './ingress.ts';
import { twilioClient, WhatsAppSender } from './send.ts';
import { ContentCatalog } from './content.ts';

export const whatsappAdapter: ChannelAdapter<WhatsAppConfig> = {
  profile: whatsappProfile,
  configured: (env) => Boolean(env.TWILIO_ACCOUNT_SID),
  config: (env, mode, role) => loadWhatsAppConfig(env, mode, role),
  render: (reply) => renderWhatsApp(reply),
  ingress: (config) => whatsappIngress(config),
  sender: (config, deps) => {
    const client = twilioClient(config, deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {});
    return new WhatsAppSender(client, config.from, deps.logger, Date.now, {
      ...(config.contentApi ? { content: new ContentCatalog(client, deps.db, deps.tableName, deps.logger) } : {}),
      // The normaliser takes Twilio's status callbacks on the webhook URL itself.
      ...(config.webhookUrl ? { statusCallback: config.webhookUrl } : {}),
      templates: config.templates,
      typing: true,
    });
  },
};
