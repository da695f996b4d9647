// How an operator's tools print what could identify a traveller: actor ids shortened, and
// conversation ids that could be personal (a channel's profile says which) only as a hash.
import { createHash } from 'node:crypto';
import { channelProfile } from '../channel.ts';
import type { Channel } from '../identity.ts';
import { scrubText } from '../log.ts';

/** `slack:T0LOCAL:UADA` stays; `whatsapp:` + 32 hex characters becomes `whatsapp:3f9a…c41d` (as `turns` prints it). */
export function shortActor(actorId: string, width = 22): string {
  if (actorId.length <= width) return actorId;
  const head = actorId.slice(0, width - 7);
  return `${head}…${actorId.slice(-6)}`;
}

/**
 * A conversation id as it may be printed. Its channel's profile says whether it is personal (a
 * WhatsApp id that is not the HMAC of the number pair); one of a channel this process has not
 * loaded, or any id that holds a phone number, is shown only as a hash of itself — enough to tell
 * two apart.
 */
export function printableConversation(channel: Channel, conversationId: string): string {
  const profile = channelProfile(channel);
  const personal = !profile || profile.conversationIsPersonal?.(conversationId) === true || scrubText(conversationId) !== conversationId || /\+\d{6,}/.test(conversationId);
  return personal ? `sha256:${createHash('sha256').update(conversationId).digest('hex').slice(0, 16)}` : conversationId;
}
