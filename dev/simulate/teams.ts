// Activities exactly as the Bot Framework sends them to a Teams bot (personal chat messages,
// channel mentions, card clicks as Action.Execute invokes, the bot joining a chat), with the
// bearer token the caller supplies — for tests, `npm run chat` and the console.
import { randomUUID } from 'node:crypto';
import { teamsActorId, teamsProfile } from '../../adapters/teams/profile.ts';
import { WORKING_MARK } from '../../adapters/teams/render.ts';
import { digest, messageKey, type TravellerSimulator } from './traveller.ts';
import { FAKE_TEAMS_APP_ID } from '../../adapters/teams/profile.ts';

export interface TeamsUser {
  tenantId: string;
  /** The user's AAD object id (Teams sends it as from.aadObjectId). */
  aadObjectId: string;
  name?: string;
}

export interface ActivityOptions {
  serviceUrl: string;
  botId?: string;
  conversationId?: string;
  conversationType?: 'personal' | 'channel' | 'groupChat';
  id?: string;
  localTimestamp?: string;
  /** The traveller's IANA zone, which Teams sends with localTimestamp (null: left out). */
  localTimezone?: string | null;
}

const BOT = `28:${FAKE_TEAMS_APP_ID}`;

function envelope(user: TeamsUser, options: ActivityOptions): Record<string, unknown> {
  const conversationType = options.conversationType ?? 'personal';
  return {
    id: options.id ?? `1${Date.now()}${Math.floor(Math.random() * 1000)}`,
    channelId: 'msteams',
    serviceUrl: options.serviceUrl,
    timestamp: new Date().toISOString(),
    localTimestamp: options.localTimestamp ?? '2026-11-28T09:00:00.000-08:00',
    ...(options.localTimezone === null ? {} : { localTimezone: options.localTimezone ?? 'America/Los_Angeles' }),
    from: { id: `29:${user.aadObjectId}`, aadObjectId: user.aadObjectId, name: user.name ?? 'Traveller' },
    recipient: { id: options.botId ?? BOT, name: 'Brek' },
    conversation: {
      id: options.conversationId ?? `a:${user.aadObjectId}`,
      conversationType,
      tenantId: user.tenantId,
      ...(conversationType === 'channel' ? { isGroup: true } : {}),
    },
    channelData: { tenant: { id: user.tenantId } },
  };
}

export function messageActivity(user: TeamsUser, text: string, options: ActivityOptions & { mention?: boolean }): Record<string, unknown> {
  const activity = envelope(user, options);
  const bot = activity.recipient as { id: string; name: string };
  if (!options.mention) return { ...activity, type: 'message', text, textFormat: 'plain' };
  const tag = `<at>${bot.name}</at>`;
  return {
    ...activity,
    type: 'message',
    text: `${tag} ${text}`,
    entities: [{ type: 'mention', text: tag, mentioned: { id: bot.id, name: bot.name } }],
  };
}

/** A click on an Action.Execute button: an invoke carrying the button's data. */
export function executeActivity(user: TeamsUser, verb: string, data: unknown, replyToId: string, options: ActivityOptions): Record<string, unknown> {
  return {
    ...envelope(user, options),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId,
    value: { action: { type: 'Action.Execute', id: randomUUID(), verb, data }, trigger: 'manual' },
  };
}

/** A suggested action as the bot sent it (activity.suggestedActions.actions[i]). */
export interface SuggestedActionSent {
  type: string;
  title?: string;
  value?: unknown;
  text?: string;
  displayText?: string;
}

/**
 * A tap on a suggested action, as Teams delivers it: a message. An imBack's value is the text, as
 * if typed; a messageBack brings its text and its value (the chat shows displayText as the user's).
 */
export function suggestedActionActivity(user: TeamsUser, action: SuggestedActionSent, options: ActivityOptions): Record<string, unknown> {
  const activity = envelope(user, options);
  if (action.type === 'imBack') return { ...activity, type: 'message', text: typeof action.value === 'string' ? action.value : '', textFormat: 'plain' };
  if (action.type !== 'messageBack') throw new Error(`Teams does not post a message for a ${action.type} suggestion`);
  return { ...activity, type: 'message', text: action.text ?? '', textFormat: 'plain', ...(action.value === undefined ? {} : { value: action.value }) };
}

/**
 * A card's refresh as Teams sends it when someone opens the card (trigger `automatic`; `manual`
 * when they ask): an adaptiveCard/action invoke with the refresh's own action.
 */
export function refreshActivity(user: TeamsUser, refresh: { action?: { verb?: string; data?: unknown } }, options: ActivityOptions & { trigger?: 'automatic' | 'manual' }): Record<string, unknown> {
  return {
    ...envelope(user, options),
    type: 'invoke',
    name: 'adaptiveCard/action',
    value: { action: { type: 'Action.Execute', id: randomUUID(), verb: refresh.action?.verb, data: refresh.action?.data }, trigger: options.trigger ?? 'automatic' },
  };
}

export function botAddedActivity(user: TeamsUser, options: ActivityOptions): Record<string, unknown> {
  const activity = envelope(user, options);
  return { ...activity, type: 'conversationUpdate', membersAdded: [{ id: (activity.recipient as { id: string }).id }] };
}

export async function postActivity(stackUrl: string, activity: Record<string, unknown>, token: string | undefined): Promise<Response> {
  return fetch(`${stackUrl}/teams/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(activity),
  });
}

/**
 * The placeholder a turn posts first ("⏳ Searching hotels…"), never replaced: its reply replaces
 * it in place, so one still standing is a placeholder its reply did not reach.
 */
export function isPlaceholder(activity: { text?: string; attachments?: unknown[]; updates: number }): boolean {
  return activity.updates === 0 && !activity.attachments && (activity.text?.startsWith(WORKING_MARK) ?? false);
}

/** A traveller in their personal chat with the bot (dev/simulate/traveller.ts), in the tenant tenant-rel. */

export const simulateTraveller: TravellerSimulator = (stack, name) => {
  const user = { tenantId: 'tenant-rel', aadObjectId: `aad-${digest(name, 12)}` };
  const conversationId = `a:${user.aadObjectId}`;
  const fake = () => stack.fakeTeams!;
  return {
    channel: 'teams',
    actorId: teamsActorId(user.tenantId, user.aadObjectId),
    personal: [],
    conversation: conversationId,
    request(text, options) {
      const activityId = `1${BigInt(`0x${digest(messageKey(options), 12)}`).toString()}`;
      const serviceUrl = fake().serviceUrl;
      return {
        path: teamsProfile.route,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${fake().signInbound({ serviceUrl })}` },
        body: JSON.stringify(messageActivity(user, text, { serviceUrl, id: activityId })),
      };
    },
    // The conversation as the traveller sees it: a reply replaces its placeholder in place.
    replies: () =>
      fake()
        .conversation(conversationId)
        .filter((activity) => !isPlaceholder(activity))
        .map((activity) => JSON.stringify({ text: activity.text, attachments: activity.attachments })),
  };
};
