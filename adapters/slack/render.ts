// Reply → Block Kit, as a pure function. Every status of DESIGN.md's rendering table, unknown
// statuses as text, and every message with a plain-text fallback for notifications and screen
// readers. Brek's text is data, never markup: escaped for mrkdwn in the blocks and the fallback.
// Any Reply stays within Block Kit's limits: long texts are cut (never inside an entity or a
// character), options beyond MAX_OPTIONS_SHOWN are summarised, a link too long for a button is
// left to the text, and a button whose ids do not fit its value is left out. Every button is one
// of the Reply's actions (core/reply.ts), with the label, style and value the action gives. In an
// assistant thread (renderSlackAssistant) what the traveller can say next is the thread's
// suggested prompts instead of buttons.
import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { actionsOf, cardName, clickedNote, clipText, fittedButton, packButton, replyText, unpackButton, type ActionStyle, type ButtonPayload, type Reply, type ReplyAction, type ReplyOption } from '../../core/reply.ts';
import { bookingFacts, cardExpiry, factsLine, moreOptionsNote, optionLine, plainSummary, priceLine, shownOptions } from '../../core/reply-format.ts';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Block Kit's limits that shape what we render (https://api.slack.com/reference/block-kit). */
const SLACK_LIMITS = {
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
  /** assistant.threads.setSuggestedPrompts: "up to four suggested prompts". */
  suggestedPrompts: 4,
  /** Our own caps for a prompt's title (a chip, like a button) and its message (what the traveller sends). */
  promptTitle: 75,
  promptMessage: 2000,
} as const;

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

/** Block Kit's button styles are the action's own; no style is Slack's default look. */
const styleOf = (style: ActionStyle | undefined): Partial<Button> => (style ? { style } : {});

/** A write button, or undefined when its ids do not fit a value (core/reply.ts fitButton says why). */
function writeButton(action: ReplyAction, owner: string, actionId: string, extra: Partial<Button> = {}): Button | undefined {
  const packed = fittedButton(action, owner);
  return packed && button(action.label, actionId, { ...styleOf(action.style), ...extra, value: JSON.stringify(packed) });
}

/** A URL button, or undefined when the URL is over Slack's limit (the caller keeps it in text). */
function linkButton(action: Extract<ReplyAction, { type: 'open_url' }>): Button | undefined {
  return action.url.length <= SLACK_LIMITS.url ? button(action.label, `open_url:${action.purpose}`, { url: action.url, ...styleOf(action.style) }) : undefined;
}

const TOO_LONG = '_(The link is too long for Slack to show here; ask me for it again.)_';

/** One option: what it is and what it costs, each of Brek's fields cut to a readable length. */
function optionLines(option: ReplyOption): string {
  const line = optionLine(option, mrkdwn);
  return [`*${option.index}. ${line.name}*`, priceLine(line), factsLine(line)].filter(Boolean).join('\n');
}

function shortlistBlocks(reply: Reply): KnownBlock[] {
  const blocks: KnownBlock[] = [section(mrkdwn(reply.text.trim() || 'Here are some options.', SLACK_LIMITS.sectionText))];
  const { shown, hidden } = shownOptions(reply);
  const actions = actionsOf(reply);
  for (const option of shown) {
    const book = actions.find((a) => a.type === 'book_option' && a.index === option.index);
    const accessory = book && writeButton(book, reply.ownerActorId, `book_option:${option.index}`);
    const body = optionLines(option);
    const details = option.detailsUrl ? link(option.detailsUrl, 'View details') : undefined;
    if (!details) blocks.push(section(body, accessory));
    else if (body.length + 1 + details.length <= SLACK_LIMITS.sectionText) blocks.push(section(`${body}\n${details}`, accessory));
    else {
      // The details link does not fit beside the facts: a line of its own, or named if too long.
      blocks.push(section(body, accessory), context(details.length <= SLACK_LIMITS.sectionText ? details : TOO_LONG));
    }
  }
  if (hidden > 0) blocks.push(context(moreOptionsNote(hidden)));
  return blocks;
}

function cardLabel(reply: Reply): string | undefined {
  const card = reply.paymentMethod;
  const name = cardName(card);
  const expiry = cardExpiry(card);
  return name && `${name}${expiry ? ` (exp ${expiry})` : ''}`;
}

