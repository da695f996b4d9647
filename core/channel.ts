// The one contract a channel fulfils. Each adapters/<channel>/index.ts exports one ChannelAdapter;
// adapters/index.ts lists them, and the worker's wiring and the local stack loop over that list,
// so a new channel is a folder and a line. Its two halves stay apart in the code: the ingress
// half (verify, normalise, acknowledge: adapters/<channel>/ingress.ts) is what each ingress Lambda
// imports alone, so it never bundles a sender's SDK; the sender half (compose, post, find,
// classify, progress: send.ts) is core/delivery.ts's ChannelSender.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Mode } from './config.ts';
import type { DevDefault } from './dev-defaults.ts';
import type { ChannelSender } from './delivery.ts';
import type { HttpRequest, HttpResponse } from './http.ts';
import type { Channel } from './identity.ts';
import type { ChannelIngress } from './ingress.ts';
import type { Logger } from './log.ts';
import type { BridgeMetrics } from './metrics.ts';
import type { Reply } from './reply.ts';
import type { InboxRecord } from './store/inbox.ts';

/** Which side a configuration is read for: the ingress verifies, the worker sends. */
export type ChannelRole = 'ingress' | 'worker' | 'both';

/** A workspace that removed the app (Slack's app_uninstalled, its bot token revoked). */
export interface LeavingWorkspace {
  workspaceId: string;
  enterpriseId?: string;
  isEnterpriseInstall?: boolean;
}

/** A channel app installed per workspace (Slack's OAuth distribution): each workspace's credential. */
export interface Installations {
  /** The workspace's token for this turn; undefined = the channel's single configured one. */
  tokenFor?(record: InboxRecord): Promise<string | undefined>;
  /** The install flow's routes, where they are served; undefined for any other request. */
  route?(request: HttpRequest): Promise<HttpResponse | undefined>;
  /**
   * The workspace left: its credential is removed and any cached copy forgotten. Its travellers'
   * items are core's to erase (core/workspace-erase.ts).
   */
  uninstall(workspace: LeavingWorkspace, reason: string): Promise<void>;
}

/** What a channel's sender and installations are built with. */
export interface ChannelDeps {
  env: Record<string, string | undefined>;
  mode: Mode;
  db: DynamoDBDocumentClient;
  tableName: string;
  logger: Logger;
  /** Channel API timeout (the clients' 10 s when unset): past it a post counts as ambiguous. */
  timeoutMs?: number;
  /** This process's own base URL when it serves the routes itself (the local stack): an install flow redirects back to it. */
  publicUrl?: string;
  /** Where a channel counts what fails outside a turn (Slack: token refreshes); the caller flushes. */
  metrics?: BridgeMetrics;
}

/**
 * What the rest of the bridge knows of a channel without loading its SDK (adapters/<channel>/profile.ts):
 * the Lambda wiring, the deployed-configuration guards, the operator views and the tools read it.
 * A profile registers itself when its module loads, so any process that reads a channel's
 * configuration also knows that channel's secrets and shipped credentials.
 */
export interface ChannelProfile {
  channel: Channel;
  /** How people name it ("Microsoft Teams"). */
  title: string;
  /** Other names its code goes by (its provider: Twilio for WhatsApp). */
  aliases?: readonly string[];
  /** The POST route its platform calls (the routes of docs/architecture.md). */
  route: string;
  /** sst.config.ts's name for its ingress Function (`npm run ops -- logs` finds its log group by it). */
  ingressFunction: string;
  /** Its secrets: the SST secret's name → the environment variable it provides. */
  secrets: Readonly<Record<string, string>>;
  /** Its credentials' shapes (global RegExps): the log scrubber blots them out wherever they appear. */
  secretPatterns?: readonly RegExp[];
  /** Credentials this repository ships for its fakes: refused when deployed (core/dev-defaults.ts). */
  devCredentials: readonly DevDefault[];
  /** How it is deployed: sst.config.ts makes its ingress Function and the worker's share from this. */
  deploy: {
    ingress: DeployNeeds;
    /** What the worker needs to send to it. */
    worker: DeployNeeds;
    /** The stack output naming the URL to register with the platform (its route on the ingress's URL). */
    urlOutput: string;
  };
  /** Its ingress's budgets in `npm run bench` (bench/targets.ts has the defaults): a channel that must do more at the door says so here. */
  benchBudget?: {
    /** The ingress process's load time ÷ a bare `node -e 0`'s. */
    ingressLoadRatio?: number;
    /** The ingress bundle, SDK inside, in KiB. */
    ingressBundleKiB?: number;
  };
  /** Whether a conversation id of this channel is personal data (a phone number): ops shows only its hash. */
  conversationIsPersonal?(conversationId: string): boolean;
}

/** A function's share of the deployer's environment and of the SST secrets. */
export interface DeployNeeds {
  /** Variables a deploy stops without. */
  required?: readonly string[];
  /** Variables passed through when set. */
  optional?: readonly string[];
  /** SST secret names linked to the function (functions/runtime.ts copies each to its variable). */
  secrets?: readonly string[];
}

const profiles = new Map<Channel, ChannelProfile>();

/** Called once by each adapters/<channel>/profile.ts; returns the profile for its export. */
export function registerChannel<P extends ChannelProfile>(profile: P): P {
  profiles.set(profile.channel, profile);
  return profile;
}

/** The channels this process has loaded (adapters/profiles.ts loads every one). */
export function knownChannels(): readonly ChannelProfile[] {
  return [...profiles.values()];
}

export function channelProfile(channel: Channel): ChannelProfile | undefined {
  return profiles.get(channel);
}

export interface ChannelAdapter<Config = unknown> {
  /** Its name, route and secrets (its profile.ts). */
  profile: ChannelProfile;
  /** Whether the environment names this channel, so a deployment without it still runs. */
  configured(env: Record<string, string | undefined>): boolean;
  /** The channel's part of the environment, read for one role; throws a ConfigError naming what is wrong. */
  config(env: Record<string, string | undefined>, mode: Mode, role: ChannelRole): Config;
  ingress(config: Config): ChannelIngress;
  /** The reply as the platform's payload (pure; the sender composes with it, the console shows it). */
  render(reply: Reply): unknown;
  /** Per-workspace installs, for channels distributed that way (built once, shared with the sender). */
  installations?(config: Config, deps: ChannelDeps): Installations | undefined;
  sender(config: Config, deps: ChannelDeps & { installations?: Installations }): ChannelSender;
}
