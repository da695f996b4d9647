// Proactive replies from the worker through the Teams SDK's API client, to the serviceUrl stored
// with the turn. The bot's token goes only to allowlisted connector hosts (TEAMS_CONNECTOR_HOSTS):
// a forged or misrouted serviceUrl gets nothing. The token itself comes from the OAuth2
// client-credentials endpoint (TEAMS_TOKEN_URL); the SDK's own token manager (MSAL) cannot be
// pointed at anything but Entra over https, so this small fetch does it and the SDK's client
// carries it. What is retried, and how, is the delivery layer's (core/delivery.ts).
import { Client, type CardAction } from '@microsoft/teams.api';
import type { Logger } from '../../core/log.ts';
import type { Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import type { ProgressNote } from '../../core/wording.ts';
import { DeliveryError, PermanentSendError, type ChannelSender, type FailureClass, type PartContext } from '../../core/delivery.ts';
import { connectorAllowed, type TeamsConfig } from './config.ts';
import { plainReplyText } from '../../core/plain-text.ts';
import { teamsReference, type TeamsReference } from './normalize.ts';
import { renderClicked, renderTeams, renderWorking, type CardJson, type SuggestedAction, type TeamsRenderContext } from './render.ts';

const BOT_SCOPE = 'https://api.botframework.com/.default';

/** Never retried: the host will not become allowed by trying again. */
class ConnectorNotAllowed extends PermanentSendError {}

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

interface HttpFailure {
  response?: { status?: number; headers?: Record<string, unknown> };
  code?: unknown;
}

/** Only the status travels on: axios errors carry the request, token included. */
function describe(error: unknown): string {
  const status = (error as HttpFailure).response?.status;
  if (status) return `the Teams connector answered ${status}`;
  return error instanceof Error ? error.message.replace(/Bearer\s+\S+/g, 'Bearer [redacted]') : 'the Teams connector failed';
}

/** Microsoft lists these as safe to retry: the connector did nothing. */
const REFUSED_BEFORE_WORK = new Set([429, 412, 502, 504]);

/** What a failed connector call means for a retry. */
function classifyTeamsError(error: unknown): FailureClass {
  if (error instanceof DeliveryError) return error.failure;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as HttpFailure;
  const status = failure.response?.status;
  if (status !== undefined) {
    if (REFUSED_BEFORE_WORK.has(status)) {
      const seconds = Number(failure.response?.headers?.['retry-after'] ?? NaN);
      return { kind: 'not_delivered', code: String(status), ...(Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {}) };
    }
    // 500 and 503 may come after the activity was posted; other 4xx refuse the request itself —
    // a 400 (a card Teams will not take) or 413 (MessageSizeTooBig) for what it is.
    if (status >= 500) return { kind: 'ambiguous', code: String(status) };
    return { kind: 'permanent', code: String(status), ...(status === 400 || status === 413 ? { content: true } : {}) };
  }
  const code = typeof failure.code === 'string' ? failure.code : 'network';
  return { kind: code === 'ECONNREFUSED' ? 'not_delivered' : 'ambiguous', code };
}

/**
 * Replies as activities. Exactly once: the connector cannot be asked what a conversation holds,
 * so a POST that failed ambiguously is never made again (it stays `unknown`); only the refusals
 * Microsoft lists as safe are retried (core/delivery.ts). A turn that works posts a placeholder
 * first and delivers its reply as an update of it (PUT: safe to repeat, so retried after any failure).
 */
export class TeamsSender implements ChannelSender<TeamsPart> {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly config: Pick<TeamsConfig, 'connectorHosts'>,
    private readonly tokens: BotTokenSource,
    private readonly logger?: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * `patient`: for the POSTs, which are never repeated — the placeholder (beside the Brek call; a
   * slow answer still tells its id, so the reply can replace it) and a reply posted new. An update
   * (PUT) is safe to repeat, so it gives up sooner and is tried again.
   */
  private async client(record: InboxRecord, patient = false): Promise<{ client: Client; conversationId: string }> {
    const { serviceUrl, conversationId } = teamsReference(record);
    if (!serviceUrl || !conversationId) throw new PermanentSendError('teams reference without serviceUrl or conversation', 'no_conversation');
    if (!connectorAllowed(serviceUrl, this.config.connectorHosts)) {
      throw new ConnectorNotAllowed(`serviceUrl host ${new URL(serviceUrl).host} is not an allowed Teams connector`, 'connector_not_allowed');
    }
    // The token first: if it cannot be had, nothing was posted, so the delivery may simply retry.
    await this.tokens.token().catch((error: unknown) => {
      throw new DeliveryError(`no bot token: ${describe(error)}`, { kind: 'not_delivered', code: 'token' });
    });
    const key = `${patient ? 'patient' : 'prompt'} ${serviceUrl}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new Client(serviceUrl, { token: () => this.tokens.token(), timeout: patient ? this.timeoutMs * 3 : this.timeoutMs });
      this.clients.set(key, client);
    }
    return { client, conversationId };
  }

  classify(error: unknown): FailureClass {
    return classifyTeamsError(error);
  }

  /** With a placeholder (posted by `progress`), the reply replaces it: an update, safe to repeat. */
  compose(reply: Reply, record: InboxRecord, placeholder?: string): TeamsPart[] {
    const ref = teamsReference(record);
    const message = renderTeams(reply, renderContext(ref));
    const activity = cardActivity(message.text, message.card);
    // `to`: the traveller the chips are for (the Bot Framework's recipients of suggested actions).
    if (message.suggestedActions) activity.suggestedActions = { to: ref.fromId ? [ref.fromId] : [], actions: message.suggestedActions.map(sdkCardAction) };
    return [{ activity, ...(placeholder ? { replaces: placeholder } : {}) }];
  }

  /** The reply as plain text (links written out), in place of the placeholder when there is one. */
  plain(reply: Reply, _record: InboxRecord, placeholder?: string): TeamsPart[] {
    // Plain, not Teams' default markdown: the text is Brek's words, data to show, not to parse.
    return [{ activity: { type: 'message', text: plainReplyText(reply), textFormat: 'plain' }, ...(placeholder ? { replaces: placeholder } : {}) }];
  }

  repeatable(part: TeamsPart): boolean {
    return part.replaces !== undefined;
  }

  async post(part: TeamsPart, context: PartContext): Promise<string> {
    try {
      if (part.replaces) {
        const { client, conversationId } = await this.client(context.record);
        try {
          await client.conversations.updateActivity(conversationId, part.replaces, part.activity);
          return part.replaces;
        } catch (error) {
          // The placeholder is gone (deleted in Teams): then the reply is a message of its own, and
          // no longer safe to repeat.
          if ((error as HttpFailure).response?.status !== 404) throw error;
          delete part.replaces;
        }
      }
      // A new message is posted at most once (the connector cannot be asked whether it arrived),
      // so it waits long for its answer: giving up early turns a reply that was fine into `unknown`.
      const { client, conversationId } = await this.client(context.record, true);
      const result = await client.conversations.createActivity(conversationId, part.activity);
      return String(result.id ?? 'posted');
    } catch (error) {
      throw new DeliveryError(describe(error), classifyTeamsError(error));
    }
  }

  /** A placeholder whose reply never arrived is deleted: no "working on it" outlives its turn. */
  async clearProgress(record: InboxRecord, outcome: { delivered: boolean; placeholder?: string }): Promise<void> {
    if (outcome.delivered || !outcome.placeholder) return;
    const { client, conversationId } = await this.client(record);
    await client.conversations.deleteActivity(conversationId, outcome.placeholder);
  }

  /**
   * A placeholder message while Brek works, which the reply then replaces: the answer is an
   * update (safe to repeat), so only this short POST is at most once. Resolves to its id, or to
   * nothing when the POST failed (the reply is then posted as a message of its own).
   */
  async progress(record: InboxRecord, note: ProgressNote): Promise<string | void> {
    const { client, conversationId } = await this.client(record, true);
    const ref = teamsReference(record);
    // An Action.Submit click: retire its card now (Action.Execute already did in its invoke answer;
    // a tapped suggestion has no card, and Teams took its chips away itself).
    if (record.input.type === 'action' && ref.clickedActivityId && !ref.invoke && !ref.suggested) {
      const card = renderClicked(ref.clickedAction ?? record.input.action, ref.clickedLabel);
      await client.conversations.updateActivity(conversationId, ref.clickedActivityId, cardActivity('', card));
    }
    const placeholder = await client.conversations.createActivity(conversationId, { type: 'message', text: renderWorking(note) });
    return placeholder.id ? String(placeholder.id) : undefined;
  }
}

/** One reply activity, and the placeholder it replaces, if any. */
export interface TeamsPart {
  activity: CardActivity;
  replaces?: string;
}

/**
 * A message activity: a card with a short `summary` (what a notification shows; Teams would show
 * a `text` above the card, so a card carries none), or plain text alone.
 */
interface CardActivity {
  type: 'message';
  text?: string;
  textFormat?: 'plain';
  summary?: string;
  attachments?: { contentType: string; content: CardJson }[];
  /** Teams shows them in a personal chat only, and only under the latest message. */
  suggestedActions?: { to: string[]; actions: CardAction[] };
}

/**
 * The SDK's CardAction type leaves out `messageBack`, which the Bot Framework documents (and Teams
 * takes) for a button that brings the bot a value: the shape is the documented one, only the type
 * name is widened.
 */
function sdkCardAction(action: SuggestedAction): CardAction {
  return action as unknown as CardAction;
}

/** Suggested actions where Teams shows them (a personal chat); the card refreshes for its owner. */
function renderContext(ref: TeamsReference): TeamsRenderContext {
  return { personal: ref.conversationType === 'personal', refresh: { userIds: ref.fromId ? [ref.fromId] : [] } };
}

function cardActivity(summary: string, card: CardJson): CardActivity {
  return {
    type: 'message' as const,
    ...(summary ? { summary } : {}),
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
  };
}
