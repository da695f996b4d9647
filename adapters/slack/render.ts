// Reply → Block Kit, as a pure function. Every status of DESIGN.md's rendering table, unknown
// statuses as text, and every message with a plain-text fallback for notifications and screen
// readers. Brek's text is escaped for mrkdwn; button values carry only ids and the owner's actor.
import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { cardName, clickedNote, formatMoney as money, packButton, plainSummary, replyText, unpackButton, type ButtonPayload, type Reply, type ReplyOption } from '../../core/reply.ts';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Block Kit's limits that shape what we render (https://api.slack.com/reference/block-kit). */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  url: 3000,
  fallbackText: 4000,
  elementsPerActions: 25,
  contextElements: 10,
} as const;

/** Options shown in one message; the rest are summarised so the message stays readable. */
export const MAX_OPTIONS_SHOWN = 10;

/** Button values: the core's packed payload as JSON (ids and the owner, nothing secret). */
export function buttonValue(payload: ButtonPayload): string {
  return JSON.stringify(packButton(payload));
}

/** A clicked button's payload; the action comes from the action_id (`book_option:2` → book_option). */
export function readButton(actionId: string, value: string | undefined): ButtonPayload | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    return unpackButton({ ...(parsed as Record<string, unknown>), a: actionId.split(':')[0] });
  } catch {
    return undefined;
  }
}

