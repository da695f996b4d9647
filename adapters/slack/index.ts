// Slack as one ChannelAdapter: Bolt's verifier and the normaliser on POST /slack/events, the Web
// API sender, and — when the app is distributed (SLACK_CLIENT_ID) — each workspace's installation.
import type { ChannelAdapter } from '../../core/channel.ts';
import { ConfigError } from '../../core/config.ts';
import { secretBoxFromEnv } from '../../core/crypto-kms.ts';
import { slackProfile } from './profile.ts';
import { renderSlack } from './render.ts';
import { loadSlackConfig, type SlackConfig } from './config.ts';
import { slackIngress } from './ingress.ts';
import { SlackSender, slackWebClient } from './send.ts';
import { slackWorkspaces } from './workspaces.ts';

export const slackAdapter: ChannelAdapter<SlackConfig> = {
  profile: slackProfile,
  // Every deployment serves Slack (a single token, or installations through OAuth).
  configured: () => true,
  config: (env, mode, role) => loadSlackConfig(env, mode, role),
  render: (reply) => renderSlack(reply),
  ingress: (config) => slackIngress(config),
  installations(config, deps) {
    // Single-workspace: nothing is stored per workspace, but a leaving workspace is still erased.
    const box = config.oauth ? secretBoxFromEnv(deps.env) : undefined;
    if (config.oauth && !box) throw new ConfigError(['INSTALLATION_KMS_KEY_ID (or INSTALLATION_KEY) is required with SLACK_CLIENT_ID, to open installations']);
    // Served by this process (the local stack): the redirect comes back to it.
    const redirectUri = deps.publicUrl ? `${deps.publicUrl}/slack/oauth_redirect` : undefined;
    const workspaces = slackWorkspaces(config, {
      db: deps.db,
      tableName: deps.tableName,
      logger: deps.logger,
      ...(box ? { box } : {}),
      ...(redirectUri ? { redirectUri } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
    return {
      ...(workspaces.tokenFor ? { tokenFor: workspaces.tokenFor } : {}),
      ...(workspaces.oauth ? { route: (request) => workspaces.oauth!.route(request) } : {}),
      uninstall: (workspace, reason) => workspaces.uninstall(workspace, reason),
    };
  },
  sender: (config, deps) =>
    new SlackSender(slackWebClient(config.botToken, config.apiUrl, deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}), deps.logger, deps.installations?.tokenFor),
};
