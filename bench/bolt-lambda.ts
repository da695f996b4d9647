// The Bolt baseline as a Lambda entry point (bolt-app.ts), bundled and loaded cold by bundles.ts
// next to the bridge's functions: what the same app costs to start. Module init reads only the
// environment, as the bridge's functions do; nothing is called until a request comes.
import { boltLambdaApp } from './bolt-app.ts';

export const handler = boltLambdaApp({
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  token: process.env.SLACK_BOT_TOKEN ?? '',
  brek: { baseUrl: process.env.BREK_BASE_URL ?? '', apiKey: process.env.BREK_PARTNER_API_KEY ?? '' },
});
