// POST /slack/events: verifies and stores — no Brek, no actor secret, no bot token; a workspace
// that uninstalled the app is erased here.
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { slackIngress } from '../adapters/slack/ingress.ts';
import { eraseSlackWorkspace } from '../adapters/slack/installations.ts';
import { documentClient } from '../core/store/table.ts';
import { lambdaIngress } from './ingress.ts';

export const handler = lambdaIngress(
  { brek: false, actorIdSecret: false },
  (env) => slackIngress(loadSlackConfig(env, 'deployed', 'ingress')),
  // app_uninstalled / tokens_revoked: the workspace's installation and travellers' data go (no key needed to delete).
  (config, logger) => {
    const db = documentClient(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {});
    return { eraseWorkspace: (workspace, reason) => eraseSlackWorkspace(db, config.tableName, workspace, reason, logger) };
  },
);
