// The shape every channel's ingress Lambda shares (Function URL / API Gateway v2 events): linked
// secrets copied to their variables, configuration read once per cold start, then per request
// verify → normalise → one inbox write → acknowledge. Each function module passes its channel.
import { createInbox } from '../core/bridge.ts';
import { configureAtStart, loadCoreConfig, type Needs } from '../core/config.ts';
import { fromLambdaEvent, toLambdaResult, type LambdaHttpEvent, type LambdaHttpResult } from '../core/http.ts';
import { handleIngress, type ChannelIngress } from '../core/ingress.ts';
import { createLogger } from '../core/log.ts';
import { emfMetrics } from '../core/metrics.ts';
import { applyLinkedSecrets } from './runtime.ts';

export function lambdaIngress(needs: Needs, channel: (env: NodeJS.ProcessEnv) => ChannelIngress): (event: LambdaHttpEvent) => Promise<LambdaHttpResult> {
  applyLinkedSecrets();
  const logger = createLogger();
  // Refused with one line per problem, or started with one line naming the secrets set.
  const { config, ingress } = configureAtStart(logger, process.env, 'deployed', () => ({
    config: loadCoreConfig(process.env, 'deployed', needs),
    ingress: channel(process.env),
  }));
  const metrics = emfMetrics();
  const deps = { inbox: createInbox(config), logger, metrics };
  return async (event) => {
    try {
      return toLambdaResult(await handleIngress(fromLambdaEvent(event), ingress, deps));
    } finally {
      metrics.flush();
    }
  };
}
