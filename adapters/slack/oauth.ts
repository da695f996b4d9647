// Slack's OAuth v2 install flow for distributing the app to many workspaces, with the Slack SDK's
// own InstallProvider (@slack/oauth): GET /slack/install sets the signed state cookie and sends
// the installer to Slack; GET /slack/oauth_redirect checks state and cookie, exchanges the code
// (oauth.v2.access), and stores the installation. InstallProvider speaks node:http; the bridge's
// handlers speak its own HttpRequest/HttpResponse (the same for Lambda and the local stack), so a
// small adapter stands in for IncomingMessage/ServerResponse here.
//
// The state is single-use (adapters/slack/oauth-state.ts: stored at /slack/install, deleted with a
// condition at the redirect), and its cookie is the SDK's value under our attributes: HttpOnly,
// SameSite=Lax, and over https Secure with a __Host- name; cleared on every outcome of the redirect.
//
// Rotating bot tokens are refreshed here, not by InstallProvider.authorize(): authorize() refreshes
// without coordination (two turns refreshing at once burn the one-use refresh token), writes back
// unconditionally (bringing back an installation uninstalled meanwhile), and swallows Slack's
// refusal (handing back the expired token). Here one process at a time refreshes a workspace's
// token, under a lease on its installation record; the others wait for the new version.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InstallProvider, type CodedError, type InstallationStore, type StateStore } from '@slack/oauth';
import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import { ErrorCode, WebClient, type OauthV2AccessResponse } from '@slack/web-api';
import { type HttpRequest, type HttpResponse } from '../../core/http.ts';
import type { DynamoInstallationStore, StoredInstallation } from './installations.ts';
import type { Logger } from '../../core/log.ts';
import type { BridgeMetrics } from '../../core/metrics.ts';
import { SLACK_METRIC } from './profile.ts';
import { INSTALL_STORAGE_ERROR, InstallStorageError, OAUTH_STATE_TTL_S } from './oauth-state.ts';

/** The bot scopes the bridge uses (manifests/slack-app.yaml lists the same; a test compares). */
export const BOT_SCOPES = ['app_mentions:read', 'assistant:write', 'channels:history', 'groups:history', 'im:history', 'chat:write', 'reactions:write', 'users:read'];

export interface SlackOAuthConfig {
  clientId: string;
  clientSecret: string;
  /** Empty in the worker, which never runs the install flow. */
  stateSecret: string;
  /** The public URL of GET /slack/oauth_redirect, as registered with the app; unset where the flow is not served (the worker). */
  redirectUri?: string;
  /** Slack's authorize page; a fake's in tests. */
  authorizationUrl?: string;
  /** Web API base (the fake's in tests). */
  apiUrl: string;
}

export interface WorkspaceQuery {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall?: boolean;
}

/** A workspace's bot token, and when it expires (epoch seconds) if it rotates. */
export interface BotToken {
  token: string;
  expiresAt?: number;
}

/** Slack refused to refresh a rotating token (revoked, app uninstalled, client changed…): only a reinstall helps. */
export class RefreshRefused extends Error {
  constructor(readonly code: string) {
    super(`Slack refused to refresh this workspace's bot token (${code})`);
    this.name = 'RefreshRefused';
  }
}

export interface RefreshTiming {
  /** How long a refresh lease lasts: longer than one refresh call (no retries) and its write-back. */
  leaseMs: number;
  /** How long a turn waits for another process's refresh to land before giving up on it. */
  waitMs: number;
  /** Between re-reads of the installation while waiting. */
  pollMs: number;
  /** The oauth.v2.access call's own timeout. */
  callTimeoutMs: number;
}

const DEFAULT_TIMING: RefreshTiming = { leaseMs: 30_000, waitMs: 5_000, pollMs: 100, callTimeoutMs: 10_000 };

/** Refreshed once it expires within this: the SDK's authorize() window. */
const REFRESH_WINDOW_S = 7_200;
/** A token this close to expiry is not handed out when waiting for a refresh times out. */
const LAST_USE_MARGIN_S = 30;

