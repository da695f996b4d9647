// Reply → WhatsApp text, as a pure function: *bold* and _italic_, numbered choices instead of
// buttons, links written out in full and each once. Long messages are split at line boundaries,
// then at spaces (never inside a link), and only a token longer than a whole message is cut, at a
// character boundary (never inside a surrogate pair or an emoji): every body is 1–1,600 units.
// Each of the Reply's actions (core/reply.ts) becomes a line: a numbered option, a link with the
// action's words, or what to reply ("YES", "cancel my booking").
import { ACTION_WORDS, actionsOf, cardName, clipText, fittedButton, graphemeBoundary, numberChoice, replyText, type Reply, type ReplyAction, type ReplyOption } from '../../core/reply.ts';
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

/**
 * How much of each option the text says: everything, or — when a list picker carries the rest
 * (each item's description is its price and facts) and the whole must fit its 1,024 characters —
 * less: without the facts, without the prices, without the link.
 */
type OptionDetail = 'full' | 'no_facts' | 'name_link' | 'name';

function optionLines(o: ReplyOption, bookable: boolean, links: Links, detail: OptionDetail = 'full'): string[] {
  const line = optionLine(o);
  // Only an option with a Book action can be booked by its number: the others are listed unnumbered.
  const lines = [bookable ? `*${o.index}. ${line.name}*` : `• *${line.name}*`];
  const prices = detail === 'full' || detail === 'no_facts' ? priceLine(line) : undefined;
  const facts = detail === 'full' ? factsLine(line) : undefined;
  if (prices) lines.push(prices);
  if (facts) lines.push(facts);
  const details = detail !== 'name' && o.detailsUrl && Links.fits(o.detailsUrl) ? links.once(o.detailsUrl) : undefined;
  if (details) lines.push(details);
  return lines;
}

/** "Reply with a number (1–3) to book." — only the numbers that book something. */
function howToBook(numbers: number[]): string | undefined {
  return numbers.length ? `_Reply with ${numberChoice(numbers)} to book._` : undefined;
}

export function renderWhatsApp(reply: Reply): string[] {
  return renderText(reply, 'full');
}

