// Reply → Adaptive Card (schema 1.5, the version Teams supports), built with the Teams SDK's typed
// card builders and serialised to plain JSON. Pure. Write actions are Action.Execute (Universal
// Actions): the click arrives as an invoke whose HTTP answer replaces the card at once, so it
// cannot be clicked twice. The activity's text is a short summary for notifications, not a copy
// of the card (Teams shows both). Any Reply fits the activity within TEAMS_LIMITS: options are
// dropped from the end, then texts trimmed, until it does.
//
// Brek's words are data: Teams parses TextBlock text and Fact titles and values as markdown (a
// `[refund](https://evil.example)` from Brek would be a live link, `{{DATE(…)}}` a function), so
// everything that comes from Brek is a RichTextBlock of TextRuns, which are never parsed. Only
// the bridge's own fixed sentences are TextBlocks.
import {
  ActionSet,
  AdaptiveCard,
  Container,
  ExecuteAction,
  OpenUrlAction,
  RichTextBlock,
  ShowCardAction,
  TextBlock,
  TextRun,
  type CardElement,
} from '@microsoft/teams.cards';
import { cardName, clickedNote, clipText, fitButton, formatMoney, replyText, type ButtonPayload, type Reply, type ReplyOption } from '../../core/reply.ts';

export type CardJson = Record<string, unknown>;

export interface TeamsMessage {
  /** The activity text: a short summary that notifications and screen readers use. */
  text: string;
  card: CardJson;
}

/** Options shown on one card, to keep it scannable (the rest are summarised). */
export const MAX_OPTIONS_SHOWN = 10;

export const TEAMS_LIMITS = {
  /** The whole activity, as UTF-16 bytes: Microsoft's recommendation under its 100 KB limit. */
  activityBytes: 80 * 1024,
  /** Teams publishes no URL limit; Slack's, so a link is a button (or text) alike on both. */
  buttonUrl: 3000,
  /** The activity text: one line, not the card again. */
  summary: 200,
} as const;

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * What the activity weighs as Teams counts it, in UTF-16 bytes: the whole message activity the
 * sender posts (text and attachments, as JSON), so escapes in Brek's text count as sent.
 */
export function activityBytes(message: TeamsMessage): number {
  return 2 * JSON.stringify({ type: 'message', text: message.text, attachments: [{ contentType: CARD_CONTENT_TYPE, content: message.card }] }).length;
}

/** How much of the reply a card carries; each try of renderTeams gives less. */
interface Budget {
  /** Options on the card; the rest are counted in a note. */
  options: number;
  /** The longest text of Brek's written out, in UTF-16 units. */
  text: number;
  /** Links too long for a button are written out in text (true) or only mentioned (false). */
  longLinks: boolean;
}

/** Texts cut to this at first (readability); then 1,000, 300 and 100 while the activity is too big. */
const TEXT_STEPS = [4000, 1000, 300, 100] as const;

function execute(title: string, payload: ButtonPayload, style?: 'positive' | 'destructive'): ExecuteAction | undefined {
  // Ids too long for a button value: no button (core/reply.ts fitButton says why).
  const data = fitButton(payload);
  if (!data) return undefined;
  const action = new ExecuteAction({ title, verb: payload.action, data });
  return style ? action.withStyle(style) : action;
}

interface TextStyle {
  weight?: 'Bolder';
  isSubtle?: boolean;
}

/** One of the bridge's own sentences, which may use Teams' markdown (`**done**`). */
function note(value: string): TextBlock {
  return new TextBlock(value, { wrap: true, isSubtle: true });
}

/**
 * Text from Brek, never parsed: a RichTextBlock per line (a TextRun has no line breaks of its
 * own), a blank line kept as a paragraph's space.
 */
function words(value: string, style: TextStyle = {}): RichTextBlock[] {
  const blocks: RichTextBlock[] = [];
  let gap = false;
  for (const line of value.split(/\r?\n/)) {
    if (line.trim() === '') {
      gap = blocks.length > 0;
      continue;
    }
    const block = new RichTextBlock().withInlines(new TextRun(line, style));
    if (blocks.length) block.withSpacing(gap ? 'Medium' : 'None');
    blocks.push(block);
    gap = false;
  }
  return blocks.length ? blocks : [new RichTextBlock().withInlines(new TextRun(' ', style))];
}

