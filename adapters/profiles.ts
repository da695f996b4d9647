// Every channel's profile (name, route, secrets, shipped credentials), without any channel SDK:
// what the Lambda wiring, sst.config.ts, the configuration guards and the tools loop over.
// The adapters themselves (with their SDKs) are listed beside it in adapters/index.ts.
import type { ChannelProfile } from '../core/channel.ts';
import { slackProfile } from './slack/profile.ts';
import { teamsProfile } from './teams/profile.ts';
import { whatsappProfile } from './whatsapp/profile.ts';

export const CHANNEL_PROFILES: readonly ChannelProfile[] = [slackProfile, teamsProfile, whatsappProfile];
