// The channel-neutral Reply: what the traveller should see and be able to do next, built from
// any Brek result. Renderers (Block Kit, Adaptive Cards, WhatsApp text) are pure functions of it.
// Every documented status maps explicitly; anything else is text. Nothing here throws.
import { parseArtifacts, type BookingArtifact, type BookingFields, type EventResult, type PaymentArtifact, type ShortlistFields, type ShortlistOption } from './brek/results.ts';
import { KNOWN_STATUSES } from './brek/types.ts';
import type { ActionInput } from './inbound.ts';

type ReplyKind =
  | 'shortlist'
  | 'guest_name_required'
  | 'payment_setup_required'
  | 'payment_confirmation_required'
  | 'booked'
  | 'error'
  /** Any other status, and the bridge's own messages (apologies, refusals): text only. */
  | 'text';

export interface ReplyOption extends ShortlistFields {
  /** 1-based position, the number a WhatsApp traveller replies with. */
  index: number;
}

export interface ReplyPaymentMethod {
  paymentMethodId?: string;
  brand?: string;
  last4?: string;
  expMonth?: number;
  expYear?: number;
}

export type ReplyBooking = BookingFields;

/** How a control stands out where a channel has styles (Slack primary/danger, Teams positive/destructive). */
export type ActionStyle = 'primary' | 'danger';

/** How a write action is shown, and what its click says. */
interface WriteLook {
  label: string;
  style?: ActionStyle;
  /** What the click is about (the hotel, "Yes, use this card"), shown at once when the clicked message is updated. */
  clickLabel?: string;
}

/** Asked before the action is taken: Slack's confirm dialog, a Teams Show Card. */
interface ConfirmStep {
  title: string;
  /** The button that goes ahead, where the step has its own (Teams; Slack's dialog repeats the action's label). */
  yes: string;
  /** The button that backs out (Slack's dialog; a Show Card simply stays closed). */
  no: string;
}

/**
 * What a traveller can do next, and the one source of every control a channel renders for it:
 * its label, its style, the ids a click carries back (with the reply's owner, buttonPayloadOf),
 * and, where a channel has no button, what the traveller can type instead (`typed`).
 */
export type ReplyAction =
  | ({ type: 'book_option'; index: number; optionId: string } & WriteLook)
  | ({ type: 'confirm_payment_card'; paymentMethodId?: string; typed: string } & WriteLook)
  | ({ type: 'decline_payment'; typed: string } & WriteLook)
  | ({ type: 'cancel_booking'; bookingId: string; typed: string; confirm: ConfirmStep } & WriteLook)
  /** A message the traveller can send with one tap: what it says, and its label where that is shorter. */
  | ({ type: 'say'; text: string } & WriteLook)
  | {
      type: 'open_url';
      /** Which link: it names the control (Slack's action_id `open_url:setup`). */
      purpose: 'setup' | 'booking';
      url: string;
      label: string;
      /** How a text-only channel introduces the link ("View your booking: https://…"). */
      textLabel: string;
      style?: ActionStyle;
    };

/** Every action's wording, in one place. */
export const ACTION_WORDS = {
  book: 'Book',
  setUpPayment: 'Set up payment',
  confirmCard: 'Yes, use this card',
  confirmCardTyped: 'yes',
  declineCard: 'No',
  declineCardTyped: 'no',
  viewBooking: 'View booking',
  viewBookingText: 'View your booking',
  cancelBooking: 'Cancel booking',
  cancelBookingTyped: 'cancel my booking',
  cancelConfirm: { title: 'Cancel this booking?', yes: 'Yes, cancel it', no: 'Keep it' },
  /** Brek's guides: the traveller says "Done" once the card is set up. */
  setupDone: 'Done',
  /** What a new traveller might ask first (the welcome's and help's suggestions). */
  samples: ['Find a refundable hotel in Las Vegas this weekend', 'Seattle Mar 20-23, 1 room', 'Help'],
} as const;

export interface Reply {
  kind: ReplyKind;
  /** Brek's status as sent (or the bridge's own, e.g. `bridge_apology`). */
  status: string;
  text: string;
  options: ReplyOption[];
  paymentSetupUrl?: string;
  paymentMethod?: ReplyPaymentMethod;
  booking?: ReplyBooking;
  actions: ReplyAction[];
  /** The actor the buttons belong to; a click by anyone else is refused. */
  ownerActorId: string;
}

const DOCUMENTED: ReadonlySet<string> = new Set(KNOWN_STATUSES);

