// The Slack workspaces the bridge serves: one (SLACK_BOT_TOKEN), or every workspace that
// installed the app through OAuth (SLACK_CLIENT_ID), each with its own sealed installation. Gives
// the install routes, each turn's bot token, and the erase of a workspace that left.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretBox } from '../../core/crypto.ts';
import type { Logger } from '../../core/log.ts';
import type { BridgeMetrics } from '../../core/metrics.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { PermanentSendError } from '../../core/delivery.ts';
import type { SlackConfig } from './config.ts';
import { slackReference } from './normalize.ts';
import { DynamoInstallationStore, NoInstallation, removeSlackInstallation, type LeavingWorkspace } from './installations.ts';
import { RefreshRefused, SlackOAuth, type BotToken, type RefreshTiming, type WorkspaceQuery } from './oauth.ts';
import { DynamoOAuthStateStore } from './oauth-state.ts';
import type { SlackTokenFor } from './send.ts';

export interface SlackWorkspaces {
  /** Set in multi-workspace mode: the install routes and each workspace's token. */
  oauth?: SlackOAuth;
  tokenFor?: SlackTokenFor;
  /** The app uninstalled (or its bot token revoked): installation and travellers' data deleted. */
  uninstall(workspace: LeavingWorkspace, reason: string): Promise<void>;
}

export interface SlackWorkspaceDeps {
  db: DynamoDBDocumentClient;
  tableName: string;
  logger: Logger;
  /** Seals installations: needed where tokens are stored or read (install routes, worker). */
  box?: SecretBox;
  /** Where /slack/oauth_redirect is served, when SLACK_REDIRECT_URI does not say (local stack). */
  redirectUri?: string;
  /** Token refresh lease and wait (tests shorten them). */
  refreshTiming?: Partial<RefreshTiming>;
  /** SlackInstallFailed (install routes) and SlackTokenRefreshFailed (token lookups). */
  metrics?: BridgeMetrics;
}

/**
 * Why a cached token may be used for at most a minute: an uninstall erases the installation in
 * one worker process, but other processes (other Lambda instances) keep their own caches and are
 * not told. Bounded, a token of a workspace that left is used for at most this long elsewhere; and
 * the first call Slack refuses as not installed (invalid_auth, token_revoked…) drops it at once
 * (SlackTokenFor.refused), so it is not tried twice.
 */
const TOKEN_CACHE_MS = 60_000;
/** A rotating token is not cached into its last seconds. */
const CACHE_EXPIRY_MARGIN_MS = 30_000;


export function slackWorkspaces(config: SlackConfig, deps: SlackWorkspaceDeps): SlackWorkspaces {
  const settings = config.oauth;
  const store = new DynamoInstallationStore(deps.db, deps.tableName, deps.box);
  let oauth: SlackOAuth | undefined;
  if (settings) {
    // Without a redirect URI (the worker) the install flow is not served; only tokens are looked up.
    const redirectUri = settings.redirectUri ?? deps.redirectUri;
    // Only where the install flow is served: the state is stored there and spent at the redirect.
    const states = redirectUri && settings.stateSecret ? new DynamoOAuthStateStore(deps.db, deps.tableName, settings.stateSecret) : undefined;
    oauth = new SlackOAuth(
      { ...settings, ...(redirectUri && states ? { redirectUri } : {}), apiUrl: config.apiUrl },
      store,
      deps.logger,
      deps.refreshTiming,
      { ...(states ? { states } : {}), ...(deps.metrics ? { metrics: deps.metrics } : {}) },
    );
  }

  // A turn makes several Web API calls: the token is looked up once, and kept a minute. Lookups
  // of one workspace at the same time share one (one read, at most one refresh per process).
  const cache = new Map<string, { token: string; until: number }>();
  const pending = new Map<string, Promise<string | undefined>>();
  // Moves on every erase: a lookup that an erase overlapped neither caches nor trusts what it read.
  let erasures = 0;

  const lookup = async (bridge: SlackOAuth, query: WorkspaceQuery, key: string): Promise<string | undefined> => {
    for (let attempt = 1; ; attempt++) {
      const started = erasures;
      let found: BotToken | undefined;
      try {
        found = await bridge.botToken(query);
      } catch (error) {
        if (error instanceof RefreshRefused) throw new PermanentSendError(error.message, error.code);
        // A workspace with no installation: the single-workspace token if there is one, else no reply.
        if (!(error instanceof NoInstallation)) throw error;
        if (config.botToken) return config.botToken;
        // The code leads the message: the turn's recorded error (lastError, `npm run ops`) names it.
        throw new PermanentSendError('not_installed: this workspace has no installation of the app (never installed, or uninstalled)', 'not_installed');
      }
      if (started === erasures) {
        if (found) cache.set(key, { token: found.token, until: Math.min(Date.now() + TOKEN_CACHE_MS, found.expiresAt === undefined ? Infinity : found.expiresAt * 1000 - CACHE_EXPIRY_MARGIN_MS) });
        return found?.token;
      }
      // Read once more after the erase: the workspace erased is then not installed. Erases that
      // keep overlapping (other workspaces leaving) leave the answer uncached.
      if (attempt >= 3) return found?.token;
    }
  };

  const keyOf = (record: InboxRecord): { query: WorkspaceQuery; key: string } => {
    const reference = slackReference(record);
    const query: WorkspaceQuery = {
      ...(record.workspaceId ? { teamId: record.workspaceId } : {}),
      ...(reference.enterpriseId ? { enterpriseId: reference.enterpriseId } : {}),
      ...(reference.isEnterpriseInstall ? { isEnterpriseInstall: true } : {}),
    };
    return { query, key: `${query.enterpriseId ?? ''}/${query.teamId ?? ''}/${query.isEnterpriseInstall === true}` };
  };

  const tokenFor: SlackTokenFor | undefined = oauth
    ? Object.assign(
        async (record: InboxRecord) => {
          const { query, key } = keyOf(record);
          const cached = cache.get(key);
          if (cached && cached.until > Date.now()) return cached.token;
          const shared = pending.get(key);
          if (shared) return shared;
          const mine = lookup(oauth, query, key).finally(() => {
            if (pending.get(key) === mine) pending.delete(key);
          });
          pending.set(key, mine);
          return mine;
        },
        {
          refused(record: InboxRecord, token: string) {
            // Only that token: one refreshed or re-read meanwhile is kept.
            const { key } = keyOf(record);
            if (cache.get(key)?.token !== token) return;
            cache.delete(key);
            deps.logger.info('slack token dropped from the cache: Slack refused it as not installed', { workspaceId: record.workspaceId });
          },
        },
      )
    : undefined;

  return {
    ...(oauth ? { oauth, tokenFor } : {}),
    async uninstall(workspace, reason) {
      // Before and after: a lookup that read the installation before the delete landed must not
      // cache it once the erase is done, nor may a later caller join a lookup started before it.
      const forget = () => {
        erasures += 1;
        cache.clear();
        pending.clear();
      };
      forget();
      try {
        await removeSlackInstallation(deps.db, deps.tableName, workspace, reason, deps.logger);
      } finally {
        forget();
      }
    },
  };
}
