// `npm start`: the local stack. Today it is the Brek sandbox; the bridge's routes join it as
// the channel issues land (DESIGN.md, "Runtime contract").
import { runService } from './cli.ts';
import { DEV_PARTNER_KEY, sandboxConfigFromEnv } from '../sandbox/config.ts';
import { startSandbox } from '../sandbox/server.ts';

await runService('npm start', 'BREK_SANDBOX_PORT', async () => {
  const config = sandboxConfigFromEnv();
  const sandbox = await startSandbox(config);
  const key = config.keys.has(DEV_PARTNER_KEY) ? DEV_PARTNER_KEY : '<a key from BREK_SANDBOX_KEYS>';
  return {
    service: sandbox,
    banner: [
      'Brek channel bridge — local stack',
      `  Brek sandbox (embedded): ${sandbox.url}/api/partner/v1/core-chat  (partner key: ${key})`,
      `  payment portal:          ${config.publicUrl ?? sandbox.url}/portal/payment?token=…`,
      `  health:                  ${sandbox.url}/healthz`,
      '  Slack, Teams and WhatsApp routes: not served yet (they arrive with the channel issues).',
      '  Try it:',
      `    curl -s ${sandbox.url}/api/partner/v1/core-chat/sessions -H 'x-partner-api-key: ${key}' \\`,
      `      -H 'content-type: application/json' -d '{"actor":{"actorId":"me"}}'`,
      'Ctrl-C stops it.',
    ],
  };
});
