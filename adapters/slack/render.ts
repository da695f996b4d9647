// Reply → Block Kit, as a pure function. Every status of DESIGN.md's rendering table, unknown
// statuses as text, and every message with a plain-text fallback for notifications and screen
// readers. Brek's text is data, never markup: escaped for mrkdwn in the blocks and the fallback.
// Any Reply stays within Block Kit's limits: long texts are cut (never inside an entity or a
// character), options beyond MAX_OPTIONS_SHOWN are summarised, a link too long for a button is
// left to the text, and a button whose ids do not fit its value is left out.
import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { cardName, clickedNote, clipText, fitButton, formatMoney, packButton, plainSummary, replyText, unpackButton, type ButtonPayload, type Reply, type ReplyOption } from '../../core/reply.ts';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Block Kit's limits that shape what we render (https://api.slack.com/reference/block-kit). */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  url: 3000,
  confirmText: 300,
  /** Our own cap for the top-level text (Slack takes 40,000): a notification, not the message. */
  fallbackText: 4000,
  topLevelText: 40_000,
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

/**
 * Brek's text escaped for mrkdwn and at most `max` long. The raw text is cut before escaping, so
 * a cut never halves an entity (`&am…`) or a character; each pass shrinks by what was over.
 */
function mrkdwn(raw: string, max: number): string {
  let budget = max;
  let escaped = escapeMrkdwn(clipText(raw, budget));
  while (escaped.length > max) {
    budget -= escaped.length - max;
    if (budget < 2) return '…';
    escaped = escapeMrkdwn(clipText(raw, budget));
  }
  return escaped;
}

/** `<url|label>`: `|`, `<` and `>` percent-encoded so the URL cannot end the link early or open another. */
function link(url: string, label: string): string {
  return `<${url.replace(/[|<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}|${escapeMrkdwn(label)}>`;
}

const money = (amount: number | undefined, currency: string | undefined) => {
  const formatted = formatMoney(amount, currency);
  return formatted === undefined ? undefined : mrkdwn(formatted, 60); // the currency is Brek's text
};

/**
 * Our own mrkdwn, whose Brek parts are already escaped and cut to size, so this never cuts what
 * this file builds; as a guard, a cut leaves no half entity (`&am`) or unclosed `<link`.
 */
function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  return clipText(text, max).replace(/(&[a-z]{0,4}|<[^>]*)…$/, '…');
}

function section(text: string, accessory?: Button): SectionBlock {
  const block: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: fit(text, SLACK_LIMITS.sectionText) } };
  if (accessory) block.accessory = accessory;
  return block;
}

function context(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: fit(text, SLACK_LIMITS.sectionText) }] };
}

function button(text: string, actionId: string, extra: Partial<Button> = {}): Button {
  return { type: 'button', text: { type: 'plain_text', text: clipText(text, SLACK_LIMITS.buttonText), emoji: true }, action_id: actionId, ...extra };
}

/** A write button, or undefined when its ids do not fit a value (core/reply.ts fitButton says why). */
function writeButton(text: string, actionId: string, payload: ButtonPayload, extra: Partial<Button> = {}): Button | undefined {
  const packed = fitButton(payload);
  return packed && button(text, actionId, { ...extra, value: JSON.stringify(packed) });
}

/** A URL button, or undefined when the URL is over Slack's limit (the caller keeps it in text). */
function linkButton(text: string, url: string, actionId: string, style?: 'primary'): Button | undefined {
  return url.length <= SLACK_LIMITS.url ? button(text, actionId, { url, ...(style ? { style } : {}) }) : undefined;
}

const TOO_LONG = '_(The link is too long for Slack to show here; ask me for it again.)_';

/** One option: what it is and what it costs, each of Brek's fields cut to a readable length. */
function optionLines(option: ReplyOption): string {
  const name = mrkdwn(option.name ?? `Option ${option.index}`, 300);
  const prices = [
    money(option.pricePerNight, option.currency) && `${money(option.pricePerNight, option.currency)}/night`,
    money(option.totalPrice, option.currency) && `${money(option.totalPrice, option.currency)} total`,
  ].filter(Boolean);
  const facts = [
    option.refundable === undefined ? undefined : option.refundable ? 'Refundable' : 'Non-refundable',
    option.rating === undefined ? undefined : `★ ${mrkdwn(String(option.rating), 30)}`,
    option.distanceTo === undefined ? undefined : mrkdwn(option.distanceTo, 300),
  ].filter(Boolean);
  const lines = [`*${option.index}. ${name}*`];
  if (prices.length) lines.push(prices.join(' · '));
  if (facts.length) lines.push(facts.join(' · '));
  return lines.join('\n');
}

