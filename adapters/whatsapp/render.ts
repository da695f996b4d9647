// Reply → WhatsApp text, as a pure function: *bold* and _italic_, numbered choices instead of
// buttons, links written out in full and each once. Long messages are split at line boundaries,
// then at spaces (never inside a link), and only a token longer than a whole message is cut, at a
// character boundary (never inside a surrogate pair or an emoji): every body is 1–1,600 units.
// Each of the Reply's actions (core/reply.ts) becomes a line: a numbered option, a link with the
// action's words, or what to reply ("YES", "cancel my booking").
import { ACTION_WORDS, actionsOf, cardName, clipText, graphemeBoundary, numberChoice, replyText, type Reply, type ReplyAction, type ReplyOption } from '../../core/reply.ts';
import { bookingFacts, factsLine, moreOptionsNote, optionLine, priceLine, shownOptions } from '../../core/reply-format.ts';

/** Twilio's limit for one WhatsApp body, in characters (UTF-16 units). */
export const MAX_BODY = 1600;
/** Brek's message, at most: about three messages, past which it is noise. */
const MAX_TEXT = 4500;

/** Writes each link at most once in a reply, and never one that no single message could hold. */
class Links {
  private readonly shown = new Set<string>();
  constructor(private readonly said: string) {}

  /** The URL to write, or undefined when it is already in the reply (or in Brek's own words). */
  once(url: string): string | undefined {
    if (this.shown.has(url) || mentions(this.said, url) || (url.endsWith('/') && mentions(this.said, url.slice(0, -1)))) return undefined;
    this.shown.add(url);
    return url;
  }

  /** A link longer than a message would arrive cut, opening the wrong page: it is not sent. */
  static fits(url: string): boolean {
    return url.length <= MAX_BODY;
  }
}

