// Proactive replies from the worker through the Teams SDK's API client, to the serviceUrl stored
// with the turn. The bot's token goes only to allowlisted connector hosts (TEAMS_CONNECTOR_HOSTS):
// a forged or misrouted serviceUrl gets nothing. The token itself comes from the OAuth2
// client-credentials endpoint (TEAMS_TOKEN_URL); the SDK's own token manager (MSAL) cannot be
// pointed at anything but Entra over https, so this small fetch does it and the SDK's client
// carries it. Connector 429s and 5xx are retried with backoff, honouring Retry-After.
import { Client } from '@microsoft/teams.api';
import type { Json } from '../../core/inbound.ts';
import type { Logger } from '../../core/log.ts';
import type { Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { PermanentSendError, SendFailure, type ChannelSender } from '../../core/turn.ts';
import { connectorAllowed, type TeamsConfig } from './config.ts';
import { renderClicked, renderTeams, type CardJson } from './render.ts';

const BOT_SCOPE = 'https://api.botframework.com/.default';
const MAX_TRIES = 4;
const MAX_WAIT_MS = 10_000;

/** Never retried: the host will not become allowed by trying again. */
export class ConnectorNotAllowed extends PermanentSendError {}

/** Client-credentials tokens, cached until shortly before they expire. */
export class BotTokenSource {
  private cached?: { token: string; until: number };

  constructor(private readonly config: Pick<TeamsConfig, 'appId' | 'appPassword' | 'tokenUrl'>) {}

  async token(): Promise<string> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.token;
    const res = await fetch(this.config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.config.appId, client_secret: this.config.appPassword, scope: BOT_SCOPE }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown };
    if (!res.ok || typeof body.access_token !== 'string') throw new Error(`the token endpoint answered ${res.status}`);
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
    this.cached = { token: body.access_token, until: Date.now() + Math.max(60, seconds - 300) * 1000 };
    return body.access_token;
  }
}

function ref(record: InboxRecord, key: string): string | undefined {
  const value: Json | undefined = record.reference[key];
  return typeof value === 'string' ? value : undefined;
}

interface HttpFailure {
  response?: { status?: number; headers?: Record<string, unknown> };
}

/** Only the status travels on: axios errors carry the request, token included. */
function describe(error: unknown): string {
  const status = (error as HttpFailure).response?.status;
  if (status) return `the Teams connector answered ${status}`;
  return error instanceof Error ? error.message.replace(/Bearer\s+\S+/g, 'Bearer [redacted]') : 'the Teams connector failed';
}

export class TeamsSender implements ChannelSender {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly config: Pick<TeamsConfig, 'connectorHosts'>,
    private readonly tokens: BotTokenSource,
    private readonly logger?: Logger,
  ) {}

  private client(record: InboxRecord): { client: Client; conversationId: string } {
    const serviceUrl = ref(record, 'serviceUrl');
    const conversationId = ref(record, 'conversationId');
    if (!serviceUrl || !conversationId) throw new Error('teams reference without serviceUrl or conversation');
    if (!connectorAllowed(serviceUrl, this.config.connectorHosts)) {
      throw new ConnectorNotAllowed(`serviceUrl host ${new URL(serviceUrl).host} is not an allowed Teams connector`, 'connector_not_allowed');
    }
    let client = this.clients.get(serviceUrl);
    if (!client) {
      client = new Client(serviceUrl, { token: () => this.tokens.token(), timeout: 10_000 });
      this.clients.set(serviceUrl, client);
    }
    return { client, conversationId };
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const response = (error as HttpFailure).response;
        const status = response?.status ?? 0;
        const retryable = status === 429 || status >= 500;
        const retryAfter = Number(response?.headers?.['retry-after'] ?? NaN);
        const wait = Number.isFinite(retryAfter) ? retryAfter * 1000 : 250 * 2 ** (attempt - 1) * (0.5 + Math.random());
        if (!retryable || attempt >= MAX_TRIES || wait > MAX_WAIT_MS) throw new SendFailure(describe(error), String(status || 'network'));
        this.logger?.warn('teams connector busy; retrying', { status, waitMs: Math.round(wait) });
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  async progress(record: InboxRecord): Promise<void> {
    const { client, conversationId } = this.client(record);
    const clicked = ref(record, 'clickedActivityId');
    // An Action.Submit click: retire its card now (Action.Execute already did in its invoke answer).
    if (record.input.type === 'action' && clicked && record.reference.invoke !== true) {
      const card = renderClicked(ref(record, 'clickedAction') ?? record.input.action, ref(record, 'clickedLabel'));
      await this.call(() => client.conversations.updateActivity(conversationId, clicked, cardActivity('', card)));
      return;
    }
    await this.call(() => client.conversations.createActivity(conversationId, { type: 'typing' }));
  }

  async send(reply: Reply, record: InboxRecord): Promise<void> {
    const { client, conversationId } = this.client(record);
    const message = renderTeams(reply);
    await this.call(() => client.conversations.createActivity(conversationId, cardActivity(message.text, message.card)));
  }
}

function cardActivity(text: string, card: CardJson) {
  return {
    type: 'message' as const,
    text,
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
  };
}