/** Slack's answers to a refresh that no retry changes. */
const REFUSALS = new Set([
  'invalid_refresh_token',
  'token_revoked',
  'token_expired',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'invalid_client_id',
  'bad_client_secret',
  'invalid_grant_type',
  'app_uninstalled',
  'team_disabled',
  'ekm_access_denied',
]);

/** Slack's own error code from a WebClient error (ok: false), if that is what it is. */
function platformCode(error: unknown): string | undefined {
  const { code, data } = (error ?? {}) as { code?: unknown; data?: { error?: unknown } };
  return code === ErrorCode.PlatformError && typeof data?.error === 'string' ? data.error : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * InstallProvider logs through Slack's Logger interface. Ours scrubs tokens from every line, and
 * here the app's own secrets too: the SDK's debug lines echo request bodies (oauth.v2.access
 * carries client_secret), so those lines are dropped and the secrets blotted out of the rest.
 */
function slackLogger(logger: Logger, secrets: string[]): SlackLogger {
  const blot = (line: string) => secrets.reduce((out, secret) => (secret ? out.split(secret).join('[redacted]') : out), line);
  const text = (parts: unknown[]) => blot(parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' '));
  return {
    debug: (...parts) => {
      const line = text(parts);
      if (!/http request body|http request result/.test(line)) logger.debug(`slack oauth: ${line}`);
    },
    info: (...parts) => logger.info(`slack oauth: ${text(parts)}`),
    warn: (...parts) => logger.warn(`slack oauth: ${text(parts)}`),
    error: (...parts) => logger.warn(`slack oauth: ${text(parts)}`),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style></head><body>${body}</body></html>`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What InstallProvider reads of a request, and writes of a response. */
class RequestShim {
  readonly headers: Record<string, string>;
  readonly url: string;
  readonly method: string;
  constructor(request: HttpRequest) {
    this.headers = request.headers;
    this.method = request.method;
    this.url = `${request.path}${request.rawQuery ? `?${request.rawQuery}` : ''}`;
  }
}

class ResponseShim {
  status = 200;
  readonly headers: Record<string, string | string[]> = {};
  body = '';
  setHeader(name: string, value: string | string[]): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  getHeader(name: string): string | string[] | undefined {
    return this.headers[name.toLowerCase()];
  }
  writeHead(status: number, headers?: Record<string, string>): this {
    this.status = status;
    for (const [name, value] of Object.entries(headers ?? {})) this.setHeader(name, value);
    return this;
  }
  end(body?: string): this {
    if (body) this.body += body;
    return this;
  }
  toResponse(): HttpResponse {
    // Our HttpResponse carries one value per header; Set-Cookie from InstallProvider is one cookie.
    const headers = Object.fromEntries(Object.entries(this.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
    return { status: this.status, headers, body: this.body };
  }
}

/** Where the install flow and token refreshes get their single-use state store and metrics. */
export interface SlackOAuthServices {
  /** Single-use install state (DynamoOAuthStateStore); required where the install routes are served. */
  states?: StateStore;
  metrics?: BridgeMetrics;
}

export class SlackOAuth {
  private readonly provider: InstallProvider;
  /** Token refreshes only (oauth.v2.access, grant_type refresh_token). */
  private readonly web: WebClient;
  private readonly timing: RefreshTiming;
  private readonly cookie: StateCookie;
  private readonly metrics: BridgeMetrics | undefined;

  constructor(
    private readonly config: SlackOAuthConfig,
    readonly store: DynamoInstallationStore,
    private readonly logger: Logger,
    timing: Partial<RefreshTiming> = {},
    services: SlackOAuthServices = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.metrics = services.metrics;
    this.cookie = new StateCookie(config.redirectUri?.startsWith('https://') === true);
    const servesInstall = Boolean(config.redirectUri && services.states);
    if (config.redirectUri && !services.states) throw new Error('the Slack install routes need a single-use state store');
    const secrets = [config.clientSecret, config.stateSecret];
    this.web = new WebClient(undefined, {
      slackApiUrl: config.apiUrl,
      logger: slackLogger(logger, secrets),
      // Never retried: a retry of a refresh that reached Slack would present a used refresh token.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: this.timing.callTimeoutMs,
      allowAbsoluteUrls: false,
    });
    this.provider = new InstallProvider({
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      // The worker only looks tokens up (no install flow, no state store): state checks are off there.
      ...(servesInstall ? { stateStore: services.states!, stateCookieName: this.cookie.name, stateCookieExpirationSeconds: OAUTH_STATE_TTL_S } : { stateVerification: false }),
      installationStore: storageTagged(store),
      ...(servesInstall ? { installUrlOptions: { scopes: BOT_SCOPES, redirectUri: config.redirectUri! } } : {}),
      // Straight to Slack's authorize page: the bridge has no landing page of its own.
      directInstall: true,
      ...(config.authorizationUrl ? { authorizationUrl: config.authorizationUrl } : {}),
      logger: slackLogger(logger, secrets),
      clientOptions: { slackApiUrl: config.apiUrl },
    });
  }

  /** GET /slack/install and GET /slack/oauth_redirect; undefined for any other path. */
  async route(request: HttpRequest): Promise<HttpResponse | undefined> {
    if ((request.path !== '/slack/install' && request.path !== '/slack/oauth_redirect') || !this.config.redirectUri) return undefined;
    if (request.method !== 'GET') return { status: 405, headers: { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' }, body: 'Use GET.' };
    const req = new RequestShim(request) as unknown as IncomingMessage;
    const shim = new ResponseShim();
    const res = shim as unknown as ServerResponse;
    if (request.path === '/slack/install') {
      try {
        await this.provider.handleInstallPath(req, res);
      } catch (error) {
        // Storing the state is the one thing here that can fail.
        this.installFailed('storage', error);
        return failurePage(500, 'Brek could not start the installation. Please try again in a moment.', this.cookie.clear());
      }
      // The SDK's cookie carries the state; its attributes are ours (the SDK fixes them, without SameSite).
      const issued = this.cookie.valueIn(shim.getHeader('set-cookie'));
      if (issued === undefined) throw new Error('InstallProvider set no state cookie');
      shim.setHeader('set-cookie', this.cookie.issue(issued));
      shim.setHeader('cache-control', 'no-store');
      return shim.toResponse();
    }
    await this.provider.handleCallback(req, res, {
      success: (installation) => {
        const name = installation.isEnterpriseInstall ? (installation.enterprise?.name ?? 'your organisation') : (installation.team?.name ?? 'your workspace');
        this.logger.info('slack app installed', { teamId: installation.team?.id, enterpriseId: installation.enterprise?.id, isEnterpriseInstall: installation.isEnterpriseInstall === true });
        shim.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        shim.end(page('Brek is installed', `<h1>Brek is installed in ${escapeHtml(name)}</h1><p>Open Slack and send Brek a direct message — for example “Seattle next Friday for two nights” — to find and book a hotel.</p>`));
      },
      failure: (error) => {
        const reason = installFailureReason(error);
        this.installFailed(reason, error);
        const answer = failurePage(reason === 'storage' ? 500 : reason === 'oauth_access' ? 502 : 400, INSTALL_FAILURE_TEXT[reason]);
        shim.writeHead(answer.status, answer.headers);
        shim.end(answer.body);
      },
    });
    // Every outcome: the state is spent (or was never good), so the browser drops it. The SDK
    // clears it only after a state check it reached — not on access_denied or a missing code.
    shim.setHeader('set-cookie', this.cookie.clear());
    shim.setHeader('cache-control', 'no-store');
    return shim.toResponse();
  }

  private installFailed(reason: InstallFailureReason, error: unknown): void {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    this.logger.warn('slack install failed', { reason, ...(typeof code === 'string' ? { code } : {}), error: typeof message === 'string' ? message : String(error) });
    this.metrics?.add(SLACK_METRIC.installFailed, 1, { reason });
  }

  /**
   * The bot token for a workspace, refreshed first when it rotates and is about to expire.
   * NoInstallation when the workspace has none (or it was deleted while refreshing: the refreshed
   * token is then dropped); RefreshRefused when Slack will not refresh it.
   */
  async botToken(query: WorkspaceQuery): Promise<BotToken | undefined> {
    const source = { teamId: query.teamId, enterpriseId: query.enterpriseId, isEnterpriseInstall: query.isEnterpriseInstall === true };
    // One holder id per call: a lease this call took is recognised as its own when read back.
    const holder = randomUUID();
    const deadline = Date.now() + this.timing.waitMs;
    for (;;) {
      const read = await this.store.readInstallation(source);
      const bot = read.installation.bot;
      if (!bot?.token) return undefined;
      const nowS = Date.now() / 1000;
      const expiresAt = typeof bot.expiresAt === 'number' ? bot.expiresAt : undefined;
      if (!bot.refreshToken || expiresAt === undefined || expiresAt - nowS > REFRESH_WINDOW_S) return { token: bot.token, ...(expiresAt === undefined ? {} : { expiresAt }) };
      // Recorded by whichever process was refused: nobody asks Slack again for this version.
      if (read.refreshRefused) throw new RefreshRefused(read.refreshRefused);
      const lease = read.refreshLease;
      const free = !lease || lease.until <= Date.now() || lease.holder === holder;
      if (free && (await this.store.takeRefreshLease(read, holder, this.timing.leaseMs))) {
        const refreshed = await this.refresh(read, holder);
        if (refreshed) return refreshed;
        // Superseded or deleted meanwhile: the next read tells which (deleted: NoInstallation).
        continue;
      }
      if (Date.now() >= deadline) {
        // Another process's refresh has not landed: the current token while it still works.
        if (expiresAt - nowS > LAST_USE_MARGIN_S) return { token: bot.token, expiresAt };
        throw new Error('timed out waiting for another worker to refresh this workspace’s Slack token');
      }
      await sleep(this.timing.pollMs);
    }
  }

  /** One refresh under this call's lease; undefined when the installation moved on meanwhile. */
  private async refresh(read: StoredInstallation, holder: string): Promise<BotToken | undefined> {
    const bot = read.installation.bot!;
    const ids = { teamId: read.installation.team?.id, enterpriseId: read.installation.enterprise?.id };
    let answer: OauthV2AccessResponse;
    try {
      answer = await this.web.oauth.v2.access({
        client_id: this.config.clientId,
        client_secret: this.config.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: bot.refreshToken!,
      });
    } catch (error) {
      const code = platformCode(error);
      const refused = code !== undefined && REFUSALS.has(code) ? code : undefined;
      // Recording the refusal is conditioned on the version read: if it moved (another process
      // refreshed first, a reinstall), the refusal was of a stale refresh token and the next read
      // has the newer installation.
      this.metrics?.add(SLACK_METRIC.tokenRefreshFailed, 1, { reason: refused ?? 'error' });
      const released = await this.store.releaseRefreshLease(read, holder, refused).catch((releaseError: unknown) => {
        // The lease runs out by itself; Slack's refusal stands all the same.
        this.logger.warn('slack token refresh lease not released', { ...ids, error: releaseError });
        return true;
      });
      if (!refused) throw error;
      if (!released) return undefined;
      this.logger.warn('slack token refresh refused', { ...ids, code: refused });
      throw new RefreshRefused(refused);
    }
    if (!answer.access_token || !answer.refresh_token || typeof answer.expires_in !== 'number') {
      this.metrics?.add(SLACK_METRIC.tokenRefreshFailed, 1, { reason: 'error' });
      await this.store.releaseRefreshLease(read, holder).catch(() => false);
      throw new Error('oauth.v2.access answered a refresh without a rotated token');
    }
    const expiresAt = Math.floor(Date.now() / 1000) + answer.expires_in;
    const installation = { ...read.installation, bot: { ...bot, token: answer.access_token, refreshToken: answer.refresh_token, expiresAt } };
    if (!(await this.store.storeRefreshed(read, installation))) {
      // Uninstalled, reinstalled or refreshed elsewhere since it was read: this token is not used.
      this.logger.warn('slack token refresh discarded: the installation changed meanwhile', ids);
      return undefined;
    }
    this.logger.info('slack bot token refreshed', ids);
    return { token: answer.access_token, expiresAt };
  }
}

/** Why an install failed, as the SlackInstallFailed metric counts it (a handful of values, for alarms). */
export type InstallFailureReason = 'state' | 'access_denied' | 'missing_code' | 'oauth_access' | 'storage' | 'unknown';

const INSTALL_FAILURE_TEXT: Record<InstallFailureReason, string> = {
  state: 'The installation link expired, was already used, or was opened in another browser.',
  access_denied: 'The installation was cancelled in Slack.',
  missing_code: 'Slack did not complete the installation.',
  oauth_access: 'Slack did not complete the installation.',
  storage: 'Brek could not save the installation. Please try again in a moment.',
  unknown: 'Slack did not complete the installation.',
};

function installFailureReason(error: CodedError): InstallFailureReason {
  switch (error.code) {
    case 'slack_oauth_missing_state':
    case 'slack_oauth_invalid_state':
      return 'state';
    // handleCallback raises its AuthorizationError for `error=access_denied` only.
    case 'slack_oauth_installer_authorization_error':
      return 'access_denied';
    case 'slack_oauth_missing_code':
      return 'missing_code';
    case INSTALL_STORAGE_ERROR:
      return 'storage';
    default:
      // oauth.v2.access or auth.test refused or unreachable (WebClient's slack_webapi_* codes).
      return error.code.startsWith('slack_webapi_') ? 'oauth_access' : 'unknown';
  }
}

function failurePage(status: number, reason: string, clearCookie?: string): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...(clearCookie ? { 'set-cookie': clearCookie } : {}) },
    body: page('Brek was not installed', `<h1>Brek was not installed</h1><p>${escapeHtml(reason)}</p><p><a href="/slack/install">Start the installation again</a>.</p>`),
  };
}

/** Storage failures while the SDK stores an installation, coded so the failure hook can name them. */
function storageTagged(store: DynamoInstallationStore): InstallationStore {
  return {
    storeInstallation: (installation) =>
      store.storeInstallation(installation).catch((error: unknown) => {
        throw new InstallStorageError('the installation could not be stored', error);
      }),
    fetchInstallation: (query) => store.fetchInstallation(query),
    deleteInstallation: (query) => store.deleteInstallation(query),
  };
}

/**
 * The state cookie's attributes. InstallProvider writes `Secure; HttpOnly; Path=/` whatever the
 * scheme and no SameSite; only its name and lifetime are options, so the value it sets is kept and
 * re-issued here. SameSite=Lax: Slack's redirect back is a top-level GET from another site, which
 * Lax lets the cookie ride on (Strict would not) while no cross-site subresource or POST carries
 * it. Over https the cookie is Secure with a __Host- name (host-only, Path=/, so no sibling
 * subdomain can plant or shadow it); over http (the local stack) neither, or no browser keeps it.
 */
class StateCookie {
  readonly name: string;
  private readonly attributes: string;
  constructor(secure: boolean) {
    this.name = secure ? '__Host-slack-app-oauth-state' : 'slack-app-oauth-state';
    this.attributes = ['Path=/', 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : [])].join('; ');
  }
  /** The state in a Set-Cookie header the SDK wrote. */
  valueIn(header: string | string[] | undefined): string | undefined {
    const cookies = Array.isArray(header) ? header : header ? [header] : [];
    const mine = cookies.map((cookie) => cookie.split(';')[0]!.trim()).find((pair) => pair.startsWith(`${this.name}=`));
    return mine?.slice(this.name.length + 1);
  }
  issue(state: string): string {
    return `${this.name}=${state}; ${this.attributes}; Max-Age=${OAUTH_STATE_TTL_S}`;
  }
  clear(): string {
    return `${this.name}=; ${this.attributes}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
  }
}