/** What RFC 3986 allows after the authority besides %XX escapes ('[' and ']' belong to IPv6 hosts). */
const URL_TAIL_CHAR = /[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]/;
/** An RFC 3986 host: a reg-name, IPv4, or a bracketed IPv6 literal. */
const URL_HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\])$/;

/**
 * Percent-encodes what WHATWG serialisation leaves but RFC 3986 forbids (`|`, `^`, `{`, `[`, a `%`
 * not starting an escape…): Adaptive Cards validate `url` as a uri-reference, and in Slack's
 * `<url|label>` a bare `|` would end the URL early.
 */
function strictUrlTail(tail: string): string {
  let out = '';
  for (let i = 0; i < tail.length; ) {
    const ch = tail[i]!;
    if (ch === '%') {
      out += /^[0-9A-Fa-f]{2}$/.test(tail.slice(i + 1, i + 3)) ? '%' : '%25';
      i += 1;
      continue;
    }
    const cp = tail.codePointAt(i)!;
    const char = String.fromCodePoint(cp);
    i += char.length;
    if (URL_TAIL_CHAR.test(char)) out += char;
    else {
      try {
        out += encodeURIComponent(char);
      } catch {
        out += '%EF%BF%BD'; // a lone surrogate: U+FFFD, as URL parsing itself does
      }
    }
  }
  return out;
}

/**
 * Only links a traveller can safely open: absolute http(s) URLs, RFC 3986-clean. Credentials are
 * dropped, so `https://bank.example@evil.example` cannot pass for the bank.
 */
function safeUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  let url: InstanceType<typeof URL>;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !URL_HOST.test(url.hostname)) return undefined;
  return `${url.protocol}//${url.host}${strictUrlTail(url.pathname + url.search + url.hash)}`;
}

/**
 * Brek's display text with any lone surrogate replaced by U+FFFD: it cannot be encoded as UTF-8
 * for the wire, and a channel would refuse the message or garble it. Ids are left as sent.
 */
