// Start-up shared by the Lambda functions. Deployed with SST, secrets arrive as linked
// resources (an SST_RESOURCE_<Name> variable holding {"value": …}); the bridge's configuration
// reads plain variables, so each linked secret is copied to its DESIGN.md name once, at cold
// start. Secrets never go into the function's plain environment.

/** SST secret name → the environment variable of DESIGN.md it provides. */
export const LINKED_SECRETS = {
  BrekPartnerApiKey: 'BREK_PARTNER_API_KEY',
  ActorIdSecret: 'ACTOR_ID_SECRET',
  SlackSigningSecret: 'SLACK_SIGNING_SECRET',
  SlackBotToken: 'SLACK_BOT_TOKEN',
} as const;

export type LinkedSecretName = keyof typeof LINKED_SECRETS;

export function applyLinkedSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const [resource, variable] of Object.entries(LINKED_SECRETS)) {
    const linked = env[`SST_RESOURCE_${resource}`];
    if (!linked || env[variable]) continue;
    try {
      const value = (JSON.parse(linked) as { value?: unknown }).value;
      if (typeof value === 'string') env[variable] = value;
    } catch {
      // A malformed link leaves the variable unset; configuration then names it as missing.
    }
  }
  // Node 20/22 is our runtime choice; the SDK's notice about its future floor is not news per cold start.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
