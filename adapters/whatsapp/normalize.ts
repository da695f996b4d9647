// Twilio's inbound WhatsApp webhook → InboundTurns. The phone number never leaves here except as
// a keyed hash (the actor and conversation ids) and in the reply reference the sender needs.
// Status callbacks for the bridge's own messages often come to the same URL (a sender's or
// Messaging Service's status callback set to it): they are answered with empty TwiML, never turns.
import { createHmac } from 'node:crypto';
import { mediaType, type HttpRequest } from '../../core/http.ts';
import { whatsappActorId } from './profile.ts';
import { keywordOf, readReference, type InboundTurn, type Json, type TurnInput } from '../../core/inbound.ts';
import { actionInputOf, unpackButton } from '../../core/reply.ts';
import { timeZoneOfNumber } from './timezone.ts';
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

export interface WhatsAppNormalizeOptions {
  /** The bridge's own sender (`whatsapp:+…`): a request from it is a status callback, never a turn. */
  sender?: string;
}

/**
 * The statuses Twilio reports for messages it sends
 * (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values); an inbound
 * message carries SmsStatus `received` (or `receiving`).
 */
const OUTBOUND_STATUSES = new Set(['accepted', 'scheduled', 'canceled', 'queued', 'sending', 'sent', 'failed', 'delivered', 'undelivered', 'read', 'partially_delivered']);

/** What a status callback says, for the log and for recording it later: ids and codes only, never a number. */
function statusNote(params: Record<string, string | string[]>): string {
  const status = one(params.MessageStatus) ?? one(params.SmsStatus) ?? '';
  const sid = one(params.MessageSid) ?? one(params.SmsSid) ?? one(params.SmsMessageSid) ?? '';
  const error = one(params.ErrorCode) ?? '';
  return [
    `status callback: ${/^[a-z_]{1,32}$/i.test(status) ? status.toLowerCase() : 'unknown'}`,
    /^[A-Za-z0-9]{2,64}$/.test(sid) ? ` for ${sid}` : '',
    /^\d{1,10}$/.test(error) ? ` (error ${error})` : '',
  ].join('');
}

const INBOUND_STATUSES = new Set(['received', 'receiving']);

function isStatusCallback(params: Record<string, string | string[]>, options: WhatsAppNormalizeOptions): boolean {
  // MessageStatus is the callbacks' field; an inbound message's own status (received) is not one.
  const messageStatus = (one(params.MessageStatus) ?? '').toLowerCase();
  if (messageStatus !== '' && !INBOUND_STATUSES.has(messageStatus)) return true;
  if (OUTBOUND_STATUSES.has((one(params.SmsStatus) ?? '').toLowerCase())) return true;
  const from = one(params.From);
  return options.sender !== undefined && options.sender !== '' && from === options.sender;
}

/** What the traveller sent when it is not text: a location pin, a contact card, other media. */
function notText(params: Record<string, string | string[]>): TurnInput | undefined {
  const type = (one(params.MessageType) ?? '').toLowerCase();
  // A pin carries a place name (Label, Address) the traveller did not type: Brek gets none of it.
  if (type === 'location' || ((one(params.Latitude) ?? '') !== '' && (one(params.Longitude) ?? '') !== '')) return { type: 'unsupported', what: 'locations' };
  if (type === 'contacts') return { type: 'unsupported', what: 'contact cards' };
  if (Number(one(params.NumMedia) ?? 0) > 0) return { type: 'unsupported', what: 'photos, voice notes or files' };
  return undefined;
}

/**
 * A tapped list item (ListId) or quick reply (ButtonPayload): the packed button its id carries
 * (render.ts), as the same action a Slack or Teams click makes; core checks its owner. Anything
 * else (a template's own button, an id of another app) is read as the words it shows.
 */
