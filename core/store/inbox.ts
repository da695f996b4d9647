// Inbox records: one per channel message. `accept` is the ingress's one and only DynamoDB call —
// a conditional PutItem that both dedupes (a retried delivery finds the record) and durably
// enqueues (the stream hands the new record to the worker). The worker then moves the record
// received → processing → replied | failed, under a short lease so two workers never both reply.
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { EventResult } from '../brek/results.ts';
import type { InboundTurn } from '../inbound.ts';
import { redactCardNumbers } from '../pci.ts';
import { epochSeconds, INBOX_SK_PREFIX, threadPk, type ItemKey } from './table.ts';

export type InboxState = 'received' | 'processing' | 'replied' | 'failed' | 'ignored';

/** Far past Slack's last retry (~5 min) and Twilio's; DESIGN.md asks for at least 24 h. */
export const INBOX_TTL_MS = 48 * 3_600_000;

/** The Brek outcome kept on the record, so a reply that failed to send is re-sent, not re-asked. */
export interface StoredBrekResult {
  sessionId: string;
  requestId?: string;
  result: EventResult;
}

export interface InboxRecord extends ItemKey, InboundTurn {
  type: 'inbox';
  dedupeKey: string;
  receivedAt: string;
  state: InboxState;
  attempts: number;
  /** True when the ingress removed a card number from the text before storing it. */
  cardNumberRemoved?: boolean;
  leaseUntil?: number;
  lastError?: string;
  brek?: StoredBrekResult;
  replyStatus?: string;
  repliedAt?: string;
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
  async accept(turn: InboundTurn): Promise<{ outcome: 'accepted' | 'duplicate'; key: ItemKey }> {
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
    const record: InboxRecord = {
      ...turn,
      ...key,
      type: 'inbox',
      input,
      dedupeKey: turn.dedupeKey ?? turn.channelMessageId,
      receivedAt: turn.receivedAt ?? new Date(now).toISOString(),
      state: 'received',
      attempts: 0,
      expiresAt: epochSeconds(now + INBOX_TTL_MS),
      ...(cardNumberRemoved ? { cardNumberRemoved } : {}),
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          // An expired record that TTL has not yet deleted counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': epochSeconds(now) },
        }),
      );
      return { outcome: 'accepted', key };
    } catch (error) {
      if (isConditionFailure(error)) return { outcome: 'duplicate', key };
      throw error;
    }
  }

  async get(key: ItemKey): Promise<InboxRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const record = Item as InboxRecord | undefined;
    return record && record.expiresAt >= epochSeconds(this.now()) ? record : undefined;
  }

  /**
   * Takes the record for processing: only if it is not replied, not held by another worker's
   * lease, and (unless replaying) not failed. Otherwise says why it is not ours to process.
   */
  async claim(
    key: ItemKey,
    options: { leaseMs: number; replayFailed?: boolean },
  ): Promise<{ record: InboxRecord } | { record?: undefined; reason: 'done' | 'held' | 'missing' }> {
    const now = this.now();
    const states = options.replayFailed ? ['received', 'processing', 'failed'] : ['received', 'processing'];
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #state = :processing, attempts = attempts + :one, leaseUntil = :until',
          ConditionExpression:
            'attribute_exists(pk) AND expiresAt >= :nowSec AND #state IN (' +
            states.map((_, i) => `:s${i}`).join(', ') +
            ') AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':processing': 'processing',
            ':one': 1,
            ':until': now + options.leaseMs,
            ':now': now,
            ':nowSec': epochSeconds(now),
            ...Object.fromEntries(states.map((s, i) => [`:s${i}`, s])),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { record: Attributes as InboxRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.get(key);
      if (!current) return { reason: 'missing' };
      const finished = current.state === 'replied' || current.state === 'ignored' || (current.state === 'failed' && !options.replayFailed);
      return { reason: finished ? 'done' : 'held' };
    }
  }

  async saveBrekResult(key: ItemKey, brek: StoredBrekResult): Promise<void> {
    await this.update(key, 'SET brek = :brek', { ':brek': brek });
  }

  async markReplied(key: ItemKey, replyStatus: string): Promise<void> {
    await this.update(key, 'SET #state = :replied, replyStatus = :status, repliedAt = :at REMOVE leaseUntil, lastError', {
      ':replied': 'replied',
      ':status': replyStatus,
      ':at': new Date(this.now()).toISOString(),
    });
  }

  /** Nothing to answer (a thread reply meant for other people): no reply is owed. */
  async markIgnored(key: ItemKey, reason: string): Promise<void> {
    await this.update(key, 'SET #state = :ignored, replyStatus = :reason REMOVE leaseUntil', { ':ignored': 'ignored', ':reason': reason });
  }

  /** Failed stays visible and replayable; `replyStatus` says whether an apology went out. */
  async markFailed(key: ItemKey, lastError: string, replyStatus?: string): Promise<void> {
    await this.update(key, 'SET #state = :failed, lastError = :error, replyStatus = :status REMOVE leaseUntil', {
      ':failed': 'failed',
      ':error': lastError.slice(0, 1000),
      ':status': replyStatus ?? 'none',
    });
  }

  private async update(key: ItemKey, expression: string, values: Record<string, unknown>): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk)',
        ...(expression.includes('#state') ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
        ExpressionAttributeValues: values,
      }),
    );
  }
}
