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

export function loadSlackConfig(env: Record<string, string | undefined> = process.env, mode: Mode = 'deployed'): SlackConfig {
  const read = new EnvReader(env);
  const why = mode === 'deployed' ? 'for Slack (from the app’s Basic Information page)' : 'for Slack';
  const signingSecret = read.required('SLACK_SIGNING_SECRET', why);
  const botToken = read.required('SLACK_BOT_TOKEN', 'for Slack (the xoxb- token from OAuth & Permissions)');
  if (botToken && !botToken.startsWith('xoxb-')) read.problems.push('SLACK_BOT_TOKEN must be a bot token (xoxb-…)');
  const apiUrl = read.url('SLACK_API_URL') ?? SLACK_DEFAULT_API_URL.replace(/\/$/, '');
  const appId = read.optional('SLACK_APP_ID');
  read.done();
  return { signingSecret: signingSecret!, botToken: botToken!, apiUrl: `${apiUrl}/`, ...(appId ? { appId } : {}) };
}
