// Slack installations (one per workspace, or one per Enterprise Grid org for org-wide installs) on
// the bridge's one table, implementing @slack/oauth's InstallationStore so the SDK's own install
// flow, authorize() and token rotation use it. The installation — bot token, refresh token and
// all — is sealed (core/crypto.ts: a local key, or a KMS data key deployed) before it is written:
// the table never holds a token in clear. Only ids needed to find and delete it stay readable.
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import type { SecretBox } from '../../core/crypto.ts';
import type { Logger } from '../../core/log.ts';
import { eraseActorPrefix } from '../../core/store/erase.ts';

export const INSTALLATION_SK = 'SLACK_INSTALLATION';

interface InstallationItem {
  pk: string;
  sk: string;
  type: 'slack_installation';
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
  /** The whole Installation as JSON, sealed with the record's key as context. */
  sealed: string;
  updatedAt: string;
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

  async storeInstallation<V extends 'v1' | 'v2'>(installation: Installation<V, boolean>): Promise<void> {
    const query = { teamId: installation.team?.id, enterpriseId: installation.enterprise?.id, isEnterpriseInstall: installation.isEnterpriseInstall === true };
    const pk = installationPk(query);
    const item: InstallationItem = {
      pk,
      sk: INSTALLATION_SK,
      type: 'slack_installation',
      ...(query.teamId ? { teamId: query.teamId } : {}),
      ...(query.enterpriseId ? { enterpriseId: query.enterpriseId } : {}),
      isEnterpriseInstall: query.isEnterpriseInstall,
      sealed: await this.sealer().seal(JSON.stringify(installation), pk),
      updatedAt: new Date().toISOString(),
    };
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    // A workspace of an org with an org-wide install has no record of its own: the org's serves it.
    const keys = query.isEnterpriseInstall
      ? [installationPk(query)]
      : [...(query.teamId ? [installationPk({ teamId: query.teamId })] : []), ...(query.enterpriseId ? [installationPk({ enterpriseId: query.enterpriseId, isEnterpriseInstall: true })] : [])];
    for (const pk of keys) {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk: INSTALLATION_SK }, ConsistentRead: true }));
      const item = Item as InstallationItem | undefined;
      if (item) return JSON.parse(await this.sealer().open(item.sealed, pk)) as Installation<'v1' | 'v2', boolean>;
    }
    throw new NoInstallation(`no Slack installation for ${query.isEnterpriseInstall ? `enterprise ${query.enterpriseId}` : `team ${query.teamId}`}`);
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: installationPk(query), sk: INSTALLATION_SK } }));
  }
}

export interface LeavingWorkspace {
  workspaceId: string;
  enterpriseId?: string;
  isEnterpriseInstall?: boolean;
}

/**
 * A workspace left (app_uninstalled, bot token revoked): its installation and every item of its
 * travellers go — their actor ids are slack:{team}:{user}, one key prefix. Needs no key (nothing
 * is opened) and no Slack SDK, so the ingress can do it without carrying either.
 */
export async function eraseSlackWorkspace(db: DynamoDBDocumentClient, tableName: string, workspace: LeavingWorkspace, reason: string, logger: Logger): Promise<void> {
  // Nothing to delete in single-workspace mode.
  await new DynamoInstallationStore(db, tableName).deleteInstallation({
    teamId: workspace.workspaceId,
    enterpriseId: workspace.enterpriseId,
    isEnterpriseInstall: workspace.isEnterpriseInstall === true,
  });
  const erased = await eraseActorPrefix(db, tableName, `slack:${workspace.workspaceId}:`);
  logger.info('slack workspace erased', { reason, workspaceId: workspace.workspaceId, itemsDeleted: erased });
}
