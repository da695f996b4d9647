// POST /teams/messages as a Lambda (Function URL / API Gateway v2). Thin wiring: the Bot
// Framework token is verified, the activity stored, and Teams answered; nothing slow.
import { createInbox } from '../core/bridge.ts';
import { loadCoreConfig } from '../core/config.ts';
import { fromLambdaEvent, toLambdaResult, type LambdaHttpEvent, type LambdaHttpResult } from '../core/http.ts';
import { handleIngress } from '../core/ingress.ts';
import { createLogger } from '../core/log.ts';
import { loadTeamsConfig } from '../adapters/teams/config.ts';
import { teamsIngress } from '../adapters/teams/ingress.ts';
import { applyLinkedSecrets } from './runtime.ts';

applyLinkedSecrets();
// The ingress verifies and stores: no Brek, no actor secret, no bot password.
const config = loadCoreConfig(process.env, 'deployed', { brek: false, actorIdSecret: false });
const ingress = teamsIngress(loadTeamsConfig(process.env, 'deployed', 'ingress'));
const deps = { inbox: createInbox(config), logger: createLogger() };

export async function handler(event: LambdaHttpEvent): Promise<LambdaHttpResult> {
  return toLambdaResult(await handleIngress(fromLambdaEvent(event), ingress, deps));
}
