// WhatsApp in the local stack: a real Twilio account when TWILIO_ACCOUNT_SID is set, otherwise
// the fake Twilio (dev/fakes/twilio.ts: Messages, Content API, typing indicator, status callbacks)
// with an approved template for each late message, and its console pane (lists and quick replies
// drawn as WhatsApp draws them, and tappable).
import { loadWhatsAppConfig, type WhatsAppConfig } from '../../adapters/whatsapp/config.ts';
import { whatsappProfile } from '../../adapters/whatsapp/profile.ts';
import { ChannelRequestError, expectOk, type PaneMessage, type SimulatedChannel } from '../console/channels.ts';
import { startFakeTwilio, type FakeTwilio, type TwilioMessage } from '../fakes/twilio.ts';
import { choicesOf, inboundMessage, postTwilio, tapReply, type WhatsAppUser } from '../simulate/whatsapp.ts';
import type { LocalChannel } from './index.ts';

declare module '../stack.ts' {
  interface Stack {
    whatsapp: WhatsAppConfig;
    fakeTwilio?: FakeTwilio;
  }
  interface StackInfo {
    fakeTwilioUrl?: string;
    whatsappFrom?: string;
    whatsappWebhookUrl?: string;
  }
  interface DevSecrets {
    twilioAuthToken: string;
  }
}

/** A made-up number per name: it stays on this machine, and the bridge hashes it before storing anything. */
export function whatsappUserFor(name: string): WhatsAppUser & { address: string } {
  const digits = [...name].reduce((n, c) => (n * 31 + c.charCodeAt(0)) % 10_000_000, 7);
  const phone = `+1555${String(digits).padStart(7, '0')}`;
  return { phone, name, address: `whatsapp:${phone}` };
}

export const localChannel: LocalChannel = {
  async prepare({ env, secret }) {
    let fake: FakeTwilio | undefined;
    if (!env.TWILIO_ACCOUNT_SID) {
      fake = await startFakeTwilio({ authToken: env.TWILIO_AUTH_TOKEN ?? secret('twilioAuthToken') });
      env.TWILIO_ACCOUNT_SID = fake.accountSid;
      env.TWILIO_AUTH_TOKEN = fake.authToken;
      env.TWILIO_WHATSAPP_FROM ??= 'whatsapp:+14155238886';
      env.TWILIO_API_URL ??= fake.url;
      // As if approved in the Console: what must still reach a traveller after 24 hours.
      env.WHATSAPP_TEMPLATE_BOOKED ??= fake.approvedTemplate('Your booking is confirmed: {{1}}');
      env.WHATSAPP_TEMPLATE_NOTICE ??= fake.approvedTemplate('An update on your request: {{1}}');
    }
    return {
      ...(fake ? { close: () => fake.close() } : {}),
      listening(url, env) {
        // The URL Twilio signs: this stack's own route unless a tunnel's is configured.
        env.WHATSAPP_WEBHOOK_URL ??= `${url}${whatsappProfile.route}`;
      },
      join({ url, env, console }) {
        const whatsapp = loadWhatsAppConfig(env, 'local');
        if (fake) {
          const settings = { targetUrl: () => `${url()}${whatsappProfile.route}`, signedUrl: () => whatsapp.webhookUrl, authToken: fake.authToken, from: whatsapp.from };
          console.addChannel(simulatedWhatsApp(fake, settings, console.emit));
        }
        return {
          part: { name: 'Twilio (WhatsApp)', where: fake ? fake.url : 'api.twilio.com', embedded: Boolean(fake) },
          howTo: fake ? 'WhatsApp is simulated — talk to it with: npm run chat -- --channel whatsapp' : `WhatsApp is real: set the sender’s incoming-message webhook to ${whatsapp.webhookUrl}.`,
          info: fake ? { fakeTwilioUrl: fake.url, whatsappFrom: whatsapp.from, whatsappWebhookUrl: whatsapp.webhookUrl } : {},
          fields: { whatsapp, ...(fake ? { fakeTwilio: fake } : {}) },
          ...(fake ? { settled: () => fake.settled() } : {}),
        };
      },
    };
  },
};

/** The console's WhatsApp pane: messages as Twilio's signed webhook posts; list items and quick replies tapped as WhatsApp sends them. */
function simulatedWhatsApp(
  fake: FakeTwilio,
  settings: { targetUrl: () => string; signedUrl: () => string; authToken: string; from: string },
  emit: (m: PaneMessage) => void,
): SimulatedChannel {
  fake.on((message: TwilioMessage) => {
    emit({ channel: 'whatsapp', address: message.to, id: message.sid, op: 'post', from: 'bot', payload: { body: message.body, ...(message.interactive ? { interactive: message.interactive } : {}) }, at: Date.now() });
  });
  return {
    channel: 'whatsapp',
    address: (name) => whatsappUserFor(name).address,
    async send(name, text) {
      const { address, ...user } = whatsappUserFor(name);
      const params = inboundMessage(user, settings.from, text);
      fake.received(address);
      emit({ channel: 'whatsapp', address, id: `user:${params.MessageSid ?? Date.now()}`, op: 'post', from: 'user', payload: { text }, at: Date.now() });
      // Twilio signs the URL configured as the webhook (WHATSAPP_WEBHOOK_URL), wherever it is delivered.
      await expectOk(await postTwilio(settings.targetUrl(), settings.signedUrl(), settings.authToken, params));
    },
    async click(input) {
      // A tap on a list item or quick reply of one of the bridge's messages: `value` is its id.
      const message = fake.messages.find((m) => m.sid === input.messageId && m.delivered);
      const { address, ...user } = whatsappUserFor(input.name);
      if (!message || message.to !== address) throw new ChannelRequestError('that message has no buttons in this traveller’s chat');
      const index = choicesOf(message).findIndex((c) => c.id === input.value);
      if (index < 0) throw new ChannelRequestError('that message has no buttons with that choice');
      const params = tapReply(user, settings.from, message, index);
      fake.received(address);
      emit({ channel: 'whatsapp', address, id: `user:${params.MessageSid ?? Date.now()}`, op: 'post', from: 'user', payload: { text: params.Body ?? '' }, at: Date.now() });
      await expectOk(await postTwilio(settings.targetUrl(), settings.signedUrl(), settings.authToken, params));
      return undefined;
    },
  };
}
