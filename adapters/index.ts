// Every channel the bridge serves, once. The worker's wiring (functions/worker-deps.ts) and the
// local stack (dev/stack.ts) loop over this list; the ingress Lambdas import only their own
// channel's ingress half (functions/<channel>.ts), so no ingress bundles another channel's SDK.
import type { ChannelAdapter } from '../core/channel.ts';
import { slackAdapter } from './slack/index.ts';
import { teamsAdapter } from './teams/index.ts';
import { whatsappAdapter } from './whatsapp/index.ts';

export const CHANNEL_ADAPTERS: readonly ChannelAdapter[] = [slackAdapter, teamsAdapter, whatsappAdapter];
