// The Content resources the bridge sends interactive messages with: one per shape (render.ts
// contentDefinition), created once through Twilio's Content API and its ContentSid kept in the
// table (one item per shape), read before anything is created. Two workers racing for a new shape
// each create one; the first write wins, the loser deletes its own and uses the winner's.
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContentCreateRequest } from 'twilio/lib/rest/content/v1/content.js';
import type { Logger } from '../../core/log.ts';
import { contentDefinition } from './render.ts';
import type { TwilioRest } from './twilio-client.ts';

/** Where the shapes' SIDs live: a partition of the bridge's own, never a thread's. */
export const CONTENT_PK = 'CHANNEL#whatsapp';
const contentSk = (shape: string) => `CONTENT#${shape}`;

const isConditionFailure = (error: unknown) => error instanceof Error && error.name === 'ConditionalCheckFailedException';

export class ContentCatalog {
  /** SIDs known to this process: a shape's resource never changes, so it is read once. */
  private readonly known = new Map<string, Promise<string>>();

  constructor(
    private readonly client: TwilioRest,
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly logger?: Logger,
  ) {}

  /** The shape's ContentSid: cached, else stored, else created now. Throws when Twilio refuses. */
  sidFor(shape: string): Promise<string> {
    let sid = this.known.get(shape);
    if (!sid) {
      sid = this.resolve(shape);
      // A failure is not remembered: the next message tries again.
      sid.catch(() => this.known.delete(shape));
      this.known.set(shape, sid);
    }
    return sid;
  }

  /** Forget a SID Twilio no longer knows (21655): the next message creates the resource again. */
  async forget(shape: string, sid: string): Promise<void> {
    this.known.delete(shape);
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: { pk: CONTENT_PK, sk: contentSk(shape), gone: sid }, ConditionExpression: 'contentSid = :sid', ExpressionAttributeValues: { ':sid': sid } }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async resolve(shape: string): Promise<string> {
    const key = { pk: CONTENT_PK, sk: contentSk(shape) };
    const stored = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const existing = stored.Item?.contentSid;
    if (typeof existing === 'string') return existing;
    const definition = contentDefinition(shape);
    if (!definition) throw new Error(`no Content definition for shape ${shape}`);
    // The client's type names the JSON fields in camelCase but sends the object as it is: Twilio's names go.
    const created = await this.client.content.v1.contents.create(definition as unknown as ContentCreateRequest);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, contentSid: created.sid, createdAt: new Date().toISOString() },
          // Written once; a forgotten SID (`gone`) may be replaced.
          ConditionExpression: 'attribute_not_exists(contentSid)',
        }),
      );
      this.logger?.info('whatsapp content created', { shape, contentSid: created.sid });
      return created.sid;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Another worker stored its resource first: use that one, and take ours away.
      const winner = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      await this.client.content.v1.contents(created.sid).remove().catch(() => undefined);
      const sid = winner.Item?.contentSid;
      if (typeof sid !== 'string') throw new Error(`content for ${shape} vanished while it was stored`);
      return sid;
    }
  }
}
