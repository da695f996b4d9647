// Twilio's inbound WhatsApp webhook → InboundTurns. The phone number never leaves here except as
// a keyed hash (the actor and conversation ids) and in the reply reference the sender needs.
import { createHmac } from 'node:crypto';
import { mediaType, type HttpRequest } from '../../core/http.ts';
import { whatsappActorId } from '../../core/identity.ts';
import { keywordOf, readReference, type InboundTurn, type Json, type TurnInput } from '../../core/inbound.ts';
import type { Normalized } from '../../core/ingress.ts';
import { formParams } from './verify.ts';

/** Twilio wants TwiML back; an empty Response means "no reply now" (the worker replies). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
const ignore = (note: string): Normalized => ({ type: 'respond', response: { status: 200, headers: { 'content-type': 'text/xml' }, body: EMPTY_TWIML }, note });

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** Where the worker answers: the traveller's address and our own (the only place the numbers are kept). */
export interface WhatsAppReference {
  to?: string;
  from?: string;
}

export function whatsappReference(record: { reference: Record<string, Json> }): WhatsAppReference {
  return readReference(record.reference, ['to', 'from']);
}

export function normalizeWhatsApp(request: HttpRequest, actorIdSecret: string): Normalized {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    return { type: 'reject', status: 415, reason: 'Expected Twilio’s form-encoded webhook' };
  }
  const params = formParams(request.body.toString('utf8'));
  const sid = one(params.MessageSid) ?? one(params.SmsMessageSid);
  const from = one(params.From);
  const to = one(params.To);
  if (!sid || !from || !to) return { type: 'reject', status: 400, reason: 'Webhook without MessageSid, From or To' };
  if (!/^whatsapp:\+\d{6,15}$/.test(from)) return ignore('not a WhatsApp message');

  const body = (one(params.Body) ?? '').trim();
  const media = Number(one(params.NumMedia) ?? 0);
  // STOP / START / HELP as WhatsApp users type them, and "forget me".
  const keyword = keywordOf(body, { optOutWords: true });
  const input: TurnInput = keyword
    ? { type: 'keyword', keyword }
    : body !== ''
      ? { type: 'text', text: body }
      : media > 0
        ? { type: 'unsupported', what: 'photos, voice notes or files' }
        : { type: 'text', text: 'help' };

  const turn: InboundTurn = {
    channel: 'whatsapp',
    channelMessageId: sid,
    actorId: whatsappActorId(from, actorIdSecret),
    // The number pair, hashed: a conversation id appears in keys and logs.
    conversationId: `wa:${createHmac('sha256', actorIdSecret).update(`${to}|${from}`).digest('hex').slice(0, 32)}`,
    input,
    // The only place the numbers are kept: the sender needs them to reply.
    reference: { to: from, from: to } satisfies WhatsAppReference,
    receivedAt: new Date().toISOString(),
  };
  return { type: 'turn', turn };
}
