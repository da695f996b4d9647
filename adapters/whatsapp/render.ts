// Reply → WhatsApp text, as a pure function: *bold* and _italic_, numbered choices instead of
// buttons, links written out in full. Long messages are split at line boundaries (never inside
// a link) to stay under Twilio's 1600-character limit for a WhatsApp body.
import { cardName, formatMoney, replyText, type Reply, type ReplyOption } from '../../core/reply.ts';

export const MAX_BODY = 1600;

function optionLines(o: ReplyOption): string[] {
  const lines = [`*${o.index}. ${o.name ?? `Option ${o.index}`}*`];
  const prices = [
    formatMoney(o.pricePerNight, o.currency) && `${formatMoney(o.pricePerNight, o.currency)}/night`,
    formatMoney(o.totalPrice, o.currency) && `${formatMoney(o.totalPrice, o.currency)} total`,
  ].filter(Boolean);
  if (prices.length) lines.push(prices.join(' · '));
  const facts = [
    o.refundable === undefined ? undefined : o.refundable ? 'Refundable' : 'Non-refundable',
    o.rating === undefined ? undefined : `★ ${o.rating}`,
    o.distanceTo,
  ].filter(Boolean);
  if (facts.length) lines.push(facts.join(' · '));
  if (o.detailsUrl) lines.push(o.detailsUrl);
  return lines;
}

export function renderWhatsApp(reply: Reply): string[] {
  const blocks: string[] = [replyText(reply)];
  switch (reply.kind) {
    case 'shortlist': {
      for (const option of reply.options) blocks.push(optionLines(option).join('\n'));
      const bookable = reply.actions.filter((a) => a.type === 'book_option').length;
      if (bookable > 0) blocks.push(`_Reply with a number (1–${reply.options.length}) to book._`);
      break;
    }
    case 'payment_setup_required':
      if (reply.paymentSetupUrl) blocks.push(`Set up payment: ${reply.paymentSetupUrl}`, 'Reply *DONE* when you have added your card.');
      break;
    case 'payment_confirmation_required':
      blocks.push(`Reply *YES* to pay with ${cardName(reply.paymentMethod) ?? 'your saved card'}, or *NO*.`);
      break;
    case 'booked': {
      const b = reply.booking;
      const facts = [
        b?.hotelName && `*Hotel:* ${b.hotelName}`,
        formatMoney(b?.totalPrice, b?.currency) && `*Total:* ${formatMoney(b?.totalPrice, b?.currency)}`,
        b?.bookingId && `*Booking id:* ${b.bookingId}`,
        b?.cancelPolicy && `*Cancellation:* ${b.cancelPolicy}`,
      ].filter(Boolean);
      if (facts.length) blocks.push(facts.join('\n'));
      if (b?.confirmationUrl) blocks.push(`View your booking: ${b.confirmationUrl}`);
      if (b?.bookingId) blocks.push('_To cancel, reply *cancel my booking*._');
      break;
    }
    default:
      break;
  }
  return splitMessage(blocks.join('\n\n'));
}

/** Splits at line boundaries; a single over-long line is split at spaces, never inside a word or link. */
export function splitMessage(text: string, max = MAX_BODY): string[] {
  const messages: string[] = [];
  let current = '';
  const push = (piece: string) => {
    const joined = current ? `${current}\n${piece}` : piece;
    if (joined.length <= max) {
      current = joined;
      return;
    }
    if (current) messages.push(current.trimEnd());
    current = piece;
  };
  for (const line of text.split('\n')) {
    if (line.length <= max) {
      push(line);
      continue;
    }
    let rest = line;
    while (rest.length > max) {
      const cut = rest.lastIndexOf(' ', max);
      const at = cut > 0 ? cut : max; // a single token longer than a message (never a real link) is cut
      push(rest.slice(0, at));
      rest = rest.slice(at).trimStart();
    }
    push(rest);
  }
  if (current) messages.push(current.trimEnd());
  return messages.filter((m) => m.trim() !== '');
}
