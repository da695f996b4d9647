// `npm run sandbox`: the Brek sandbox on its own.
import { runService } from '../dev/cli.ts';
import { DEV_PARTNER_KEY, sandboxConfigFromEnv } from './config.ts';
import { startSandbox } from './server.ts';

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
      `  admin API:      ${config.adminKey ? `${sandbox.url}/__sandbox (header x-sandbox-admin-key)` : 'off (set BREK_SANDBOX_ADMIN_KEY)'}`,
    ],
  };
});
