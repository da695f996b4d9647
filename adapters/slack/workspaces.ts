// The Slack workspaces the bridge serves: one (SLACK_BOT_TOKEN), or every workspace that
// installed the app through OAuth (SLACK_CLIENT_ID), each with its own sealed installation. Gives
// the install routes, each turn's bot token, and the erase of a workspace that left.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretBox } from '../../core/crypto.ts';
import type { Json } from '../../core/inbound.ts';
import type { Logger } from '../../core/log.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { PermanentSendError } from '../../core/turn.ts';
import type { SlackConfig } from './config.ts';
import { DynamoInstallationStore, eraseSlackWorkspace, NoInstallation, type LeavingWorkspace } from './installations.ts';
import { SlackOAuth, type WorkspaceQuery } from './oauth.ts';
import type { SlackTokenFor } from './send.ts';

export interface SlackWorkspaces {
  /** Set in multi-workspace mode: the install routes and each workspace's token. */
  oauth?: SlackOAuth;
  tokenFor?: SlackTokenFor;
  /** The app uninstalled (or its bot token revoked): installation and travellers' data deleted. */
  erase(workspace: LeavingWorkspace, reason: string): Promise<void>;
}

export interface SlackWorkspaceDeps {
  db: DynamoDBDocumentClient;
  tableName: string;
  logger: Logger;
  /** Seals installations: needed where tokens are stored or read (install routes, worker). */
  box?: SecretBox;
  /** Where /slack/oauth_redirect is served, when SLACK_REDIRECT_URI does not say (local stack). */
  redirectUri?: string;
}

const TOKEN_CACHE_MS = 60_000;

const refString = (reference: Record<string, Json>, key: string) => (typeof reference[key] === 'string' ? (reference[key] as string) : undefined);

export function slackWorkspaces(config: SlackConfig, deps: SlackWorkspaceDeps): SlackWorkspaces {
  const settings = config.oauth;
  const store = new DynamoInstallationStore(deps.db, deps.tableName, deps.box);
  let oauth: SlackOAuth | undefined;
  if (settings) {
    // Without a redirect URI (the worker) the install flow is not served; only authorize() is used.
    const redirectUri = settings.redirectUri ?? deps.redirectUri;
    oauth = new SlackOAuth(
      { ...settings, ...(redirectUri ? { redirectUri } : {}), apiUrl: config.apiUrl },
      store,
      deps.logger,
    );
  }

  // A turn makes several Web API calls: the token is looked up once, and kept a minute.
  const cache = new Map<string, { token: string; until: number }>();
  const tokenFor: SlackTokenFor | undefined = oauth
    ? async (record: InboxRecord) => {
        const query: WorkspaceQuery = {
          ...(record.workspaceId ? { teamId: record.workspaceId } : {}),
          ...(refString(record.reference, 'enterpriseId') ? { enterpriseId: refString(record.reference, 'enterpriseId')! } : {}),
          ...(record.reference.isEnterpriseInstall === true ? { isEnterpriseInstall: true } : {}),
        };
        const key = `${query.enterpriseId ?? ''}/${query.teamId ?? ''}/${query.isEnterpriseInstall === true}`;
        const cached = cache.get(key);
        if (cached && cached.until > Date.now()) return cached.token;
        try {
          const token = await oauth.botToken(query);
          if (token) cache.set(key, { token, until: Date.now() + TOKEN_CACHE_MS });
          return token;
        } catch (error) {
          // A workspace with no installation: the single-workspace token if there is one, else no reply.
          if (!(error instanceof NoInstallation)) throw error;
          if (config.botToken) return config.botToken;
          throw new PermanentSendError('this workspace has not installed the app (no installation stored)', 'not_installed');
        }
      }
    : undefined;

  return {
    ...(oauth ? { oauth, tokenFor } : {}),
    async erase(workspace, reason) {
      cache.clear();
      await eraseSlackWorkspace(deps.db, deps.tableName, workspace, reason, deps.logger);
    },
  };
}
