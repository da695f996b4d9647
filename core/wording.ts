// The bridge's own words: everything it says without Brek (an apology, a refusal, help, the
// confirmation of an erase). Kept together so every channel says the same thing, and so a change of
// wording is one file.
import type { TurnInput } from './inbound.ts';
import { numberChoice } from './reply.ts';

export const MESSAGES = {
  cardNumber:
    'For your security I did not read or keep that message: it looked like a card number. Please never send card details in chat — use the secure payment link instead.',
  unsupported: (what: string) => `Sorry, I can only read text messages, not ${what}. Please type your request.`,
  notYourButton: 'That button belongs to someone else’s conversation, so I did not act on it. Send me a message to start your own search.',
  busy: 'Sorry — the booking service is busy right now, so I could not handle that message. Please try again in a minute.',
  stillWorking: 'Lots of travellers are asking right now — I have your message and will answer here as soon as I can.',
  queueFull: 'Sorry — so many travellers are asking right now that I could not get to your message in time. Please send it again in a few minutes.',
  unavailable: 'Sorry — something went wrong on our side and I could not handle that message. Please try again later.',
  optedOut: 'You are unsubscribed and will not get messages from us. Reply START to resume.',
  optedIn: 'Welcome back! Tell me where and when you would like to stay.',
  help: 'I find and book hotels. Tell me a city and dates (e.g. "Seattle Mar 20-23"), reply with an option’s number to book, and follow the secure payment link. Reply STOP to unsubscribe.',
  pickBookable: (numbers: readonly number[]) => `Please reply with ${numberChoice(numbers)} to book one of the options above.`,
  nothingBookable: 'None of the options above can be booked here. Tell me more about what you need and I will look again.',
  forgotten:
    'Done — I have deleted your conversations and messages with me, in every chat where we talked. If you write to me again, I will start afresh.',
  welcome:
    'Hi! I can find and book hotels for you. Tell me where and when — for example "Seattle Mar 20-23, 1 room, refundable" — and I will show you options to book.',
} as const;

/** What the traveller sees while Brek works: one status line, and the lines a channel may rotate through. */
export interface ProgressNote {
  status: string;
  loading: string[];
}

/** "Find a hotel in Las Vegas this weekend" → "Las Vegas": a capitalised place after "in". */
const PLACE = /\bin ((?:\p{Lu}[\p{L}'.-]*)(?: (?:\p{Lu}[\p{L}'.-]*)){0,3})/u;

/** The progress line for a turn about to ask Brek, from what the traveller did and what is open. */
export function progressNote(input: TurnInput, open: { lastStatus?: string } | undefined): ProgressNote {
  const one = (status: string): ProgressNote => ({ status, loading: [status] });
  if (input.type === 'action') {
    switch (input.action) {
      case 'book_option':
        return one('Booking your room…');
      case 'confirm_payment_card':
        return one('Confirming your payment…');
      case 'cancel_booking':
        return one('Cancelling your booking…');
      case 'decline_payment':
        return one('Letting the hotel know…');
      case 'say':
        break;
    }
  }
  const text = input.type === 'text' || (input.type === 'action' && input.action === 'say') ? input.text : '';
  if (/^\s*#?\d{1,2}\s*[.)]?\s*$/.test(text) && open?.lastStatus === 'shortlist') return one(`Booking option ${text.replace(/\D/g, '')}…`);
  if (open?.lastStatus === 'payment_setup_required') return one('Checking your card…');
  const place = PLACE.exec(text)?.[1];
  const searching = place ? `Searching hotels in ${place}…` : 'Searching hotels…';
  return { status: searching, loading: [searching, 'Comparing prices and cancellation terms…', 'Almost there…'] };
}
