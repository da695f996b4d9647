// What an ingress hands to the core: one traveller's message or click, normalised. Adapters
// build these; the core never sees a channel's own payloads.
import type { Channel } from './identity.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A button the traveller clicked; `ownerActorId` is who the button was rendered for. */
export type ActionInput =
  | { type: 'action'; action: 'book_option'; optionId: string; ownerActorId: string }
  | { type: 'action'; action: 'confirm_payment_card'; paymentMethodId?: string; ownerActorId: string }
  | { type: 'action'; action: 'decline_payment'; ownerActorId: string }
  | { type: 'action'; action: 'cancel_booking'; bookingId: string; ownerActorId: string }
  /** A suggested message tapped ("Done", a sample search): sent to Brek as if typed, by its owner only. */
  | { type: 'action'; action: 'say'; text: string; ownerActorId: string };

export type TurnInput =
  | { type: 'text'; text: string }
  | ActionInput
  /** Something the bridge cannot pass on (a photo, a voice note): answered, never sent to Brek. */
  | { type: 'unsupported'; what: string }
  /** The bot was added to a conversation: a short hello, never sent to Brek. */
  | { type: 'welcome' }
  /**
   * Answered by the bridge, never sent to Brek: STOP / START / HELP, messaging preferences
   * (WhatsApp); "forget me", the traveller's own erasure (every channel). See keywordOf.
   */
  | { type: 'keyword'; keyword: Keyword };

export type Keyword = 'stop' | 'start' | 'help' | 'forget';

/** WhatsApp users' opt-out words (not CANCEL or YES: those mean something in a booking). */
const OPT_OUT_WORDS = new Map<string, Keyword>([
  ['stop', 'stop'], ['stopall', 'stop'], ['unsubscribe', 'stop'],
  ['start', 'start'], ['unstop', 'start'],
  ['help', 'help'], ['info', 'help'],
]);

/** "forget me" in any case, with or without punctuation and spaces around it; also FORGETME. */
const FORGET_PHRASES = new Set(['forget me', 'forgetme']);

/**
 * The keyword a message is, if any: the one place every channel's normaliser asks. "Forget me"
 * is recognised everywhere; the opt-out words only where the channel has that convention
 * (`optOutWords`: WhatsApp), and only as the whole message, as WhatsApp users type them.
 */
export function keywordOf(text: string, options: { optOutWords?: boolean } = {}): Keyword | undefined {
  const lower = text.trim().toLowerCase();
  const optOut = options.optOutWords ? OPT_OUT_WORDS.get(lower) : undefined;
  if (optOut) return optOut;
  // Punctuation and runs of spaces between or around the words do not matter: "Forget me!", "FORGET  ME."
  const words = lower.replace(/[\s.,;:!?¡¿…'"“”‘’()*_~-]+/g, ' ').trim();
  return FORGET_PHRASES.has(words) ? 'forget' : undefined;
}

export interface InboundTurn {
  channel: Channel;
  /** The id that keys Brek's idempotency: Slack event_id or {user}:{action_ts}, Teams activity.id, Twilio MessageSid. */
  channelMessageId: string;
  /** What makes two deliveries "the same message" (defaults to channelMessageId). */
  dedupeKey?: string;
  actorId: string;
  /** The channel's conversation (Slack channel + thread, Teams conversation id, WhatsApp number pair). */
  conversationId: string;
  input: TurnInput;
  /** Where and how the sender replies: channel-specific, opaque to the core. */
  reference: { [key: string]: Json };
  /** Brek's channel.workspaceId: Slack team, Teams tenant. */
  workspaceId?: string;
  timezoneOffsetMinutes?: number;
  /** The traveller's IANA time zone, where the message says it (Teams `localTimezone`); dates are shown in it. */
  timeZone?: string;
  receivedAt?: string;
  /**
   * Answer only if this traveller already has a session in this conversation (a Slack thread
   * reply without a mention): otherwise the bridge stays out of other people's threads.
   */
  onlyInKnownThread?: boolean;
}

/** A channel's typed reply reference as stored: only the fields that are set. */
export function encodeReference(reference: object): { [key: string]: Json } {
  return Object.fromEntries(Object.entries(reference).filter(([, value]) => value !== undefined)) as { [key: string]: Json };
}

/** A stored reply reference read back defensively (a record may predate a field): named strings and flags. */
export function readReference<S extends string, F extends string = never>(
  stored: { [key: string]: Json },
  strings: readonly S[],
  flags: readonly F[] = [],
): Partial<Record<S, string>> & Partial<Record<F, true>> {
  const out: Record<string, string | true> = {};
  for (const key of strings) {
    const value = stored[key];
    if (typeof value === 'string') out[key] = value;
  }
  for (const key of flags) if (stored[key] === true) out[key] = true;
  return out as Partial<Record<S, string>> & Partial<Record<F, true>>;
}

/** Where the app's own mention stood, while a normaliser tidies the text around it. */
export const OWN_MENTION = '\u0000';

/**
 * The text with the app's own mention (marked OWN_MENTION) taken out wherever it stood, with the
 * punctuation that addressed it: "<@app>, find…" and "…the pearl, <@app>?" read as the traveller meant.
 */
export function withoutOwnMention(text: string): string {
  return text
    .replace(/^\s*(?:\u0000[\s,:;]*)+/, '')
    .replace(/[\s,:;]*\u0000\s*(?=[.!?]*\s*$)/g, '')
    .replace(/(^|\n)[ \t]*\u0000[ \t]*/g, '$1')
    .replace(/[ \t]*\u0000[ \t]*/g, ' ')
    .trim();
}
