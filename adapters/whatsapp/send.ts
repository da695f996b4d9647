// Replies through Twilio's Messages API with the `twilio` client (twilio-client.ts: only the
// resources used), from TWILIO_WHATSAPP_FROM. A local fake is reached through the library's
// supported `httpClient` option (TWILIO_API_URL).
// WhatsApp only allows free-form replies within 24 hours of the traveller's last message; later,
// what must reach the traveller (a booking, an apology) goes as the approved template configured
// for it (WHATSAPP_TEMPLATE_BOOKED / _NOTICE), and anything else is not attempted (the turn fails).
//
// Issue 21: a shortlist's list picker and a reply's quick replies go through the Content API
// (content.ts: one resource per shape) with ContentSid + ContentVariables; when Twilio refuses
// them, or WHATSAPP_CONTENT_API=off, the same text goes without them. Every message asks for its
// StatusCallback (the webhook URL: the normaliser records delivered / read / failed on the turn),
// and while Brek works the traveller's message shows WhatsApp's typing indicator.
//
// Exactly once (core/delivery.ts): a long reply is several messages, each a part; after an
// ambiguous failure `find` looks the part up in the Messages list (to, from, body, created since
// the delivery began) before it is sent again, and a retry resumes at the first part not found.
import { DeliveryError, PermanentSendError, type ChannelSender, type FailureClass, type PartContext } from '../../core/delivery.ts';
import type { Logger } from '../../core/log.ts';
import type { Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import type { WhatsAppConfig } from './config.ts';
import { whatsappReference } from './normalize.ts';
import { renderWhatsAppParts, splitMessage, templateUse, type WhatsAppPart, type WhatsAppTemplateUse } from './render.ts';
import { plainReplyText, PLAIN_TEXT_MAX } from '../../core/plain-text.ts';
import type { ContentCatalog } from './content.ts';
import type { TwilioRest } from './twilio-client.ts';

export { twilioClient } from './twilio-client.ts';

const SESSION_WINDOW_MS = 24 * 3_600_000;
/** Twilio's clock and ours differ a little; a lookup reaches this far before the delivery began. */
const LOOKUP_SKEW_MS = 5_000;
/** Messages between the bridge and one traveller since the delivery began: a few, never this many. */
const LOOKUP_LIMIT = 100;
/** Twilio's refusals of a body itself: 21617 too long, 21602 empty, 21619 no body or media. */
const BODY_ERRORS = new Set(['21617', '21602', '21619']);
/** Twilio's refusals of a Content message: 21655 unknown ContentSid, 21656 variables that do not fit it. */
const CONTENT_ERRORS = new Set(['21655', '21656']);

/** What the sender does beyond plain text; each off when unset. */
export interface WhatsAppFeatures {
  /** The Content API for list pickers and quick replies (WHATSAPP_CONTENT_API not `off`). */
  content?: ContentCatalog;
  /** Where Twilio reports each message's status (the webhook URL). */
  statusCallback?: string;
  /** Approved templates' ContentSids for messages outside the 24-hour window. */
  templates?: Partial<Record<WhatsAppTemplateUse['template'], string>>;
  /** WhatsApp's typing indicator while Brek works. */
  typing?: boolean;
}

/**
 * One message as the sender posts it: its text, the list or buttons it carries, and — on the
 * first part of a reply that must reach the traveller — the template that carries it late.
 */
export interface WhatsAppOutbound extends WhatsAppPart {
  late?: WhatsAppTemplateUse;
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

export class WhatsAppSender implements ChannelSender<WhatsAppOutbound> {
  constructor(
    private readonly client: TwilioRest,
    private readonly from: string,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
    private readonly features: WhatsAppFeatures = {},
  ) {}

  classify(error: unknown): FailureClass {
    return classifyTwilioError(error);
  }

  async ready(record: InboxRecord): Promise<void> {
    const { to } = whatsappReference(record);
    if (!to) throw new PermanentSendError('whatsapp reference without a recipient', 'no_recipient');
    // Outside the window the reply may still go as a template; only with none configured is it refused up front.
    if (this.outsideWindow(record) && !Object.values(this.features.templates ?? {}).some(Boolean)) throw this.windowClosed();
  }

  private outsideWindow(record: InboxRecord): boolean {
    return this.now() - Date.parse(record.receivedAt) > SESSION_WINDOW_MS;
  }

  private windowClosed(): PermanentSendError {
    return new PermanentSendError('outside WhatsApp’s 24-hour window since the traveller’s last message; no template is configured for this reply', 'outside_window');
  }

  private recipient(record: InboxRecord): string {
    const { to } = whatsappReference(record);
    if (!to) throw new PermanentSendError('whatsapp reference without a recipient', 'no_recipient');
    return to;
  }

  compose(reply: Reply, record?: InboxRecord): WhatsAppOutbound[] {
    const parts: WhatsAppOutbound[] = renderWhatsAppParts(reply).map((part) => (this.features.content ? part : { body: part.body }));
    const late = templateUse(reply);
    if (!late || !parts[0]) return parts;
    // Past the window (it never reopens for this message) the template is the whole reply.
    if (record && this.outsideWindow(record) && this.features.templates?.[late.template]) return [{ ...parts[0], late }];
    parts[0] = { ...parts[0], late };
    return parts;
  }

  /** The reply as plain text, in messages well under Twilio's limit. */
  plain(reply: Reply): WhatsAppOutbound[] {
    const late = templateUse(reply);
    return splitMessage(plainReplyText(reply), PLAIN_TEXT_MAX).map((body, i) => (late && i === 0 ? { body, late } : { body }));
  }

  async post(part: WhatsAppOutbound, context: PartContext): Promise<string> {
    const to = this.recipient(context.record);
    const callback = this.features.statusCallback ? { statusCallback: this.features.statusCallback } : {};
    if (this.outsideWindow(context.record)) {
      // Only the reply's first part, as its approved template: the rest cannot go at all.
      const template = part.late && this.features.templates?.[part.late.template];
      if (!template) throw this.windowClosed();
      return this.create({ from: this.from, to, contentSid: template, contentVariables: JSON.stringify(part.late!.variables), ...callback });
    }
    if (part.interactive && this.features.content) {
      const { shape, variables } = part.interactive;
      let contentSid: string | undefined;
      try {
        contentSid = await this.features.content.sidFor(shape);
      } catch (error) {
        // The Content API is not there for us (not enabled, down): the same words as text.
        this.logger?.warn('whatsapp content unavailable; sending text', { shape, error: describe(error) });
      }
      if (contentSid) {
        try {
          return await this.create({ from: this.from, to, contentSid, contentVariables: JSON.stringify(variables), ...callback });
        } catch (error) {
          const failure = classifyTwilioError(error);
          if (!(failure.kind === 'permanent' && CONTENT_ERRORS.has(failure.code))) throw error;
          // Refused for the content itself: its SID may be gone (made again next time); this message goes as text.
          this.logger?.warn('whatsapp content refused; sending text', { shape, code: failure.code });
          if (failure.code === '21655') await this.features.content.forget(shape, contentSid).catch(() => undefined);
        }
      }
    }
    return this.create({ from: this.from, to, body: part.body, ...callback });
  }

  private async create(params: Parameters<TwilioRest['messages']['create']>[0]): Promise<string> {
    try {
      const message = await this.client.messages.create(params);
      return message.sid;
    } catch (error) {
      throw new DeliveryError(describe(error), classifyTwilioError(error));
    }
  }

  /** WhatsApp's typing indicator on the traveller's message (it also marks it read); it ends with our reply. */
  async progress(record: InboxRecord): Promise<void> {
    if (!this.features.typing || !/^(SM|MM)[0-9a-f]{32}$/.test(record.channelMessageId)) return;
    try {
      await this.client.messaging.v2.typingIndicator.create({ channel: 'whatsapp', messageId: record.channelMessageId });
    } catch (error) {
      this.logger?.warn('whatsapp typing indicator failed', { error: describe(error) });
    }
  }

  /** The message with this body to this traveller, created since the delivery began; null when none. */
  async find(part: WhatsAppOutbound, context: PartContext): Promise<string | null> {
    const body = part.body;
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
