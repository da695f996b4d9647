// Identities and keys of DESIGN.md ("Identities and keys", contract).
import { createHmac } from 'node:crypto';

export type Channel = 'slack' | 'teams' | 'whatsapp';

/** Same raw user id in two workspaces = two actors. */
export function slackActorId(teamId: string, userId: string): string {
  return `slack:${teamId}:${userId}`;
}

export function teamsActorId(tenantId: string, aadObjectIdOrFromId: string): string {
  return `teams:${tenantId}:${aadObjectIdOrFromId}`;
}

/** A phone number is personal data: Brek and the logs only ever see this keyed hash of it. */
export function whatsappActorId(e164: string, secret: string): string {
  const number = e164.replace(/^whatsapp:/, '');
  return `whatsapp:${createHmac('sha256', secret).update(number).digest('hex').slice(0, 32)}`;
}

/**
 * `{IDEMPOTENCY_PREFIX}:{sessionId}:{action}:{channelMessageId}`: a retried delivery of the same
 * channel message yields the same key, so Brek applies it once.
 */
export function idempotencyKey(prefix: string, sessionId: string, action: string, channelMessageId: string): string {
  return `${prefix}:${sessionId}:${action}:${channelMessageId}`;
}
