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

export function loadSlackConfig(env: Record<string, string | undefined> = process.env, _mode: Mode = 'deployed', role: SlackRole = 'both'): SlackConfig {
  const read = new EnvReader(env);
  const signingSecret =
    role === 'worker' ? (read.optional('SLACK_SIGNING_SECRET') ?? '') : read.required('SLACK_SIGNING_SECRET', 'for Slack (from the app’s Basic Information page)');
  const botToken =
    role === 'ingress' ? (read.optional('SLACK_BOT_TOKEN') ?? '') : read.required('SLACK_BOT_TOKEN', 'for Slack (the xoxb- token from OAuth & Permissions)');
  if (botToken && !botToken.startsWith('xoxb-')) read.problems.push('SLACK_BOT_TOKEN must be a bot token (xoxb-…)');
  const apiUrl = read.url('SLACK_API_URL') ?? SLACK_DEFAULT_API_URL.replace(/\/$/, '');
  const appId = read.optional('SLACK_APP_ID');
  read.done();
  return { signingSecret: signingSecret!, botToken: botToken!, apiUrl: `${apiUrl}/`, ...(appId ? { appId } : {}) };
}
