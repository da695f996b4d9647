// Slack's part of the environment contract (DESIGN.md).
import { EnvReader, type Mode } from '../../core/config.ts';

export interface SlackConfig {
  signingSecret: string;
  botToken: string;
  /** Web API base, ending in a slash (WebClient's slackApiUrl). */
  apiUrl: string;
  /** When set, events for any other app are ignored. */
  appId?: string;
}

export const SLACK_DEFAULT_API_URL = 'https://slack.com/api/';

/** The ingress verifies (signing secret); the worker sends (bot token); the local stack does both. */
export type SlackRole = 'ingress' | 'worker' | 'both';

export function loadSlackConfig(env: Record<string, string | undefined> = process.env, mode: Mode = 'deployed', role: SlackRole = 'both'): SlackConfig {
  const read = new EnvReader(env, mode);
  const signingSecret =
    read.secret('SLACK_SIGNING_SECRET', { required: role === 'worker' ? undefined : 'for Slack (from the app’s Basic Information page)' }) ?? '';
  // The bot token goes to the Web API: the local stack's token only to one on this machine.
  const apiUrl = read.url('SLACK_API_URL', { httpsOnly: true }) ?? SLACK_DEFAULT_API_URL.replace(/\/$/, '');
  const botToken =
    read.secret('SLACK_BOT_TOKEN', { required: role === 'ingress' ? undefined : 'for Slack (the xoxb- token from OAuth & Permissions)', service: apiUrl }) ?? '';
  if (botToken && !botToken.startsWith('xoxb-')) read.problems.push('SLACK_BOT_TOKEN must be a bot token (one starting xoxb-)');
  const appId = read.optional('SLACK_APP_ID');
  read.done();
  return { signingSecret, botToken, apiUrl: `${apiUrl}/`, ...(appId ? { appId } : {}) };
}