function wellFormed<T extends string | undefined>(text: T): T {
  return (text === undefined ? text : text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')) as T;
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toOption(option: ShortlistOption, index: number): ReplyOption {
  return definedOnly({
    index,
    optionId: option.optionId,
    name: wellFormed(option.name),
    pricePerNight: option.pricePerNight,
    totalPrice: option.totalPrice,
    currency: wellFormed(option.currency),
    refundable: option.refundable,
    rating: option.rating,
    distanceTo: wellFormed(option.distanceTo),
    detailsUrl: safeUrl(option.detailsUrl),
  });
}

function toPaymentMethod(payment: PaymentArtifact): ReplyPaymentMethod {
  return definedOnly({
    paymentMethodId: payment.paymentMethodId,
    brand: wellFormed(payment.cardBrand),
    last4: wellFormed(payment.cardLast4),
    expMonth: payment.expMonth,
    expYear: payment.expYear,
  });
}

function toBooking(booking: BookingArtifact): ReplyBooking {
  return definedOnly({
    bookingId: booking.bookingId,
    confirmationBookingId: booking.confirmationBookingId,
    hotelName: wellFormed(booking.hotelName),
    totalPrice: booking.totalPrice,
    currency: wellFormed(booking.currency),
    confirmationUrl: safeUrl(booking.confirmationUrl),
    cancelPolicy: wellFormed(booking.cancelPolicy),
  });
}

// ---------------------------------------------------------------- actions

function bookAction(index: number, optionId: string, name: string | undefined): ReplyAction {
  return definedOnly({ type: 'book_option' as const, index, optionId, label: ACTION_WORDS.book, style: 'primary' as const, clickLabel: name });
}

function setupAction(url: string): ReplyAction {
  return { type: 'open_url', purpose: 'setup', url, label: ACTION_WORDS.setUpPayment, textLabel: ACTION_WORDS.setUpPayment, style: 'primary' };
}

function confirmCardAction(paymentMethodId: string | undefined): ReplyAction {
  return definedOnly({ type: 'confirm_payment_card' as const, paymentMethodId, label: ACTION_WORDS.confirmCard, style: 'primary' as const, clickLabel: ACTION_WORDS.confirmCard, typed: ACTION_WORDS.confirmCardTyped });
}

function declineCardAction(): ReplyAction {
  return { type: 'decline_payment', label: ACTION_WORDS.declineCard, style: 'danger', clickLabel: ACTION_WORDS.declineCard, typed: ACTION_WORDS.declineCardTyped };
}

/** A suggested message; its label is the message itself, cut for a button. */
function sayAction(text: string): ReplyAction {
  return { type: 'say', text, label: clipText(text, 60) };
}

function viewBookingAction(url: string): ReplyAction {
  return { type: 'open_url', purpose: 'booking', url, label: ACTION_WORDS.viewBooking, textLabel: ACTION_WORDS.viewBookingText };
}

function cancelBookingAction(bookingId: string, hotelName: string | undefined): ReplyAction {
  return definedOnly({ type: 'cancel_booking' as const, bookingId, label: ACTION_WORDS.cancelBooking, style: 'danger' as const, clickLabel: hotelName, typed: ACTION_WORDS.cancelBookingTyped, confirm: { ...ACTION_WORDS.cancelConfirm } });
}

/**
 * The reply's actions, each complete. A reply stored by an earlier version (a turn's sending
 * step, re-rendered by a later attempt) has actions with only their type, ids and label: they
 * are rebuilt from those, so a replayed cancel still asks first and a fallback still says what to type.
 */
export function actionsOf(reply: Reply): ReplyAction[] {
  return reply.actions.map((action) => {
    if (action.type === 'say' || (action.type === 'open_url' ? action.textLabel !== undefined : action.style !== undefined)) return action;
    switch (action.type) {
      case 'book_option':
        return bookAction(action.index, action.optionId, reply.options.find((o) => o.index === action.index)?.name);
      case 'confirm_payment_card':
        return confirmCardAction(action.paymentMethodId);
      case 'decline_payment':
        return declineCardAction();
      case 'cancel_booking':
        return cancelBookingAction(action.bookingId, reply.booking?.hotelName);
      case 'open_url':
        return action.url === reply.booking?.confirmationUrl ? viewBookingAction(action.url) : setupAction(action.url);
    }
  });
}

/** What a write action's button carries back: its ids, its owner, what it is about. */
function buttonPayloadOf(action: ReplyAction, ownerActorId: string): ButtonPayload | undefined {
  if (action.type === 'open_url') return undefined;
  const about = action.clickLabel ? { label: action.clickLabel } : {};
  switch (action.type) {
    case 'book_option':
      return { action: action.type, ownerActorId, optionId: action.optionId, ...about };
    case 'confirm_payment_card':
      return { action: action.type, ownerActorId, ...(action.paymentMethodId ? { paymentMethodId: action.paymentMethodId } : {}), ...about };
    case 'decline_payment':
      return { action: action.type, ownerActorId, ...about };
    case 'cancel_booking':
      return { action: action.type, ownerActorId, bookingId: action.bookingId, ...about };
    case 'say':
      return { action: action.type, ownerActorId, text: action.text, label: action.text };
  }
}

/** A write action's button value, or undefined when its ids do not fit one (fitButton says why). */
export function fittedButton(action: ReplyAction, ownerActorId: string): Record<string, string> | undefined {
  const payload = buttonPayloadOf(action, ownerActorId);
  return payload && fitButton(payload);
}

/** The bridge's own message; `suggestions`: messages the traveller can send next with one tap. */
export function textReply(ownerActorId: string, status: string, text: string, suggestions: readonly string[] = []): Reply {
  return { kind: 'text', status, text, options: [], actions: suggestions.map(sayAction), ownerActorId };
}

export function replyFromResult(result: EventResult, ownerActorId: string): Reply {
  // Results also come back from the inbox record (a replay, a resumed turn), which may predate
  // today's parser or have been written by hand: read them again, defensively (idempotent).
  const status = typeof result.status === 'string' ? result.status : 'unknown';
  const artifacts = parseArtifacts(result.artifacts);
  const base: Reply = {
    kind: DOCUMENTED.has(status) ? (status as ReplyKind) : 'text',
    status,
    text: typeof result.messageText === 'string' ? wellFormed(result.messageText) : '',
    options: [],
    actions: [],
    ownerActorId,
  };

  switch (status) {
    case 'shortlist': {
      base.options = (artifacts.shortlist ?? []).map((o, i) => toOption(o, i + 1));
      for (const option of base.options) {
        if (option.optionId) {
          base.actions.push(bookAction(option.index, option.optionId, option.name));
        }
      }
      if (base.options.length === 0) base.kind = 'text'; // nothing to choose from: just the message
      break;
    }
    case 'payment_setup_required': {
      const url = safeUrl(artifacts.payment?.setupUrl);
      if (url) {
        base.paymentSetupUrl = url;
        base.actions.push(setupAction(url));
        base.actions.push(sayAction(ACTION_WORDS.setupDone));
      }
      break;
    }
    case 'payment_confirmation_required': {
      if (artifacts.payment) base.paymentMethod = toPaymentMethod(artifacts.payment);
      base.actions.push(confirmCardAction(base.paymentMethod?.paymentMethodId), declineCardAction());
      break;
    }
    case 'booked': {
      if (artifacts.booking) base.booking = toBooking(artifacts.booking);
      if (base.booking?.confirmationUrl) base.actions.push(viewBookingAction(base.booking.confirmationUrl));
      if (base.booking?.bookingId) base.actions.push(cancelBookingAction(base.booking.bookingId, base.booking.hotelName));
      break;
    }
    default:
      // guest_name_required and error: the message is all; an unknown status is text.
      break;
  }
  return base;
}

// ---------------------------------------------------------------- buttons

/** The write actions a rendered button can carry back. */
type ButtonAction = 'book_option' | 'confirm_payment_card' | 'decline_payment' | 'cancel_booking' | 'say';
const BUTTON_ACTIONS: readonly string[] = ['book_option', 'confirm_payment_card', 'decline_payment', 'cancel_booking', 'say'];

/** What a button carries: the action, its ids, and who it belongs to — never anything secret. */
export interface ButtonPayload {
  action: ButtonAction;
  ownerActorId: string;
  optionId?: string;
  paymentMethodId?: string;
  bookingId?: string;
  /** What the click is about, shown at once when the clicked message is updated. */
  label?: string;
  /** A `say` button's message. */
  text?: string;
}

/** Compact keys keep button values well inside channel limits (Slack: 2000 characters). */
export function packButton(payload: ButtonPayload): Record<string, string> {
  const packed: Record<string, string> = { a: payload.action, o: payload.ownerActorId };
  if (payload.optionId) packed.i = payload.optionId;
  if (payload.paymentMethodId) packed.p = payload.paymentMethodId;
  if (payload.bookingId) packed.b = payload.bookingId;
  if (payload.label) packed.l = clipText(payload.label, 200);
  if (payload.text) packed.t = payload.text;
  return packed;
}

/**
 * A button value's limit as JSON: Slack's (2,000), the tightest channel; Teams' Action.Execute
 * data is held to it too, so one reply offers the same buttons everywhere.
 */
const BUTTON_VALUE_MAX = 2000;

/**
 * The packed payload if its JSON fits BUTTON_VALUE_MAX, else undefined: the renderer then leaves
 * that button out. An id is never cut (a cut id books the wrong thing, or nothing), and the label
 * is only what the clicked message shows, so it goes first. Without the button the option stays
 * readable and bookable: the traveller can type its number (or "yes", "cancel my booking") and
 * the thread remembers the shortlist and the card with their full ids.
 */
export function fitButton(payload: ButtonPayload): Record<string, string> | undefined {
  const packed = packButton(payload);
  if (JSON.stringify(packed).length <= BUTTON_VALUE_MAX) return packed;
  delete packed.l;
  return JSON.stringify(packed).length <= BUTTON_VALUE_MAX ? packed : undefined;
}

/** Reads a packed button back; anything that is not one of ours is undefined. */
export function unpackButton(value: unknown): ButtonPayload | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.a !== 'string' || !BUTTON_ACTIONS.includes(v.a) || typeof v.o !== 'string' || v.o === '') return undefined;
  const out: ButtonPayload = { action: v.a as ButtonAction, ownerActorId: v.o };
  if (typeof v.i === 'string') out.optionId = v.i;
  if (typeof v.p === 'string') out.paymentMethodId = v.p;
  if (typeof v.b === 'string') out.bookingId = v.b;
  if (typeof v.l === 'string') out.label = v.l;
  if (typeof v.t === 'string') out.text = v.t;
  return out;
}

