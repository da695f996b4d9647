// Slack's OAuth v2 install flow for distributing the app to many workspaces, with the Slack SDK's
// own InstallProvider (@slack/oauth): GET /slack/install sets the signed state cookie and sends
// the installer to Slack; GET /slack/oauth_redirect checks state and cookie, exchanges the code
// (oauth.v2.access), and stores the installation. InstallProvider speaks node:http; the bridge's
// handlers speak its own HttpRequest/HttpResponse (the same for Lambda and the local stack), so a
// small adapter stands in for IncomingMessage/ServerResponse here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InstallProvider, type InstallationStore } from '@slack/oauth';
import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import { type HttpRequest, type HttpResponse } from '../../core/http.ts';
import { NoInstallation } from './installations.ts';
import type { Logger } from '../../core/log.ts';

/** The bot scopes the bridge uses (manifests/slack-app.yaml lists the same; a test compares). */
export const BOT_SCOPES = ['app_mentions:read', 'channels:history', 'groups:history', 'im:history', 'chat:write', 'reactions:write', 'users:read'];

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

export class SlackOAuth {
  private readonly provider: InstallProvider;

  constructor(
    private readonly config: SlackOAuthConfig,
    readonly store: InstallationStore,
    private readonly logger: Logger,
  ) {
    this.provider = new InstallProvider({
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      // The worker only authorizes (no install flow, no state secret): state checks are off there.
      ...(config.stateSecret ? { stateSecret: config.stateSecret } : { stateVerification: false }),
      installationStore: store,
      ...(config.redirectUri ? { installUrlOptions: { scopes: BOT_SCOPES, redirectUri: config.redirectUri } } : {}),
      // Straight to Slack's authorize page: the bridge has no landing page of its own.
      directInstall: true,
      ...(config.authorizationUrl ? { authorizationUrl: config.authorizationUrl } : {}),
      logger: slackLogger(logger, [config.clientSecret, config.stateSecret]),
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
      await this.provider.handleInstallPath(req, res);
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
        this.logger.warn('slack install failed', { code: (error as { code?: string }).code, error: error.message });
        shim.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        shim.end(
          page(
            'Brek was not installed',
            `<h1>Brek was not installed</h1><p>${escapeHtml(failureReason(error))}</p><p><a href="/slack/install">Start the installation again</a>.</p>`,
          ),
        );
      },
    });
    return shim.toResponse();
  }

  /** The bot token for a workspace, refreshed first when rotation is on and it is about to expire. */
  async botToken(query: WorkspaceQuery): Promise<string | undefined> {
    try {
      const result = await this.provider.authorize({
        teamId: query.teamId,
        enterpriseId: query.enterpriseId,
        isEnterpriseInstall: query.isEnterpriseInstall === true,
      });
      return result.botToken;
    } catch (error) {
      // authorize() wraps whatever failed; "not installed" is worth telling apart.
      const original = (error as { original?: unknown }).original;
      throw original instanceof NoInstallation ? original : error;
    }
  }
}

function failureReason(error: Error): string {
  const code = (error as { code?: string }).code;
  if (code === 'slack_oauth_invalid_state' || code === 'slack_oauth_missing_state') return 'The installation link expired or was opened in another browser.';
  if (code === 'slack_oauth_installer_authorization_error') return 'The installation was cancelled in Slack.';
  return 'Slack did not complete the installation.';
}
