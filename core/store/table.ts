// The one DynamoDB table, defined once: its key schema, stream and TTL attribute are used by the
// tests, the local stack and sst.config.ts alike.
//
// Single-table layout: every record of one traveller in one conversation shares a partition key,
// so the table's stream delivers that thread's turns in order.
//   pk = T#{actorId}#{conversationId}
//   sk = THREAD             the thread: its Brek session, turn lease and recent turn outcomes
//   sk = IN#{dedupeKey}     one inbox record per channel message (dedupe + durable enqueue)
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

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
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
