// WhatsApp in the local stack: a real Twilio account when TWILIO_ACCOUNT_SID is set, otherwise
// the fake Messages API (dev/fakes/twilio.ts), and its console pane.
import { loadWhatsAppConfig, type WhatsAppConfig } from '../../adapters/whatsapp/config.ts';
import { whatsappProfile } from '../../adapters/whatsapp/profile.ts';
import { ChannelRequestError, expectOk, type PaneMessage, type SimulatedChannel } from '../console/channels.ts';
import { startFakeTwilio, type FakeTwilio, type TwilioMessage } from '../fakes/twilio.ts';
import { inboundMessage, postTwilio, type WhatsAppUser } from '../simulate/whatsapp.ts';
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
        };
      },
    };
  },
};

/** The console's WhatsApp pane: messages as Twilio's signed webhook posts; no buttons. */
function simulatedWhatsApp(
  fake: FakeTwilio,
  settings: { targetUrl: () => string; signedUrl: () => string; authToken: string; from: string },
  emit: (m: PaneMessage) => void,
): SimulatedChannel {
  fake.on((message: TwilioMessage) => {
    emit({ channel: 'whatsapp', address: message.to, id: message.sid, op: 'post', from: 'bot', payload: { body: message.body }, at: Date.now() });
  });
  return {
    channel: 'whatsapp',
    address: (name) => whatsappUserFor(name).address,
    async send(name, text) {
      const { address, ...user } = whatsappUserFor(name);
      const params = inboundMessage(user, settings.from, text);
      emit({ channel: 'whatsapp', address, id: `user:${params.MessageSid ?? Date.now()}`, op: 'post', from: 'user', payload: { text }, at: Date.now() });
      // Twilio signs the URL configured as the webhook (WHATSAPP_WEBHOOK_URL), wherever it is delivered.
      await expectOk(await postTwilio(settings.targetUrl(), settings.signedUrl(), settings.authToken, params));
    },
    async click() {
      throw new ChannelRequestError('WhatsApp messages have no buttons here: reply with the number or word instead');
    },
  };
}
