// One Brek session per (actor, conversation). Creating one is a claim-then-create: a conditional
// write claims the right to call POST /sessions, so concurrent first turns end with exactly one
// Brek session (the others wait and adopt it). Idle sessions and sessions Brek has lost are
// replaced the same way, the claim conditioned on the record's version.
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../identity.ts';
import type { Json } from '../inbound.ts';
import { epochSeconds, SESSION_SK, threadPk, type ItemKey } from './table.ts';

export interface Thread {
  channel: Channel;
  actorId: string;
  conversationId: string;
}

export interface SessionRecord extends ItemKey {
  type: 'session';
  channel: Channel;
  actorId: string;
  conversationId: string;
  state: 'creating' | 'active';
  /** Bumped by every claim: the optimistic lock for replacing a session. */
  version: number;
  sessionId?: string;
  leaseOwner?: string;
  leaseUntil?: number;
  createdAt?: string;
  lastUsedAt?: number;
  timezoneOffsetMinutes?: number;
  /** optionIds of the last shortlist, in order, so "2" can mean the second option. */
  shortlist?: string[];
  lastStatus?: string;
  /** The card of the last payment_confirmation_required, for "YES" replies. */
  paymentMethodId?: string;
  /** The channel's conversation reference of the latest turn, for messages the bridge starts. */
  reference?: { [key: string]: Json };
  expiresAt: number;
}

export type ActiveSession = SessionRecord & { sessionId: string };

export interface SessionPolicy {
  idleMs: number;
  /** How long a claim may take to create the session before others may take it over. */
  leaseMs: number;
  /** How long a turn waits for another turn's claim to finish. */
  waitMs: number;
}

export class SessionBusyError extends Error {}

/** A traveller who said STOP: kept per actor until they say START. */
export function optOutKey(actorId: string): ItemKey {
  return { pk: `OPTOUT#${actorId}`, sk: 'OPTOUT' };
}

export interface CreatedSession {
  sessionId: string;
  timezoneOffsetMinutes?: number;
}

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function sessionKey(thread: Thread): ItemKey {
  return { pk: threadPk(thread.actorId, thread.conversationId), sk: SESSION_SK };
}