/** mrkdwn control characters, escaped as Slack documents. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function section(mrkdwn: string, accessory?: Button): SectionBlock {
  const block: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) } };
  if (accessory) block.accessory = accessory;
  return block;
}

function context(mrkdwn: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) }] };
}

function button(text: string, actionId: string, extra: Partial<Button> = {}): Button {
  return { type: 'button', text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.buttonText), emoji: true }, action_id: actionId, ...extra };
}

function linkButton(text: string, url: string, actionId: string, style?: 'primary'): Button {
  return button(text, actionId, { url, ...(style ? { style } : {}) });
}

function optionLine(option: ReplyOption): string {
  const name = escapeMrkdwn(option.name ?? `Option ${option.index}`);
  const prices = [
    money(option.pricePerNight, option.currency) && `${money(option.pricePerNight, option.currency)}/night`,
    money(option.totalPrice, option.currency) && `${money(option.totalPrice, option.currency)} total`,
  ].filter(Boolean);
  const facts = [
    option.refundable === undefined ? undefined : option.refundable ? 'Refundable' : 'Non-refundable',
    option.rating === undefined ? undefined : `★ ${option.rating}`,
    option.distanceTo === undefined ? undefined : escapeMrkdwn(option.distanceTo),
  ].filter(Boolean);
  const lines = [`*${option.index}. ${name}*`];
  if (prices.length) lines.push(prices.join(' · '));
  if (facts.length) lines.push(facts.join(' · '));
  if (option.detailsUrl) lines.push(`<${option.detailsUrl}|View details>`);
  return lines.join('\n');
}

function shortlistBlocks(reply: Reply): KnownBlock[] {
  const blocks: KnownBlock[] = [section(escapeMrkdwn(reply.text.trim() || 'Here are some options.'))];
  const shown = reply.options.slice(0, MAX_OPTIONS_SHOWN);
  for (const option of shown) {
    const book = reply.actions.find((a) => a.type === 'book_option' && a.index === option.index);
    const accessory =
      book?.type === 'book_option'
        ? button('Book', `book_option:${option.index}`, {
            style: 'primary',
            value: buttonValue({ action: 'book_option', ownerActorId: reply.ownerActorId, optionId: book.optionId, ...(option.name ? { label: option.name } : {}) }),
          })
        : undefined;
    blocks.push(section(optionLine(option), accessory));
  }
  const hidden = reply.options.length - shown.length;
  if (hidden > 0) blocks.push(context(`…and ${hidden} more. Tell me more about what you need to narrow it down.`));
  return blocks;
}

function cardLabel(reply: Reply): string | undefined {
  const card = reply.paymentMethod;
  const name = cardName(card);
  const expiry = card?.expMonth && card.expYear ? ` (exp ${String(card.expMonth).padStart(2, '0')}/${card.expYear})` : '';
  return name && `${name}${expiry}`;
}

function bookingFields(reply: Reply): SectionBlock | undefined {
  const b = reply.booking;
  if (!b) return undefined;
  const fields = [
    b.hotelName && `*Hotel*\n${escapeMrkdwn(b.hotelName)}`,
    money(b.totalPrice, b.currency) && `*Total*\n${money(b.totalPrice, b.currency)}`,
    b.bookingId && `*Booking id*\n${escapeMrkdwn(b.bookingId)}`,
    b.cancelPolicy && `*Cancellation*\n${escapeMrkdwn(b.cancelPolicy)}`,
  ].filter((f): f is string => Boolean(f));
  if (fields.length === 0) return undefined;
  return { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: truncate(f, 2000) })) };
}

export function renderSlack(reply: Reply): SlackMessage {
  // Slack refuses empty texts; Brek's message is optional in practice, so say something useful.
  const message = escapeMrkdwn(replyText(reply));
  const blocks: KnownBlock[] = [];

  switch (reply.kind) {
    case 'shortlist': {
      blocks.push(...shortlistBlocks(reply));
      break;
    }
    case 'payment_setup_required': {
      blocks.push(section(message));
      if (reply.paymentSetupUrl) {
        const actions: ActionsBlock = { type: 'actions', elements: [linkButton('Set up payment', reply.paymentSetupUrl, 'open_url:setup', 'primary')] };
        blocks.push(actions, context('Reply *done* here when you have added your card.'));
      }
      break;
    }
    case 'payment_confirmation_required': {
      blocks.push(section(message));
      const card = cardLabel(reply);
      if (card) blocks.push(section(`*Card:* ${escapeMrkdwn(card)}`));
      const owner = reply.ownerActorId;
      const confirm = reply.actions.find((a) => a.type === 'confirm_payment_card');
      blocks.push({
        type: 'actions',
        elements: [
          button('Yes, use this card', 'confirm_payment_card', {
            style: 'primary',
            value: buttonValue({ action: 'confirm_payment_card', ownerActorId: owner, ...(confirm?.type === 'confirm_payment_card' && confirm.paymentMethodId ? { paymentMethodId: confirm.paymentMethodId } : {}), label: 'Yes, use this card' }),
          }),
          button('No', 'decline_payment', { style: 'danger', value: buttonValue({ action: 'decline_payment', ownerActorId: owner, label: 'No' }) }),
        ],
      });
      break;
    }
    case 'booked': {
      blocks.push(section(message));
      const fields = bookingFields(reply);
      if (fields) blocks.push(fields);
      const elements: Button[] = [];
      const b = reply.booking;
      if (b?.confirmationUrl) elements.push(linkButton('View booking', b.confirmationUrl, 'open_url:booking'));
      if (b?.bookingId) {
        elements.push(
          button('Cancel booking', 'cancel_booking', {
            style: 'danger',
            value: buttonValue({ action: 'cancel_booking', ownerActorId: reply.ownerActorId, bookingId: b.bookingId, ...(b.hotelName ? { label: b.hotelName } : {}) }),
            confirm: {
              title: { type: 'plain_text', text: 'Cancel this booking?' },
              text: { type: 'mrkdwn', text: truncate(`Cancel booking *${escapeMrkdwn(b.bookingId)}*${b.hotelName ? ` at ${escapeMrkdwn(b.hotelName)}` : ''}? ${b.cancelPolicy ? escapeMrkdwn(b.cancelPolicy) : ''}`.trim(), 300) },
              confirm: { type: 'plain_text', text: 'Cancel booking' },
              deny: { type: 'plain_text', text: 'Keep it' },
              style: 'danger',
            },
          }),
        );
      }
      if (elements.length) blocks.push({ type: 'actions', elements });
      break;
    }
    default:
      // guest_name_required, error and any other status: the message, no write buttons.
      blocks.push(section(message));
  }
  return { text: truncate(plainSummary(reply, MAX_OPTIONS_SHOWN), SLACK_LIMITS.fallbackText), blocks };
}

/** What a clicked message turns into at once, so its buttons cannot be clicked twice. */
export function renderClicked(label: string | undefined, action: string): SlackMessage {
  const line = clickedNote(action, label && escapeMrkdwn(label));
  return { text: clickedNote(action, label), blocks: [context(line)] };
}
