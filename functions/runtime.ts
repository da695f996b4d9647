// Start-up shared by the Lambda functions. Deployed with SST, secrets arrive as linked resources
// (encrypted into the bundle's resource.enc, or SST_RESOURCE_<Name> variables under `sst dev`),
// read with SST's own reader (`sst/resource`). The bridge's configuration reads the environment contract's plain (docs/architecture.md)
// variables, so each linked secret is copied to its name once, at cold start.
import { Resource } from 'sst/resource';
import { CHANNEL_PROFILES } from '../adapters/profiles.ts';
import { CORE_SECRETS } from '../core/config.ts';

/** SST secret name → the environment variable it provides (docs/architecture.md): core's, then each channel's. */
export const LINKED_SECRETS: Readonly<Record<string, string>> = Object.assign({}, CORE_SECRETS, ...CHANNEL_PROFILES.map((profile) => profile.secrets));

export type LinkedSecretName = string;

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