function shortlistBlocks(reply: Reply): KnownBlock[] {
  const blocks: KnownBlock[] = [section(mrkdwn(reply.text.trim() || 'Here are some options.', SLACK_LIMITS.sectionText))];
  const shown = reply.options.slice(0, MAX_OPTIONS_SHOWN);
  for (const option of shown) {
    const book = reply.actions.find((a) => a.type === 'book_option' && a.index === option.index);
    const accessory =
      book?.type === 'book_option'
        ? writeButton('Book', `book_option:${option.index}`, { action: 'book_option', ownerActorId: reply.ownerActorId, optionId: book.optionId, ...(option.name ? { label: option.name } : {}) }, { style: 'primary' })
        : undefined;
    const body = optionLines(option);
    const details = option.detailsUrl ? link(option.detailsUrl, 'View details') : undefined;
    if (!details) blocks.push(section(body, accessory));
    else if (body.length + 1 + details.length <= SLACK_LIMITS.sectionText) blocks.push(section(`${body}\n${details}`, accessory));
    else {
      // The details link does not fit beside the facts: a line of its own, or named if too long.
      blocks.push(section(body, accessory), context(details.length <= SLACK_LIMITS.sectionText ? details : TOO_LONG));
    }
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
  const field = (title: string, raw: string) => `*${title}*\n${mrkdwn(raw, SLACK_LIMITS.fieldText - title.length - 3)}`;
  const total = formatMoney(b.totalPrice, b.currency);
  const fields = [
    b.hotelName && field('Hotel', b.hotelName),
    total && field('Total', total),
    b.bookingId && field('Booking id', b.bookingId),
    b.cancelPolicy && field('Cancellation', b.cancelPolicy),
  ].filter((f): f is string => Boolean(f));
  if (fields.length === 0) return undefined;
  return { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: f })) };
}

/** The first `max` blocks with action_ids made unique: Slack refuses a message that repeats one. */
function withinLimits(blocks: KnownBlock[]): KnownBlock[] {
  const kept = blocks.length <= SLACK_LIMITS.blocksPerMessage ? blocks : [...blocks.slice(0, SLACK_LIMITS.blocksPerMessage - 1), context('…')];
  const seen = new Set<string>();
  const unique = (b: Button) => {
    let id = clipText(b.action_id ?? 'button', SLACK_LIMITS.actionId - 8);
    // readButton reads the action before the first ':', so a suffix keeps the action readable.
    for (let n = 2; seen.has(id); n++) id = `${clipText(b.action_id ?? 'button', SLACK_LIMITS.actionId - 8)}:${n}`;
    seen.add(id);
    b.action_id = id;
  };
  for (const block of kept) {
    if (block.type === 'section' && block.accessory?.type === 'button') unique(block.accessory);
    if (block.type === 'actions') for (const e of block.elements) if (e.type === 'button') unique(e);
  }
  return kept;
}

