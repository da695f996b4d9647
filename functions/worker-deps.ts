// The worker's wiring, in one place: the core from DESIGN.md's variables and a sender for each
// configured channel. Slack is always deployed; Teams and WhatsApp senders are carried when
// configured (TEAMS_APP_ID, TWILIO_ACCOUNT_SID), so a partner without them still deploys. Used by
// the worker Lambda (functions/worker.ts) and by `npm run ops -- replay` against a deployed table,
// so a replay runs exactly the pipeline the worker runs.
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { loadTeamsConfig } from '../adapters/teams/config.ts';
import { loadWhatsAppConfig } from '../adapters/whatsapp/config.ts';
import { createCore, type Core } from '../core/bridge.ts';
import { loadCoreConfig } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { BridgeMetrics } from '../core/metrics.ts';
import type { TurnDeps } from '../core/turn.ts';
import { channelSenders } from './senders.ts';

/** Throws a ConfigError naming every missing or bad variable. */
export function workerDeps(env: Record<string, string | undefined>, logger: Logger, metrics?: BridgeMetrics): { core: Core; deps: TurnDeps } {
  const core = createCore(loadCoreConfig(env), { logger, ...(metrics ? { metrics } : {}) });
  const deps = core.turnDeps(
    channelSenders(
      {
        slack: loadSlackConfig(env, 'deployed', 'worker'),
        ...(env.TEAMS_APP_ID ? { teams: loadTeamsConfig(env, 'deployed', 'worker') } : {}),
        ...(env.TWILIO_ACCOUNT_SID ? { whatsapp: loadWhatsAppConfig(env, 'deployed', 'worker') } : {}),
      },
      logger,
    ),
  );
  return { core, deps };
}
