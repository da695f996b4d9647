// `npm start`: the whole bridge on one machine (see dev/stack.ts), with embedded stand-ins for
// every part that is not configured.
import { ConfigError } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { runService, StartupError } from './cli.ts';
import { startStack } from './stack.ts';

// Node 20 is this product's runtime; the SDK's notice about its future Node 22 floor is tracked in
// the README, not printed on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await runService('npm start', 'PORT', async () => {
  const stack = await startStack({ logger: createLogger({ level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn' }) }).catch((error: unknown) => {
    if (error instanceof ConfigError) throw new StartupError(error.problems.join('; '));
    throw error;
  });
  const width = Math.max(...stack.parts.map((p) => p.name.length));
  return {
    service: stack,
    banner: [
      'Brek channel bridge — local stack',
      ...stack.parts.map((p) => `  ${p.name.padEnd(width)}  ${p.where}${p.name === 'bridge' ? '' : p.embedded ? '  (embedded)' : '  (configured)'}`),
      ...(stack.console.address?.loopback === false ? [`  WARNING: HOST=${stack.console.address.requested} is not loopback — other machines can reach this stack and its console.`] : []),
      `  console: open ${stack.url}/ in a browser — the three channels side by side, and every turn`,
      '  routes:',
      `    POST ${stack.url}/slack/events`,
      `    POST ${stack.url}/teams/messages`,
      `    POST ${stack.url}/whatsapp/webhook`,
      `    GET  ${stack.url}/healthz`,
      ...(stack.slack.oauth ? [`    GET  ${stack.url}/slack/install  (Add to Slack; redirect URI ${stack.slack.oauth.redirectUri ?? `${stack.url}/slack/oauth_redirect`})`] : []),
      stack.fakeSlack
        ? '  Slack is simulated — talk to it with: npm run chat -- --channel slack'
        : '  Slack is real: point your app’s Event Subscriptions and Interactivity URLs at /slack/events (through a tunnel).',
      stack.fakeTwilio ? '  WhatsApp is simulated — talk to it with: npm run chat -- --channel whatsapp' : `  WhatsApp is real: set the sender’s incoming-message webhook to ${stack.whatsapp.webhookUrl}.`,
      stack.fakeTeams ? '  Teams is simulated — talk to it with: npm run chat -- --channel teams' : '  Teams is real: set the bot’s messaging endpoint to /teams/messages (through a tunnel).',
      'Ctrl-C stops it.',
    ],
  };
});
