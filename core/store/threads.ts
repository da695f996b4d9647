// One record per thread — (actor, conversation) — and it is the worker's whole state for that
// thread: the Brek session, what "2" and "YES" refer to, the turn lease, the opt-out flag, and the
// outcome of each recent turn. A turn writes this one item three times: `claimTurn` (a conditional
// update that takes the lease and returns the record), `beginDelivery` (the sending step, before the
// first post) and `finishTurn` (records the outcome, the session's new state and releases the lease).
// With the ingress's write and the turn's place in Brek's quota that is five DynamoDB requests per
// turn (docs/architecture.md), and one item to lock means no transactions are needed.
//
// The lease serialises a thread's turns even across overlapping Lambda invocations, so creating
// the Brek session under it cannot race: concurrent first turns end with exactly one session.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Channel } from '../identity.ts';
import type { Json } from '../inbound.ts';
import type { Logger } from '../log.ts';
import type { SendingStep } from './inbox.ts';
import { deleteKeys, eraseActor } from './erase.ts';
import { epochSeconds, ownerKey, THREAD_SK, threadPk, type ItemKey } from './table.ts';

export interface Thread {
  channel: Channel;
  actorId: string;
  conversationId: string;
}

/** `unknown`: the reply may have reached the traveller; the platform could not say (replay checks first). */
export type TurnState = 'replied' | 'failed' | 'ignored' | 'unknown';

/** What became of one turn, kept on its thread (so a re-delivery is skipped without a read). */
export interface TurnRecord {
  state: TurnState;
  /** The reply's status (e.g. `shortlist`, `bridge_apology`), or why nothing was said. */
  status: string;
  at: number;
  error?: string;
  /** Brek's `x-request-id` and `traceId` of the turn's answer, for tracing a complaint. */
  brekRequestId?: string;
  traceId?: string;
  /** The platform's ids of what was posted (Slack ts, activity ids, Message SIDs). */
  receipts?: string[];
  /** The attempt that wrote it: its own write, if the answer was lost and the SDK retried. */
  token?: string;
}

/** What the platform later said of a message the bridge sent (Twilio's status callbacks). */
export interface DeliveryStatus {
  /** The platform's id of the message (a receipt of some turn's outcome). */
  messageId: string;
  /** e.g. sent, delivered, read, failed, undelivered. */
  status: string;
  errorCode?: string;
  at: number;
}

/** Statuses kept per thread: the latest, enough for the turns a trace looks at. */
const STATUSES_KEPT = 50;
/** Cancelled bookings kept per thread: a card older than these shows its state as of its own reply. */
const CANCELLED_KEPT = 20;

export interface ThreadRecord extends ItemKey {
  type: 'thread';
  channel: Channel;
  actorId: string;
  conversationId: string;
  /** Outcomes of recent turns by dedupe key (the last TURNS_KEPT, none older than TURNS_KEPT_MS). */
  turns: Record<string, TurnRecord>;
  /** The turn that holds the thread, and until when (epoch ms). */
  leaseKey?: string;
  leaseUntil?: number;
  /** The holding attempt's own token: a claim retried after a lost answer recognises its lease. */
  leaseToken?: string;
  /** The `sending` step of the turn that holds (or last held) the thread: core/delivery.ts. */
  delivery?: SendingStep;
  sessionId?: string;
  createdAt?: string;
  lastUsedAt?: number;
  timezoneOffsetMinutes?: number;
  /** The traveller's IANA time zone, learnt with the session: every date the bridge shows is in it. */
  timeZone?: string;
  /** optionIds of the last shortlist, in order, so "2" can mean the second option. */
  shortlist?: string[];
  lastStatus?: string;
  /** The card of the last payment_confirmation_required, for "YES" replies. */
  paymentMethodId?: string;
  /** Bookings Brek said were cancelled in this thread (latest last, bounded): a card refresh shows it. */
  cancelledBookings?: string[];
  /** The channel's conversation reference of the latest turn, for messages the bridge starts. */
  reference?: { [key: string]: Json };
  /** The traveller said STOP in this conversation (WhatsApp: this number pair) and not START since. */
  optedOut?: boolean;
  /** The platform's word on messages the bridge sent here, oldest first (see recordDeliveryStatus). */
  deliveryStatuses?: DeliveryStatus[];
  expiresAt: number;
}

