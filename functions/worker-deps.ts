// The worker's wiring, in one place: the core from the environment contract's variables (docs/architecture.md) and a sender for each
// channel the environment names (adapters/index.ts; Slack always, Teams with TEAMS_APP_ID,
// WhatsApp with TWILIO_ACCOUNT_SID), so a partner without some channels still deploys. Used by
// the worker Lambda (functions/worker.ts) and by `npm run ops -- replay` against a deployed table,
// so a replay runs exactly the pipeline the worker runs.
import { CHANNEL_ADAPTERS } from '../adapters/index.ts';
import { createCore, type Core } from '../core/bridge.ts';
import { loadCoreConfig } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { BridgeMetrics } from '../core/metrics.ts';
import type { TurnDeps } from '../core/turn.ts';
import type { WorkspaceEraseDeps } from '../core/workspace-erase.ts';
import { installationsOf, sendersOf, wireChannels } from './senders.ts';

/** Throws a ConfigError naming every missing or bad variable. */
export function workerDeps(
  env: Record<string, string | undefined>,
  logger: Logger,
  metrics?: BridgeMetrics,
): { core: Core; deps: TurnDeps; erase: WorkspaceEraseDeps } {
  const core = createCore(loadCoreConfig(env), { logger, ...(metrics ? { metrics } : {}) });
  const channels = wireChannels(CHANNEL_ADAPTERS, { env, mode: 'deployed', db: core.db, tableName: core.config.tableName, logger, ...(metrics ? { metrics } : {}) }, 'worker');
  const erase = { db: core.db, tableName: core.config.tableName, logger, installations: installationsOf(channels), ...(metrics ? { metrics } : {}) };
  return { core, deps: core.turnDeps(sendersOf(channels)), erase };
}
