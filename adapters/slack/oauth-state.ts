// The Slack install flow's state, single-use, in the one table: InstallProvider's `stateStore`.
// The SDK's own store (ClearStateStore) signs the state and checks its age only, so a captured
// state and its cookie install again, with a fresh code, for as long as the state is young.
// Here GET /slack/install stores each state it hands out, and GET /slack/oauth_redirect spends
// it with a condition, then deletes it: the first redirect that presents it wins, any other is refused. The SDK
// still binds the state to the browser with its cookie (checked before this store is asked, so a
// redirect without the cookie does not spend the installer's state).
//
//   pk = OAUTHSTATE#{HMAC-SHA256(SLACK_STATE_SECRET, state)}   sk = STATE
//
// Keyed by a keyed hash, not the state itself: nothing read from the table (an operator's scan,
// a backup) is a state the redirect would accept, and a state secret rotated retires every
// pending one.
import { createHmac, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidStateError, type InstallURLOptions, type StateStore } from '@slack/oauth';
import { epochSeconds } from '../../core/store/table.ts';

export const OAUTH_STATE_PK_PREFIX = 'OAUTHSTATE#';
export const OAUTH_STATE_SK = 'STATE';
/** How long an install may take from our redirect to Slack's back to us; the state cookie lasts as long. */
export const OAUTH_STATE_TTL_S = 600;

/** What the redirect's failure page and metric call a storage failure (not the installer's doing). */
export const INSTALL_STORAGE_ERROR = 'bridge_install_storage';

/** The table (or KMS) failed during the install: a coded error, so the SDK's failure hook can tell it apart. */
export class InstallStorageError extends Error {
  readonly code = INSTALL_STORAGE_ERROR;
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'InstallStorageError';
  }
}

interface OAuthStateItem {
  pk: string;
  sk: typeof OAUTH_STATE_SK;
  type: 'slack_oauth_state';
  installOptions: InstallURLOptions;
  createdAt: string;
  /** Epoch seconds: the table's TTL attribute, and checked at the redirect (TTL deletes lazily; dynalite never). */
  expiresAt: number;
  /** The redirect that spent it. */
  spentBy?: string;
}

export class DynamoOAuthStateStore implements StateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly stateSecret: string,
  ) {
    if (stateSecret.length < 16) throw new Error('the OAuth state store needs a state secret of 16+ characters');
  }

  private key(state: string): { pk: string; sk: typeof OAUTH_STATE_SK } {
    return { pk: `${OAUTH_STATE_PK_PREFIX}${createHmac('sha256', this.stateSecret).update(state).digest('base64url')}`, sk: OAUTH_STATE_SK };
  }

  async generateStateParam(installOptions: InstallURLOptions, now: Date): Promise<string> {
    // 256 random bits: the state is the installer's one-time ticket back in.
    const state = randomBytes(32).toString('base64url');
    const item: OAuthStateItem = {
      ...this.key(state),
      type: 'slack_oauth_state',
      installOptions,
      createdAt: now.toISOString(),
      expiresAt: epochSeconds(now.getTime()) + OAUTH_STATE_TTL_S,
    };
    try {
      // No condition: 256 random bits never meet an earlier state, and the SDK's retry of this very
      // write (its answer lost) must not fail on what it wrote itself.
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: item }));
    } catch (error) {
      throw new InstallStorageError('the install state could not be stored', error);
    }
    return state;
  }

  /**
   * Spends the state: marked spent by this redirect only if it exists, has not expired and was not
   * spent — so only its first use passes — then deleted. Marking first, with this redirect's own
   * token, keeps the SDK's retry of a write whose answer was lost from refusing the installer.
   */
  async verifyStateParam(now: Date, state: string): Promise<InstallURLOptions> {
    const key = this.key(state);
    const spender = randomBytes(9).toString('base64url');
    let spent: Partial<OAuthStateItem> | undefined;
    try {
      const answer = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET spentBy = :spender',
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND (attribute_not_exists(spentBy) OR spentBy = :spender)',
          ExpressionAttributeValues: { ':now': epochSeconds(now.getTime()), ':spender': spender },
          ReturnValues: 'ALL_NEW',
        }),
      );
      spent = answer.Attributes as Partial<OAuthStateItem> | undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new InvalidStateError('The state was already used, has expired, or was never issued');
      throw new InstallStorageError('the install state could not be checked', error);
    }
    // Spent is enough to refuse it again; the delete only tidies (TTL would too).
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key })).catch(() => undefined);
    if (!spent?.installOptions) throw new InvalidStateError('The state was stored without its install options');
    return spent.installOptions;
  }
}