function bookingFields(reply: Reply): SectionBlock | undefined {
  const fields = bookingFacts(reply.booking).map(({ title, value, max }) => `*${title}*\n${mrkdwn(value, Math.min(max, SLACK_LIMITS.fieldText - title.length - 3))}`);
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

/** What a reply's actions become: buttons in one actions block, and the notes for those that could not be buttons. */
interface Controls {
  buttons: Button[];
  notes: string[];
  /** Links no block could hold (over 3,000 characters): the top-level text keeps them. */
  overflow: string[];
}

/** Each action but Book (beside its option) as a button, or a note saying what to type instead. */
function controls(reply: Reply): Controls {
  const out: Controls = { buttons: [], notes: [], overflow: [] };
  const owner = reply.ownerActorId;
  let said = 0;
  for (const action of actionsOf(reply)) {
    switch (action.type) {
      case 'book_option':
        break;
      case 'open_url': {
        const link = linkButton(action);
        if (link) out.buttons.push(link);
        else {
          out.overflow.push(action.url);
          out.notes.push(TOO_LONG);
        }
        // After the setup link, what to say once the card is added.
        if (action.purpose === 'setup') out.notes.push('Reply *done* here when you have added your card.');
        break;
      }
      case 'confirm_payment_card': {
        const yes = writeButton(action, owner, 'confirm_payment_card');
        if (yes) out.buttons.push(yes);
        else out.notes.push(`Reply *${action.typed}* here to use this card.`);
        break;
      }
      case 'decline_payment': {
        const no = writeButton(action, owner, 'decline_payment');
        if (no) out.buttons.push(no);
        else out.notes.push(`Reply *${action.typed}* here to decline.`);
        break;
      }
      case 'cancel_booking': {
        const cancel = writeButton(action, owner, 'cancel_booking', { confirm: cancelDialog(reply, action) });
        if (cancel) out.buttons.push(cancel);
        else out.notes.push(`To cancel, reply *${action.typed}* here.`);
        break;
      }
      case 'say': {
        // action_ids must differ within a message: the suggestion's place among them.
        const say = writeButton(action, owner, `say:${said++}`);
        if (say) out.buttons.push(say);
        else out.notes.push(`Or reply: *${mrkdwn(action.text, 200)}*`);
        break;
      }
    }
  }
  return out;
}

/** Block Kit's confirm dialog: which booking, where, and its cancel policy, before anything is cancelled. */
function cancelDialog(reply: Reply, action: Extract<ReplyAction, { type: 'cancel_booking' }>): NonNullable<Button['confirm']> {
  const hotel = reply.booking?.hotelName;
  const policy = reply.booking?.cancelPolicy;
  const question = `Cancel booking *${mrkdwn(action.bookingId, 60)}*${hotel ? ` at ${mrkdwn(hotel, 80)}` : ''}?`;
  const rest = policy ? ` ${mrkdwn(policy, SLACK_LIMITS.confirmText - question.length - 1)}` : '';
  return {
    title: { type: 'plain_text', text: action.confirm.title },
    text: { type: 'mrkdwn', text: fit(`${question}${rest}`, SLACK_LIMITS.confirmText) },
    confirm: { type: 'plain_text', text: action.label },
    deny: { type: 'plain_text', text: action.confirm.no },
    style: 'danger',
  };
}

export function renderSlack(reply: Reply): SlackMessage {
  // Slack refuses empty texts; Brek's message is optional in practice, so say something useful.
  const message = mrkdwn(replyText(reply), SLACK_LIMITS.sectionText);
  const blocks: KnownBlock[] = [];

  switch (reply.kind) {
    case 'shortlist':
      blocks.push(...shortlistBlocks(reply));
      break;
    case 'payment_confirmation_required': {
      blocks.push(section(message));
      const card = cardLabel(reply);
      if (card) blocks.push(section(`*Card:* ${mrkdwn(card, 200)}`));
      break;
    }
    case 'booked': {
      blocks.push(section(message));
      const fields = bookingFields(reply);
      if (fields) blocks.push(fields);
      break;
    }
    default:
      // payment_setup_required, guest_name_required, error and any other status: the message.
      blocks.push(section(message));
  }
  const { buttons, notes, overflow } = controls(reply);
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons } satisfies ActionsBlock);
  blocks.push(...notes.map(context));
  return { text: fallbackText(reply, overflow), blocks: withinLimits(blocks) };
}

/**
 * The top-level text (notifications, screen readers, clients without blocks), escaped like the
 * blocks: Slack parses it as mrkdwn too. Links too long for any block are written out here.
 */
function fallbackText(reply: Reply, overflow: string[]): string {
  let text = mrkdwn(plainSummary(reply), SLACK_LIMITS.fallbackText);
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

/** A thread's suggested prompts, as assistant.threads.setSuggestedPrompts takes them. */
export interface SuggestedPrompts {
  title: string;
  prompts: { title: string; message: string }[];
}

/** An assistant thread's reply: the message, and its `say` actions as the thread's suggested prompts. */
export interface SlackAssistantMessage {
  message: SlackMessage;
  prompts?: SuggestedPrompts;
  /** The message with the suggestions as buttons, for when the prompts cannot be set. */
  withButtons?: SlackMessage;
}

/**
 * A reply in an assistant thread (Slack's AI app container): what the traveller can say next
 * becomes the thread's suggested prompts (at most four; the rest stay buttons), every other
 * control is as anywhere else. Each block's id marks the thread (`blockIdPrefix`), so a click
 * there is known to be in it.
 */
export function renderSlackAssistant(reply: Reply, blockIdPrefix: string): SlackAssistantMessage {
  const says = actionsOf(reply).filter((action): action is Extract<ReplyAction, { type: 'say' }> => action.type === 'say');
  // actionsOf hands a `say` back as it is in reply.actions: the same objects, left out below.
  const prompted = new Set<ReplyAction>(says.slice(0, SLACK_LIMITS.suggestedPrompts));
  const withButtons = marked(renderSlack(reply), blockIdPrefix);
  if (prompted.size === 0) return { message: withButtons };
  const rest: Reply = { ...reply, actions: reply.actions.filter((action) => !prompted.has(action)) };
  return {
    message: marked(renderSlack(rest), blockIdPrefix),
    prompts: {
      title: reply.status === 'bridge_welcome' ? 'Try asking' : 'Reply with one tap',
      prompts: says.slice(0, SLACK_LIMITS.suggestedPrompts).map((say) => ({ title: clipText(say.label, SLACK_LIMITS.promptTitle), message: clipText(say.text, SLACK_LIMITS.promptMessage) })),
    },
    withButtons,
  };
}

function marked(message: SlackMessage, prefix: string): SlackMessage {
  return { ...message, blocks: message.blocks.map((block, index) => ({ ...block, block_id: `${prefix}${index}` })) };
}
