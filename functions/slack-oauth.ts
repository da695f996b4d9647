// GET /slack/install and GET /slack/oauth_redirect: distributing the Slack app to many workspaces
// with the Slack SDK's install flow (adapters/slack/oauth.ts). Each installation is sealed with a
// KMS data key (INSTALLATION_KMS_KEY_ID) before it is stored; no bot token is ever in clear.
// Each failed install counts SlackInstallFailed (by reason), flushed as EMF once per request.
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { slackWorkspaces } from '../adapters/slack/workspaces.ts';
import { configureAtStart, ConfigError, loadCoreConfig } from '../core/config.ts';
import { secretBoxFromEnv } from '../core/crypto-kms.ts';
import { fromLambdaEvent, json, toLambdaResult, type LambdaHttpEvent, type LambdaHttpResult } from '../core/http.ts';
import { createLogger } from '../core/log.ts';
import { emfMetrics } from '../core/metrics.ts';
import { documentClient } from '../core/store/table.ts';
import { applyLinkedSecrets } from './runtime.ts';

applyLinkedSecrets();
const logger = createLogger();
const metrics = emfMetrics();
const workspaces = configureAtStart(logger, process.env, 'deployed', () => {
  const config = loadCoreConfig(process.env, 'deployed', { brek: false, actorIdSecret: false });
  const slack = loadSlackConfig(process.env, 'deployed', 'install');
  const box = secretBoxFromEnv(process.env);
  if (!slack.oauth || !box) throw new ConfigError([...(slack.oauth ? [] : ['SLACK_CLIENT_ID is required for the install routes']), ...(box ? [] : ['INSTALLATION_KMS_KEY_ID is required to seal installations'])]);
  return slackWorkspaces(slack, { db: documentClient(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}), tableName: config.tableName, logger, box, metrics });
});

export async function handler(event: LambdaHttpEvent): Promise<LambdaHttpResult> {
  const request = fromLambdaEvent(event);
  const answer = await workspaces.oauth?.route(request).finally(() => metrics.flush());
  return toLambdaResult(answer ?? json(404, { error: 'not_found', message: 'This function serves GET /slack/install and GET /slack/oauth_redirect.' }));
}
