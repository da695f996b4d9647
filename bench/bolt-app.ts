// The straightforward Bolt app for Lambda the bench compares the bridge with: `App` on an
// `AwsLambdaReceiver`, whose message listener creates a Brek session, sends the event and says the
// answer before it returns (on Lambda the function is frozen once the handler returns, so the ack
// must wait for that work). Shared by the served baseline (bolt.ts) and the bundle measured cold
// (bolt-lambda.ts), so both are the same app.
import { randomUUID } from 'node:crypto';
import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { BrekClient } from '../core/brek/client.ts';

export interface BoltAppSettings {
  signingSecret: string;
  token: string;
  /** The (fake) Slack Web API; unset, Slack's own. */
  slackApiUrl?: string;
  brek: { baseUrl: string; apiKey: string; authStyle?: ConstructorParameters<typeof BrekClient>[0]['authStyle'] };
}

export function boltLambdaApp(settings: BoltAppSettings): ReturnType<AwsLambdaReceiver['toHandler']> {
  const brek = new BrekClient({ baseUrl: settings.brek.baseUrl, apiKey: settings.brek.apiKey, ...(settings.brek.authStyle ? { authStyle: settings.brek.authStyle } : {}) });
  const receiver = new AwsLambdaReceiver({ signingSecret: settings.signingSecret, logLevel: LogLevel.ERROR });
  const app = new App({
    token: settings.token,
    receiver,
    // No auth.test at start or per request: the bot's ids are given, the token is not checked.
    tokenVerificationEnabled: false,
    botId: 'BBOT',
    botUserId: 'UBOT',
    logLevel: LogLevel.ERROR,
    ...(settings.slackApiUrl ? { clientOptions: { slackApiUrl: settings.slackApiUrl } } : {}),
  });
  app.message(async ({ message, say }) => {
    if (message.subtype !== undefined || !('text' in message) || typeof message.text !== 'string') return;
    const actorId = `slack:${message.user}`;
    const session = await brek.createSession({ actor: { actorId }, conversation: { channelId: 'slack' } });
    const answer = await brek.sendEvent({ sessionId: session.data.sessionId, actor: { actorId }, text: message.text, idempotencyKey: `bolt:${randomUUID()}` });
    await say(answer.data.result.messageText);
  });
  return receiver.toHandler();
}
