// Slack's part of the environment contract (docs/architecture.md).
// Loading the profile registers the channel's secrets and shipped credentials with the guards.
import './profile.ts';
import { EnvReader, type Mode } from '../../core/config.ts';

/** Multi-workspace distribution (OAuth v2): set when SLACK_CLIENT_ID is. */
interface SlackOAuthSettings {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  /** The public URL of GET /slack/oauth_redirect (the local stack's own when unset locally). */
  redirectUri?: string;
  /** Slack's authorize page, overridable for a local fake. */
  authorizationUrl?: string;
}

export interface SlackConfig {
  signingSecret: string;
  /** The single-workspace token; empty when every workspace installs through OAuth. */
  botToken: string;
  oauth?: SlackOAuthSettings;
  /** Web API base, ending in a slash (WebClient's slackApiUrl). */
  apiUrl: string;
  /** When set, events for any other app are ignored. */
  appId?: string;
}

const SLACK_DEFAULT_API_URL = 'https://slack.com/api/';

/**
 * The ingress verifies (signing secret); the worker sends (a bot token, or each workspace's from
 * its installation); `install` serves the OAuth install flow; the local stack does all three.
 */
export type SlackRole = 'ingress' | 'worker' | 'install' | 'both';

export function loadSlackConfig(env: Record<string, string | undefined> = process.env, mode: Mode = 'deployed', role: SlackRole = 'both'): SlackConfig {
  const read = new EnvReader(env, mode);
  const signingSecret =
    read.secret('SLACK_SIGNING_SECRET', { required: role === 'worker' || role === 'install' ? undefined : 'for Slack (from the app’s Basic Information page)' }) ?? '';
  // The bot token goes to the Web API: the local stack's token only to one on this machine.
  const apiUrl = read.url('SLACK_API_URL', { httpsOnly: true }) ?? SLACK_DEFAULT_API_URL.replace(/\/$/, '');
  // Distributed apps (SLACK_CLIENT_ID) get each workspace's token from its installation instead.
  const clientId = read.optional('SLACK_CLIENT_ID');
  // The ingress never reads an installation (an uninstall deletes it without opening it).
  const oauth = clientId && role !== 'ingress' ? readOAuth(read, clientId, role, mode) : undefined;
  const botToken =
    read.secret('SLACK_BOT_TOKEN', {
      required: role === 'ingress' || role === 'install' || clientId ? undefined : 'for Slack (the xoxb- token from OAuth & Permissions), or SLACK_CLIENT_ID for installs through OAuth',
      service: apiUrl,
    }) ?? '';
  if (botToken && !botToken.startsWith('xoxb-')) read.problems.push('SLACK_BOT_TOKEN must be a bot token (one starting xoxb-)');
  const appId = read.optional('SLACK_APP_ID');
  read.done();
  return { signingSecret, botToken, apiUrl: `${apiUrl}/`, ...(appId ? { appId } : {}), ...(oauth ? { oauth } : {}) };
}

function readOAuth(read: EnvReader, clientId: string, role: SlackRole, mode: Mode): SlackOAuthSettings {
  // The worker needs the client secret too: refreshing a rotating token is an oauth.v2.access call.
  const clientSecret = read.secret('SLACK_CLIENT_SECRET', { required: 'with SLACK_CLIENT_ID (from the app’s Basic Information page)' }) ?? '';
  const stateSecret = read.secret('SLACK_STATE_SECRET', { required: role === 'worker' ? undefined : 'with SLACK_CLIENT_ID (any random string of 16+ characters)', minLength: 16 }) ?? '';
  const redirectUri = read.url('SLACK_REDIRECT_URI', { required: mode === 'deployed' && role !== 'worker' ? 'with SLACK_CLIENT_ID (the public URL of /slack/oauth_redirect)' : undefined, httpsOnly: true });
  const authorizationUrl = read.url('SLACK_OAUTH_AUTHORIZE_URL', { httpsOnly: true });
  return { clientId, clientSecret, stateSecret, ...(redirectUri ? { redirectUri } : {}), ...(authorizationUrl ? { authorizationUrl } : {}) };
}
