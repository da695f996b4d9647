// Slack installations (one per workspace, or one per Enterprise Grid org for org-wide installs) on
// the bridge's one table, implementing @slack/oauth's InstallationStore so the SDK's install flow
// stores what it gets. The installation — bot token, refresh token and all — is sealed
// (core/crypto.ts: a local key, or a KMS data key deployed) before it is written: the table never
// holds a token in clear. Only ids needed to find and delete it stay readable.
//
// Each write gives the record a new `version`. A fresh install (the OAuth callback) writes
// unconditionally: a reinstall is legitimate. Everything else — a refreshed token written back, the
// refresh lease that lets one process at a time refresh a rotating token — is a conditional write
// on the version read, so it can neither bring back an installation deleted meanwhile (uninstall)
// nor overwrite a newer one (a reinstall, or another process's refresh). Conditional writes only:
// no transactions, no TTL (dynalite in tests has neither).
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import type { SecretBox } from '../../core/crypto.ts';
import type { LeavingWorkspace } from '../../core/channel.ts';
import type { Logger } from '../../core/log.ts';

export const INSTALLATION_SK = 'SLACK_INSTALLATION';

type AnyInstallation = Installation<'v1' | 'v2', boolean>;

interface InstallationItem {
  pk: string;
  sk: string;
  type: 'slack_installation';
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
  /** The whole Installation as JSON, sealed with the record's key as context. */
  sealed: string;
  /** New on every write (random, so a reinstall after an uninstall never repeats an old one). */
  version?: string;
  /** A process refreshing the bot token, and until when (epoch ms) the others leave it to it. */
  refreshLeaseHolder?: string;
  refreshLeaseUntil?: number;
  /** Slack refused to refresh this version's token (its error code): nobody asks again. */
  refreshRefused?: string;
  updatedAt: string;
}

/** An installation as read, with what a conditional write on it needs. */
export interface StoredInstallation {
  installation: AnyInstallation;
  /** The record's key: the workspace's own, or (a workspace of an org-wide install) its org's. */
  pk: string;
  /** Undefined on a record written before versions existed. */
  version: string | undefined;
  refreshLease?: { holder: string; until: number };
  refreshRefused?: string;
}

/** Org-wide installs are keyed by enterprise, others by workspace (team). */
export function installationPk(query: { teamId?: string | undefined; enterpriseId?: string | undefined; isEnterpriseInstall?: boolean | undefined }): string {
  if (query.isEnterpriseInstall) {
    if (!query.enterpriseId) throw new Error('an org-wide installation needs its enterprise id');
    return `SLACK#E#${query.enterpriseId}`;
  }
  if (!query.teamId) throw new Error('a workspace installation needs its team id');
  return `SLACK#T#${query.teamId}`;
}

export class NoInstallation extends Error {}

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

/** "The record exists and is still the version read" (a missing record fails it too). */
function sameVersion(version: string | undefined): { expression: string; values: Record<string, string> } {
  return version === undefined
    ? { expression: 'attribute_exists(pk) AND attribute_not_exists(version)', values: {} }
    : { expression: 'version = :version', values: { ':version': version } };
}