/** Whether `text` has `url` as a whole link, not only as the start of a longer one. */
function mentions(text: string, url: string): boolean {
  for (let at = text.indexOf(url); at >= 0; at = text.indexOf(url, at + 1)) {
    if (!/[\w/?#&=%~@+-]/.test(text.charAt(at + url.length))) return true;
  }
  return false;
}

const TOO_LONG = 'the link is too long to send on WhatsApp; ask me for it again.';

function optionLines(o: ReplyOption, bookable: boolean, links: Links): string[] {
  const line = optionLine(o);
  // Only an option with a Book action can be booked by its number: the others are listed unnumbered.
  const lines = [bookable ? `*${o.index}. ${line.name}*` : `• *${line.name}*`];
  const prices = priceLine(line);
  const facts = factsLine(line);
  if (prices) lines.push(prices);
  if (facts) lines.push(facts);
  const details = o.detailsUrl && Links.fits(o.detailsUrl) ? links.once(o.detailsUrl) : undefined;
  if (details) lines.push(details);
  return lines;
}

/** "Reply with a number (1–3) to book." — only the numbers that book something. */
function howToBook(numbers: number[]): string | undefined {
  return numbers.length ? `_Reply with ${numberChoice(numbers)} to book._` : undefined;
}

export function renderWhatsApp(reply: Reply): string[] {
  const said = clipText(replyText(reply), MAX_TEXT);
  const links = new Links(said);
  const blocks: string[] = [said];
  const actions = actionsOf(reply);
  const link = (label: string, url: string) => {
    if (!Links.fits(url)) return `${label}: ${TOO_LONG}`;
    const once = links.once(url);
    return once && `${label}: ${once}`;
  };
  switch (reply.kind) {
    case 'shortlist': {
      const { shown, hidden } = shownOptions(reply);
      const bookable = new Set(actions.flatMap((a) => (a.type === 'book_option' ? [a.index] : [])));
      for (const option of shown) blocks.push(optionLines(option, bookable.has(option.index), links).join('\n'));
      if (hidden > 0) blocks.push(moreOptionsNote(hidden));
      const prompt = howToBook(shown.filter((o) => bookable.has(o.index)).map((o) => o.index));
      if (prompt) blocks.push(prompt);
      break;
    }
    case 'booked': {
      const facts = bookingFacts(reply.booking).map(({ title, value, max }) => `*${title}:* ${clipText(value, max)}`);
      if (facts.length) blocks.push(facts.join('\n'));
      break;
    }
    default:
      break;
  }
  blocks.push(...actionLines(reply, actions, link));
  return splitMessage(blocks.join('\n\n'));
}

/** What each action but Book (numbered with its option) asks the traveller to do, in words. */
function actionLines(reply: Reply, actions: ReplyAction[], link: (label: string, url: string) => string | undefined): string[] {
  const lines: string[] = [];
  const decline = actions.find((a) => a.type === 'decline_payment');
  for (const action of actions) {
    switch (action.type) {
      case 'book_option':
        break;
      case 'open_url': {
        const line = link(action.textLabel, action.url);
        if (action.purpose === 'setup') {
          // Brek's message usually carries the link already: then it is pointed at, not repeated.
          lines.push(line ?? `${action.textLabel} with the link above.`, 'Reply *DONE* when you have added your card.');
        } else if (line) lines.push(line);
        break;
      }
      case 'confirm_payment_card': {
        const no = decline?.type === 'decline_payment' ? `, or *${decline.typed.toUpperCase()}*` : '';
        lines.push(`Reply *${action.typed.toUpperCase()}* to pay with ${cardName(reply.paymentMethod) ?? 'your saved card'}${no}.`);
        break;
      }
      case 'decline_payment':
        // Said with the card's YES; alone, its own line.
        if (!actions.some((a) => a.type === 'confirm_payment_card')) lines.push(`Reply *${action.typed.toUpperCase()}* to decline this payment.`);
        break;
      case 'cancel_booking':
        lines.push(`_To cancel, reply *${action.typed}*._`);
        break;
      case 'say':
        // "Done" after the setup link is said with it; any other suggestion as a line to send.
        if (!(action.text === ACTION_WORDS.setupDone && actions.some((a) => a.type === 'open_url' && a.purpose === 'setup'))) lines.push(`You can reply: _${action.text}_`);
        break;
    }
  }
  return lines;
}

/** Cuts a token longer than `max` into pieces of at most `max`, at character (grapheme) boundaries. */
function cutToken(token: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = token;
  while (rest.length > max) {
    const at = graphemeBoundary(rest, max) || max; // 0 only if max is under one code point
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/**
 * Splits at line boundaries; a line longer than a message at spaces, never inside a word or link;
 * a single token longer than a message (never a real link) at character boundaries.
 */
export function splitMessage(text: string, max = MAX_BODY): string[] {
  const messages: string[] = [];
  let current = '';
  const flush = () => {
    const body = current.trimEnd();
    if (body.trim() !== '') messages.push(body);
    current = '';
  };
  /** Adds a piece of at most `max` to the current message, or starts the next with it. */
  const add = (piece: string, separator: string) => {
    if (current === '') current = piece;
    else if (current.length + separator.length + piece.length <= max) current += separator + piece;
    else {
      flush();
      current = piece;
    }
  };
  for (const line of text.split('\n')) {
    if (line.length <= max) {
      add(line, '\n');
      continue;
    }
    // Words packed into lines of at most `max`, each then added like a line of its own.
    let packed = '';
    for (const word of line.split(' ')) {
      if (word.length > max) {
        // Its pieces stand alone: joined with a space they would read as two words.
        const pieces = cutToken(word, max);
        if (packed) add(packed, '\n');
        for (const piece of pieces.slice(0, -1)) add(piece, '\n');
        packed = pieces.at(-1) ?? '';
      } else if (packed === '') packed = word;
      else if (packed.length + 1 + word.length <= max) packed += ` ${word}`;
      else {
        add(packed, '\n');
        packed = word;
      }
    }
    if (packed) add(packed, '\n');
  }
  flush();
  return messages;
}
