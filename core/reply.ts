// The channel-neutral Reply: what the traveller should see and be able to do next, built from
// any Brek result. Renderers (Block Kit, Adaptive Cards, WhatsApp text) are pure functions of it.
// Every documented status maps explicitly; anything else is text. Nothing here throws.
import type { BookingArtifact, BookingFields, EventResult, PaymentArtifact, ShortlistFields, ShortlistOption } from './brek/results.ts';
import { KNOWN_STATUSES } from './brek/types.ts';
import type { ActionInput } from './inbound.ts';

export type ReplyKind =
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

/** What a traveller can do next. Write actions carry what Brek's action kinds need. */
export type ReplyAction =
  | { type: 'book_option'; index: number; optionId: string; label: string }
  | { type: 'confirm_payment_card'; paymentMethodId?: string; label: string }
  | { type: 'decline_payment'; label: string }
  | { type: 'cancel_booking'; bookingId: string; label: string }
  | { type: 'open_url'; url: string; label: string };

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

/** Only links a traveller can safely open: absolute http(s) URLs. */
function safeUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toOption(option: ShortlistOption, index: number): ReplyOption {
  return definedOnly({
    index,
    optionId: option.optionId,
    name: option.name,
    pricePerNight: option.pricePerNight,
    totalPrice: option.totalPrice,
    currency: option.currency,
    refundable: option.refundable,
    rating: option.rating,
    distanceTo: option.distanceTo,
    detailsUrl: safeUrl(option.detailsUrl),
  });
}

function toPaymentMethod(payment: PaymentArtifact): ReplyPaymentMethod {
  return definedOnly({
    paymentMethodId: payment.paymentMethodId,
    brand: payment.cardBrand,
    last4: payment.cardLast4,
    expMonth: payment.expMonth,
    expYear: payment.expYear,
  });
}

function toBooking(booking: BookingArtifact): ReplyBooking {
  return definedOnly({
    bookingId: booking.bookingId,
    confirmationBookingId: booking.confirmationBookingId,
    hotelName: booking.hotelName,
    totalPrice: booking.totalPrice,
    currency: booking.currency,
    confirmationUrl: safeUrl(booking.confirmationUrl),
    cancelPolicy: booking.cancelPolicy,
  });
}

export function textReply(ownerActorId: string, status: string, text: string): Reply {
  return { kind: 'text', status, text, options: [], actions: [], ownerActorId };
}

export function replyFromResult(result: EventResult, ownerActorId: string): Reply {
  const status = result.status;
  const artifacts = result.artifacts;
  const base: Reply = {
    kind: DOCUMENTED.has(status) ? (status as ReplyKind) : 'text',
    status,
    text: result.messageText,
    options: [],
    actions: [],
    ownerActorId,
  };

  switch (status) {
    case 'shortlist': {
      base.options = (artifacts.shortlist ?? []).map((o, i) => toOption(o, i + 1));
      for (const option of base.options) {
        if (option.optionId) {
          base.actions.push({ type: 'book_option', index: option.index, optionId: option.optionId, label: 'Book' });
        }
      }
      if (base.options.length === 0) base.kind = 'text'; // nothing to choose from: just the message
      break;
    }
    case 'payment_setup_required': {
      const url = safeUrl(artifacts.payment?.setupUrl);
      if (url) {
        base.paymentSetupUrl = url;
        base.actions.push({ type: 'open_url', url, label: 'Set up payment' });
      }
      break;
    }
    case 'payment_confirmation_required': {
      if (artifacts.payment) base.paymentMethod = toPaymentMethod(artifacts.payment);
      base.actions.push(
        definedOnly({ type: 'confirm_payment_card' as const, paymentMethodId: base.paymentMethod?.paymentMethodId, label: 'Yes, use this card' }),
        { type: 'decline_payment', label: 'No' },
      );
      break;
    }
    case 'booked': {
      if (artifacts.booking) base.booking = toBooking(artifacts.booking);
      if (base.booking?.confirmationUrl) base.actions.push({ type: 'open_url', url: base.booking.confirmationUrl, label: 'View booking' });
      if (base.booking?.bookingId) base.actions.push({ type: 'cancel_booking', bookingId: base.booking.bookingId, label: 'Cancel booking' });
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
export type ButtonAction = 'book_option' | 'confirm_payment_card' | 'decline_payment' | 'cancel_booking';
const BUTTON_ACTIONS: readonly string[] = ['book_option', 'confirm_payment_card', 'decline_payment', 'cancel_booking'];

/** What a button carries: the action, its ids, and who it belongs to — never anything secret. */
export interface ButtonPayload {
  action: ButtonAction;
  ownerActorId: string;
  optionId?: string;
  paymentMethodId?: string;
  bookingId?: string;
  /** What the click is about, shown at once when the clicked message is updated. */
  label?: string;
}

/** Compact keys keep button values well inside channel limits (Slack: 2000 characters). */
export function packButton(payload: ButtonPayload): Record<string, string> {
  const packed: Record<string, string> = { a: payload.action, o: payload.ownerActorId };
  if (payload.optionId) packed.i = payload.optionId;
  if (payload.paymentMethodId) packed.p = payload.paymentMethodId;
  if (payload.bookingId) packed.b = payload.bookingId;
  if (payload.label) packed.l = payload.label.length > 200 ? `${payload.label.slice(0, 199)}…` : payload.label;
  return packed;
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
  }
}

/** The one-line note a clicked message becomes, so its buttons cannot be clicked twice. */
export function clickedNote(action: string, label: string | undefined): string {
  if (action === 'decline_payment') return '✋ You declined this payment.';
  const doing: Record<string, string> = { book_option: 'Booking', confirm_payment_card: 'Confirming payment for', cancel_booking: 'Cancelling' };
  return `⏳ ${doing[action] ?? 'Working on'}${label ? ` ${label}` : ''}…`;
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
    return `${amount.toFixed(2)} ${currency ?? ''}`.trim();
  }
}

// ---------------------------------------------------------------- shared wording

/** The reply's message; Brek's text is optional in practice and channels refuse empty messages. */
export function replyText(reply: Reply): string {
  return reply.text.trim() || (reply.kind === 'error' ? 'Sorry, that did not work.' : 'Here is an update on your booking.');
}

/** "VISA •••• 4242", or undefined when the card is not described. */
export function cardName(card: ReplyPaymentMethod | undefined): string | undefined {
  if (!card?.brand && !card?.last4) return undefined;
  return `${(card.brand ?? 'card').toUpperCase()} •••• ${card.last4 ?? '????'}`;
}

/** The plain-text version of a reply, for notifications and screen readers. */
export function plainSummary(reply: Reply, maxOptions: number): string {
  const said = replyText(reply);
  if (reply.kind === 'shortlist') return [said, ...reply.options.slice(0, maxOptions).map((o) => `${o.index}. ${o.name ?? 'Option'}`)].join('\n');
  if (reply.kind === 'booked') {
    const b = reply.booking;
    return [said, b?.hotelName, b?.bookingId && `Booking ${b.bookingId}`, b?.confirmationUrl].filter(Boolean).join(' — ');
  }
  return said;
}
