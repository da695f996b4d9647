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
  RefreshDefinition,
  RichTextBlock,
  ShowCardAction,
  TextBlock,
  TextRun,
  type CardElement,
} from '@microsoft/teams.cards';
import { actionsOf, cardName, clickedNote, clipText, fittedButton, replyFromResult, replyText, type ActionStyle, type Reply, type ReplyAction, type ReplyOption } from '../../core/reply.ts';
import type { EventResult } from '../../core/brek/results.ts';
import { isObj } from '../../core/util.ts';
import { bookingFacts, cardExpiry, moreOptionsNote, optionFacts, optionLine, shownOptions, summaryLine, MAX_OPTIONS_SHOWN } from '../../core/reply-format.ts';

export type CardJson = Record<string, unknown>;

export interface TeamsMessage {
  /** The activity text: a short summary that notifications and screen readers use. */
  text: string;
  card: CardJson;
  /** The chips Teams shows under the message (activity.suggestedActions), in a personal chat. */
  suggestedActions?: SuggestedAction[];
}

/**
 * A suggested action as the Bot Framework documents it: a messageBack posts `displayText` in the
 * chat as the traveller's message and brings the bot `text` and `value` (our packed button, its
 * owner included, marked as a suggestion so no card is retired for it).
 */
export interface SuggestedAction {
  type: 'messageBack';
  title: string;
  text: string;
  displayText: string;
  value: Record<string, string>;
}

/** Where the reply goes: what the renderer cannot read from the Reply itself. */
export interface TeamsRenderContext {
  /** A personal (1:1) chat: the yes/no, "Done" and sample searches become suggested actions. */
  personal?: boolean;
  /**
   * Cards that can go stale carry a refresh (the sender's cards do; a render without it is the card
   * alone): `userIds` are whom Teams refreshes it for automatically (MRIs; in a chat under 60
   * people, everyone).
   */
  refresh?: { userIds: string[] };
}

/** The verb of a card's refresh action (Universal Actions): answered from the thread, never Brek. */
export const REFRESH_VERB = 'refresh';
/** Marks a messageBack value as a tapped suggestion, not a card's Action.Submit. */
export const SUGGESTED_MARK = 'suggested';

export const TEAMS_LIMITS = {
  /** The whole activity, as UTF-16 bytes: Microsoft's recommendation under its 100 KB limit. */
  activityBytes: 80 * 1024,
  /** Teams publishes no URL limit; Slack's, so a link is a button (or text) alike on both. */
  buttonUrl: 3000,
  /** The activity text: one line, not the card again. */
  summary: 200,
  /** Teams shows the first three suggested actions and drops the rest. */
  suggestedActions: 3,
} as const;

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * What the activity weighs as Teams counts it, in UTF-16 bytes: the whole message activity the
 * sender posts (text and attachments, as JSON), so escapes in Brek's text count as sent.
 */
export function activityBytes(message: TeamsMessage): number {
  const suggested = message.suggestedActions?.length ? { suggestedActions: { actions: message.suggestedActions } } : {};
  return 2 * JSON.stringify({ type: 'message', text: message.text, attachments: [{ contentType: CARD_CONTENT_TYPE, content: message.card }], ...suggested }).length;
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

/** A reply action as a suggested action (a personal chat), or undefined when its ids do not fit one. */
function suggestion(action: ReplyAction & { type: 'confirm_payment_card' | 'decline_payment' | 'say' }, owner: string): SuggestedAction | undefined {
  const data = fittedButton(action, owner);
  if (!data) return undefined;
  const said = action.type === 'say' ? action.text : action.typed;
  return { type: 'messageBack', title: action.label, text: said, displayText: action.type === 'say' ? action.text : action.label, value: { ...data, via: SUGGESTED_MARK } };
}

function buildCard(reply: Reply, budget: Budget, context: TeamsRenderContext = {}): { card: CardJson; suggestedActions: SuggestedAction[] } {
  const body: CardElement[] = words(clipText(replyText(reply), budget.text));
  const owner = reply.ownerActorId;
  const replyActions = actionsOf(reply);
  const suggested: SuggestedAction[] = [];
  /** In a personal chat, the next thing to say as a chip (at most Teams' three); else a card button. */
  const suggest = (action: ReplyAction & { type: 'confirm_payment_card' | 'decline_payment' | 'say' }): boolean => {
    if (!context.personal || suggested.length >= TEAMS_LIMITS.suggestedActions) return false;
    const chip = suggestion(action, owner);
    if (chip) suggested.push(chip);
    return chip !== undefined;
  };

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
        if (suggest(action)) break;
        const yes = execute(action, owner);
        if (yes) actions.push(yes);
        else body.push(note(`Reply **${action.typed}** here to use this card.`));
        break;
      }
      case 'decline_payment': {
        if (suggest(action)) break;
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
        if (suggest(action)) break;
        const say = execute(action, owner);
        if (say) actions.push(say);
        else body.push(note(`Or reply: **${clipText(action.text, 200)}**`));
        break;
      }
    }
  }

  const card = new AdaptiveCard(...body).withVersion('1.5');
  if (actions.length) card.withActions(...actions);
  const refresh = refreshOf(reply, budget, context);
  if (refresh) card.withRefresh(refresh);
  return { card: plain(card), suggestedActions: suggested };
}

