// The three Partner Core Chat endpoints, behind the gateway (auth and rate limits are in
// server.ts). Validation messages and envelopes are the ones the guides and OpenAPI document.
import { isWriteKind } from '../core/brek/types.ts';
import { runTurn, TurnRejected } from './assistant.ts';
import { eventIdClock, newSessionId } from './ids.ts';
import type { Session, StoredAnswer, World } from './world.ts';

export interface Caller {
  partnerId: string;
  requestId: string;
  now: number;
  publicBase: string;
  setupTokenTtlMs: number;
}

/** What an endpoint answers: the same shape the idempotency store keeps. */
export type ApiAnswer = StoredAnswer;

/** "Validation/proxy error envelope" of the guide: no code, no details. */
export function validationError(caller: Pick<Caller, 'requestId'>, error: string, status = 400): ApiAnswer {
  return { status, body: { success: false, error, requestId: caller.requestId } };
}

/** "Gateway error envelope" of the guide. */
export function gatewayError(
  caller: Pick<Caller, 'requestId'>,
  status: number,
  code: string,
  error: string,
  details: unknown = null,
): ApiAnswer {
  return { status, body: { success: false, error, code, details, requestId: caller.requestId } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

export class PartnerApi {
  private readonly nextEventId = eventIdClock();

  constructor(private readonly world: World) {}

  createSession(caller: Caller, rawBody: string): ApiAnswer {
    const parsed = parseJson(rawBody);
    if (!parsed.ok || !isRecord(parsed.value)) return validationError(caller, 'Invalid JSON payload');
    const body = parsed.value;
    const actor = body.actor;
    if (!isRecord(actor) || typeof actor.actorId !== 'string' || actor.actorId.trim() === '') {
      return validationError(caller, 'actor.actorId is required');
    }
    const offset = actor.timezoneOffsetMinutes;
    if (offset !== undefined && offset !== null && (!Number.isInteger(offset) || Math.abs(offset as number) > 14 * 60)) {
      return validationError(caller, 'actor.timezoneOffsetMinutes must be an integer between -840 and 840');
    }
    const channel = body.channel ?? {};
    const conversation = body.conversation ?? {};
    if (!isRecord(channel)) return validationError(caller, 'channel must be an object');
    if (!isRecord(conversation)) return validationError(caller, 'conversation must be an object');
    for (const [name, value] of [
      ['channel.workspaceId', channel.workspaceId],
      ['conversation.id', conversation.id],
      ['conversation.channelId', conversation.channelId],
      ['conversation.threadTs', conversation.threadTs],
    ] as const) {
      if (value !== undefined && value !== null && typeof value !== 'string') {
        return validationError(caller, `${name} must be a string`);
      }
    }

    const sessionId = newSessionId(caller.now);
    const at = new Date(caller.now).toISOString();
    const channelId = (conversation.channelId as string | undefined) || 'default';
    const session: Session = {
      sessionId,
      partnerId: caller.partnerId,
      tenantId: `${caller.partnerId}-tenant`,
      actor: { actorId: actor.actorId, timezoneOffsetMinutes: typeof offset === 'number' ? offset : null },
      workspaceId: (channel.workspaceId as string | undefined) ?? null,
      conversation: {
        id: (conversation.id as string | undefined) || `${channelId}:${sessionId}`,
        channelId,
        threadTs: (conversation.threadTs as string | undefined) || sessionId,
      },
      createdAt: at,
      updatedAt: at,
      events: [],
      idempotent: new Map(),
      query: {},
      shortlist: [],
      offered: new Map(),
    };
    this.world.sessions.set(sessionId, session);
    return { status: 200, body: { data: sessionSnapshot(session) } };
  }

  getSession(caller: Caller, sessionId: string): ApiAnswer {
    if (sessionId === '') return gatewayError(caller, 400, 'invalid_request', 'sessionId is required');
    const session = this.ownSession(caller, sessionId);
    if (!session) return sessionNotFound(caller, sessionId);
    return {
      status: 200,
      body: {
        data: {
          sessionId: session.sessionId,
          tenantId: session.tenantId,
          actor: { actorId: session.actor.actorId },
          events: session.events.map((e) => ({ ...e })),
          // Beyond the documented minimum, as the real snapshot is "current session state".
          channel: { type: 'partner_api', workspaceId: session.workspaceId },
          conversation: { ...session.conversation },
          createdAt: session.createdAt,
          updatedAt: session.updatedAt,
        },
      },
    };
  }

  sendEvent(caller: Caller, rawBody: string): ApiAnswer {
    const parsed = parseJson(rawBody);
    if (!parsed.ok || !isRecord(parsed.value)) return validationError(caller, 'Invalid JSON payload');
    const body = parsed.value;
    const { sessionId, text, kind, payload, idempotencyKey, actor } = body;
    if (typeof sessionId !== 'string' || sessionId.trim() === '') return validationError(caller, 'sessionId is required');
    if (text !== undefined && typeof text !== 'string') return validationError(caller, 'text must be a string');
    if (kind !== undefined && typeof kind !== 'string') return validationError(caller, 'kind must be a string');
    if ((text === undefined || text.trim() === '') && (kind === undefined || kind === '')) {
      return validationError(caller, 'text or kind is required');
    }
    if (payload !== undefined && payload !== null && !isRecord(payload)) return validationError(caller, 'payload must be an object');
    if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || idempotencyKey === '')) {
      return validationError(caller, 'idempotencyKey must be a non-empty string');
    }
    if (kind && isWriteKind(kind) && idempotencyKey === undefined) {
      return validationError(caller, `idempotencyKey is required for kind=${kind}`);
    }
    if (actor !== undefined && !isRecord(actor)) return validationError(caller, 'actor must be an object');

    const session = this.ownSession(caller, sessionId);
    if (!session) return sessionNotFound(caller, sessionId);
    if (actor && actor.actorId !== undefined && actor.actorId !== session.actor.actorId) {
      return validationError(caller, `actor.actorId does not match the session owner (${session.actor.actorId}).`, 409);
    }

    // A repeated key answers exactly as the first time and changes nothing.
    if (typeof idempotencyKey === 'string') {
      const stored = session.idempotent.get(idempotencyKey);
      if (stored) return stored;
    }

    let outcome;
    try {
      outcome = runTurn(
        { world: this.world, session, now: caller.now, publicBase: caller.publicBase, setupTokenTtlMs: caller.setupTokenTtlMs },
        { ...(text === undefined ? {} : { text }), ...(kind ? { kind } : {}), payload: isRecord(payload) ? payload : {} },
      );
    } catch (error) {
      if (error instanceof TurnRejected) return validationError(caller, error.message);
      throw error;
    }

    const eventId = this.nextEventId(caller.now);
    const recordedAt = new Date(caller.now).toISOString();
    session.events.push({ eventId, kind: outcome.eventKind, resultStatus: outcome.status, recordedAt });
    session.updatedAt = recordedAt;
    const answer: ApiAnswer = {
      status: 200,
      body: {
        data: {
          sessionId,
          event: { id: eventId, kind: outcome.eventKind },
          result: {
            traceId: [session.tenantId, 'partner_api', session.conversation.channelId, sessionId, eventId].join(':'),
            status: outcome.status,
            message: { text: outcome.message },
            ...(outcome.artifacts ? { artifacts: outcome.artifacts } : {}),
          },
        },
      },
    };
    if (typeof idempotencyKey === 'string') session.idempotent.set(idempotencyKey, answer);
    return answer;
  }

  /** Another partner's session is indistinguishable from a missing one. */
  private ownSession(caller: Caller, sessionId: string): Session | undefined {
    const session = this.world.sessions.get(sessionId);
    return session && session.partnerId === caller.partnerId ? session : undefined;
  }
}

function sessionNotFound(caller: Caller, sessionId: string): ApiAnswer {
  return gatewayError(caller, 404, 'session_not_found', 'Session not found.', { sessionId });
}

function sessionSnapshot(session: Session) {
  return {
    sessionId: session.sessionId,
    tenantId: session.tenantId,
    channel: { type: 'partner_api', workspaceId: session.workspaceId },
    conversation: { ...session.conversation },
    actor: { ...session.actor },
    createdAt: session.createdAt,
    updatedAt: session.updatedAt,
    events: session.events.map((e) => ({ ...e })),
  };
}