export class SessionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly policy: SessionPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  async get(thread: Thread): Promise<SessionRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: sessionKey(thread), ConsistentRead: true }));
    return Item as SessionRecord | undefined;
  }

  private usable(record: SessionRecord | undefined, notSessionId?: string): record is ActiveSession {
    return (
      record?.state === 'active' &&
      typeof record.sessionId === 'string' &&
      record.sessionId !== notSessionId &&
      (record.lastUsedAt ?? 0) + this.policy.idleMs > this.now()
    );
  }

  /**
   * The thread's live session, creating it with `create` when there is none, it has been idle
   * too long, or it is `staleSessionId` (Brek answered session_not_found for it).
   */
  async getOrCreate(
    thread: Thread,
    create: () => Promise<CreatedSession>,
    options: { staleSessionId?: string; known?: SessionRecord } = {},
  ): Promise<ActiveSession & { created: boolean }> {
    const deadline = this.now() + this.policy.waitMs;
    for (let round = 0; ; round++) {
      // The caller's fresh read saves the first one; every retry reads again.
      const current = round === 0 && options.known ? options.known : await this.get(thread);
      if (this.usable(current, options.staleSessionId)) return { ...current, created: false };
      const now = this.now();
      const claimHeld = current?.state === 'creating' && (current.leaseUntil ?? 0) > now;
      if (!claimHeld) {
        const won = await this.claim(thread, current);
        if (won) return { ...(await this.createUnderClaim(thread, won, create)), created: true };
      }
      if (now > deadline) throw new SessionBusyError('timed out waiting for another turn to create the session');
      await sleep(Math.min(500, 25 * 2 ** Math.min(round, 4)) * (0.5 + Math.random()));
    }
  }

  /** Conditional write: succeeds for exactly one contender per version of the record. */
  private async claim(thread: Thread, current: SessionRecord | undefined) {
    const now = this.now();
    const owner = randomUUID();
    const version = (current?.version ?? 0) + 1;
    const record: SessionRecord = {
      ...sessionKey(thread),
      type: 'session',
      channel: thread.channel,
      actorId: thread.actorId,
      conversationId: thread.conversationId,
      state: 'creating',
      version,
      leaseOwner: owner,
      leaseUntil: now + this.policy.leaseMs,
      expiresAt: epochSeconds(now + this.policy.idleMs) + 86_400,
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: current ? 'version = :version' : 'attribute_not_exists(pk)',
          ...(current ? { ExpressionAttributeValues: { ':version': current.version } } : {}),
        }),
      );
      return { owner, version };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  private async createUnderClaim(thread: Thread, claim: { owner: string; version: number }, create: () => Promise<CreatedSession>): Promise<ActiveSession> {
    let created: CreatedSession;
    try {
      created = await create();
    } catch (error) {
      // Let the next turn claim at once instead of waiting out the lease.
      await this.db
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: sessionKey(thread),
            UpdateExpression: 'SET leaseUntil = :zero',
            ConditionExpression: 'leaseOwner = :owner',
            ExpressionAttributeValues: { ':zero': 0, ':owner': claim.owner },
          }),
        )
        .catch(() => undefined);
      throw error;
    }
    const now = this.now();
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: sessionKey(thread),
        UpdateExpression:
          'SET #state = :active, sessionId = :sessionId, createdAt = :createdAt, lastUsedAt = :now, shortlist = :empty, expiresAt = :expires' +
          (created.timezoneOffsetMinutes === undefined ? '' : ', timezoneOffsetMinutes = :tz') +
          ' REMOVE leaseOwner, leaseUntil, lastStatus, paymentMethodId',
        ConditionExpression: 'leaseOwner = :owner AND version = :version',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':active': 'active',
          ':sessionId': created.sessionId,
          ...(created.timezoneOffsetMinutes === undefined ? {} : { ':tz': created.timezoneOffsetMinutes }),
          ':createdAt': new Date(now).toISOString(),
          ':now': now,
          ':empty': [],
          ':expires': epochSeconds(now + this.policy.idleMs) + 86_400,
          ':owner': claim.owner,
          ':version': claim.version,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as ActiveSession;
  }

  async optedOut(actorId: string): Promise<boolean> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: optOutKey(actorId), ConsistentRead: true }));
    return Item !== undefined;
  }

  async setOptOut(actorId: string, optedOut: boolean): Promise<void> {
    if (optedOut) {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...optOutKey(actorId), type: 'optout', since: new Date(this.now()).toISOString() } }));
    } else {
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: optOutKey(actorId) }));
    }
  }

  /** Records a turn on the session: it stays alive, and remembers what "2" or "YES" refer to. */
  async touch(
    thread: Thread,
    sessionId: string,
    turn: { status: string; reference: { [key: string]: Json }; shortlist?: string[]; paymentMethodId?: string },
  ): Promise<void> {
    const now = this.now();
    const sets = ['lastUsedAt = :now', 'lastStatus = :status', 'expiresAt = :expires', '#reference = :reference'];
    const removes: string[] = [];
    const values: Record<string, unknown> = {
      ':now': now,
      ':status': turn.status,
      ':expires': epochSeconds(now + this.policy.idleMs) + 86_400,
      ':sessionId': sessionId,
      ':reference': turn.reference,
    };
    if (turn.shortlist) {
      sets.push('shortlist = :shortlist');
      values[':shortlist'] = turn.shortlist;
    }
    if (turn.paymentMethodId) {
      sets.push('paymentMethodId = :pm');
      values[':pm'] = turn.paymentMethodId;
    } else removes.push('paymentMethodId');
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sessionKey(thread),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          // A session replaced meanwhile keeps its own state.
          ConditionExpression: 'sessionId = :sessionId',
          ExpressionAttributeNames: { '#reference': 'reference' }, // a DynamoDB reserved word
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
