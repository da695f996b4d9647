// The sandbox's assistant: a deterministic state machine over one session that reproduces the
// guides' golden path and scenarios A, B and C. Text is read by understand.ts; explicit action
// kinds skip the reading. A booking happens only after the traveller consents to a named card.
import { hotelsIn, totalPrice } from './inventory.ts';
import { newBookingId, newConfirmationBookingId, newSetupToken, stableUuid } from './ids.ts';
import {
  hasSearchContent,
  isCancel,
  isDone,
  isNo,
  isYes,
  readBookingChoice,
  readGuestName,
  readSearch,
  type SearchQuery,
} from './understand.ts';
import type { Booking, OfferedOption, PaymentMethod, Session, World } from './world.ts';

/** Statuses beyond the documented six; the bridge must treat them as plain text. */
const SANDBOX_EXTRA_STATUSES = {
  /** The assistant needs more from the traveller (city, dates) or could not place the text. */
  clarification: 'clarification_required',
  /** A booking was cancelled. */
  cancelled: 'booking_cancelled',
} as const;

export interface TurnInput {
  text?: string;
  kind?: string;
  payload: Record<string, unknown>;
}

export interface TurnOutcome {
  eventKind: string;
  status: string;
  message: string;
  artifacts?: Record<string, unknown>;
}

/** A request the API rejects with 400 before any state changes. */
export class TurnRejected extends Error {}

export interface AssistantContext {
  world: World;
  session: Session;
  now: number;
  publicBase: string;
  setupTokenTtlMs: number;
}

const SHORTLIST_SIZE = 5;
const DAY_MS = 86_400_000;

export function runTurn(ctx: AssistantContext, input: TurnInput): TurnOutcome {
  switch (input.kind) {
    case undefined:
    case '':
    case 'message':
    case 'user_message':
      return readText(ctx, input.text ?? '');
    case 'action_book_option':
    case 'command_book_by_option_id':
      return bookOptionById(ctx, input.kind, requireString(input, 'optionId'));
    case 'action_confirm_payment_card':
      return confirmCard(ctx, input.kind, optionalString(input.payload.paymentMethodId));
    case 'action_cancel_booking':
      return cancelBooking(ctx, input.kind, requireString(input, 'bookingId'));
    case 'action_confirm_price_change':
      return reply(input.kind, 'error', 'There is no price change waiting for your confirmation.');
    default:
      throw new TurnRejected(`Unsupported kind=${input.kind}`);
  }
}

