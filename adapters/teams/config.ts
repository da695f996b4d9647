// Teams' part of the environment contract (docs/architecture.md).
// Loading the profile registers the channel's secrets and shipped credentials with the guards.
import './profile.ts';
import { EnvReader, type Mode } from '../../core/config.ts';

export interface TeamsConfig {
  appId: string;
  /** Needed to send (the worker); the ingress only verifies. */
  appPassword: string;
  /** The bot's Entra tenant: single-tenant registrations (new multi-tenant ones are closed). */
  tenantId?: string;
  openIdMetadataUrl: string;
  tokenUrl: string;
  /** serviceUrl hosts the bot's token may be sent to. */
  connectorHosts: string[];
}

const BOT_FRAMEWORK_OPENID_METADATA = 'https://login.botframework.com/v1/.well-known/openidconfiguration';
/** Teams' public connector (the serviceUrl of activities from the commercial cloud). */
const DEFAULT_CONNECTOR_HOSTS = ['smba.trafficmanager.net'];

export type TeamsRole = 'ingress' | 'worker' | 'both';

export function loadTeamsConfig(env: Record<string, string | undefined> = process.env, mode: Mode = 'deployed', role: TeamsRole = 'both'): TeamsConfig {
  const read = new EnvReader(env, mode);
  const appId = read.required('TEAMS_APP_ID', 'for Teams (the bot’s Microsoft App ID)');
  const tenantId = read.optional('TEAMS_TENANT_ID');
  // Deployed, both over https: the signing keys vouch for every inbound token, the password goes to the token URL.
  const openIdMetadataUrl = read.url('TEAMS_OPENID_METADATA_URL', { httpsOnly: true }) ?? BOT_FRAMEWORK_OPENID_METADATA;
  if (!openIdMetadataUrl.endsWith('/openidconfiguration')) read.problems.push('TEAMS_OPENID_METADATA_URL must end in /openidconfiguration');
  const tokenUrl =
    read.url('TEAMS_TOKEN_URL', { httpsOnly: true }) ?? `https://login.microsoftonline.com/${tenantId ?? 'botframework.com'}/oauth2/v2.0/token`;
  const appPassword =
    read.secret('TEAMS_APP_PASSWORD', { required: role === 'ingress' ? undefined : 'for Teams (the bot’s client secret)', service: tokenUrl }) ?? '';
  const hosts = read.optional('TEAMS_CONNECTOR_HOSTS');
  const connectorHosts = hosts ? hosts.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean) : DEFAULT_CONNECTOR_HOSTS;
  read.done();
  return { appId: appId!, appPassword, ...(tenantId ? { tenantId } : {}), openIdMetadataUrl, tokenUrl, connectorHosts };
}

/** A host is allowed when it is listed, or a subdomain of a listed one. */
export function connectorAllowed(serviceUrl: string, hosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase();
  const local = host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return false;
  return hosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}
