// WhatsApp's (Twilio's) part of the environment contract (DESIGN.md).
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
}

export type WhatsAppRole = 'ingress' | 'worker' | 'both';

export function loadWhatsAppConfig(env: Record<string, string | undefined> = process.env, _mode: Mode = 'deployed', role: WhatsAppRole = 'both'): WhatsAppConfig {
  const read = new EnvReader(env);
  const worker = role !== 'ingress';
  const ingress = role !== 'worker';
  const accountSid = (worker ? read.required('TWILIO_ACCOUNT_SID', 'for WhatsApp (Twilio Console → Account Info)') : read.optional('TWILIO_ACCOUNT_SID')) ?? '';
  if (accountSid && !/^AC[0-9a-fA-F]{32}$/.test(accountSid)) read.problems.push('TWILIO_ACCOUNT_SID must look like AC followed by 32 hex characters');
  const authToken = read.required('TWILIO_AUTH_TOKEN', 'for WhatsApp (it signs and authorises Twilio requests)') ?? '';
  const from = (worker ? read.required('TWILIO_WHATSAPP_FROM', 'for WhatsApp (the sender, whatsapp:+…)') : read.optional('TWILIO_WHATSAPP_FROM')) ?? '';
  if (from && !/^whatsapp:\+\d{6,15}$/.test(from)) read.problems.push('TWILIO_WHATSAPP_FROM must be whatsapp:+ followed by the number in E.164');
  const apiUrl = read.url('TWILIO_API_URL');
  const webhookUrl = (ingress ? read.url('WHATSAPP_WEBHOOK_URL', { required: 'for WhatsApp (the public URL Twilio signs)' }) : read.url('WHATSAPP_WEBHOOK_URL')) ?? '';
  const actorIdSecret = read.required('ACTOR_ID_SECRET', 'for WhatsApp (it keys the phone-number hash)') ?? '';
  read.done();
  return { accountSid, authToken, from, webhookUrl, actorIdSecret, ...(apiUrl ? { apiUrl } : {}) };
}