// ---------------------------------------------------------------- refresh

/**
 * A card whose state can change after it was sent (a booking that may be cancelled, a payment
 * step that may be answered) carries a refresh: whoever opens it later gets it as it stands. The
 * action's data is the reply as Brek gave it (status, text, artifacts), so an unchanged card is
 * drawn again exactly, and the thread's record says whether it changed.
 */
function refreshOf(reply: Reply, budget: Budget, context: TeamsRenderContext): RefreshDefinition | undefined {
  const artifacts =
    reply.kind === 'booked' && reply.booking?.bookingId
      ? { booking: reply.booking }
      : reply.kind === 'payment_confirmation_required'
        ? { ...(reply.paymentMethod ? { payment: reply.paymentMethod } : {}) }
        : undefined;
  if (!artifacts || !context.refresh) return undefined;
  const result = { status: reply.status, messageText: clipText(reply.text, budget.text), artifacts };
  const data = { a: REFRESH_VERB, o: reply.ownerActorId, r: JSON.stringify(result) };
  const action = new ExecuteAction({ title: 'Refresh', verb: REFRESH_VERB, data });
  return new RefreshDefinition({ action, ...(context.refresh.userIds.length ? { userIds: context.refresh.userIds.slice(0, 60) } : {}) });
}

/** A refresh's data read back: whose card, and the reply it showed; undefined if it is not ours. */
export function readRefresh(data: unknown): { ownerActorId: string; reply: Reply } | undefined {
  if (!isObj(data) || data.a !== REFRESH_VERB || typeof data.o !== 'string' || data.o === '' || typeof data.r !== 'string') return undefined;
  let result: unknown;
  try {
    result = JSON.parse(data.r);
  } catch {
    return undefined;
  }
  if (!isObj(result) || typeof result.status !== 'string' || typeof result.messageText !== 'string') return undefined;
  // replyFromResult reads its input defensively: whatever the data carried, the reply is one of ours.
  return { ownerActorId: data.o, reply: replyFromResult({ ...result, artifacts: isObj(result.artifacts) ? result.artifacts : {} } as EventResult, data.o) };
}

/** What the thread says now, as far as a card can show it. */
export interface CardState {
  cancelledBookings?: string[];
  lastStatus?: string;
}

/**
 * The card as it stands now: a booking cancelled since reads as cancelled, a payment step answered
 * since reads as closed, anything else is drawn again as it was (its refresh kept).
 */
export function renderRefreshed(reply: Reply, state: CardState | undefined, context: TeamsRenderContext = {}): CardJson {
  const bookingId = reply.booking?.bookingId;
  const done = (line: string) => plain(new AdaptiveCard(...words(line, { isSubtle: true })).withVersion('1.5'));
  if (reply.kind === 'booked' && bookingId && state?.cancelledBookings?.includes(bookingId)) {
    const hotel = reply.booking?.hotelName ? ` at ${clipText(reply.booking.hotelName, 100)}` : '';
    return done(`❌ This booking${hotel} (booking ${clipText(bookingId, 60)}) was cancelled.`);
  }
  if (reply.kind === 'payment_confirmation_required' && state && state.lastStatus !== 'payment_confirmation_required') {
    return done(state.lastStatus === 'booked' ? '✅ This payment was confirmed and the room is booked.' : '✋ This payment step is closed.');
  }
  return renderTeams(reply, context).card;
}

export function renderTeams(reply: Reply, context: TeamsRenderContext = {}): TeamsMessage {
  const said = summaryLine(reply, TEAMS_LIMITS.summary);
  const most = reply.kind === 'shortlist' ? Math.min(reply.options.length, MAX_OPTIONS_SHOWN) : 0;
  // Options dropped from the end first, then the texts trimmed, until the activity fits.
  for (const [step, max] of TEXT_STEPS.entries()) {
    for (let options = most; options >= 0; options--) {
      const built = buildCard(reply, { options, text: max, longLinks: step === 0 }, context);
      const message: TeamsMessage = { text: said, card: built.card, ...(built.suggestedActions.length ? { suggestedActions: built.suggestedActions } : {}) };
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

/** The placeholder a turn shows while Brek works ("⏳ Searching hotels in Las Vegas…"); the reply replaces it. */
export function renderWorking(note: { status: string }): string {
  return `${WORKING_MARK}${clipText(note.status, TEAMS_LIMITS.summary)}`;
}

/** How a placeholder begins, so a reader of the conversation (the simulator) can tell it from a reply. */
export const WORKING_MARK = '⏳ ';