function renderText(reply: Reply, detail: OptionDetail): string[] {
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
      for (const option of shown) blocks.push(optionLines(option, bookable.has(option.index), links, detail).join('\n'));
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

// ---------------------------------------------------------------- interactive messages (Content API)

/** Twilio's limits (https://www.twilio.com/docs/content/twiliolist-picker, …/twilio-quick-reply). */
export const CONTENT_LIMITS = { body: 1024, listItems: 10, itemTitle: 24, itemDescription: 72, id: 200, listButton: 20, quickReplies: 3, quickTitle: 20 } as const;

/** The list picker's button: fixed in the Content resource (one resource per shape, not per reply). */
const LIST_BUTTON = 'Choose a hotel';

/**
 * One Content resource per shape — `list:N` (a list picker of N items) or `quick:N` (N quick
 * replies) — with every word a variable: the body is `{{1}}`, then each item or button in turn.
 */
interface WhatsAppInteractive {
  shape: string;
  variables: Record<string, string>;
}

/** One WhatsApp message: its text, and the buttons or list it carries when the Content API is used. */
export interface WhatsAppPart {
  body: string;
  interactive?: WhatsAppInteractive;
}

/** A template a message outside WhatsApp's 24-hour window needs (WHATSAPP_TEMPLATE_BOOKED / _NOTICE), and its one variable. */
export interface WhatsAppTemplateUse {
  template: 'booked' | 'notice';
  variables: Record<string, string>;
}

const shapeOf = (kind: 'list' | 'quick', count: number) => `${kind}:${count}`;

/** The shape's Content resource, as `POST /v1/Content` takes it; undefined for a shape that is not ours. */
export function contentDefinition(shape: string): { friendly_name: string; language: string; variables: Record<string, string>; types: Record<string, unknown> } | undefined {
  const [, kind, n] = /^(list|quick):(\d{1,2})$/.exec(shape) ?? [];
  const count = Number(n);
  const max = kind === 'list' ? CONTENT_LIMITS.listItems : CONTENT_LIMITS.quickReplies;
  if (!kind || count < 1 || count > max) return undefined;
  const variables: Record<string, string> = { '1': 'Message' };
  const slot = (at: number, sample: string) => {
    variables[String(at)] = sample;
    return `{{${at}}}`;
  };
  // Each slot's sample value is what Twilio shows where a variable is missing: ours are always sent.
  const entries = Array.from({ length: count }, (_, i) =>
    kind === 'list'
      ? { id: slot(2 + 3 * i, `item_${i + 1}`), item: slot(3 + 3 * i, `Hotel ${i + 1}`), description: slot(4 + 3 * i, 'Price') }
      : { type: 'QUICK_REPLY', id: slot(2 + 2 * i, `reply_${i + 1}`), title: slot(3 + 2 * i, `Reply ${i + 1}`) },
  );
  const interactive = kind === 'list' ? { 'twilio/list-picker': { body: '{{1}}', button: LIST_BUTTON, items: entries } } : { 'twilio/quick-reply': { body: '{{1}}', actions: entries } };
  // twilio/text too: where the interactive type cannot be shown, Twilio sends the body alone.
  return { friendly_name: `brek_bridge_${kind}_${count}_v1`, language: 'en', variables, types: { ...interactive, 'twilio/text': { body: '{{1}}' } } };
}

/** A packed button (core/reply.ts) as a list item's or quick reply's id, within Twilio's 200 characters. */
function contentId(action: ReplyAction, ownerActorId: string): string | undefined {
  const packed = fittedButton(action, ownerActorId);
  if (!packed) return undefined;
  if (JSON.stringify(packed).length > CONTENT_LIMITS.id) delete packed.l;
  const id = JSON.stringify(packed);
  return id.length <= CONTENT_LIMITS.id ? id : undefined;
}

/** The list picker of a shortlist: an item per bookable option whose id fits (the others stay bookable by number). */
function listPicker(reply: Reply, actions: ReplyAction[], body: string): WhatsAppInteractive | undefined {
  const { shown } = shownOptions(reply);
  const variables: Record<string, string> = { '1': body };
  let count = 0;
  for (const action of actions) {
    if (action.type !== 'book_option' || count >= CONTENT_LIMITS.listItems) continue;
    const option = shown.find((o) => o.index === action.index);
    const id = option && contentId(action, reply.ownerActorId);
    if (!option || !id) continue;
    const line = optionLine(option);
    const description = [priceLine(line), factsLine(line)].filter(Boolean).join(' · ') || `Option ${option.index}`;
    const at = 2 + 3 * count++;
    variables[String(at)] = id;
    variables[String(at + 1)] = clipText(`${option.index}. ${line.name}`, CONTENT_LIMITS.itemTitle);
    variables[String(at + 2)] = clipText(description, CONTENT_LIMITS.itemDescription);
  }
  return count ? { shape: shapeOf('list', count), variables } : undefined;
}

/** The title a quick reply shows: the action's short words. */
function quickTitle(action: ReplyAction): string | undefined {
  switch (action.type) {
    case 'confirm_payment_card':
    case 'decline_payment':
      return action.label;
    case 'say':
      return action.text;
    default:
      return undefined;
  }
}

/** Quick replies for a payment's yes/no, "Done" after the setup link, the welcome's samples: at most 3. */
function quickReplies(reply: Reply, actions: ReplyAction[], body: string): WhatsAppInteractive | undefined {
  const variables: Record<string, string> = { '1': body };
  let count = 0;
  for (const action of actions) {
    const title = quickTitle(action);
    const id = title && count < CONTENT_LIMITS.quickReplies ? contentId(action, reply.ownerActorId) : undefined;
    if (!title || !id) continue;
    const at = 2 + 2 * count++;
    variables[String(at)] = id;
    variables[String(at + 1)] = clipText(title, CONTENT_LIMITS.quickTitle);
  }
  return count ? { shape: shapeOf('quick', count), variables } : undefined;
}

/** What the controls' message says when the reply's last message is too long to carry them. */
const CONTROLS_BODY = { list: 'Pick a hotel to book, or reply with its number.', quick: 'Tap a reply, or type it.' } as const;

/**
 * The reply as WhatsApp messages: the text of renderWhatsApp, its last message carrying a list
 * picker (a shortlist) or quick replies (a payment's yes/no, "Done", suggestions). Typing a number
 * or a word still works: the text says so as before.
 */
export function renderWhatsAppParts(reply: Reply): WhatsAppPart[] {
  const actions = actionsOf(reply);
  const kind = actions.some((a) => a.type === 'book_option') ? 'list' : actions.some((a) => quickTitle(a) !== undefined) ? 'quick' : undefined;
  let bodies = renderWhatsApp(reply);
  if (kind === 'list' && (bodies.length > 1 || bodies[0]!.length > CONTENT_LIMITS.body)) {
    // One message with its picker reads best: the options said more briefly, if that fits.
    const brief = (['no_facts', 'name_link', 'name'] as const).map((detail) => renderText(reply, detail)).find((b) => b.length === 1 && b[0]!.length <= CONTENT_LIMITS.body);
    if (brief && listPicker(reply, actions, brief[0]!)) bodies = brief;
  }
  const parts: WhatsAppPart[] = bodies.map((body) => ({ body }));
  if (!kind) return parts;
  const last = parts.at(-1);
  let carrier: WhatsAppPart = { body: CONTROLS_BODY[kind] };
  if (last && last.body.length <= CONTENT_LIMITS.body) carrier = last;
  else if (last) {
    // Too long to carry them: its last paragraph (how to book, how to pay) goes with the controls.
    const at = last.body.lastIndexOf('\n\n');
    const tail = at > 0 ? last.body.slice(at + 2) : '';
    if (tail && tail.length <= CONTENT_LIMITS.body) {
      last.body = last.body.slice(0, at);
      carrier = { body: tail };
    }
  }
  const interactive = kind === 'list' ? listPicker(reply, actions, carrier.body) : quickReplies(reply, actions, carrier.body);
  if (!interactive) return bodies.map((body) => ({ body }));
  carrier.interactive = interactive;
  if (carrier !== last) parts.push(carrier);
  return parts;
}

/** A reply that must reach the traveller even after the 24-hour window, and the template that carries it. */
export function templateUse(reply: Reply): WhatsAppTemplateUse | undefined {
  const template = reply.kind === 'booked' ? 'booked' : reply.kind === 'error' || /^bridge_(apology|unavailable)$/.test(reply.status) ? 'notice' : undefined;
  // One line: a template variable is a phrase in an approved message, not a whole reply.
  return template && { template, variables: { '1': clipText(replyText(reply).replace(/\s+/g, ' ').trim(), CONTENT_LIMITS.body - 200) } };
}