/** "Title: value" lines; a FactSet would have Teams parse Brek's values as markdown. */
function facts(pairs: [string, string | undefined][], max: number): RichTextBlock[] {
  return pairs
    .filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '')
    .map(([title, value], i) => {
      const line = new RichTextBlock().withInlines(new TextRun(`${title}: `, { weight: 'Bolder' }), new TextRun(clipText(value.replace(/\s+/g, ' '), max)));
      return i === 0 ? line : line.withSpacing('None');
    });
}

const TOO_LONG = 'The link is too long to show here; ask me for it again.';

/** A link: a button when its URL is short enough, else written out (or, when space is short, mentioned). */
function linkOut(title: string, url: string, budget: Budget): { action?: OpenUrlAction; note?: CardElement[] } {
  if (url.length <= TEAMS_LIMITS.buttonUrl) return { action: new OpenUrlAction(url, { title }) };
  return { note: budget.longLinks ? words(`${title}: ${url}`, { isSubtle: true }) : [note(TOO_LONG)] };
}

function optionContainer(option: ReplyOption, owner: string, optionId: string | undefined, budget: Budget): Container {
  const name = clipText((option.name ?? `Option ${option.index}`).replace(/\s+/g, ' '), Math.min(200, budget.text));
  const items: CardElement[] = words(`${option.index}. ${name}`, { weight: 'Bolder' });
  items.push(...facts(
    [
      ['Per night', formatMoney(option.pricePerNight, option.currency)],
      ['Total', formatMoney(option.totalPrice, option.currency)],
      ['Refundable', option.refundable === undefined ? undefined : option.refundable ? 'Yes' : 'No'],
      ['Rating', option.rating === undefined ? undefined : `★ ${option.rating}`],
      ['Distance', option.distanceTo],
    ],
    Math.min(300, budget.text),
  ));
  const actions = [];
  const book = optionId ? execute('Book', { action: 'book_option', ownerActorId: owner, optionId, ...(option.name ? { label: option.name } : {}) }, 'positive') : undefined;
  if (book) actions.push(book);
  const details = option.detailsUrl ? linkOut('Details', option.detailsUrl, budget) : {};
  if (details.action) actions.push(details.action);
  if (details.note && budget.longLinks) items.push(...details.note); // a details link is not worth a note
  if (actions.length) items.push(new ActionSet(...actions));
  return new Container(...items).withSeparator(true).withSpacing('Medium');
}

function plain(card: AdaptiveCard): CardJson {
  return JSON.parse(JSON.stringify(card)) as CardJson;
}

