// `npm start`: the whole bridge on one machine (see dev/stack.ts), with embedded stand-ins for
// every part that is not configured.
import { CHANNEL_PROFILES } from '../adapters/profiles.ts';
import { ConfigError } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { parseCommandLine } from './args.ts';
import { runService, StartupError } from './cli.ts';
import { startStack } from './stack.ts';

const { values } = parseCommandLine({
  command: 'npm start',
  synopsis: '[-- options]',
  summary: 'The whole bridge on this machine, with embedded stand-ins (DynamoDB, the Brek sandbox, each channel) for whatever is not configured.',
  options: {
    port: { type: 'string', value: 'N', description: 'the port of the bridge and its console (PORT; default 3000, 0 picks a free one)' },
    'data-dir': { type: 'string', value: 'DIR', description: 'where the stack keeps its data, dev secrets and stack.json (BRIDGE_DATA_DIR; default .data)' },
  },
  sections: [
    {
      heading: 'environment',
      lines: [
        'PORT, HOST          where the bridge listens (default 3000 on 127.0.0.1)',
        'BRIDGE_DATA_DIR     the data directory; one stack at a time uses each',
        'LOG_LEVEL           debug, info, warn (default) or error',
        'BREK_BASE_URL, AWS_ENDPOINT_URL_DYNAMODB, and each channel’s variables: use a real one instead of the stand-in',
      ],
    },
  ],
  examples: ['npm start', 'npm start -- --port 3100 --data-dir /tmp/second-stack'],
});
// The options are the documented variables, so the rest of the stack reads only those.
if (values.port !== undefined) process.env.PORT = values.port;
if (values['data-dir'] !== undefined) process.env.BRIDGE_DATA_DIR = values['data-dir'];

// Node 20 is this product's runtime; the SDK's notice about its future Node 22 floor is tracked in
// docs/local-stack.md, not printed on every start.
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
