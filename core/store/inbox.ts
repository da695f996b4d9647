// Inbox records: one per channel message. `accept` is the ingress's one and only DynamoDB call —
// a conditional PutItem that both dedupes (a retried delivery finds the record) and durably
// enqueues (the stream hands the new record, image included, to the worker). The record is then
// left alone on the happy path: the turn's outcome lives on its thread (store/threads.ts). Only a
// failed turn writes here too, so what went wrong — and a Brek answer that could not be
// delivered — stays next to the message for the replay tool.
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { EventResult } from '../brek/results.ts';
import type { InboundTurn } from '../inbound.ts';
import { redactCardNumbers } from '../pci.ts';
import { epochSeconds, INBOX_SK_PREFIX, threadPk, type ItemKey } from './table.ts';

export type InboxState = 'received' | 'failed';

/** Far past Slack's last retry (~5 min) and Twilio's; DESIGN.md asks for at least 24 h. */
export const INBOX_TTL_MS = 48 * 3_600_000;

/** A Brek answer that could not be delivered, kept so a replay re-sends it instead of re-asking. */
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
  /** True when the ingress removed a card number from the text before storing it. */
  cardNumberRemoved?: boolean;
  lastError?: string;
  brek?: StoredBrekResult;
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
    const record: InboxRecord = {
      ...turn,
      ...key,
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
          Item: record,
          // An expired record that TTL has not yet deleted counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': epochSeconds(now) },
        }),
      );
      return { outcome: 'accepted', key, record };
    } catch (error) {
      if (isConditionFailure(error)) return { outcome: 'duplicate', key, record };
      throw error;
    }
  }

  async get(key: ItemKey): Promise<InboxRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const record = Item as InboxRecord | undefined;
    return record && record.expiresAt >= epochSeconds(this.now()) ? record : undefined;
  }

  /** Failed stays visible and replayable; `replyStatus` says whether an apology went out. */
  async markFailed(key: ItemKey, failure: { error: string; replyStatus?: string; brek?: StoredBrekResult }): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `SET #state = :failed, lastError = :error, replyStatus = :status${failure.brek ? ', brek = :brek' : ''}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':error': failure.error.slice(0, 1000),
          ':status': failure.replyStatus ?? 'none',
          ...(failure.brek ? { ':brek': failure.brek } : {}),
        },
      }),
    );
  }
}
