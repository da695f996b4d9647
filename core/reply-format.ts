// The wording every channel shares, channel-neutral: how many options a message shows, an
// option's line (name, prices, facts), a booking's and a card's facts, and the plain-text
// summaries. Each channel styles these parts (mrkdwn bold, Adaptive Card runs, WhatsApp's
// *bold*) and escapes them its own way, through the `fit` it passes.
import { clipText, formatMoney, replyText, type Reply, type ReplyBooking, type ReplyOption, type ReplyPaymentMethod } from './reply.ts';

/** Options shown in one message on every channel; the rest are counted. Typing a number still books any. */
export const MAX_OPTIONS_SHOWN = 10;

/** Cuts Brek's text to at most `max` as the channel writes it (escaped, whitespace folded…). */
export type FitText = (raw: string, max: number) => string;

/** The options a message lists, and how many it leaves out. */
export function shownOptions(reply: Reply): { shown: ReplyOption[]; hidden: number } {
  const shown = reply.options.slice(0, MAX_OPTIONS_SHOWN);
  return { shown, hidden: reply.options.length - shown.length };
}

/** The line that stands for the options left out. */
export function moreOptionsNote(hidden: number): string {
  return `…and ${hidden} more. Tell me more about what you need to narrow it down.`;
}

/** Readable lengths of an option's parts, the same on every channel. */
export const OPTION_TEXT_MAX = { name: 200, money: 60, rating: 30, distance: 200 } as const;

/** An option's parts, each of Brek's cut to a readable length by the channel's `fit`. */
export interface OptionLine {
  /** Brek's name, or "Option 3". */
  name: string;
  perNight?: string;
  total?: string;
  refundable?: boolean;
  rating?: string;
  distance?: string;
}

export function optionLine(option: ReplyOption, fit: FitText = clipText): OptionLine {
  const money = (amount: number | undefined) => {
    const formatted = formatMoney(amount, option.currency);
    return formatted === undefined ? undefined : fit(formatted, OPTION_TEXT_MAX.money); // the currency is Brek's text
  };
  const line: OptionLine = { name: fit(option.name ?? `Option ${option.index}`, OPTION_TEXT_MAX.name) };
  const perNight = money(option.pricePerNight);
  const total = money(option.totalPrice);
  if (perNight !== undefined) line.perNight = perNight;
  if (total !== undefined) line.total = total;
  if (option.refundable !== undefined) line.refundable = option.refundable;
  if (option.rating !== undefined) line.rating = fit(String(option.rating), OPTION_TEXT_MAX.rating);
  if (option.distanceTo !== undefined) line.distance = fit(option.distanceTo, OPTION_TEXT_MAX.distance);
  return line;
}

/** "$276.66/night · $980.67 total", or undefined without prices. */
export function priceLine(line: OptionLine): string | undefined {
  const prices = [line.perNight && `${line.perNight}/night`, line.total && `${line.total} total`].filter(Boolean);
  return prices.length ? prices.join(' · ') : undefined;
}

/** "Refundable · ★ 4.8 · 0.4 miles from Seattle", or undefined without facts. */
export function factsLine(line: OptionLine): string | undefined {
  const facts = [line.refundable === undefined ? undefined : line.refundable ? 'Refundable' : 'Non-refundable', line.rating && `★ ${line.rating}`, line.distance].filter(Boolean);
  return facts.length ? facts.join(' · ') : undefined;
}

/** The same parts as titled facts ("Per night: $276.66"), for a channel that lays them out so. */
export function optionFacts(line: OptionLine): [string, string | undefined][] {
  return [
    ['Per night', line.perNight],
    ['Total', line.total],
    ['Refundable', line.refundable === undefined ? undefined : line.refundable ? 'Yes' : 'No'],
    ['Rating', line.rating && `★ ${line.rating}`],
    ['Distance', line.distance],
  ];
}

/** A booking's facts, titled, each with its readable length; only those Brek sent. */
export function bookingFacts(booking: ReplyBooking | undefined): { title: string; value: string; max: number }[] {
  if (!booking) return [];
  const facts = [
    { title: 'Hotel', value: booking.hotelName, max: 200 },
    { title: 'Total', value: formatMoney(booking.totalPrice, booking.currency), max: 100 },
    { title: 'Booking id', value: booking.bookingId, max: 200 },
    { title: 'Cancellation', value: booking.cancelPolicy, max: 500 },
  ];
  return facts.filter((f): f is { title: string; value: string; max: number } => Boolean(f.value));
}

/** "03/2030", or undefined when the card's expiry is not known. */
export function cardExpiry(card: ReplyPaymentMethod | undefined): string | undefined {
  return card?.expMonth && card.expYear ? `${String(card.expMonth).padStart(2, '0')}/${card.expYear}` : undefined;
}

/**
 * The plain-text version of a reply, for notifications and screen readers (Slack's top-level
 * text): the message, then the options listed or the booking in one line.
 */
export function plainSummary(reply: Reply): string {
  const said = replyText(reply);
  if (reply.kind === 'shortlist') return [said, ...shownOptions(reply).shown.map((o) => `${o.index}. ${clipText(o.name ?? 'Option', 100)}`)].join('\n');
  if (reply.kind === 'booked') {
    const b = reply.booking;
    return [said, b?.hotelName && clipText(b.hotelName, 100), b?.bookingId && `Booking ${clipText(b.bookingId, 100)}`, b?.confirmationUrl].filter(Boolean).join(' — ');
  }
  return said;
}

/** The message's first line, cut to `max`: what a notification shows (Teams' activity text). */
export function summaryLine(reply: Reply, max: number): string {
  const said = replyText(reply);
  const first = said.split('\n').find((line) => line.trim() !== '') ?? said;
  return clipText(first.trim(), max);
}
