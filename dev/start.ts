// `npm start`: the whole bridge on one machine (see dev/stack.ts), with embedded stand-ins for
// every part that is not configured.
import { CHANNEL_PROFILES } from '../adapters/profiles.ts';
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
      `  console: open ${stack.url}/ in a browser — every channel side by side, and every turn`,
      '  routes:',
      ...CHANNEL_PROFILES.map((profile) => `    POST ${stack.url}${profile.route}`),
      `    GET  ${stack.url}/healthz`,
      ...stack.channelNotes.flatMap((note) => note.routes.map((route) => `    ${route}`)),
      ...stack.channelNotes.map((note) => `  ${note.howTo}`),
      'Ctrl-C stops it.',
    ],
  };
});
