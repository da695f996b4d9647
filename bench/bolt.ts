// The side-by-side baseline: a straightforward Bolt app for Lambda — `App` on an
// `AwsLambdaReceiver`, whose message listener creates a Brek session, sends the event and says the
// answer before it returns. On Lambda the function is frozen once the handler returns, so Bolt's
// receiver returns (acks) only after the listener finishes: the ack waits for Brek.
//
// Served here by a tiny node:http server that turns each request into an API Gateway v2 /
// Function URL event and calls `receiver.toHandler()` with it — the same HTTP requests, signed the
// same way, as the bridge's /slack/events gets. It talks to the fake Slack Web API
// (clientOptions.slackApiUrl) and never verifies its token, so nothing leaves the machine.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import type { AwsEventV2 } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { BrekClient } from '../core/brek/client.ts';
import { lowerCaseHeaders } from '../core/http.ts';
import type { Stack } from '../dev/stack.ts';
import { SIGNING_SECRET } from './stack.ts';

export interface BoltBaseline {
  url: string;
  close(): Promise<void>;
}

export async function startBoltBaseline(stack: Stack): Promise<BoltBaseline> {
  const brek = new BrekClient({ baseUrl: stack.config.brek.baseUrl!, apiKey: stack.config.brek.apiKey ?? '', authStyle: stack.config.brek.authStyle });
  const receiver = new AwsLambdaReceiver({ signingSecret: SIGNING_SECRET, logLevel: LogLevel.ERROR });
  const app = new App({
    token: stack.slack.botToken,
    receiver,
    // No auth.test at start or per request: the bot's ids are given, the token is not checked.
    tokenVerificationEnabled: false,
    botId: 'BBOT',
    botUserId: 'UBOT',
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: stack.slack.apiUrl },
  });
  app.message(async ({ message, say }) => {
    if (message.subtype !== undefined || !('text' in message) || typeof message.text !== 'string') return;
    const actorId = `slack:${message.user}`;
    const session = await brek.createSession({ actor: { actorId }, conversation: { channelId: 'slack' } });
    const answer = await brek.sendEvent({ sessionId: session.data.sessionId, actor: { actorId }, text: message.text, idempotencyKey: `bolt:${randomUUID()}` });
    await say(answer.data.result.messageText);
  });
  const handler = receiver.toHandler();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? '/', 'http://bolt');
      const event: AwsEventV2 = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.replace(/^\?/, ''),
        headers: lowerCaseHeaders(req.headers),
        body: Buffer.concat(chunks).toString('utf8'),
        isBase64Encoded: false,
        requestContext: { http: { method: req.method ?? 'POST', path: url.pathname } },
      };
      const result = await handler(event, {});
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
      res.writeHead(result.statusCode, headers);
      res.end(result.body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
