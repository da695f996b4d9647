// Bot Framework activities → InboundTurns. Messages in a personal chat or a channel mention, card
// clicks (Action.Execute invokes, or Action.Submit messages with our payload), and a welcome when
// the bot joins a personal chat; every other activity (reactions, edits, deletions, installation
// updates, other cards' submits) is acknowledged and dropped. Text reaches Brek as the traveller
// read it: mentions as names (the bot's own removed), Teams' HTML reduced to plain text.
import { json } from '../../core/http.ts';
import { teamsActorId } from './profile.ts';
import { encodeReference, keywordOf, OWN_MENTION, readReference, withoutOwnMention, type InboundTurn, type Json, type TurnInput } from '../../core/inbound.ts';
import type { Normalized } from '../../core/ingress.ts';
import { actionInputOf, unpackButton } from '../../core/reply.ts';
import { readRefresh, renderRefreshed, REFRESH_VERB, SUGGESTED_MARK } from './render.ts';
import { MESSAGES } from '../../core/wording.ts';
import { isObj, str } from '../../core/util.ts';

type Obj = Record<string, unknown>;

const INVOKE_CARD_ACTION = 'adaptiveCard/action';
const ignore = (note: string): Normalized => ({ type: 'respond', response: { status: 200 }, note });

/** The answer to an invoke the bridge does not act on: shown to the clicker only. */
function invokeMessage(message: string): Normalized {
  return { type: 'respond', response: json(200, { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: message }) };
}

/** "2026-11-28T09:00:00.000-08:00" → -480: the traveller's offset, as Teams reports it. */
function offsetFromLocalTimestamp(value: unknown): number | undefined {
  const match = typeof value === 'string' ? /([+-])(\d{2}):(\d{2})$/.exec(value) : null;
  if (!match) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** "America/Los_Angeles": the zone Teams reports with the message, when it is one this runtime knows. */
function knownTimeZone(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > 64) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value;
  } catch {
    return undefined;
  }
}

export interface TeamsNormalizeOptions {
  tenantId?: string;
}

/** Where and how the worker answers a turn: written here, read back by the sender (send.ts). */
export interface TeamsReference {
  serviceUrl?: string;
  conversationId?: string;
  tenantId?: string;
  botId?: string;
  activityId?: string;
  conversationType?: string;
  /** A card click: the activity it was on, what was clicked. */
  clickedActivityId?: string;
  clickedAction?: string;
  clickedLabel?: string;
  /** The click came as an Action.Execute invoke (its card was already replaced in the answer). */
  invoke?: boolean;
  /** The click was a tapped suggested action: no card to retire. */
  suggested?: boolean;
  /** The sender's Teams id (MRI, `29:…`): whom the reply's cards refresh for. */
  fromId?: string;
}

const REFERENCE_STRINGS = ['serviceUrl', 'conversationId', 'tenantId', 'botId', 'activityId', 'conversationType', 'clickedActivityId', 'clickedAction', 'clickedLabel', 'fromId'] as const;

const encodeTeamsReference = (reference: TeamsReference) => encodeReference(reference);

export function teamsReference(record: { reference: Record<string, Json> }): TeamsReference {
  return readReference(record.reference, REFERENCE_STRINGS, ['invoke', 'suggested']);
}

