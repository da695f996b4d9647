// What the bridge knows of Slack without its SDK: name, route, secrets, the credential the local
// stack ships, its actor ids and its own metrics. Light on purpose: every Lambda loads it.
import { registerChannel } from '../../core/channel.ts';

/** The local stack's Slack bot token, accepted only by the fake Slack Web API. */
export const LOCAL_SLACK_BOT_TOKEN = 'xoxb-local-dev';

export const slackProfile = registerChannel({
  channel: 'slack',
  title: 'Slack',
  route: '/slack/events',
  ingressFunction: 'SlackIngress',
  secrets: { SlackSigningSecret: 'SLACK_SIGNING_SECRET', SlackBotToken: 'SLACK_BOT_TOKEN' },
  // Its tokens (xoxe-: rotating refresh tokens).
  secretPatterns: [/\bxox[abeposr]-[A-Za-z0-9-]+/g],
  devCredentials: [{ variable: 'SLACK_BOT_TOKEN', value: LOCAL_SLACK_BOT_TOKEN, what: 'the local stack’s Slack bot token' }],
  deploy: {
    // Slack wants its 200 within 3 s: the ingress gets the signing secret and the table, no more.
    ingress: { optional: ['SLACK_APP_ID'], secrets: ['SlackSigningSecret'] },
    worker: { secrets: ['SlackBotToken'] },
    // The app manifest's Event Subscriptions and Interactivity request URLs.
    urlOutput: 'slackEventsUrl',
  },
});

/** Same raw user id in two workspaces = two actors. */
export function slackActorId(teamId: string, userId: string): string {
  return `slack:${teamId}:${userId}`;
}

/** Counted outside a turn, by the install flow and the token refresher (alarms in sst.config.ts). */
export const SLACK_METRIC = {
  /** An install (or its redirect) that failed: a refused or replayed state, Slack refusing the code, a storage error. */
  installFailed: 'SlackInstallFailed',
  /** A rotating Slack token whose refresh failed (refused, or Slack unreachable). */
  tokenRefreshFailed: 'SlackTokenRefreshFailed',
} as const;
