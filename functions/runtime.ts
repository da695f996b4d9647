// Start-up shared by the Lambda functions. Deployed with SST, secrets arrive as linked resources
// (encrypted into the bundle's resource.enc, or SST_RESOURCE_<Name> variables under `sst dev`),
// read with SST's own reader (`sst/resource`). The bridge's configuration reads DESIGN.md's plain
// variables, so each linked secret is copied to its name once, at cold start.
import { Resource } from 'sst/resource';

/** SST secret name → the environment variable of DESIGN.md it provides. */
export const LINKED_SECRETS = {
  BrekPartnerApiKey: 'BREK_PARTNER_API_KEY',
  ActorIdSecret: 'ACTOR_ID_SECRET',
  SlackSigningSecret: 'SLACK_SIGNING_SECRET',
  SlackBotToken: 'SLACK_BOT_TOKEN',
  TeamsAppPassword: 'TEAMS_APP_PASSWORD',
  TwilioAuthToken: 'TWILIO_AUTH_TOKEN',
} as const;

export type LinkedSecretName = keyof typeof LINKED_SECRETS;

/** Declared only when the Slack app is distributed through OAuth (SLACK_CLIENT_ID at deploy). */
export const DISTRIBUTION_SECRETS = {
  SlackClientSecret: 'SLACK_CLIENT_SECRET',
  SlackStateSecret: 'SLACK_STATE_SECRET',
} as const;

export type DistributionSecretName = keyof typeof DISTRIBUTION_SECRETS;

function linkedValue(name: string): string | undefined {
  try {
    // The proxy throws for a resource that is not linked to this function.
    const value = (Resource as unknown as Record<string, { value?: unknown } | undefined>)[name]?.value;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function applyLinkedSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const [resource, variable] of Object.entries({ ...LINKED_SECRETS, ...DISTRIBUTION_SECRETS })) {
    if (env[variable]) continue;
    const value = linkedValue(resource);
    // Left unset when not linked: the configuration then names it as missing, if it is needed.
    if (value !== undefined) env[variable] = value;
  }
  // Node 20/22 is our runtime choice; the SDK's notice about its future floor is not news per cold start.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