export function renderSlack(reply: Reply): SlackMessage {
  // Slack refuses empty texts; Brek's message is optional in practice, so say something useful.
  const message = mrkdwn(replyText(reply), SLACK_LIMITS.sectionText);
  const blocks: KnownBlock[] = [];
  // Links no block could hold (over 3,000 characters): the top-level text keeps them.
  const overflow: string[] = [];

  switch (reply.kind) {
    case 'shortlist': {
      blocks.push(...shortlistBlocks(reply));
      break;
    }
    case 'payment_setup_required': {
      blocks.push(section(message));
      if (reply.paymentSetupUrl) {
        const setup = linkButton('Set up payment', reply.paymentSetupUrl, 'open_url:setup', 'primary');
        if (setup) blocks.push({ type: 'actions', elements: [setup] } satisfies ActionsBlock);
        else {
          overflow.push(reply.paymentSetupUrl);
          blocks.push(context(TOO_LONG));
        }
        blocks.push(context('Reply *done* here when you have added your card.'));
      }
      break;
    }
    case 'payment_confirmation_required': {
      blocks.push(section(message));
      const card = cardLabel(reply);
      if (card) blocks.push(section(`*Card:* ${mrkdwn(card, 200)}`));
      const owner = reply.ownerActorId;
      const confirm = reply.actions.find((a) => a.type === 'confirm_payment_card');
      const paymentMethodId = confirm?.type === 'confirm_payment_card' ? confirm.paymentMethodId : undefined;
      const yes = writeButton('Yes, use this card', 'confirm_payment_card', { action: 'confirm_payment_card', ownerActorId: owner, ...(paymentMethodId ? { paymentMethodId } : {}), label: 'Yes, use this card' }, { style: 'primary' });
      const no = writeButton('No', 'decline_payment', { action: 'decline_payment', ownerActorId: owner, label: 'No' }, { style: 'danger' });
      const elements = [yes, no].filter((b): b is Button => b !== undefined);
      if (elements.length) blocks.push({ type: 'actions', elements });
      if (!yes) blocks.push(context('Reply *yes* here to use this card.'));
      break;
    }
    case 'booked': {
      blocks.push(section(message));
      const fields = bookingFields(reply);
      if (fields) blocks.push(fields);
      const elements: Button[] = [];
      const b = reply.booking;
      if (b?.confirmationUrl) {
        const view = linkButton('View booking', b.confirmationUrl, 'open_url:booking');
        if (view) elements.push(view);
        else overflow.push(b.confirmationUrl); // plainSummary carries it already; noted below
      }
      if (b?.bookingId) {
        const id = mrkdwn(b.bookingId, 60);
        const at = b.hotelName ? ` at ${mrkdwn(b.hotelName, 80)}` : '';
        const question = `Cancel booking *${id}*${at}?`;
        const policy = b.cancelPolicy ? ` ${mrkdwn(b.cancelPolicy, SLACK_LIMITS.confirmText - question.length - 1)}` : '';
        const cancel = writeButton(
          'Cancel booking',
          'cancel_booking',
          { action: 'cancel_booking', ownerActorId: reply.ownerActorId, bookingId: b.bookingId, ...(b.hotelName ? { label: b.hotelName } : {}) },
          {
            style: 'danger',
            confirm: {
              title: { type: 'plain_text', text: 'Cancel this booking?' },
              text: { type: 'mrkdwn', text: fit(`${question}${policy}`, SLACK_LIMITS.confirmText) },
              confirm: { type: 'plain_text', text: 'Cancel booking' },
              deny: { type: 'plain_text', text: 'Keep it' },
              style: 'danger',
            },
          },
        );
        if (cancel) elements.push(cancel);
        else blocks.push(context('To cancel, reply *cancel my booking* here.'));
      }
      if (elements.length) blocks.push({ type: 'actions', elements });
      if (b?.confirmationUrl && !elements.some((e) => e.url)) blocks.push(context(TOO_LONG));
      break;
    }
    default:
      // guest_name_required, error and any other status: the message, no write buttons.
      blocks.push(section(message));
  }
  return { text: fallbackText(reply, overflow), blocks: withinLimits(blocks) };
}

/**
 * The top-level text (notifications, screen readers, clients without blocks), escaped like the
 * blocks: Slack parses it as mrkdwn too. Links too long for any block are written out here.
 */
function fallbackText(reply: Reply, overflow: string[]): string {
  let text = mrkdwn(plainSummary(reply, MAX_OPTIONS_SHOWN), SLACK_LIMITS.fallbackText);
  for (const url of overflow) {
    const line = `\n${escapeMrkdwn(url)}`;
    if (!text.includes(escapeMrkdwn(url)) && text.length + line.length <= SLACK_LIMITS.topLevelText) text += line;
  }
  return text;
}

/** What a clicked message turns into at once, so its buttons cannot be clicked twice. */
export function renderClicked(label: string | undefined, action: string): SlackMessage {
  // The label comes back from a button value (Brek's text): escaped, and short.
  const line = clickedNote(action, label && mrkdwn(label, 200));
  return { text: line, blocks: [context(line)] };
}