export function normalizeTeams(raw: string, options: TeamsNormalizeOptions = {}): Normalized {
  let activity: unknown;
  try {
    activity = JSON.parse(raw);
  } catch {
    return { type: 'reject', status: 400, reason: 'Malformed JSON body' };
  }
  if (!isObj(activity)) return { type: 'reject', status: 400, reason: 'Expected an activity object' };
  const type = str(activity.type);
  const id = str(activity.id);
  const serviceUrl = str(activity.serviceUrl);
  const conversation = isObj(activity.conversation) ? activity.conversation : undefined;
  const from = isObj(activity.from) ? activity.from : undefined;
  const recipient = isObj(activity.recipient) ? activity.recipient : undefined;
  if (!type) return { type: 'reject', status: 400, reason: 'Activity without type' };
  // Reactions, edits, deletions, installation updates, typing…: acknowledged whatever they carry.
  if (type !== 'message' && type !== 'invoke' && type !== 'conversationUpdate') return ignore(`activity ${type} not handled`);
  if (!serviceUrl || !conversation || !str(conversation.id)) return { type: 'reject', status: 400, reason: 'Activity without type, serviceUrl or conversation' };
  const channelData = isObj(activity.channelData) ? activity.channelData : {};
  const tenantId = str(conversation.tenantId) ?? (isObj(channelData.tenant) ? str(channelData.tenant.id) : undefined);
  if (options.tenantId && tenantId && tenantId !== options.tenantId) return ignore('activity from another tenant');

  if (!id || !from || !str(from.id) || !recipient || !str(recipient.id) || !tenantId) {
    return { type: 'reject', status: 400, reason: 'Activity without id, from, recipient or tenant' };
  }
  const conversationId = conversation.id as string;
  const personal = conversation.conversationType === 'personal' || conversation.conversationType === undefined;
  const actorId = teamsActorId(tenantId, str(from.aadObjectId) ?? (from.id as string));
  const reference: TeamsReference = {
    serviceUrl,
    conversationId,
    tenantId,
    botId: recipient.id as string,
    activityId: id,
    conversationType: str(conversation.conversationType) ?? 'personal',
    fromId: from.id as string,
  };
  const turn = (input: TurnInput, extra: Partial<InboundTurn> = {}): Normalized => {
    const offset = offsetFromLocalTimestamp(activity.localTimestamp);
    const timeZone = knownTimeZone(activity.localTimezone);
    return {
      type: 'turn',
      turn: {
        channel: 'teams',
        channelMessageId: id,
        actorId,
        conversationId,
        input,
        reference: encodeTeamsReference(reference),
        workspaceId: tenantId,
        ...(offset === undefined ? {} : { timezoneOffsetMinutes: offset }),
        ...(timeZone ? { timeZone } : {}),
        ...(str(activity.timestamp) ? { receivedAt: activity.timestamp as string } : {}),
        ...extra,
      },
    };
  };

  if (type === 'conversationUpdate') {
    const added = Array.isArray(activity.membersAdded) ? activity.membersAdded : [];
    const botAdded = added.some((m) => isObj(m) && m.id === recipient.id);
    return botAdded && personal ? turn({ type: 'welcome' }) : ignore('conversationUpdate without the bot joining a personal chat');
  }

  // A card click: Action.Execute (invoke) or Action.Submit (a message with value).
  const value = isObj(activity.value) ? activity.value : undefined;
  const executeData = type === 'invoke' && activity.name === INVOKE_CARD_ACTION && isObj(value?.action) ? value.action.data : undefined;
  if (type === 'invoke' && activity.name !== INVOKE_CARD_ACTION) return invokeMessage('This bot does not handle that request.');
  // A card's refresh (Universal Actions): whoever opens it sees it as it stands, from the thread's
  // record — a read, never a turn nor a Brek call. Only a card of this tenant reads a thread here.
  if (type === 'invoke' && isObj(value?.action) && value.action.verb === REFRESH_VERB) {
    const refresh = readRefresh(executeData);
    if (!refresh || !refresh.ownerActorId.startsWith(teamsActorId(tenantId, ''))) return invokeMessage('That card is not one of mine.');
    const context = { personal, refresh: { userIds: [from.id as string] } };
    return {
      type: 'thread_state',
      thread: { actorId: refresh.ownerActorId, conversationId },
      answer: (thread) => json(200, { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: renderRefreshed(refresh.reply, thread, context) }),
    };
  }
  const button = unpackButton(type === 'invoke' ? executeData : value);
  // Another card's Action.Submit (its data as `value`): not ours to answer, not a "help" either.
  if (type === 'message' && value && !button) return ignore('card value not ours');
  if (type === 'invoke' || button) {
    const input = button && actionInputOf(button);
    if (!button || !input) return type === 'invoke' ? invokeMessage('That button is not one of mine.') : ignore('card value not ours');
    const suggested = type === 'message' && value?.via === SUGGESTED_MARK;
    // Refused at once, without a turn: Teams shows the invoke's answer to the clicker only. A
    // tapped suggestion is a message: core refuses someone else's in a reply of its own.
    if (button.ownerActorId !== actorId && !suggested) return invokeMessage(MESSAGES.notYourButton);
    if (suggested) reference.suggested = true;
    reference.clickedAction = button.action;
    if (button.label) reference.clickedLabel = button.label;
    if (type === 'invoke') reference.invoke = true;
    const clicked = str(activity.replyToId);
    if (clicked) reference.clickedActivityId = clicked;
    return turn(input);
  }

  // A typed message; in a channel, with the bot's mention taken out.
  const textWithoutMention = readableText(typeof activity.text === 'string' ? activity.text : '', mentionsOf(activity.entities), { id: recipient.id as string, name: str(recipient.name) });
  const attachments = Array.isArray(activity.attachments) ? activity.attachments : [];
  const files = attachments.filter((a) => isObj(a) && a.contentType !== 'text/html');
  const keyword = keywordOf(textWithoutMention);
  const input: TurnInput = keyword
    ? { type: 'keyword', keyword }
    : textWithoutMention !== ''
      ? { type: 'text', text: textWithoutMention }
      : files.length > 0
        ? { type: 'unsupported', what: 'images or files' }
        : { type: 'text', text: 'help' };
  return turn(input);
}

