// Teams as one ChannelAdapter: the SDK's JWT check and the normaliser on POST /teams/messages,
// and the connector sender (its token only to allowlisted serviceUrls).
import type { ChannelAdapter } from '../../core/channel.ts';
import { teamsProfile } from './profile.ts';
import { renderTeams } from './render.ts';
import { loadTeamsConfig, type TeamsConfig } from './config.ts';
import { teamsIngress } from './ingress.ts';
import { BotTokenSource, TeamsSender } from './send.ts';

export const teamsAdapter: ChannelAdapter<TeamsConfig> = {
  profile: teamsProfile,
  configured: (env) => Boolean(env.TEAMS_APP_ID),
  // The SDK's roles are the channel's: 'both' reads what the ingress and the worker need.
  config: (env, mode, role) => loadTeamsConfig(env, mode, role),
  render: (reply) => renderTeams(reply),
  ingress: (config) => teamsIngress(config),
  sender: (config, deps) => new TeamsSender(config, new BotTokenSource(config), deps.logger, deps.timeoutMs),
};
