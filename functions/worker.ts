// The worker Lambda: subscribed to the table's stream (new inbox records only), it runs
// processTurn for each, one thread's turns in order, and reports failures per record so Lambda
// retries from the first one that failed. Slack is always deployed; Teams and WhatsApp senders are
// carried when configured (TEAMS_APP_ID, TWILIO_ACCOUNT_SID), so a partner without them still deploys.
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { SlackSender, slackWebClient } from '../adapters/slack/send.ts';
import { loadTeamsConfig } from '../adapters/teams/config.ts';
import { BotTokenSource, TeamsSender } from '../adapters/teams/send.ts';
import { loadWhatsAppConfig } from '../adapters/whatsapp/config.ts';
import { twilioClient, WhatsAppSender } from '../adapters/whatsapp/send.ts';
import { createCore } from '../core/bridge.ts';
import { loadCoreConfig } from '../core/config.ts';
import type { Channel } from '../core/identity.ts';
import { createLogger } from '../core/log.ts';
import { processTurn, type ChannelSender } from '../core/turn.ts';
import { handleStreamBatch, type BatchResult, type StreamRecord } from '../core/worker.ts';
import { applyLinkedSecrets } from './runtime.ts';

applyLinkedSecrets();
const logger = createLogger();
const core = createCore(loadCoreConfig(), { logger });
const env = process.env;
const slack = loadSlackConfig(env, 'deployed', 'worker');
const senders: Partial<Record<Channel, ChannelSender>> = { slack: new SlackSender(slackWebClient(slack.botToken, slack.apiUrl), logger) };
if (env.TEAMS_APP_ID) {
  const teams = loadTeamsConfig(env, 'deployed', 'worker');
  senders.teams = new TeamsSender(teams, new BotTokenSource(teams), logger);
}
if (env.TWILIO_ACCOUNT_SID) {
  const whatsapp = loadWhatsAppConfig(env, 'deployed', 'worker');
  senders.whatsapp = new WhatsAppSender(twilioClient(whatsapp), whatsapp.from, logger);
}
const deps = core.turnDeps(senders);

export async function handler(event: { Records?: StreamRecord[] }): Promise<BatchResult> {
  return handleStreamBatch(event.Records ?? [], (key) => processTurn(key, deps));
}
