// Reply → Adaptive Card (schema 1.5, the version Teams supports), built with the Teams SDK's typed
// card builders and serialised to plain JSON. Pure. Write actions are Action.Execute (Universal
// Actions): the click arrives as an invoke whose HTTP answer replaces the card at once, so it
// cannot be clicked twice. Every action is one of the Reply's (core/reply.ts), with the label,
// style and data the action gives. The activity's text is a short summary for notifications, not a copy
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
import { actionsOf, cardName, clickedNote, clipText, fittedButton, replyText, type ActionStyle, type Reply, type ReplyAction, type ReplyOption } from '../../core/reply.ts';
import { bookingFacts, cardExpiry, moreOptionsNote, optionFacts, optionLine, shownOptions, summaryLine, MAX_OPTIONS_SHOWN } from '../../core/reply-format.ts';

export type CardJson = Record<string, unknown>;

export interface TeamsMessage {
  /** The activity text: a short summary that notifications and screen readers use. */
  text: string;
  card: CardJson;
}

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

/** Adaptive Cards' names for the action's style. */
const CARD_STYLE = { primary: 'positive', danger: 'destructive' } as const satisfies Record<ActionStyle, string>;

/** A write action as Action.Execute, titled `title` (the action's label unless a step asks first). */
function execute(action: ReplyAction, owner: string, title = action.label): ExecuteAction | undefined {
  // Ids too long for a button value: no button (core/reply.ts fitButton says why).
  const data = fittedButton(action, owner);
  if (!data) return undefined;
  const button = new ExecuteAction({ title, verb: action.type, data });
  return action.style ? button.withStyle(CARD_STYLE[action.style]) : button;
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
function facts(pairs: [string, string | undefined, number][]): RichTextBlock[] {
  return pairs
    .filter((p): p is [string, string, number] => p[1] !== undefined && p[1] !== '')
    .map(([title, value, max], i) => {
      const line = new RichTextBlock().withInlines(new TextRun(`${title}: `, { weight: 'Bolder' }), new TextRun(oneLine(value, max)));
      return i === 0 ? line : line.withSpacing('None');
    });
}

/** Brek's text on one line (a TextRun would show its line breaks), at most `max` long. */
const oneLine = (value: string, max: number) => clipText(value.replace(/\s+/g, ' '), max);

const TOO_LONG = 'The link is too long to show here; ask me for it again.';

/** A link: a button when its URL is short enough, else written out (or, when space is short, mentioned). */
function linkOut(title: string, url: string, budget: Budget, style?: ActionStyle): { action?: OpenUrlAction; note?: CardElement[] } {
  if (url.length <= TEAMS_LIMITS.buttonUrl) {
    const action = new OpenUrlAction(url, { title });
    return { action: style ? action.withStyle(CARD_STYLE[style]) : action };
  }
  return { note: budget.longLinks ? words(`${title}: ${url}`, { isSubtle: true }) : [note(TOO_LONG)] };
}

function optionContainer(option: ReplyOption, owner: string, book: ReplyAction | undefined, budget: Budget): Container {
  const line = optionLine(option, (raw, max) => oneLine(raw, Math.min(max, budget.text)));
  const items: CardElement[] = words(`${option.index}. ${line.name}`, { weight: 'Bolder' });
  items.push(...facts(optionFacts(line).map(([title, value]) => [title, value, Math.min(300, budget.text)])));
  const actions = [];
  const bookButton = book && execute(book, owner);
  if (bookButton) actions.push(bookButton);
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
  const owner = reply.ownerActorId;
  const replyActions = actionsOf(reply);

  switch (reply.kind) {
    case 'shortlist': {
      const { shown } = shownOptions(reply);
      for (const option of shown.slice(0, budget.options)) {
        body.push(optionContainer(option, owner, replyActions.find((a) => a.type === 'book_option' && a.index === option.index), budget));
      }
      const hidden = reply.options.length - Math.min(shown.length, budget.options);
      if (hidden > 0) body.push(note(moreOptionsNote(hidden)));
      break;
    }
    case 'payment_confirmation_required': {
      const card = reply.paymentMethod;
      body.push(
        ...facts([
          ['Card', cardName(card), 100],
          ['Expires', cardExpiry(card), 100],
        ]),
      );
      break;
    }
    case 'booked':
      body.push(...facts(bookingFacts(reply.booking).map(({ title, value, max }) => [title, value, Math.min(max, budget.text)])));
      break;
    default:
      // payment_setup_required, guest_name_required, error and any other status: the message.
      break;
  }

  // Each action but Book (on its option) at the card's foot, or a note saying what to type instead.
  const actions = [];
  for (const action of replyActions) {
    switch (action.type) {
      case 'book_option':
        break;
      case 'open_url': {
        const link = linkOut(action.label, action.url, budget, action.style);
        if (link.action) actions.push(link.action);
        if (link.note) body.push(...link.note);
        if (action.purpose === 'setup') body.push(note('Reply **done** here when you have added your card.'));
        break;
      }
      case 'confirm_payment_card': {
        const yes = execute(action, owner);
        if (yes) actions.push(yes);
        else body.push(note(`Reply **${action.typed}** here to use this card.`));
        break;
      }
      case 'decline_payment': {
        const no = execute(action, owner);
        if (no) actions.push(no);
        else body.push(note(`Reply **${action.typed}** here to decline.`));
        break;
      }
      case 'cancel_booking': {
        const yes = execute(action, owner, action.confirm.yes);
        if (yes) {
          // Adaptive Cards have no confirm dialog: a Show Card asks before anything is cancelled.
          const b = reply.booking;
          const question = `Cancel booking ${clipText(action.bookingId, 60)}${b?.hotelName ? ` at ${clipText(b.hotelName, 100)}` : ''}? ${clipText(b?.cancelPolicy ?? '', Math.min(500, budget.text))}`.trim();
          actions.push(new ShowCardAction({ title: action.label, card: new AdaptiveCard(...words(question)).withActions(yes) }));
        } else body.push(note(`To cancel, reply **${action.typed}** here.`));
        break;
      }
      case 'say': {
        const say = execute(action, owner);
        if (say) actions.push(say);
        else body.push(note(`Or reply: **${clipText(action.text, 200)}**`));
        break;
      }
    }
  }

  const card = new AdaptiveCard(...body).withVersion('1.5');
  if (actions.length) card.withActions(...actions);
  return plain(card);
}

export function renderTeams(reply: Reply): TeamsMessage {
  const said = summaryLine(reply, TEAMS_LIMITS.summary);
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
