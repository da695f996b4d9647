// POST /slack/events as a Lambda (Function URL / API Gateway v2). Thin wiring: configuration is
// read once per cold start; the request is verified, normalised and stored, nothing more.
import { createInbox } from '../core/bridge.ts';
import { loadCoreConfig } from '../core/config.ts';
import { fromLambdaEvent, toLambdaResult, type LambdaHttpEvent, type LambdaHttpResult } from '../core/http.ts';
import { handleIngress } from '../core/ingress.ts';
import { createLogger } from '../core/log.ts';
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { slackIngress } from '../adapters/slack/ingress.ts';
import { applyLinkedSecrets } from './runtime.ts';

applyLinkedSecrets();
// The ingress verifies and stores: no Brek, no actor secret, no bot token.
const config = loadCoreConfig(process.env, 'deployed', { brek: false, actorIdSecret: false });
const ingress = slackIngress(loadSlackConfig(process.env, 'deployed', 'ingress'));
const deps = { inbox: createInbox(config), logger: createLogger() };

export async function handler(event: LambdaHttpEvent): Promise<LambdaHttpResult> {
  return toLambdaResult(await handleIngress(fromLambdaEvent(event), ingress, deps));
}
