// The bridge's own words: everything it says without Brek (an apology, a refusal, help, the
// confirmation of an erase). Kept together so every channel says the same thing, and so a change of
// wording is one file.
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
