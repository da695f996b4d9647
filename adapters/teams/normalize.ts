// Bot Framework activities → InboundTurns. Messages in a personal chat or a channel mention, card
// clicks (Action.Execute invokes, or Action.Submit messages with our payload), and a welcome when
// the bot joins a personal chat; every other activity is acknowledged and dropped.
import { stripMentionsText } from '@microsoft/teams.api';
import { json } from '../../core/http.ts';
import { teamsActorId } from '../../core/identity.ts';
import { encodeReference, keywordOf, readReference, type InboundTurn, type Json, type TurnInput } from '../../core/inbound.ts';
import type { Normalized } from '../../core/ingress.ts';
import { actionInputOf, unpackButton } from '../../core/reply.ts';
import { MESSAGES } from '../../core/turn.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const INVOKE_CARD_ACTION = 'adaptiveCard/action';
const ignore = (note: string): Normalized => ({ type: 'respond', response: { status: 200 }, note });

/** The answer to an invoke the bridge does not act on: shown to the clicker only. */
export function invokeMessage(message: string): Normalized {
  return { type: 'respond', response: json(200, { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: message }) };
}

/** "2026-11-28T09:00:00.000-08:00" → -480: the traveller's offset, as Teams reports it. */
export function offsetFromLocalTimestamp(value: unknown): number | undefined {
  const match = typeof value === 'string' ? /([+-])(\d{2}):(\d{2})$/.exec(value) : null;
  if (!match) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
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
}

const REFERENCE_STRINGS = ['serviceUrl', 'conversationId', 'tenantId', 'botId', 'activityId', 'conversationType', 'clickedActivityId', 'clickedAction', 'clickedLabel'] as const;

const encodeTeamsReference = (reference: TeamsReference) => encodeReference(reference);

export function teamsReference(record: { reference: Record<string, Json> }): TeamsReference {
  return readReference(record.reference, REFERENCE_STRINGS, ['invoke']);
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
  if (!type || !serviceUrl || !conversation || !str(conversation.id)) return { type: 'reject', status: 400, reason: 'Activity without type, serviceUrl or conversation' };
  const channelData = isObj(activity.channelData) ? activity.channelData : {};
  const tenantId = str(conversation.tenantId) ?? (isObj(channelData.tenant) ? str(channelData.tenant.id) : undefined);
  if (options.tenantId && tenantId && tenantId !== options.tenantId) return ignore('activity from another tenant');

  if (type !== 'message' && type !== 'invoke' && type !== 'conversationUpdate') return ignore(`activity ${type} not handled`);
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
  };
  const turn = (input: TurnInput, extra: Partial<InboundTurn> = {}): Normalized => {
    const offset = offsetFromLocalTimestamp(activity.localTimestamp);
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
  const button = unpackButton(type === 'invoke' ? executeData : value);
  if (type === 'invoke' || button) {
    const input = button && actionInputOf(button);
    if (!button || !input) return type === 'invoke' ? invokeMessage('That button is not one of mine.') : ignore('card value not ours');
    // Refused at once, without a turn: Teams shows the invoke's answer to the clicker only.
    if (button.ownerActorId !== actorId) return invokeMessage(MESSAGES.notYourButton);
    reference.clickedAction = button.action;
    if (button.label) reference.clickedLabel = button.label;
    if (type === 'invoke') reference.invoke = true;
    const clicked = str(activity.replyToId);
    if (clicked) reference.clickedActivityId = clicked;
    return turn(input);
  }

  // A typed message; in a channel, with the bot's mention taken out.
  const textWithoutMention = stripMentionsText(activity as unknown as Parameters<typeof stripMentionsText>[0], { accountId: recipient.id as string }) ?? '';
  const attachments = Array.isArray(activity.attachments) ? activity.attachments : [];
  const files = attachments.filter((a) => isObj(a) && a.contentType !== 'text/html');
  const keyword = keywordOf(textWithoutMention);
  const input: TurnInput = keyword
    ? { type: 'keyword', keyword }
    : textWithoutMention.trim() !== ''
      ? { type: 'text', text: textWithoutMention.trim() }
      : files.length > 0
        ? { type: 'unsupported', what: 'images or files' }
        : { type: 'text', text: 'help' };
  return turn(input);
}