export type ActiveSession = ThreadRecord & { sessionId: string };

/** Re-deliveries stop well within this (a stream keeps records 24 h): older outcomes are dropped. */
const TURNS_KEPT_MS = 48 * 3_600_000;
const TURNS_KEPT = 100;

export type ClaimResult =
  | { thread: ThreadRecord }
  /** done: answered already; held: another invocation has it; unknown: no conversation here yet. */
  | { thread?: undefined; reason: 'done' | 'held' | 'unknown_thread' };

/** What a finished turn changes on its thread, besides its outcome. */
export interface ThreadUpdate {
  /** A Brek session created during the turn. */
  session?: { sessionId: string; timezoneOffsetMinutes?: number; timeZone?: string };
  /** Brek answered: the session stays alive and remembers what the answer offered. */
  answered?: { status: string; shortlist?: string[]; paymentMethodId?: string; cancelledBookingId?: string };
  reference?: { [key: string]: Json };
  optedOut?: boolean;
}

export function threadKey(thread: Pick<Thread, 'actorId' | 'conversationId'>): ItemKey {
  return { pk: threadPk(thread.actorId, thread.conversationId), sk: THREAD_SK };
}

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

export class ThreadStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** A session unused this long is replaced by a new one. */
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(thread: Pick<Thread, 'actorId' | 'conversationId'>): Promise<ThreadRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: threadKey(thread), ConsistentRead: true }));
    return Item as ThreadRecord | undefined;
  }

  /** The thread's Brek session if it may still be used (it exists, is not idle, is not `stale`). */
  liveSession(record: ThreadRecord | undefined, staleSessionId?: string): ActiveSession | undefined {
    const live =
      record?.sessionId !== undefined && record.sessionId !== staleSessionId && (record.lastUsedAt ?? 0) + this.idleMs > this.now();
    return live ? (record as ActiveSession) : undefined;
  }

  /**
   * Takes the thread for one turn: only if no other turn holds it and this turn has no outcome
   * yet (or a failed one, when replaying). `knownThreadOnly` also requires a Brek session there.
   * One conditional update; only a refused claim costs a read, to say why.
   */
  async claimTurn(
    thread: Thread,
    dedupeKey: string,
    options: { leaseMs: number; token: string; replayFailed?: boolean; knownThreadOnly?: boolean },
  ): Promise<ClaimResult> {
    const now = this.now();
    const conditions = [
      // Our own token: this attempt's earlier claim was applied but its answer lost (the SDK retried).
      '(attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseToken = :token)',
      options.replayFailed
        ? '(attribute_not_exists(turns.#turn) OR turns.#turn.#state IN (:failed, :unknown))'
        : 'attribute_not_exists(turns.#turn)',
      ...(options.knownThreadOnly ? ['attribute_exists(sessionId)'] : []),
    ];
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: threadKey(thread),
          UpdateExpression:
            'SET leaseKey = :turn, leaseUntil = :until, leaseToken = :token, #type = :type, #channel = :channel, actorId = :actorId, ' +
            'conversationId = :conversationId, turns = if_not_exists(turns, :noTurns), expiresAt = if_not_exists(expiresAt, :expires), ' +
            // The owner index's key (store/erase.ts), on the claim the turn makes anyway: a thread
            // written before the index existed is indexed at its next turn.
            'ownerPk = :ownerPk, ownerSk = :ownerSk',
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: {
            '#turn': dedupeKey,
            '#type': 'type',
            '#channel': 'channel',
            ...(options.replayFailed ? { '#state': 'state' } : {}),
          },
          ExpressionAttributeValues: {
            ':turn': dedupeKey,
            ':token': options.token,
            ':until': now + options.leaseMs,
            ':now': now,
            ':type': 'thread',
            ':channel': thread.channel,
            ':actorId': thread.actorId,
            ':conversationId': thread.conversationId,
            ':noTurns': {},
            ':expires': this.expiry(now),
            ...ownerValues(thread.actorId, threadKey(thread)),
            ...(options.replayFailed ? { ':failed': 'failed', ':unknown': 'unknown' } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { thread: Attributes as ThreadRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.get(thread);
      const outcome = current?.turns?.[dedupeKey];
      if (outcome && !(options.replayFailed && (outcome.state === 'failed' || outcome.state === 'unknown'))) return { reason: 'done' };
      // The only other condition that can fail is the known-thread one; when in doubt, retry later.
      const unknown = options.knownThreadOnly && !current?.sessionId && !(current?.leaseUntil !== undefined && current.leaseUntil >= now);
      return { reason: unknown ? 'unknown_thread' : 'held' };
    }
  }

  /**
   * The `sending` step: the reply about to be delivered, kept on the thread before the first post
   * (core/delivery.ts). Only while this attempt holds the lease; false when it no longer does
   * (outlived, or the thread was erased meanwhile: an uninstall, "forget me") — then nothing is sent.
   */
  /**
   * Holds the thread longer (a turn waiting for Brek's quota): only while this attempt holds it,
   * and never shorter than it already is. False when the lease is no longer this attempt's.
   */
  async extendLease(claimed: Pick<ThreadRecord, 'actorId' | 'conversationId'>, token: string, until: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: threadKey(claimed),
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: 'leaseToken = :token AND leaseUntil < :until',
          ExpressionAttributeValues: { ':until': until, ':token': token },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Already held that long (a retried write whose answer was lost), or taken by another attempt.
      const current = await this.get(claimed);
      return current?.leaseToken === token;
    }
  }

  async beginDelivery(claimed: ThreadRecord, token: string, journal: SendingStep): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: threadKey(claimed),
          UpdateExpression: 'SET delivery = :journal',
          ConditionExpression: 'leaseToken = :token',
          ExpressionAttributeValues: { ':journal': journal, ':token': token },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Records the turn's outcome and what it changed, and releases the lease — only while this
   * attempt still holds it (a turn that outlived its lease must not overwrite its successor's
   * work), or when this very write was applied already and only its answer was lost.
   */
  async finishTurn(claimed: ThreadRecord, dedupeKey: string, token: string, outcome: Omit<TurnRecord, 'at' | 'token'>, update: ThreadUpdate = {}): Promise<boolean> {
    const now = this.now();
    const changes = new Map<string, unknown>();
    const removes = new Set(['leaseKey', 'leaseUntil', 'leaseToken', 'delivery']);
    if (update.session) {
      changes.set('sessionId', update.session.sessionId).set('createdAt', new Date(now).toISOString()).set('lastUsedAt', now);
      if (update.session.timezoneOffsetMinutes !== undefined) changes.set('timezoneOffsetMinutes', update.session.timezoneOffsetMinutes);
      if (update.session.timeZone !== undefined) changes.set('timeZone', update.session.timeZone);
      // A new session has offered nothing yet.
      for (const stale of ['shortlist', 'lastStatus', 'paymentMethodId']) removes.add(stale);
    }
    if (update.answered) {
      changes.set('lastUsedAt', now).set('lastStatus', update.answered.status);
      if (update.answered.shortlist) changes.set('shortlist', update.answered.shortlist);
      if (update.answered.paymentMethodId) changes.set('paymentMethodId', update.answered.paymentMethodId);
      else removes.add('paymentMethodId');
      const cancelled = update.answered.cancelledBookingId;
      if (cancelled) changes.set('cancelledBookings', [...(claimed.cancelledBookings ?? []).filter((id) => id !== cancelled), cancelled].slice(-CANCELLED_KEPT));
    }
    if (update.reference) changes.set('reference', update.reference);
    if (update.optedOut === true) changes.set('optedOut', true);
    if (update.optedOut === false) removes.add('optedOut');
    // Bounded: statuses arrive without a lease, so only a finishing turn trims them (one may be lost then: informational).
    if ((claimed.deliveryStatuses?.length ?? 0) > STATUSES_KEPT) changes.set('deliveryStatuses', claimed.deliveryStatuses!.slice(-STATUSES_KEPT));
    const names: Record<string, string> = { '#turn': dedupeKey, '#token': 'token' };
    const values: Record<string, unknown> = {
      ':outcome': { ...outcome, token, at: now, ...(outcome.error ? { error: outcome.error.slice(0, 300) } : {}) },
      ':expires': this.expiry(now),
      ':token': token,
    };
    const sets = ['turns.#turn = :outcome', 'expiresAt = :expires'];
    for (const [attribute, value] of changes) {
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
      sets.push(`#${attribute} = :${attribute}`);
      removes.delete(attribute);
    }
    // Forget outcomes too old or too many to matter (no transaction: this item is ours under the lease).
    const old = Object.entries(claimed.turns ?? {})
      .filter(([key]) => key !== dedupeKey)
      .sort(([, a], [, b]) => b.at - a.at)
      .filter(([, turn], index) => index >= TURNS_KEPT - 1 || turn.at < now - TURNS_KEPT_MS);
    old.forEach(([key], i) => {
      names[`#old${i}`] = key;
      removes.add(`turns.#old${i}`);
    });
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: threadKey(claimed),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${[...removes].join(', ')}`,
          ConditionExpression: 'leaseToken = :token OR turns.#turn.#token = :token',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Lets the next delivery take the thread at once after a turn crashed (best effort). */
  async releaseTurn(thread: Pick<Thread, 'actorId' | 'conversationId'>, token: string): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: threadKey(thread),
          UpdateExpression: 'REMOVE leaseKey, leaseUntil, leaseToken',
          ConditionExpression: 'leaseToken = :token',
          ExpressionAttributeValues: { ':token': token },
        }),
      )
      .catch(() => undefined);
  }

  /**
   * Deletes every item of the actor — each conversation's thread and every message — except
   * `except` (store/erase.ts); returns how many. For "forget me" (core/turn.ts).
   */
  async eraseActor(actorId: string, options: { except?: ItemKey[]; logger?: Logger } = {}): Promise<number> {
    return eraseActor(this.db, this.tableName, actorId, options);
  }

  /** Deletes these items (the forget turn's own thread and message, once it has answered). */
  async deleteItems(keys: ItemKey[]): Promise<void> {
    await deleteKeys(this.db, this.tableName, keys);
  }

  private expiry(now: number): number {
    // Outlives both an idle session and the turn outcomes it keeps.
    return epochSeconds(now + Math.max(this.idleMs, TURNS_KEPT_MS)) + 86_400;
  }
}

/**
 * The platform's status for a message the bridge sent in this thread: appended, never creating a
 * thread (a callback for a conversation that is gone, or was never ours, changes nothing). One
 * UpdateItem: what an ingress may spend on a request.
 */
export async function recordDeliveryStatus(db: DynamoDBDocumentClient, tableName: string, thread: Pick<Thread, 'actorId' | 'conversationId'>, status: DeliveryStatus): Promise<boolean> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: threadKey(thread),
        UpdateExpression: 'SET deliveryStatuses = list_append(if_not_exists(deliveryStatuses, :none), :status)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':none': [], ':status': [status] },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

function ownerValues(actorId: string, key: ItemKey): { ':ownerPk': string; ':ownerSk': string } {
  const owner = ownerKey(actorId, key);
  return { ':ownerPk': owner.ownerPk, ':ownerSk': owner.ownerSk };
}
