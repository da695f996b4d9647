// Replies through Twilio's Messages API with the `twilio` client, from TWILIO_WHATSAPP_FROM. A
// local fake is reached through the library's supported `httpClient` option (TWILIO_API_URL).
// WhatsApp only allows free-form replies within 24 hours of the traveller's last message; later
// ones are not attempted (no approved template is configured) and the turn is marked failed.
import twilio from 'twilio';
import type { Json } from '../../core/inbound.ts';
import type { Logger } from '../../core/log.ts';
import type { Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { PermanentSendError, SendFailure, type ChannelSender } from '../../core/turn.ts';
import type { WhatsAppConfig } from './config.ts';
import { renderWhatsApp } from './render.ts';

export const SESSION_WINDOW_MS = 24 * 3_600_000;
const MAX_TRIES = 4;

type TwilioClient = ReturnType<typeof twilio>;
type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

/** Sends the library's requests to another API origin (a local fake), keeping everything else. */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(private readonly origin: string) {
    super();
  }

  override request<TData>(opts: RequestOptions & { data?: TData }) {
    const uri = new URL(opts.uri);
    const target = new URL(this.origin);
    uri.protocol = target.protocol;
    uri.host = target.host;
    return super.request({ ...opts, uri: uri.toString() });
  }
}

export function twilioClient(config: Pick<WhatsAppConfig, 'accountSid' | 'authToken' | 'apiUrl'>): TwilioClient {
  return twilio(config.accountSid, config.authToken, config.apiUrl ? { httpClient: new RedirectingRequestClient(config.apiUrl) } : {});
}

function ref(record: InboxRecord, key: string): string | undefined {
  const value: Json | undefined = record.reference[key];
  return typeof value === 'string' ? value : undefined;
}

interface TwilioFailure {
  status?: number;
  code?: number;
}

export class WhatsAppSender implements ChannelSender {
  constructor(
    private readonly client: TwilioClient,
    private readonly from: string,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async send(reply: Reply, record: InboxRecord): Promise<void> {
    const to = ref(record, 'to');
    if (!to) throw new PermanentSendError('whatsapp reference without a recipient');
    if (this.now() - Date.parse(record.receivedAt) > SESSION_WINDOW_MS) {
      throw new PermanentSendError('outside WhatsApp’s 24-hour window since the traveller’s last message; no template is configured');
    }
    for (const body of renderWhatsApp(reply)) await this.create(to, body);
  }

  private async create(to: string, body: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.messages.create({ from: this.from, to, body });
        return;
      } catch (error) {
        const { status = 0, code } = error as TwilioFailure;
        // Only the status and Twilio's code travel on: the error carries the recipient's number.
        const reason = `Twilio answered ${status || 'nothing'}${code ? ` (error ${code})` : ''}`;
        const failureCode = String(code ?? (status || 'network'));
        if (status !== 429 && status < 500 && status !== 0) throw new PermanentSendError(reason, failureCode);
        if (attempt >= MAX_TRIES) throw new SendFailure(reason, failureCode);
        const wait = 300 * 2 ** (attempt - 1) * (0.5 + Math.random());
        this.logger?.warn('twilio busy; retrying', { status, waitMs: Math.round(wait) });
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
}
