// `npm run sandbox`: the Brek sandbox on its own.
import { parseCommandLine } from '../dev/args.ts';
import { runService } from '../dev/cli.ts';
import { DEV_PARTNER_KEY, sandboxConfigFromEnv } from './config.ts';
import { startSandbox } from './server.ts';

const { values } = parseCommandLine({
  command: 'npm run sandbox',
  synopsis: '-- [options]',
  summary: 'The Brek sandbox on its own: the Partner Core Chat API, the payment portal, and (with an admin key) fault injection.',
  options: {
    port: { type: 'string', value: 'N', description: 'the port to listen on (BREK_SANDBOX_PORT; default 4010, 0 picks a free one)' },
    'data-dir': { type: 'string', value: 'DIR', description: 'keep sessions, cards, bookings and setup links in DIR across restarts (BREK_SANDBOX_DATA_DIR; default in memory)' },
  },
  sections: [
    {
      heading: 'environment',
      lines: [
        'BREK_SANDBOX_PORT, BREK_SANDBOX_HOST   where it listens (default 127.0.0.1:4010)',
        'BREK_SANDBOX_DATA_DIR                  where its state is kept (unset: in memory, lost on exit)',
        'BREK_SANDBOX_KEYS                      key:partnerId,… accepted partner keys (default the dev key)',
        'BREK_SANDBOX_PUBLIC_URL                base of the links handed to travellers',
        'BREK_SANDBOX_ADMIN_KEY                 turns on the /__sandbox admin API',
        'BREK_SANDBOX_RATE_LIMIT                requests per minute per key (default 120)',
      ],
    },
  ],
  examples: ['npm run sandbox', 'npm run sandbox -- --port 0 --data-dir .data/sandbox'],
});
// The options are the documented variables, so sandboxConfigFromEnv reads only those.
if (values.port !== undefined) process.env.BREK_SANDBOX_PORT = values.port;
if (values['data-dir'] !== undefined) process.env.BREK_SANDBOX_DATA_DIR = values['data-dir'];

await runService('brek sandbox', 'BREK_SANDBOX_PORT', async () => {
  const config = sandboxConfigFromEnv();
  const sandbox = await startSandbox(config);
  const devKey = config.keys.has(DEV_PARTNER_KEY) ? ` (dev key: ${DEV_PARTNER_KEY})` : '';
  return {
    service: sandbox,
    banner: [
      `Brek sandbox listening on ${sandbox.url}`,
      `  API:            ${sandbox.url}/api/partner/v1/core-chat${devKey}`,
      `  partners:       ${[...new Set(config.keys.values())].join(', ')}`,
      `  payment portal: ${config.publicUrl ?? sandbox.url}/portal/payment?token=…`,
      `  state:          ${config.dataDir ? `${config.dataDir} (kept across restarts)` : 'in memory (set BREK_SANDBOX_DATA_DIR to keep it)'}`,
      `  admin API:      ${config.adminKey ? `${sandbox.url}/__sandbox (header x-sandbox-admin-key)` : 'off (set BREK_SANDBOX_ADMIN_KEY)'}`,
    ],
  };
});