function requireString(input: TurnInput, field: string): string {
  const value = input.payload[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TurnRejected(`payload.${field} is required for kind=${input.kind}`);
  }
  return value;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function reply(eventKind: string, status: string, message: string, artifacts?: Record<string, unknown>): TurnOutcome {
  return artifacts ? { eventKind, status, message, artifacts } : { eventKind, status, message };
}

function clarify(eventKind: string, message: string): TurnOutcome {
  return reply(eventKind, SANDBOX_EXTRA_STATUSES.clarification, message);
}

const HELP =
  'I can find and book hotels. Tell me where and when, for example "Seattle Mar 20-23 1 room refundable".';

// ---------------------------------------------------------------- text turns

function readText(ctx: AssistantContext, rawText: string): TurnOutcome {
  const text = rawText.trim();
  const pending = ctx.session.pending;
  if (pending) {
    const answered = answerPending(ctx, text);
    if (answered) return answered;
  }

  const choice = readBookingChoice(text);
  if (choice) return bookByChoice(ctx, choice);

  if (isCancel(text)) return cancelLatestBooking(ctx);

  const query = readSearch(text, readContext(ctx));
  if (hasSearchContent(query)) return search(ctx, query);

  if (pending) return repeatPendingPrompt(ctx);
  if (isDone(text) || isYes(text) || isNo(text)) {
    return clarify('message', `There is nothing waiting for your confirmation. ${HELP}`);
  }
  return clarify('message', HELP);
}

function readContext(ctx: AssistantContext) {
  return { now: new Date(ctx.now), timezoneOffsetMinutes: ctx.session.actor.timezoneOffsetMinutes ?? 0 };
}

/** The answer to what the assistant last asked, or undefined when the text is about something else. */
function answerPending(ctx: AssistantContext, text: string): TurnOutcome | undefined {
  const pending = ctx.session.pending!;
  if (pending.stage === 'guest_name') {
    if (isCancel(text) || isNo(text)) return abandonBooking(ctx, 'cancel_request');
    const guestName = readGuestName(text);
    if (!guestName) return undefined;
    pending.guestName = guestName;
    return askForPayment(ctx, 'guest_name', 'first');
  }
  if (pending.stage === 'payment_setup') {
    if (isDone(text)) return askForPayment(ctx, 'payment_setup_done', 'after_setup');
    if (isCancel(text) || isNo(text)) return abandonBooking(ctx, 'cancel_request');
    return undefined;
  }
  // payment_confirmation
  if (isYes(text)) return completeBooking(ctx, 'payment_confirmation', pending.paymentMethodId);
  if (isNo(text) || isCancel(text)) return abandonBooking(ctx, 'payment_decline');
  return undefined;
}

function repeatPendingPrompt(ctx: AssistantContext): TurnOutcome {
  const pending = ctx.session.pending!;
  if (pending.stage === 'guest_name') return guestNamePrompt('message', 'I still need the guest name: first name + last name exactly as shown on an official ID.');
  if (pending.stage === 'payment_setup') return askForPayment(ctx, 'message', 'after_setup');
  const card = cardById(ctx, pending.paymentMethodId);
  return paymentConfirmation('message', card!, `Please reply yes or no: are you ok to pay with ${cardLabel(card!)}?`);
}

function abandonBooking(ctx: AssistantContext, eventKind: string): TurnOutcome {
  const stage = ctx.session.pending?.stage;
  delete ctx.session.pending;
  const message =
    stage === 'payment_confirmation'
      ? 'No problem. I will not charge this card or continue this booking.'
      : 'No problem. I stopped this booking; nothing was charged.';
  return reply(eventKind, 'error', message);
}

// ---------------------------------------------------------------- search

function search(ctx: AssistantContext, found: SearchQuery): TurnOutcome {
  const session = ctx.session;
  // A new city starts a new search; otherwise the new words refine the one in progress.
  const startsOver = found.city !== undefined && found.city.id !== session.query.city?.id;
  const query: SearchQuery = startsOver ? { ...found } : { ...session.query, ...found };
  session.query = query;
  const city = query.city;
  if (!city) return clarify('search_query', 'Which city would you like to stay in?');
  if (!query.checkIn || !query.checkOut) {
    return clarify('search_query', `When would you like to stay in ${city.name}? For example "Mar 20-23" or "tomorrow for 2 nights".`);
  }
  const nights = Math.round((Date.parse(query.checkOut) - Date.parse(query.checkIn)) / DAY_MS);
  const rooms = query.rooms ?? 1;

  const matches = hotelsIn(city.id)
    .filter((h) => !query.refundableOnly || h.refundable)
    .filter((h) => query.maxPricePerNight === undefined || h.nightlyPrice <= query.maxPricePerNight)
    .filter((h) => query.minRating === undefined || h.rating >= query.minRating)
    .map((hotel): OfferedOption => ({
      optionId: stableUuid(session.sessionId, hotel.hotelId, query.checkIn!, query.checkOut!, String(rooms)),
      hotel,
      city,
      checkIn: query.checkIn!,
      checkOut: query.checkOut!,
      nights,
      rooms,
      pricePerNight: hotel.nightlyPrice,
      totalPrice: Math.round(totalPrice(hotel.nightlyPrice, nights, city.taxRate) * rooms * 100) / 100,
      currency: city.currency,
    }));
  matches.sort(query.cheapest ? byTotal : byRatingThenTotal);
  const filters = describeFilters(query, city.currency);

  if (matches.length === 0) {
    return clarify('search_query', `I could not find hotels in ${city.name} matching ${filters.join(', ')}. Try fewer filters.`);
  }
  session.shortlist = matches.slice(0, SHORTLIST_SIZE);
  for (const option of session.shortlist) session.offered.set(option.optionId, option);

  let message = `I found options matching your request in ${city.name}.`;
  if (filters.length > 0) message += ` Matched core filters: ${filters.join(', ')}.`;
  if (query.cheapest) message += ' Sorted by lowest total price first.';
  return reply('search_query', 'shortlist', message, {
    shortlist: session.shortlist.map((o) => shortlistEntry(ctx, o)),
  });
}

const byTotal = (a: OfferedOption, b: OfferedOption) => a.totalPrice - b.totalPrice;
const byRatingThenTotal = (a: OfferedOption, b: OfferedOption) => b.hotel.rating - a.hotel.rating || byTotal(a, b);

function describeFilters(query: SearchQuery, currency: string): string[] {
  const filters: string[] = [];
  if (query.refundableOnly) filters.push('refundable only');
  if (query.maxPricePerNight !== undefined) filters.push(`under ${money(query.maxPricePerNight, currency)} per night`);
  if (query.minRating !== undefined) filters.push(`rated ${query.minRating}+`);
  return filters;
}

function shortlistEntry(ctx: AssistantContext, o: OfferedOption): Record<string, unknown> {
  const details = new URL(`${ctx.publicBase}${o.hotel.detailsPath}`);
  details.searchParams.set('checkIn', o.checkIn);
  details.searchParams.set('checkOut', o.checkOut);
  details.searchParams.set('rooms', String(o.rooms));
  return {
    optionId: o.optionId,
    name: o.hotel.name,
    pricePerNight: o.pricePerNight,
    totalPrice: o.totalPrice,
    currency: o.currency,
    refundable: o.hotel.refundable,
    rating: o.hotel.rating,
    distanceTo: o.hotel.distanceTo,
    detailsUrl: details.toString(),
  };
}

// ---------------------------------------------------------------- booking

function bookByChoice(ctx: AssistantContext, choice: { index: number } | { name: string }): TurnOutcome {
  const shortlist = ctx.session.shortlist;
  if (shortlist.length === 0) return clarify('booking_intent', `Let's find a hotel first. ${HELP}`);
  let option: OfferedOption | undefined;
  if ('index' in choice) {
    option = shortlist[choice.index - 1];
    if (!option) return clarify('booking_intent', `Please pick an option from 1 to ${shortlist.length}.`);
  } else {
    const wanted = choice.name.toLowerCase();
    option = shortlist.find((o) => o.hotel.name.toLowerCase() === wanted) ??
      shortlist.find((o) => o.hotel.name.toLowerCase().includes(wanted));
    if (!option) return clarify('booking_intent', `I could not find "${choice.name}" in your options. Reply with its number instead.`);
  }
  return startBooking(ctx, 'booking_intent', option);
}

function bookOptionById(ctx: AssistantContext, eventKind: string, optionId: string): TurnOutcome {
  const option = ctx.session.offered.get(optionId);
  if (!option) return reply(eventKind, 'error', 'That option is no longer available. Please search again.');
  return startBooking(ctx, eventKind, option);
}

function startBooking(ctx: AssistantContext, eventKind: string, option: OfferedOption): TurnOutcome {
  ctx.session.pending = { option, stage: 'guest_name' };
  return guestNamePrompt(
    eventKind,
    'Before I book, I need the check-in guest name for room 1: first name + last name exactly as shown on an official ID.',
  );
}

function guestNamePrompt(eventKind: string, message: string): TurnOutcome {
  return reply(eventKind, 'guest_name_required', message);
}

/**
 * With a saved card the traveller is asked to consent to it (scenario B, or after setup);
 * without one they get a fresh setup link (golden path step 3, scenario A).
 */
function askForPayment(ctx: AssistantContext, eventKind: string, moment: 'first' | 'after_setup'): TurnOutcome {
  const { session, world } = ctx;
  const pending = session.pending!;
  const card = world.defaultCard(session.partnerId, session.actor.actorId);
  if (card) {
    pending.stage = 'payment_confirmation';
    pending.paymentMethodId = card.paymentMethodId;
    const message =
      moment === 'first'
        ? `Are you ok to pay with ${cardLabel(card)}?`
        : `I found your updated card: ${cardLabel(card)}. Use this card to continue booking?`;
    return paymentConfirmation(eventKind, card, message);
  }
  pending.stage = 'payment_setup';
  const token = newSetupToken(ctx.now);
  world.setupTokens.set(token, {
    token,
    partnerId: session.partnerId,
    actorId: session.actor.actorId,
    sessionId: session.sessionId,
    expiresAt: ctx.now + ctx.setupTokenTtlMs,
  });
  const setupUrl = `${ctx.publicBase}/portal/payment?token=${token}`;
  const message =
    moment === 'first'
      ? `No payment method is set up for this account. Please add a card before booking. Set up here: ${setupUrl}\nPlease reply "Done" once you finished set up.`
      : `Sure, you can update your payment method here: ${setupUrl}\nAfter setup, reply "done" in this thread and I will verify the new card before booking.`;
  return reply(eventKind, 'payment_setup_required', message, { payment: { setupUrl } });
}

function paymentConfirmation(eventKind: string, card: PaymentMethod, message: string): TurnOutcome {
  return reply(eventKind, 'payment_confirmation_required', message, {
    payment: {
      paymentMethodId: card.paymentMethodId,
      cardBrand: card.brand,
      cardLast4: card.last4,
      expMonth: card.expMonth,
      expYear: card.expYear,
    },
  });
}

function cardLabel(card: PaymentMethod): string {
  return `${card.brand.toUpperCase()} **** ${card.last4}`;
}

function cardById(ctx: AssistantContext, paymentMethodId: string | undefined): PaymentMethod | undefined {
  const profile = ctx.world.profile(ctx.session.partnerId, ctx.session.actor.actorId);
  return profile.cards.find((c) => c.paymentMethodId === paymentMethodId);
}

function confirmCard(ctx: AssistantContext, eventKind: string, paymentMethodId: string | undefined): TurnOutcome {
  const pending = ctx.session.pending;
  if (pending?.stage !== 'payment_confirmation') {
    return reply(eventKind, 'error', 'There is no booking waiting for payment confirmation.');
  }
  return completeBooking(ctx, eventKind, paymentMethodId ?? pending.paymentMethodId);
}

/** The only way to `booked`: a pending booking at the consent step and a card of this traveller. */
function completeBooking(ctx: AssistantContext, eventKind: string, paymentMethodId: string | undefined): TurnOutcome {
  const { session, world } = ctx;
  const pending = session.pending;
  const card = cardById(ctx, paymentMethodId);
  if (pending?.stage !== 'payment_confirmation' || !pending.guestName) {
    return reply(eventKind, 'error', 'There is no booking waiting for payment confirmation.');
  }
  if (!card) return reply(eventKind, 'error', 'That card is not on file for you. Please set up payment again.');

  const option = pending.option;
  const booking: Booking = {
    bookingId: newBookingId(),
    confirmationBookingId: newConfirmationBookingId(),
    partnerId: session.partnerId,
    actorId: session.actor.actorId,
    sessionId: session.sessionId,
    option,
    guestName: pending.guestName,
    paymentMethodId: card.paymentMethodId,
    refundable: option.hotel.refundable,
    cancelPolicy: option.hotel.refundable
      ? `Refundable until ${option.checkIn}T01:00:00Z`
      : 'Non-refundable: no refund if cancelled.',
    state: 'confirmed',
    bookedAt: new Date(ctx.now).toISOString(),
  };
  world.bookings.set(booking.bookingId, booking);
  delete session.pending;
  return reply(eventKind, 'booked', `Booked ${option.hotel.name}.`, { booking: bookingArtifact(ctx, booking) });
}

function bookingArtifact(ctx: AssistantContext, booking: Booking): Record<string, unknown> {
  return {
    bookingId: booking.bookingId,
    confirmationBookingId: booking.confirmationBookingId,
    hotelName: booking.option.hotel.name,
    totalPrice: booking.option.totalPrice,
    currency: booking.option.currency,
    confirmationUrl: `${ctx.publicBase}/my-bookings/${booking.confirmationBookingId}`,
    cancelPolicy: booking.cancelPolicy,
  };
}

// ---------------------------------------------------------------- cancellation

function cancelLatestBooking(ctx: AssistantContext): TurnOutcome {
  const mine = [...ctx.world.bookings.values()].filter(
    (b) => b.sessionId === ctx.session.sessionId && b.state === 'confirmed',
  );
  const latest = mine.at(-1);
  if (!latest) return clarify('cancel_request', `You have no booking in this conversation to cancel. ${HELP}`);
  return cancel(ctx, 'cancel_request', latest);
}

function cancelBooking(ctx: AssistantContext, eventKind: string, bookingId: string): TurnOutcome {
  const booking = ctx.world.bookings.get(bookingId);
  const owned =
    booking && booking.partnerId === ctx.session.partnerId && booking.actorId === ctx.session.actor.actorId;
  if (!booking || !owned) return reply(eventKind, 'error', `I could not find booking ${bookingId}.`);
  return cancel(ctx, eventKind, booking);
}

function cancel(ctx: AssistantContext, eventKind: string, booking: Booking): TurnOutcome {
  if (booking.state === 'cancelled') {
    return reply(eventKind, 'error', `Booking ${booking.bookingId} is already cancelled.`);
  }
  if (!booking.refundable) {
    return reply(eventKind, 'error', `Booking ${booking.bookingId} at ${booking.option.hotel.name} is non-refundable, so it cannot be cancelled.`);
  }
  booking.state = 'cancelled';
  return reply(
    eventKind,
    SANDBOX_EXTRA_STATUSES.cancelled,
    `Cancelled your booking at ${booking.option.hotel.name} (booking ${booking.bookingId}). You will not be charged.`,
    { booking: { ...bookingArtifact(ctx, booking), status: 'cancelled' } },
  );
}

export function money(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount);
}