function tapped(params: Record<string, string | string[]>): TurnInput | undefined {
  const id = (one(params.ButtonPayload) ?? '').trim() || (one(params.ListId) ?? '').trim();
  if (!id.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(id);
  } catch {
    return undefined;
  }
  const button = unpackButton(value);
  return button && actionInputOf(button);
}

/** The number pair (ours, the traveller's), hashed: a conversation id appears in keys and logs. */
function conversationIdOf(ours: string, travellers: string, actorIdSecret: string): string {
  return `wa:${createHmac('sha256', actorIdSecret).update(`${ours}|${travellers}`).digest('hex').slice(0, 32)}`;
}

/** A callback for a message we sent (From: our number, To: the traveller's): kept on that thread. */
function statusOf(params: Record<string, string | string[]>, actorIdSecret: string): Normalized | undefined {
  const status = (one(params.MessageStatus) ?? one(params.SmsStatus) ?? '').toLowerCase();
  const messageId = one(params.MessageSid) ?? one(params.SmsSid) ?? '';
  const errorCode = one(params.ErrorCode) ?? '';
  const from = one(params.From) ?? '';
  const to = one(params.To) ?? '';
  const number = /^whatsapp:\+\d{6,15}$/;
  if (!/^[a-z_]{1,32}$/.test(status) || !/^[A-Za-z0-9]{2,64}$/.test(messageId) || !number.test(from) || !number.test(to)) return undefined;
  return {
    type: 'delivery_status',
    thread: { actorId: whatsappActorId(to, actorIdSecret), conversationId: conversationIdOf(from, to, actorIdSecret) },
    status: { messageId, status, ...(/^\d{1,10}$/.test(errorCode) ? { errorCode } : {}) },
    response: { status: 200, headers: { 'content-type': 'text/xml' }, body: EMPTY_TWIML },
  };
}

export function normalizeWhatsApp(request: HttpRequest, actorIdSecret: string, options: WhatsAppNormalizeOptions = {}): Normalized {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    return { type: 'reject', status: 415, reason: 'Expected Twilio’s form-encoded webhook' };
  }
  const params = formParams(request.body.toString('utf8'));
  // Before anything else: a callback is about the bridge's own message, whatever else it carries.
  if (isStatusCallback(params, options)) return statusOf(params, actorIdSecret) ?? ignore(statusNote(params));
  const sid = one(params.MessageSid) ?? one(params.SmsMessageSid);
  const from = one(params.From);
  const to = one(params.To);
  if (!sid || !from || !to) return { type: 'reject', status: 400, reason: 'Webhook without MessageSid, From or To' };
  if (!/^whatsapp:\+\d{6,15}$/.test(from)) return ignore('not a WhatsApp message');

  // A quick-reply or list tap: what its button or row said (Body carries it too, when Twilio fills it).
  const body = (one(params.Body) ?? '').trim() || (one(params.ButtonText) ?? '').trim() || (one(params.ListTitle) ?? '').trim();
  // STOP / START / HELP as WhatsApp users type them, and "forget me".
  const keyword = keywordOf(body, { optOutWords: true });
  const input: TurnInput = tapped(params) ?? (keyword
    ? { type: 'keyword', keyword }
    : body !== ''
      ? { type: 'text', text: body }
      : (notText(params) ?? { type: 'text', text: 'help' }));
  // Read from the number before it is hashed; only the zone is kept.
  const timeZone = timeZoneOfNumber(from);

  const turn: InboundTurn = {
    channel: 'whatsapp',
    channelMessageId: sid,
    actorId: whatsappActorId(from, actorIdSecret),
    // The number pair, hashed: a conversation id appears in keys and logs.
    conversationId: conversationIdOf(to, from, actorIdSecret),
    input,
    // The only place the numbers are kept: the sender needs them to reply.
    reference: { to: from, from: to } satisfies WhatsAppReference,
    receivedAt: new Date().toISOString(),
    ...(timeZone ? { timeZone } : {}),
  };
  return { type: 'turn', turn };
}
