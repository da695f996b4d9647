// What the bridge knows of Microsoft Teams without its SDK: name, route, secrets, the fake Bot
// Framework's credentials and its actor ids. Light on purpose: every Lambda loads it.
import { registerChannel } from '../../core/channel.ts';

/** The fake Bot Framework's bot (dev/fakes/teams.ts). Its id is no secret: not refused. */
export const FAKE_TEAMS_APP_ID = '00000000-0000-4000-8000-0000000b0701';
export const FAKE_TEAMS_APP_PASSWORD = 'local-bot-password';

export const teamsProfile = registerChannel({
  channel: 'teams',
  title: 'Microsoft Teams',
  route: '/teams/messages',
  ingressFunction: 'TeamsIngress',
  secrets: { TeamsAppPassword: 'TEAMS_APP_PASSWORD' },
  devCredentials: [{ variable: 'TEAMS_APP_PASSWORD', value: FAKE_TEAMS_APP_PASSWORD, what: 'the fake Bot Framework’s app password' }],
  deploy: {
    // The ingress checks the Bot Framework's JWT with the app id (no secret) against Microsoft's keys.
    ingress: { required: ['TEAMS_APP_ID'], optional: ['TEAMS_TENANT_ID', 'TEAMS_CONNECTOR_HOSTS'] },
    worker: { required: ['TEAMS_APP_ID'], optional: ['TEAMS_TENANT_ID', 'TEAMS_CONNECTOR_HOSTS'], secrets: ['TeamsAppPassword'] },
    // Azure Bot → Configuration: the messaging endpoint.
    urlOutput: 'teamsMessagesUrl',
  },
  // Its ingress checks a JWT against Microsoft's published keys, more than a shared-secret HMAC (issue 22).
  benchBudget: { ingressLoadRatio: 2.5, ingressBundleKiB: 1536 },
});

export function teamsActorId(tenantId: string, aadObjectIdOrFromId: string): string {
  return `teams:${tenantId}:${aadObjectIdOrFromId}`;
}
