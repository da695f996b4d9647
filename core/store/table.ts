// The one DynamoDB table, defined once: its key schema, stream and TTL attribute are used by the
// tests, the local stack and sst.config.ts alike.
//
// Single-table layout: every record of one traveller in one conversation shares a partition key,
// so the table's stream delivers that thread's turns in order.
//   pk = T#{actorId}#{conversationId}
//   sk = THREAD             the thread: its Brek session, turn lease and recent turn outcomes
//   sk = IN#{dedupeKey}     one inbox record per channel message (dedupe + durable enqueue)
// and, for a workspace that left, pk = ERASE#{channel}:{workspace}: / sk = ERASE#{request}#{part}.
//
// One global secondary index, by owner, so erasure reads only what it deletes (no Scan): every
// thread and inbox item carries ownerPk = its actor's workspace (`slack:T123:`, `teams:{tenant}:`)
// or, for an actor with none (WhatsApp), the actor id; and ownerSk = `{actorId}#{pk}#{sk}`. A
// workspace's items are one Query on ownerPk; one traveller's, the same with begins_with on
// ownerSk. The inbox write and the thread claim set both, in the write they make anyway.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
/** Epoch seconds; DynamoDB TTL deletes lazily, so every read also checks it. */
export const TTL_ATTRIBUTE = 'expiresAt';
export const THREAD_SK = 'THREAD';
export const INBOX_SK_PREFIX = 'IN#';
/** A workspace's erase request (core/workspace-erase.ts), under `pk = ERASE#{channel}:{workspace}:`. */
export const ERASE_SK_PREFIX = 'ERASE#';
/** The items whose INSERT wakes the worker, off the table's stream: messages and erase requests. */
export const WORK_SK_PREFIXES = [INBOX_SK_PREFIX, ERASE_SK_PREFIX] as const;

/** The index by owner: keys only (erasure needs nothing else), sparse (only travellers' items). */
export const OWNER_INDEX = { name: 'byOwner', partitionKey: 'ownerPk', sortKey: 'ownerSk' } as const;

/** `slack:T123:` for `slack:T123:U1`; undefined for an actor of no workspace (`whatsapp:…`). */
export function workspacePrefixOf(actorId: string): string | undefined {
  const parts = actorId.split(':');
  return parts.length >= 3 ? `${parts[0]}:${parts[1]}:` : undefined;
}

/** The index key of one of an actor's items (see the layout above). */
export function ownerKey(actorId: string, key: ItemKey): { ownerPk: string; ownerSk: string } {
  return { ownerPk: workspacePrefixOf(actorId) ?? actorId, ownerSk: `${actorId}#${key.pk}#${key.sk}` };
}

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      { AttributeName: OWNER_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: OWNER_INDEX.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: OWNER_INDEX.name,
        KeySchema: [
          { AttributeName: OWNER_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: OWNER_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  };
}

export function threadPk(actorId: string, conversationId: string): string {
  return `T#${actorId}#${conversationId}`;
}

export interface ItemKey {
  pk: string;
  sk: string;
}

export function documentClient(options: { endpoint?: string; region?: string } = {}): DynamoDBDocumentClient {
  const config: DynamoDBClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: 4,
  };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    // A local DynamoDB-compatible server accepts any signature; the SDK still wants credentials.
    if (!process.env.AWS_ACCESS_KEY_ID) config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** Creates the table when it is missing and waits until it is ACTIVE (local stack and tests). */
export async function ensureTable(client: DynamoDBDocumentClient, tableName: string): Promise<'created' | 'existed'> {
  let created: 'created' | 'existed' = 'existed';
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(tableDefinition(tableName)));
      created = 'created';
    } catch (raced) {
      // Another process created it in between: fine.
      if ((raced as { name?: string }).name !== 'ResourceInUseException') throw raced;
    }
  }
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return created;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