// ---------------------------------------------------------------- text

interface Mention {
  /** The tag as it stands in the text, `<at>Name</at>` (older clients leave it out). */
  text?: string;
  id?: string;
  name?: string;
}

function mentionsOf(entities: unknown): Mention[] {
  if (!Array.isArray(entities)) return [];
  const out: Mention[] = [];
  for (const e of entities) {
    if (!isObj(e) || e.type !== 'mention' || !isObj(e.mentioned)) continue;
    const mention: Mention = {};
    const text = str(e.text);
    const id = str(e.mentioned.id);
    const name = str(e.mentioned.name);
    if (text) mention.text = text;
    if (id) mention.id = id;
    if (name) mention.name = name;
    out.push(mention);
  }
  return out;
}

const OWN = OWN_MENTION;
/** Where a block element (paragraph, line break, list item) ended. */
const BREAK = '\u0001';

/** Bot ids arrive as `28:<app id>` and, in some mention entities, without the prefix. */
const sameBot = (a: string | undefined, b: string) => a !== undefined && a.replace(/^28:/, '').toLowerCase() === b.replace(/^28:/, '').toLowerCase();

/**
 * An activity's text as the traveller read it: `<at>` mentions resolved with the activity's
 * mention entities (the bot's own removed wherever it stands, other people's as `@Name`), then
 * Teams' HTML reduced to plain text.
 */
function readableText(raw: string, mentions: Mention[], bot: { id: string; name: string | undefined }): string {
  const marked = raw
    .split(OWN).join('')
    .split(BREAK).join('')
    .replace(/<at(?:\s[^<>]*)?>([\s\S]*?)<\/at>/gi, (tag: string, inner: string) => {
      // Still HTML: decoded for comparing here, and with the rest of the text below (once).
      const shown = inner.replace(/<[^<>]*>/g, '').trim();
      const name = decodeEntities(shown);
      const entity = mentions.find((m) => m.text === tag) ?? mentions.find((m) => m.name !== undefined && m.name === name);
      const isBot = entity ? sameBot(entity.id, bot.id) : bot.name !== undefined && name === bot.name;
      return isBot ? OWN : shown ? `@${shown}` : '';
    });
  return withoutOwnMention(htmlToText(marked));
}

const BLOCK_TAGS = 'p|div|br|li|ul|ol|tr|table|h[1-6]|blockquote|pre|hr';
const INLINE_TAGS = 'span|strong|b|i|em|u|s|strike|del|ins|code|sup|sub|font|small|big|mark|img|emoji|a|td|th|thead|tbody|systemtag|readonly';
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]+);/gi, (whole: string, entity: string) => {
    if (entity[0] !== '#') return NAMED_ENTITIES[entity.toLowerCase()] ?? whole;
    const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    // Control characters (and this file's markers) and lone surrogates stay as written.
    const printable = code === 9 || code === 10 || (code >= 0x20 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff));
    return printable ? String.fromCodePoint(code) : whole;
  });
}

/**
 * Teams' HTML as text: block elements and `<br>` as line breaks, emoji as their characters, links
 * as "label (url)", every other known tag dropped, entities decoded last (so a typed "&lt;b&gt;"
 * stays the text "<b>"). Only HTML's own tag names are treated as tags: "a <3 b" is text.
 */
function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/\r\n?/g, '\n')
      // Emoji: <emoji alt="😄">, or the older <img itemtype="…/Emoji" alt="😄">.
      .replace(/<emoji\b[^<>]*\balt="([^"]*)"[^<>]*>(?:[\s\S]*?<\/emoji>)?/gi, '$1')
      .replace(/<img\b(?=[^<>]*itemtype="[^"]*Emoji")[^<>]*\balt="([^"]*)"[^<>]*>/gi, '$1')
      .replace(/<a\b[^<>]*\bhref="([^"]*)"[^<>]*>([\s\S]*?)<\/a>/gi, (_m, href: string, label: string) => {
        const text = label.replace(/<[^<>]*>/g, '').trim();
        return !text || text === href ? href : `${text} (${href})`;
      })
      .replace(new RegExp(`</?(?:${BLOCK_TAGS})(?:\\s[^<>]*)?/?>`, 'gi'), BREAK)
      .replace(new RegExp(`</?(?:${INLINE_TAGS})(?:\\s[^<>]*)?/?>`, 'gi'), ''),
  )
    // Runs of block edges are one line break; none at either end.
    .replace(/[ \t]*\u0001[\s\u0001]*/g, '\n')
    .replace(/^\n+|\n+$/g, '');
}
