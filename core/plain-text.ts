// A reply as plain text with every link written out: what a channel posts when the platform
// refused its rich rendering (Slack invalid_blocks, a Teams 400/413, Twilio's length errors), so
// no turn ends silently. Channel-neutral; each sender escapes it for its own format.
import { cardName, replyText, type Reply } from './reply.ts';
import { MAX_OPTIONS_SHOWN, optionLine } from './reply-format.ts';
/** Characters at most: within every channel's smallest text limit once escaped (Twilio's 1,600). */
export const PLAIN_TEXT_MAX = 1_500;

/** A link that cannot fit whole is not cut (a cut link opens the wrong page): it is named instead. */
const link = (url: string) => (url.length <= 1_000 ? url : '(the link is too long to show here; ask me to send it again)');

export function plainReplyText(reply: Reply): string {
  const lines = [replyText(reply)];
  const options = reply.options.slice(0, MAX_OPTIONS_SHOWN);
  for (const option of options) {
    const line = optionLine(option);
    lines.push(`${option.index}. ${line.name}${line.perNight ? ` — ${line.perNight}/night` : ''}`);
    // Details links only while short: the message must stay small enough to pass.
    if (option.detailsUrl && option.detailsUrl.length <= 200) lines.push(`   ${option.detailsUrl}`);
  }
  if (reply.options.length > options.length) lines.push(`…and ${reply.options.length - options.length} more.`);
  if (options.some((o) => o.optionId)) lines.push('Reply with an option’s number to book it.');
  if (reply.paymentSetupUrl) lines.push(`Set up payment: ${link(reply.paymentSetupUrl)}`);
  const card = cardName(reply.paymentMethod);
  if (reply.kind === 'payment_confirmation_required') lines.push(`Reply YES to pay with ${card ?? 'your saved card'}, or NO.`);
  const booking = reply.booking;
  if (booking?.bookingId) lines.push(`Booking ${booking.bookingId}${booking.hotelName ? ` at ${booking.hotelName}` : ''}`);
  if (booking?.confirmationUrl) lines.push(`View your booking: ${link(booking.confirmationUrl)}`);
  const text = lines.join('\n');
  return text.length <= PLAIN_TEXT_MAX ? text : `${[...text].slice(0, PLAIN_TEXT_MAX - 1).join('')}…`;
}
