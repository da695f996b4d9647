// Identities and keys (docs/architecture.md, "Identities and idempotency keys"). Each channel builds its
// own actor ids (adapters/<channel>/profile.ts); core only reads their `{channel}:` prefix.

/** A channel's name, as its adapter's profile declares it ('slack'); actor ids start with it. */
export type Channel = string;

/**
 * `{IDEMPOTENCY_PREFIX}:{sessionId}:{action}:{channelMessageId}`: a retried delivery of the same
 * channel message yields the same key, so Brek applies it once.
 */
export function idempotencyKey(prefix: string, sessionId: string, action: string, channelMessageId: string): string {
  return `${prefix}:${sessionId}:${action}:${channelMessageId}`;
}
