// One place that turns channel configurations into the worker's senders, for the deployed worker
// and the local stack alike.
import type { SlackConfig } from '../adapters/slack/config.ts';
import { SlackSender, slackWebClient, type SlackTokenFor } from '../adapters/slack/send.ts';
import type { TeamsConfig } from '../adapters/teams/config.ts';
import { BotTokenSource, TeamsSender } from '../adapters/teams/send.ts';
import type { WhatsAppConfig } from '../adapters/whatsapp/config.ts';
import { twilioClient, WhatsAppSender } from '../adapters/whatsapp/send.ts';
import type { Channel } from '../core/identity.ts';
import type { Logger } from '../core/log.ts';
import type { ChannelSender } from '../core/turn.ts';

export interface ChannelConfigs {
  slack?: SlackConfig;
  teams?: TeamsConfig;
  whatsapp?: WhatsAppConfig;
}

/**
 * `slackTokenFor`: each workspace's token, when the app is installed through OAuth. `timeoutMs`:
 * how long a channel API call may take before it counts as ambiguous (the clients' 10 s default).
 */
export function channelSenders(
  configs: ChannelConfigs,
  logger: Logger,
  options: { slackTokenFor?: SlackTokenFor; timeoutMs?: number } = {},
): Partial<Record<Channel, ChannelSender>> {
  const senders: Partial<Record<Channel, ChannelSender>> = {};
  const timeout = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  if (configs.slack) senders.slack = new SlackSender(slackWebClient(configs.slack.botToken, configs.slack.apiUrl, timeout), logger, options.slackTokenFor);
  if (configs.teams) senders.teams = new TeamsSender(configs.teams, new BotTokenSource(configs.teams), logger, options.timeoutMs);
  if (configs.whatsapp) senders.whatsapp = new WhatsAppSender(twilioClient(configs.whatsapp, timeout), configs.whatsapp.from, logger);
  return senders;
}
