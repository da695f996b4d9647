// The worker's wiring, in one place: the core from DESIGN.md's variables and a sender for each
// configured channel. Slack is always deployed; Teams and WhatsApp senders are carried when
// configured (TEAMS_APP_ID, TWILIO_ACCOUNT_SID), so a partner without them still deploys. Used by
// the worker Lambda (functions/worker.ts) and by `npm run ops -- replay` against a deployed table,
// so a replay runs exactly the pipeline the worker runs.
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { loadTeamsConfig } from '../adapters/teams/config.ts';
import { loadWhatsAppConfig } from '../adapters/whatsapp/config.ts';
import { createCore, type Core } from '../core/bridge.ts';
import { ConfigError, loadCoreConfig } from '../core/config.ts';
import { secretBoxFromEnv } from '../core/crypto-kms.ts';
import type { SlackTokenFor } from '../adapters/slack/send.ts';
import { slackWorkspaces } from '../adapters/slack/workspaces.ts';
import type { Logger } from '../core/log.ts';
import type { BridgeMetrics } from '../core/metrics.ts';
import type { TurnDeps } from '../core/turn.ts';
import { channelSenders } from './senders.ts';

/** Throws a ConfigError naming every missing or bad variable. */
export function workerDeps(env: Record<string, string | undefined>, logger: Logger, metrics?: BridgeMetrics): { core: Core; deps: TurnDeps } {
  const core = createCore(loadCoreConfig(env), { logger, ...(metrics ? { metrics } : {}) });
  const slack = loadSlackConfig(env, 'deployed', 'worker');
  // Distributed app: each workspace's token from its sealed installation (KMS deployed).
  let slackTokenFor: SlackTokenFor | undefined;
  if (slack.oauth) {
    const box = secretBoxFromEnv(env);
    if (!box) throw new ConfigError(['INSTALLATION_KMS_KEY_ID (or INSTALLATION_KEY) is required with SLACK_CLIENT_ID, to open installations']);
    slackTokenFor = slackWorkspaces(slack, { db: core.db, tableName: core.config.tableName, logger, box }).tokenFor;
  }
  const deps = core.turnDeps(
    channelSenders(
      {
        slack,
        ...(env.TEAMS_APP_ID ? { teams: loadTeamsConfig(env, 'deployed', 'worker') } : {}),
        ...(env.TWILIO_ACCOUNT_SID ? { whatsapp: loadWhatsAppConfig(env, 'deployed', 'worker') } : {}),
      },
      logger,
      slackTokenFor ? { slackTokenFor } : {},
    ),
  );
  return { core, deps };
}
