// WhatsApp's (Twilio's) part of the environment contract (docs/architecture.md).
// Loading the profile registers the channel's secrets and shipped credentials with the guards.
import './profile.ts';
import { EnvReader, type Mode } from '../../core/config.ts';

export interface WhatsAppConfig {
  accountSid: string;
  authToken: string;
  /** The bridge's WhatsApp sender, `whatsapp:+…`. */
  from: string;
  /** Twilio's REST API base; set only for a local fake. */
  apiUrl?: string;
  /** The exact public URL Twilio posts to and signs (never rebuilt from proxy headers). */
  webhookUrl: string;
  /** Keys the hash that stands in for a phone number everywhere. */
  actorIdSecret: string;
  /** List pickers and quick replies through Twilio's Content API (WHATSAPP_CONTENT_API=off: text only). */
  contentApi: boolean;
  /** Approved templates' ContentSids for what must reach the traveller after the 24-hour window. */
  templates: { booked?: string; notice?: string };
}

const CONTENT_SID = /^HX[0-9a-fA-F]{32}$/;

export type WhatsAppRole = 'ingress' | 'worker' | 'both';

export function loadWhatsAppConfig(env: Record<string, string | undefined> = process.env, mode: Mode = 'deployed', role: WhatsAppRole = 'both'): WhatsAppConfig {
  const read = new EnvReader(env, mode);
  const worker = role !== 'ingress';
  const ingress = role !== 'worker';
  // The account and its token go to the REST API: the fake's account only to one on this machine.
  const apiUrl = read.url('TWILIO_API_URL', { httpsOnly: true });
  const accountSid =
    read.setting('TWILIO_ACCOUNT_SID', { required: worker ? 'for WhatsApp (Twilio Console → Account Info)' : undefined, service: apiUrl }) ?? '';
  if (accountSid && !/^AC[0-9a-fA-F]{32}$/.test(accountSid)) read.problems.push('TWILIO_ACCOUNT_SID must look like AC followed by 32 hex characters');
  const authToken = read.secret('TWILIO_AUTH_TOKEN', { required: 'for WhatsApp (it signs and authorises Twilio requests)', service: apiUrl }) ?? '';
  const from = (worker ? read.required('TWILIO_WHATSAPP_FROM', 'for WhatsApp (the sender, whatsapp:+…)') : read.optional('TWILIO_WHATSAPP_FROM')) ?? '';
  if (from && !/^whatsapp:\+\d{6,15}$/.test(from)) read.problems.push('TWILIO_WHATSAPP_FROM must be whatsapp:+ followed by the number in E.164');
  const webhookUrl = (ingress ? read.url('WHATSAPP_WEBHOOK_URL', { required: 'for WhatsApp (the public URL Twilio signs)' }) : read.url('WHATSAPP_WEBHOOK_URL')) ?? '';
  const actorIdSecret = read.secret('ACTOR_ID_SECRET', { required: 'for WhatsApp (it keys the phone-number hash)' }) ?? '';
  const contentApi = read.oneOf('WHATSAPP_CONTENT_API', ['on', 'off'], 'on') === 'on';
  const templates: WhatsAppConfig['templates'] = {};
  for (const [name, key] of [['WHATSAPP_TEMPLATE_BOOKED', 'booked'], ['WHATSAPP_TEMPLATE_NOTICE', 'notice']] as const) {
    const sid = read.optional(name);
    if (sid && !CONTENT_SID.test(sid)) read.problems.push(`${name} must be an approved template's ContentSid (HX followed by 32 hex characters)`);
    else if (sid) templates[key] = sid;
  }
  read.done();
  return { accountSid, authToken, from, webhookUrl, actorIdSecret, contentApi, templates, ...(apiUrl ? { apiUrl } : {}) };
}
