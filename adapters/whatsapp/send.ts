// Replies through Twilio's Messages API with the `twilio` client, from TWILIO_WHATSAPP_FROM. A
// local fake is reached through the library's supported `httpClient` option (TWILIO_API_URL).
// WhatsApp only allows free-form replies within 24 hours of the traveller's last message; later
// ones are not attempted (no approved template is configured) and the turn is marked failed.
//
// Exactly once (core/delivery.ts): a long reply is several messages, each a part; after an
// ambiguous failure `find` looks the part up in the Messages list (to, from, body, created since
// the delivery began) before it is sent again, and a retry resumes at the first part not found.
import twilio from 'twilio';
import { DeliveryError, PermanentSendError, type ChannelSender, type FailureClass, type PartContext } from '../../core/delivery.ts';
import type { Logger } from '../../core/log.ts';
import type { Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import type { WhatsAppConfig } from './config.ts';
import { whatsappReference } from './normalize.ts';
import { renderWhatsApp, splitMessage } from './render.ts';
import { plainReplyText, PLAIN_TEXT_MAX } from '../../core/plain-text.ts';

const SESSION_WINDOW_MS = 24 * 3_600_000;
/** Twilio's clock and ours differ a little; a lookup reaches this far before the delivery began. */
const LOOKUP_SKEW_MS = 5_000;
/** Messages between the bridge and one traveller since the delivery began: a few, never this many. */
const LOOKUP_LIMIT = 100;
/** Twilio's refusals of a body itself: 21617 too long, 21602 empty, 21619 no body or media. */
const BODY_ERRORS = new Set(['21617', '21602', '21619']);

type TwilioClient = ReturnType<typeof twilio>;
type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

/** Sends the library's requests to another API origin (a local fake), keeping everything else. */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly origin: string,
    timeoutMs?: number,
  ) {
    super(timeoutMs ? { timeout: timeoutMs } : {});
  }

  override request<TData>(opts: RequestOptions & { data?: TData }) {
    const uri = new URL(opts.uri);
    const target = new URL(this.origin);
    uri.protocol = target.protocol;
    uri.host = target.host;
    return super.request({ ...opts, uri: uri.toString() });
  }
}

export function twilioClient(config: Pick<WhatsAppConfig, 'accountSid' | 'authToken' | 'apiUrl'>, options: { timeoutMs?: number } = {}): TwilioClient {
  const httpClient = config.apiUrl
    ? new RedirectingRequestClient(config.apiUrl, options.timeoutMs)
    : options.timeoutMs
      ? new twilio.RequestClient({ timeout: options.timeoutMs })
      : undefined;
  return twilio(config.accountSid, config.authToken, httpClient ? { httpClient } : {});
}

interface TwilioFailure {
  status?: number;
  code?: unknown;
}

/** What a failed Messages API call means for a retry. */
function classifyTwilioError(error: unknown): FailureClass {
  if (error instanceof DeliveryError) return error.failure;
  const { status, code } = (typeof error === 'object' && error !== null ? error : {}) as TwilioFailure;
  if (typeof status === 'number' && status > 0) {
    const twilioCode = typeof code === 'number' || typeof code === 'string' ? String(code) : String(status);
    if (status === 429) return { kind: 'not_delivered', code: twilioCode };
    // A 5xx may come after the message was queued; a 4xx refuses the request itself — for its
    // body (too long, empty) when Twilio says so.
    if (status >= 500) return { kind: 'ambiguous', code: twilioCode };
    return { kind: 'permanent', code: twilioCode, ...(BODY_ERRORS.has(twilioCode) ? { content: true } : {}) };
  }
  const network = typeof code === 'string' ? code : 'network';
  return { kind: network === 'ECONNREFUSED' ? 'not_delivered' : 'ambiguous', code: network };
}

/** Only the status and Twilio's code travel on: the error carries the recipient's number. */
function describe(error: unknown): string {
  const { status, code } = (typeof error === 'object' && error !== null ? error : {}) as TwilioFailure;
  if (typeof status === 'number' && status > 0) return `Twilio answered ${status}${code ? ` (error ${String(code)})` : ''}`;
  return `Twilio did not answer (${typeof code === 'string' ? code : 'network'})`;
}

export class WhatsAppSender implements ChannelSender<string> {
  constructor(
    private readonly client: TwilioClient,
    private readonly from: string,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  classify(error: unknown): FailureClass {
    return classifyTwilioError(error);
  }

  async ready(record: InboxRecord): Promise<void> {
    this.inWindow(record);
  }

  private inWindow(record: InboxRecord): string {
    const { to } = whatsappReference(record);
    if (!to) throw new PermanentSendError('whatsapp reference without a recipient', 'no_recipient');
    if (this.now() - Date.parse(record.receivedAt) > SESSION_WINDOW_MS) {
      throw new PermanentSendError('outside WhatsApp’s 24-hour window since the traveller’s last message; no template is configured', 'outside_window');
    }
    return to;
  }

  compose(reply: Reply): string[] {
    return renderWhatsApp(reply);
  }

  /** The reply as plain text, in messages well under Twilio's limit. */
  plain(reply: Reply): string[] {
    return splitMessage(plainReplyText(reply), PLAIN_TEXT_MAX);
  }

  async post(body: string, context: PartContext): Promise<string> {
    const to = this.inWindow(context.record);
    try {
      const message = await this.client.messages.create({ from: this.from, to, body });
      return message.sid;
    } catch (error) {
      throw new DeliveryError(describe(error), classifyTwilioError(error));
    }
  }

  /** The message with this body to this traveller, created since the delivery began; null when none. */
  async find(body: string, context: PartContext): Promise<string | null> {
    const { to } = whatsappReference(context.record);
    if (!to) return null;
    try {
      const messages = await this.client.messages.list({ to, from: this.from, limit: LOOKUP_LIMIT });
      const since = context.since - LOOKUP_SKEW_MS;
      const match = messages.find((m) => m.body === body && m.dateCreated instanceof Date && m.dateCreated.getTime() >= since);
      return match?.sid ?? null;
    } catch (error) {
      throw new DeliveryError(describe(error), classifyTwilioError(error));
    }
  }
}
