// The WhatsApp side of `npm run chat`: messages posted to the webhook exactly as Twilio sends
// them (signed form posts), replies read back from the fake Messages API. A list picker's items
// and quick replies are offered as numbered choices (a pick is posted as Twilio posts the tap:
// ListId / ButtonPayload); typing numbers, YES, NO and DONE still works.
import { inboundMessage, postTwilio, tapReply, choicesOf, type WhatsAppUser } from '../simulate/whatsapp.ts';
import type { TwilioInteractive } from '../fakes/twilio.ts';
import { whatsappUserFor } from '../local/whatsapp.ts';
import { ChatSetupError, collectReplies, type ChatButton, type ChatChannel, type ChatChannelModule, type ChatMessage } from './types.ts';

interface FakeMessage {
  sid: string;
  to: string;
  body: string;
  interactive?: TwilioInteractive;
  fault?: string;
  /** The platform did the work (a post whose answer was lost counts). */
  delivered: boolean;
}

export class WhatsAppChat implements ChatChannel {
  readonly name = 'whatsapp';
  private seen = 0;

  constructor(
    private readonly webhookUrl: string,
    private readonly fakeTwilioUrl: string,
    private readonly authToken: string,
    private readonly from: string,
    private readonly user: WhatsAppUser,
  ) {}

  async start(): Promise<void> {
    this.seen = (await this.messages(0)).next;
  }

  private async messages(since: number): Promise<{ messages: FakeMessage[]; next: number }> {
    return (await (await fetch(`${this.fakeTwilioUrl}/__fake/messages?since=${since}`)).json()) as { messages: FakeMessage[]; next: number };
  }

  async send(text: string): Promise<void> {
    const res = await postTwilio(this.webhookUrl, this.webhookUrl, this.authToken, inboundMessage(this.user, this.from, text));
    if (res.status !== 200) throw new Error(`the bridge answered ${res.status}: ${await res.text()}`);
  }

  /** The message's list items or quick replies, each a choice that taps it. */
  private choices(message: FakeMessage): ChatButton[] {
    return choicesOf(message).map((choice, index) => ({
      label: message.interactive?.type === 'list' ? `${choice.title}${choice.description ? ` — ${choice.description}` : ''}` : choice.title,
      click: async () => {
        const res = await postTwilio(this.webhookUrl, this.webhookUrl, this.authToken, tapReply(this.user, this.from, message, index));
        if (res.status !== 200) throw new Error(`the bridge answered ${res.status}: ${await res.text()}`);
      },
    }));
  }

  async replies(timeoutMs: number): Promise<ChatMessage[]> {
    return collectReplies(async () => {
      const { messages, next } = await this.messages(this.seen);
      this.seen = next;
      return messages.filter((m) => m.to === `whatsapp:${this.user.phone}` && m.delivered).map((m) => ({ text: m.body, buttons: [...links(m.body), ...this.choices(m)] }));
    }, timeoutMs);
  }
}

/** Links in the text, offered as numbered links so /card finds the payment page. */
function links(text: string): ChatButton[] {
  return [...text.matchAll(/https?:\/\/\S+\/portal\/payment\?token=\S+/g)].map((m) => ({ label: 'Payment link', url: m[0] }));
}

export const chatChannel: ChatChannelModule = {
  open({ stack, secrets, env, user }) {
    if (!stack.fakeTwilioUrl || !stack.whatsappWebhookUrl || !stack.whatsappFrom) {
      throw new ChatSetupError('the stack talks to real Twilio (TWILIO_ACCOUNT_SID is set); chat needs its simulated WhatsApp.');
    }
    const authToken = env.TWILIO_AUTH_TOKEN ?? secrets.twilioAuthToken;
    if (!authToken) throw new ChatSetupError('no Twilio auth token (set TWILIO_AUTH_TOKEN as for `npm start`).');
    const { phone, name } = whatsappUserFor(user);
    return new WhatsAppChat(stack.whatsappWebhookUrl, stack.fakeTwilioUrl, authToken, stack.whatsappFrom, { phone, ...(name ? { name } : {}) });
  },
};