function buildCard(reply: Reply, budget: Budget): CardJson {
  const body: CardElement[] = words(clipText(replyText(reply), budget.text));
  const actions = [];
  const owner = reply.ownerActorId;

  switch (reply.kind) {
    case 'shortlist': {
      const shown = reply.options.slice(0, budget.options);
      for (const option of shown) {
        const book = reply.actions.find((a) => a.type === 'book_option' && a.index === option.index);
        body.push(optionContainer(option, owner, book?.type === 'book_option' ? book.optionId : undefined, budget));
      }
      const hidden = reply.options.length - shown.length;
      if (hidden > 0) body.push(note(`…and ${hidden} more. Tell me more about what you need to narrow it down.`));
      break;
    }
    case 'payment_setup_required':
      if (reply.paymentSetupUrl) {
        const setup = linkOut('Set up payment', reply.paymentSetupUrl, budget);
        if (setup.action) actions.push(setup.action.withStyle('positive'));
        if (setup.note) body.push(...setup.note);
        body.push(note('Reply **done** here when you have added your card.'));
      }
      break;
    case 'payment_confirmation_required': {
      const card = reply.paymentMethod;
      const expiry = card?.expMonth && card.expYear ? `${String(card.expMonth).padStart(2, '0')}/${card.expYear}` : undefined;
      body.push(
        ...facts(
          [
            ['Card', cardName(card)],
            ['Expires', expiry],
          ],
          100,
        ),
      );
      const confirm = reply.actions.find((a) => a.type === 'confirm_payment_card');
      const paymentMethodId = confirm?.type === 'confirm_payment_card' ? confirm.paymentMethodId : undefined;
      const yes = execute('Yes, use this card', { action: 'confirm_payment_card', ownerActorId: owner, label: 'Yes, use this card', ...(paymentMethodId ? { paymentMethodId } : {}) }, 'positive');
      const no = execute('No', { action: 'decline_payment', ownerActorId: owner, label: 'No' }, 'destructive');
      if (yes) actions.push(yes);
      else body.push(note('Reply **yes** here to use this card.'));
      if (no) actions.push(no);
      break;
    }
    case 'booked': {
      const b = reply.booking;
      body.push(
        ...facts(
          [
            ['Hotel', b?.hotelName],
            ['Total', formatMoney(b?.totalPrice, b?.currency)],
            ['Booking id', b?.bookingId],
            ['Cancellation', b?.cancelPolicy],
          ],
          Math.min(500, budget.text),
        ),
      );
      if (b?.confirmationUrl) {
        const view = linkOut('View booking', b.confirmationUrl, budget);
        if (view.action) actions.push(view.action);
        if (view.note) body.push(...view.note);
      }
      if (b?.bookingId) {
        const yes = execute('Yes, cancel it', { action: 'cancel_booking', ownerActorId: owner, bookingId: b.bookingId, ...(b.hotelName ? { label: b.hotelName } : {}) }, 'destructive');
        if (yes) {
          // Adaptive Cards have no confirm dialog: a Show Card asks before anything is cancelled.
          const question = `Cancel booking ${clipText(b.bookingId, 60)}${b.hotelName ? ` at ${clipText(b.hotelName, 100)}` : ''}? ${clipText(b.cancelPolicy ?? '', Math.min(500, budget.text))}`.trim();
          actions.push(new ShowCardAction({ title: 'Cancel booking', card: new AdaptiveCard(...words(question)).withActions(yes) }));
        } else body.push(note('To cancel, reply **cancel my booking** here.'));
      }
      break;
    }
    default:
      // guest_name_required, error and any other status: the message only, no write actions.
      break;
  }

  const card = new AdaptiveCard(...body).withVersion('1.5');
  if (actions.length) card.withActions(...actions);
  return plain(card);
}

/** The activity text: the message's first line, cut short — what a notification shows. */
function summary(reply: Reply): string {
  const first = replyText(reply).split('\n').find((line) => line.trim() !== '') ?? replyText(reply);
  return clipText(first.trim(), TEAMS_LIMITS.summary);
}

export function renderTeams(reply: Reply): TeamsMessage {
  const said = summary(reply);
  const most = reply.kind === 'shortlist' ? Math.min(reply.options.length, MAX_OPTIONS_SHOWN) : 0;
  // Options dropped from the end first, then the texts trimmed, until the activity fits.
  for (const [step, max] of TEXT_STEPS.entries()) {
    for (let options = most; options >= 0; options--) {
      const message = { text: said, card: buildCard(reply, { options, text: max, longLinks: step === 0 }) };
      if (activityBytes(message) <= TEAMS_LIMITS.activityBytes) return message;
    }
  }
  // Unreachable with the steps above (every text is then at most 100 units); a floor regardless.
  return { text: said, card: plain(new AdaptiveCard(...words(clipText(replyText(reply), 100))).withVersion('1.5')) };
}

/** The card a clicked card becomes (answered in the invoke's own HTTP response). */
export function renderClicked(action: string, label: string | undefined): CardJson {
  // The label comes back from a button's data: short, whatever a stored card carried.
  return plain(new AdaptiveCard(...words(clickedNote(action, label && clipText(label, 200)), { isSubtle: true })).withVersion('1.5'));
}

/** The placeholder a turn shows while Brek works; the reply replaces it. */
export function renderWorking(): string {
  return '⏳ Working on it…';
}
