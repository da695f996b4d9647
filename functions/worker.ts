// The worker Lambda: subscribed to the table's stream (new inbox records only), it runs
// processTurn for each, one thread's turns in order, and reports failures per record so Lambda
// retries from the first one that failed. Slack is always deployed; Teams and WhatsApp senders are
// carried when configured (TEAMS_APP_ID, TWILIO_ACCOUNT_SID), so a partner without them still deploys.
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { loadTeamsConfig } from '../adapters/teams/config.ts';
import { loadWhatsAppConfig } from '../adapters/whatsapp/config.ts';
import { createCore } from '../core/bridge.ts';
import { loadCoreConfig } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { processTurn } from '../core/turn.ts';
import { handleStreamBatch, processWithRetries, type BatchResult, type StreamRecord } from '../core/worker.ts';
import { applyLinkedSecrets } from './runtime.ts';
import { channelSenders } from './senders.ts';

applyLinkedSecrets();
const logger = createLogger();
const core = createCore(loadCoreConfig(), { logger });
const env = process.env;
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

export async function handler(event: { Records?: StreamRecord[] }): Promise<BatchResult> {
  // A busy thread (an earlier invocation still holds it) is waited for here, about 30 s, before
  // the record is handed back to Lambda, whose few quick retries alone could outlast no lease.
  return handleStreamBatch(event.Records ?? [], (record) => processWithRetries(() => processTurn(record, deps), { attempts: 7, backoffMs: 500 }));
}
