// Every registered channel's side of `npm run chat`, found through the channel registry by the
// file named after its channel (dev/chat/<channel>.ts exports `chatChannel`), so no channel is
// listed here or in dev/chat.ts.
import { CHANNEL_PROFILES } from '../../adapters/profiles.ts';
import type { Channel } from '../../core/identity.ts';
import type { ChatChannelModule } from './types.ts';

export const CHAT_CHANNELS: ReadonlyMap<Channel, ChatChannelModule> = new Map(
  await Promise.all(
    CHANNEL_PROFILES.map(async (profile) => {
      const module = (await import(`./${profile.channel}.ts`)) as { chatChannel?: ChatChannelModule };
      if (!module.chatChannel) throw new Error(`dev/chat/${profile.channel}.ts exports no chatChannel`);
      return [profile.channel, module.chatChannel] as const;
    }),
  ),
);
