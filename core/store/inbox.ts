// Inbox records: one per channel message. `accept` is the ingress's one and only DynamoDB call —
// a conditional PutItem that both dedupes (a retried delivery finds the record) and durably
// enqueues (the stream hands the new record, image included, to the worker). The record is then
// left alone on the happy path: the turn's outcome lives on its thread (store/threads.ts). Only a
// failed turn writes here too, so what went wrong — and a Brek answer that could not be
// delivered — stays next to the message for the replay tool.
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { EventResult } from '../brek/results.ts';
import type { DeliveryJournal } from '../delivery.ts';
import type { InboundTurn } from '../inbound.ts';
import type { Reply } from '../reply.ts';
import { recordDeliveryStatus, threadKey, type DeliveryStatus, type ThreadRecord, type ThreadUpdate } from './threads.ts';
import { redactCardNumbers } from '../pci.ts';
import { requestWorkspaceErase, type WorkspaceEraseRecord } from '../workspace-erase.ts';
import { epochSeconds, INBOX_SK_PREFIX, ownerKey, threadPk, type ItemKey } from './table.ts';

/** `unknown`: the reply may have reached the traveller (the platform could not say). */
type InboxState = 'received' | 'failed' | 'unknown';

/** Far past Slack's last retry (~5 min) and Twilio's; the design asks for at least 24 h (docs/architecture.md). */
const INBOX_TTL_MS = 48 * 3_600_000;

/** A Brek answer that could not be delivered, kept so a replay re-sends it instead of re-asking. */
export interface StoredBrekResult {
  sessionId: string;
  requestId?: string;
  result: EventResult;
}

/**
 * A turn's `sending` step (core/delivery.ts): the reply as it is being delivered and what the
 * turn changes on its thread, so another attempt of the same turn finishes that very reply. The
 * thread holds it while the turn runs; a failed or unknown delivery leaves it here, for a replay.
 */
export interface SendingStep extends DeliveryJournal {
  reply: Reply;
  update?: ThreadUpdate;
  answer?: StoredBrekResult;
  /** Set when the reply is an apology: why the turn failed. */
  failure?: string;
  brekRequestId?: string;
}

export interface InboxRecord extends ItemKey, InboundTurn {
  type: 'inbox';
  dedupeKey: string;
  receivedAt: string;
  state: InboxState;
  /** True when the ingress removed a card number from the text before storing it. */
  cardNumberRemoved?: boolean;
  lastError?: string;
  brek?: StoredBrekResult;
  /** A delivery that failed or stayed unknown: what a replay resumes (checking what arrived first). */
  sending?: SendingStep;
  /** The ingress's own write: its answer lost, the SDK's retry of it recognises it (accept). */
  writeToken?: string;
  /** For a failed turn: the apology's status, or `none` when nothing reached the traveller. */
  replyStatus?: string;
  expiresAt: number;
}

export function inboxKey(turn: Pick<InboundTurn, 'actorId' | 'conversationId' | 'channelMessageId' | 'dedupeKey'>): ItemKey {
  return { pk: threadPk(turn.actorId, turn.conversationId), sk: `${INBOX_SK_PREFIX}${turn.dedupeKey ?? turn.channelMessageId}` };
}

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

export class InboxStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stores the turn once. A card number in the text is removed before the write (it must never
   * be stored); the record says so, and the worker tells the traveller to use the payment link.
   */
  async accept(turn: InboundTurn): Promise<{ outcome: 'accepted' | 'duplicate'; key: ItemKey; record: InboxRecord }> {
    const now = this.now();
    const key = inboxKey(turn);
    let input = turn.input;
    let cardNumberRemoved = false;
    if (input.type === 'text') {
      const redacted = redactCardNumbers(input.text);
      if (redacted.redacted) {
        input = { type: 'text', text: redacted.text };
        cardNumberRemoved = true;
      }
    }
    const writeToken = randomBytes(9).toString('base64url');
    const record: InboxRecord = {
      ...turn,
      ...key,
      writeToken,
      type: 'inbox',
      input,
      dedupeKey: turn.dedupeKey ?? turn.channelMessageId,
      receivedAt: turn.receivedAt ?? new Date(now).toISOString(),
      state: 'received',
      expiresAt: epochSeconds(now + INBOX_TTL_MS),
      ...(cardNumberRemoved ? { cardNumberRemoved } : {}),
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          // The owner index's key rides on the write the message needs anyway (store/erase.ts).
          Item: { ...record, ...ownerKey(turn.actorId, key) },
          // An expired record that TTL has not yet deleted counts as absent; our own token means the
          // SDK retried this very write after its answer was lost: it is ours, not a duplicate.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR writeToken = :token',
          ExpressionAttributeValues: { ':now': epochSeconds(now), ':token': writeToken },
        }),
      );
      return { outcome: 'accepted', key, record };
    } catch (error) {
      if (isConditionFailure(error)) return { outcome: 'duplicate', key, record };
      // The write may have been applied with its answer lost: a stored message must never be
      // answered 5xx (the platform would re-deliver it as a "duplicate" nobody works on).
      const stored = await this.get(key).catch(() => undefined);
      if (stored) return { outcome: stored.writeToken === writeToken ? 'accepted' : 'duplicate', key, record: stored.writeToken === writeToken ? record : stored };
      throw error;
    }
  }

  /** A workspace that left: one erase request stored, for the worker (core/workspace-erase.ts). */
  async requestWorkspaceErase(request: Parameters<typeof requestWorkspaceErase>[2]): Promise<{ outcome: 'accepted' | 'duplicate'; record: WorkspaceEraseRecord }> {
    return requestWorkspaceErase(this.db, this.tableName, request, this.now());
  }

  /** A platform's status callback for a message the bridge sent (never a turn): kept on its thread. */
  async noteDeliveryStatus(thread: Pick<InboundTurn, 'actorId' | 'conversationId'>, status: DeliveryStatus): Promise<boolean> {
    return recordDeliveryStatus(this.db, this.tableName, thread, status);
  }

  /** A thread's record as it stands, for an answer the ingress gives from it (a card refresh). */
  async thread(thread: Pick<InboundTurn, 'actorId' | 'conversationId'>): Promise<ThreadRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: threadKey(thread), ConsistentRead: true }));
    const record = Item as ThreadRecord | undefined;
    return record && record.expiresAt >= epochSeconds(this.now()) ? record : undefined;
  }

  async get(key: ItemKey): Promise<InboxRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const record = Item as InboxRecord | undefined;
    return record && record.expiresAt >= epochSeconds(this.now()) ? record : undefined;
  }

  /**
   * Failed (or unknown) stays visible and replayable; `replyStatus` says whether an apology went
   * out. False when the message is gone (erased by "forget me" or an uninstall): nothing is re-created.
   */
  async markFailed(key: ItemKey, failure: { state?: 'failed' | 'unknown'; error: string; replyStatus?: string; brek?: StoredBrekResult; sending?: SendingStep }): Promise<boolean> {
    const sets = ['#state = :state', 'lastError = :error', 'replyStatus = :status'];
    if (failure.brek) sets.push('brek = :brek');
    if (failure.sending) sets.push('sending = :sending');
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':state': failure.state ?? 'failed',
            ':error': failure.error.slice(0, 1000),
            ':status': failure.replyStatus ?? 'none',
            ...(failure.brek ? { ':brek': failure.brek } : {}),
            ...(failure.sending ? { ':sending': failure.sending } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