/** The turn a click makes; undefined when a required id is missing. */
export function actionInputOf(button: ButtonPayload): ActionInput | undefined {
  const owner = button.ownerActorId;
  switch (button.action) {
    case 'book_option':
      return button.optionId ? { type: 'action', action: 'book_option', optionId: button.optionId, ownerActorId: owner } : undefined;
    case 'confirm_payment_card':
      return { type: 'action', action: 'confirm_payment_card', ownerActorId: owner, ...(button.paymentMethodId ? { paymentMethodId: button.paymentMethodId } : {}) };
    case 'decline_payment':
      return { type: 'action', action: 'decline_payment', ownerActorId: owner };
    case 'cancel_booking':
      return button.bookingId ? { type: 'action', action: 'cancel_booking', bookingId: button.bookingId, ownerActorId: owner } : undefined;
    case 'say':
      return button.text?.trim() ? { type: 'action', action: 'say', text: button.text, ownerActorId: owner } : undefined;
  }
}

/** The one-line note a clicked message becomes, so its buttons cannot be clicked twice. */
export function clickedNote(action: string, label: string | undefined): string {
  switch (action) {
    case 'decline_payment':
      return '✋ You declined this payment.';
    case 'book_option':
      return `⏳ Booking ${label ?? 'your room'}…`;
    case 'confirm_payment_card':
      // The button's own label ("Yes, use this card") is not what the traveller is waiting for.
      return '⏳ Confirming your payment with this card…';
    case 'cancel_booking':
      return `⏳ Cancelling your booking${label ? ` at ${label}` : ''}…`;
    case 'say':
      // The tapped suggestion, as the traveller's own words (a click posts no message of theirs).
      return `💬 “${label ?? '…'}”`;
    default:
      return '⏳ On it…';
  }
}

