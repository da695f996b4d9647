// The worker Lambda: subscribed to the table's stream (new inbox records only), it runs
// processTurn for each, one thread's turns in order, and reports failures per record so Lambda
// retries from the first one that failed.
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { SlackSender, slackWebClient } from '../adapters/slack/send.ts';
import { loadTeamsConfig } from '../adapters/teams/config.ts';
import { BotTokenSource, TeamsSender } from '../adapters/teams/send.ts';
import { loadWhatsAppConfig } from '../adapters/whatsapp/config.ts';
import { twilioClient, WhatsAppSender } from '../adapters/whatsapp/send.ts';
import { createCore } from '../core/bridge.ts';
import { loadCoreConfig } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { processTurn } from '../core/turn.ts';
import { handleStreamBatch, type BatchResult, type StreamRecord } from '../core/worker.ts';
import { applyLinkedSecrets } from './runtime.ts';

applyLinkedSecrets();
const logger = createLogger();
const core = createCore(loadCoreConfig(), { logger });
const slack = loadSlackConfig(process.env, 'deployed', 'worker');
const teams = loadTeamsConfig(process.env, 'deployed', 'worker');
const whatsapp = loadWhatsAppConfig(process.env, 'deployed', 'worker');
const deps = core.turnDeps({
  slack: new SlackSender(slackWebClient(slack.botToken, slack.apiUrl), logger),
  teams: new TeamsSender(teams, new BotTokenSource(teams), logger),
  whatsapp: new WhatsAppSender(twilioClient(whatsapp), whatsapp.from, logger),
});

export async function handler(event: { Records?: StreamRecord[] }): Promise<BatchResult> {
  return handleStreamBatch(event.Records ?? [], (key) => processTurn(key, deps));
}
