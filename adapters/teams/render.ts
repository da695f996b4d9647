// Reply → Adaptive Card (schema 1.5, the version Teams supports), built with the Teams SDK's typed
// card builders and serialised to plain JSON. Pure. Write actions are Action.Execute (Universal
// Actions): the click arrives as an invoke whose HTTP answer replaces the card at once, so it
// cannot be clicked twice. Every message has a plain-text fallback for notifications.
import {
  ActionSet,
  AdaptiveCard,
  Container,
  ExecuteAction,
  Fact,
  FactSet,
  OpenUrlAction,
  ShowCardAction,
  TextBlock,
  type CardElement,
} from '@microsoft/teams.cards';
import { cardName, clickedNote, formatMoney as money, packButton, plainSummary, replyText, type ButtonPayload, type Reply, type ReplyOption } from '../../core/reply.ts';

export type CardJson = Record<string, unknown>;

export interface TeamsMessage {
  /** The activity text: what notifications and screen readers use. */
  text: string;
  card: CardJson;
}

/** Options shown on one card, to keep it scannable (and well inside Teams' 28 KB card limit). */
export const MAX_OPTIONS_SHOWN = 10;

function execute(title: string, payload: ButtonPayload, style?: 'positive' | 'destructive'): ExecuteAction {
  const action = new ExecuteAction({ title, verb: payload.action, data: packButton(payload) });
  return style ? action.withStyle(style) : action;
}

function text(value: string, options: { weight?: 'Bolder'; size?: 'Medium' | 'Large'; isSubtle?: boolean } = {}): TextBlock {
  return new TextBlock(value, { wrap: true, ...options });
}

function facts(pairs: [string, string | undefined][]): FactSet | undefined {
  const present = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '');
  return present.length ? new FactSet(...present.map(([t, v]) => new Fact(t, v))) : undefined;
}

function optionContainer(option: ReplyOption, owner: string, optionId: string | undefined): Container {
  const items: CardElement[] = [text(`${option.index}. ${option.name ?? `Option ${option.index}`}`, { weight: 'Bolder' })];
  const set = facts([
    ['Per night', money(option.pricePerNight, option.currency)],
    ['Total', money(option.totalPrice, option.currency)],
    ['Refundable', option.refundable === undefined ? undefined : option.refundable ? 'Yes' : 'No'],
    ['Rating', option.rating === undefined ? undefined : `★ ${option.rating}`],
    ['Distance', option.distanceTo],
  ]);
  if (set) items.push(set);
  const actions = [];
  if (optionId) actions.push(execute('Book', { action: 'book_option', ownerActorId: owner, optionId, ...(option.name ? { label: option.name } : {}) }, 'positive'));
  if (option.detailsUrl) actions.push(new OpenUrlAction(option.detailsUrl, { title: 'Details' }));
  if (actions.length) items.push(new ActionSet(...actions));
  return new Container(...items).withSeparator(true).withSpacing('Medium');
}

function plain(card: AdaptiveCard): CardJson {
  return JSON.parse(JSON.stringify(card)) as CardJson;
}

export function renderTeams(reply: Reply): TeamsMessage {
  const body: CardElement[] = [text(replyText(reply))];
  const actions = [];
  const owner = reply.ownerActorId;

  switch (reply.kind) {
    case 'shortlist': {
      const shown = reply.options.slice(0, MAX_OPTIONS_SHOWN);
      for (const option of shown) {
        const book = reply.actions.find((a) => a.type === 'book_option' && a.index === option.index);
        body.push(optionContainer(option, owner, book?.type === 'book_option' ? book.optionId : undefined));
      }
      const hidden = reply.options.length - shown.length;
      if (hidden > 0) body.push(text(`…and ${hidden} more. Tell me more about what you need to narrow it down.`, { isSubtle: true }));
      break;
    }
    case 'payment_setup_required':
      if (reply.paymentSetupUrl) {
        actions.push(new OpenUrlAction(reply.paymentSetupUrl, { title: 'Set up payment' }).withStyle('positive'));
        body.push(text('Reply **done** here when you have added your card.', { isSubtle: true }));
      }
      break;
    case 'payment_confirmation_required': {
      const card = reply.paymentMethod;
      const expiry = card?.expMonth && card.expYear ? `${String(card.expMonth).padStart(2, '0')}/${card.expYear}` : undefined;
      const set = facts([
        ['Card', cardName(card)],
        ['Expires', expiry],
      ]);
      if (set) body.push(set);
      const confirm = reply.actions.find((a) => a.type === 'confirm_payment_card');
      const paymentMethodId = confirm?.type === 'confirm_payment_card' ? confirm.paymentMethodId : undefined;
      actions.push(
        execute('Yes, use this card', { action: 'confirm_payment_card', ownerActorId: owner, label: 'Yes, use this card', ...(paymentMethodId ? { paymentMethodId } : {}) }, 'positive'),
        execute('No', { action: 'decline_payment', ownerActorId: owner, label: 'No' }, 'destructive'),
      );
      break;
    }
    case 'booked': {
      const b = reply.booking;
      const set = facts([
        ['Hotel', b?.hotelName],
        ['Total', money(b?.totalPrice, b?.currency)],
        ['Booking id', b?.bookingId],
        ['Cancellation', b?.cancelPolicy],
      ]);
      if (set) body.push(set);
      if (b?.confirmationUrl) actions.push(new OpenUrlAction(b.confirmationUrl, { title: 'View booking' }));
      if (b?.bookingId) {
        // Adaptive Cards have no confirm dialog: a Show Card asks before anything is cancelled.
        const ask = new AdaptiveCard(
          text(`Cancel booking ${b.bookingId}${b.hotelName ? ` at ${b.hotelName}` : ''}? ${b.cancelPolicy ?? ''}`.trim()),
        ).withActions(execute('Yes, cancel it', { action: 'cancel_booking', ownerActorId: owner, bookingId: b.bookingId, ...(b.hotelName ? { label: b.hotelName } : {}) }, 'destructive'));
        actions.push(new ShowCardAction({ title: 'Cancel booking', card: ask }));
      }
      break;
    }
    default:
      // guest_name_required, error and any other status: the message only, no write actions.
      break;
  }

  const card = new AdaptiveCard(...body).withVersion('1.5');
  if (actions.length) card.withActions(...actions);
  return { text: plainSummary(reply, MAX_OPTIONS_SHOWN), card: plain(card) };
}

/** The card a clicked card becomes (answered in the invoke's own HTTP response). */
export function renderClicked(action: string, label: string | undefined): CardJson {
  return plain(new AdaptiveCard(text(clickedNote(action, label), { isSubtle: true })).withVersion('1.5'));
}

/** The placeholder a turn shows while Brek works; the reply replaces it. */
export function renderWorking(): string {
  return '⏳ Working on it…';
}