export class DynamoInstallationStore implements InstallationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Seals and opens installations; an erase-only store (the ingress) has none. */
    private readonly box?: SecretBox,
  ) {}

  private sealer(): SecretBox {
    if (!this.box) throw new Error('no installation key configured (INSTALLATION_KEY locally, INSTALLATION_KMS_KEY_ID deployed)');
    return this.box;
  }

  private async item(installation: AnyInstallation): Promise<InstallationItem> {
    const query = { teamId: installation.team?.id, enterpriseId: installation.enterprise?.id, isEnterpriseInstall: installation.isEnterpriseInstall === true };
    const pk = installationPk(query);
    return {
      pk,
      sk: INSTALLATION_SK,
      type: 'slack_installation',
      ...(query.teamId ? { teamId: query.teamId } : {}),
      ...(query.enterpriseId ? { enterpriseId: query.enterpriseId } : {}),
      isEnterpriseInstall: query.isEnterpriseInstall,
      sealed: await this.sealer().seal(JSON.stringify(installation), pk),
      version: randomUUID(),
      updatedAt: new Date().toISOString(),
    };
  }

  /** A conditional write: true when it was applied, false when its condition refused it. */
  private async conditionally(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** A fresh install (the OAuth callback): unconditional, replacing any earlier one, lease and all. */
  async storeInstallation<V extends 'v1' | 'v2'>(installation: Installation<V, boolean>): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: await this.item(installation) }));
  }

  /**
   * A refreshed token written back, only over the version it was refreshed from. False when
   * refused: the installation was deleted (uninstalled) or replaced (reinstalled, or refreshed by
   * another process) meanwhile — read it again to tell which.
   */
  async storeRefreshed(read: StoredInstallation, installation: AnyInstallation): Promise<boolean> {
    const item = await this.item(installation);
    if (item.pk !== read.pk) throw new Error('a refreshed installation must keep its record');
    const condition = sameVersion(read.version);
    return this.conditionally(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition.expression,
          ...(read.version === undefined ? {} : { ExpressionAttributeValues: condition.values }),
        }),
      ),
    );
  }

  /**
   * The right to refresh this version's token for `ms`: false when another process holds an
   * unexpired lease, or the version moved (someone else refreshed, reinstalled, or uninstalled).
   */
  async takeRefreshLease(read: StoredInstallation, holder: string, ms: number): Promise<boolean> {
    const now = Date.now();
    const condition = sameVersion(read.version);
    return this.conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: read.pk, sk: INSTALLATION_SK },
          UpdateExpression: 'SET refreshLeaseHolder = :holder, refreshLeaseUntil = :until',
          ConditionExpression: `${condition.expression} AND (attribute_not_exists(refreshLeaseUntil) OR refreshLeaseUntil <= :now OR refreshLeaseHolder = :holder)`,
          ExpressionAttributeValues: { ...condition.values, ':holder': holder, ':until': now + ms, ':now': now },
        }),
      ),
    );
  }

  /**
   * Gives a lease up after a refresh that stored nothing, so others need not wait it out; with a
   * Slack error code, also records that this version's refresh token is refused. False (and
   * nothing written) when the record was deleted, replaced or leased to another since.
   */
  async releaseRefreshLease(read: StoredInstallation, holder: string, refusedWith?: string): Promise<boolean> {
    const condition = sameVersion(read.version);
    return this.conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: read.pk, sk: INSTALLATION_SK },
          UpdateExpression: `${refusedWith ? 'SET refreshRefused = :refused ' : ''}REMOVE refreshLeaseHolder, refreshLeaseUntil`,
          ConditionExpression: `${condition.expression} AND refreshLeaseHolder = :holder`,
          ExpressionAttributeValues: { ...condition.values, ':holder': holder, ...(refusedWith ? { ':refused': refusedWith } : {}) },
        }),
      ),
    );
  }

  /** The installation serving a workspace, with its version and lease; NoInstallation if none. */
  async readInstallation(query: InstallationQuery<boolean>): Promise<StoredInstallation> {
    // A workspace of an org with an org-wide install has no record of its own: the org's serves it.
    const keys = query.isEnterpriseInstall
      ? [installationPk(query)]
      : [...(query.teamId ? [installationPk({ teamId: query.teamId })] : []), ...(query.enterpriseId ? [installationPk({ enterpriseId: query.enterpriseId, isEnterpriseInstall: true })] : [])];
    for (const pk of keys) {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk: INSTALLATION_SK }, ConsistentRead: true }));
      const item = Item as InstallationItem | undefined;
      if (!item) continue;
      return {
        installation: JSON.parse(await this.sealer().open(item.sealed, pk)) as AnyInstallation,
        pk,
        version: item.version,
        ...(item.refreshLeaseHolder && item.refreshLeaseUntil !== undefined ? { refreshLease: { holder: item.refreshLeaseHolder, until: item.refreshLeaseUntil } } : {}),
        ...(item.refreshRefused ? { refreshRefused: item.refreshRefused } : {}),
      };
    }
    throw new NoInstallation(`no Slack installation for ${query.isEnterpriseInstall ? `enterprise ${query.enterpriseId}` : `team ${query.teamId}`}`);
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<AnyInstallation> {
    return (await this.readInstallation(query)).installation;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: installationPk(query), sk: INSTALLATION_SK } }));
  }
}

export type { LeavingWorkspace } from '../../core/channel.ts';

/**
 * A workspace left (app_uninstalled, bot token revoked): its installation goes. Its travellers'
 * items are erased by core (core/workspace-erase.ts, in the worker, from the owner index). Needs
 * no key (nothing is opened); nothing to delete in single-workspace mode.
 */
export async function removeSlackInstallation(db: DynamoDBDocumentClient, tableName: string, workspace: LeavingWorkspace, reason: string, logger: Logger): Promise<void> {
  await new DynamoInstallationStore(db, tableName).deleteInstallation({
    teamId: workspace.workspaceId,
    enterpriseId: workspace.enterpriseId,
    isEnterpriseInstall: workspace.isEnterpriseInstall === true,
  });
  logger.info('slack installation removed', { reason, workspaceId: workspace.workspaceId });
}