/** "$98.11"; a currency code Intl does not know still shows its amount. */
/** One formatter per currency: building an Intl.NumberFormat costs about a millisecond. */
const moneyFormats = new Map<string, Intl.NumberFormat>();

export function formatMoney(amount: number | undefined, currency: string | undefined): string | undefined {
  if (amount === undefined) return undefined;
  const code = currency ?? 'USD';
  try {
    let format = moneyFormats.get(code);
    if (!format) {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
      if (moneyFormats.size < 50) moneyFormats.set(code, format); // bounded: currency codes come from Brek
    }
    return format.format(amount);
  } catch {
    // Not a currency Intl knows: the code is Brek's text, so only a short one is shown.
    return `${amount.toFixed(2)} ${clipText(currency ?? '', 8)}`.trim();
  }
}

// ---------------------------------------------------------------- shared wording

/** The reply's message; Brek's text is optional in practice and channels refuse empty messages. */
export function replyText(reply: Reply): string {
  return reply.text.trim() || (reply.kind === 'error' ? 'Sorry, that did not work.' : 'Here is an update on your booking.');
}

/**
 * The numbers a traveller may reply with, as said in a sentence: "2", "a number (1–6)", or
 * "1, 3 or 5–9" — runs of three or more written as a range, so 40 options stay one short line.
 */
export function numberChoice(numbers: readonly number[]): string {
  if (numbers.length === 1) return String(numbers[0]);
  if (numbers.length > 1 && numbers.every((n, i) => n === i + 1)) return `a number (1–${numbers.length})`;
  const runs: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let end = i;
    while (end + 1 < numbers.length && numbers[end + 1] === numbers[end]! + 1) end++;
    if (end - i >= 2) runs.push(`${numbers[i]}–${numbers[end]}`);
    else for (let k = i; k <= end; k++) runs.push(String(numbers[k]));
    i = end + 1;
  }
  return runs.length > 1 ? `${runs.slice(0, -1).join(', ')} or ${runs.at(-1)}` : (runs[0] ?? '');
}

/** "VISA •••• 4242", or undefined when the card is not described. */
export function cardName(card: ReplyPaymentMethod | undefined): string | undefined {
  if (!card?.brand && !card?.last4) return undefined;
  return `${clipText(card.brand ?? 'card', 24).toUpperCase()} •••• ${clipText(card.last4 ?? '????', 8)}`;
}

// ---------------------------------------------------------------- length

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The last grapheme boundary at or before `at` (UTF-16 index), so a cut never splits a
 * surrogate pair, a combining sequence or an emoji (ZWJ, flags, skin tones). A single grapheme
 * longer than `at` is cut at a code point boundary instead: there is no better place.
 */
export function graphemeBoundary(text: string, at: number): number {
  if (at >= text.length) return text.length;
  if (at <= 0) return 0;
  // Only the text up to the cut is segmented, plus the whole code point at it: whether `at` is a
  // boundary depends on what precedes it and on that code point alone.
  let boundary = 0;
  for (const { index } of graphemes.segment(text.slice(0, at + 2))) {
    if (index > at) break;
    boundary = index;
  }
  if (boundary > 0) return boundary;
  // The first grapheme is longer than `at` (a pile of combining marks): a code point boundary.
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at - 1 : at;
}

/**
 * Text cut to at most `max` UTF-16 units, '…' marking the cut, preferring a space near the end
 * so a word is not halved.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let cut = graphemeBoundary(text, max - 1);
  const space = text.lastIndexOf(' ', cut);
  if (space > 0 && cut - space <= 40) cut = space;
  return `${text.slice(0, cut).trimEnd()}…`;
}
