// Each channel's part of the local stack, found through the channel registry by the file named
// after its channel (dev/local/<channel>.ts exports `localChannel`), so dev/stack.ts lists none:
// its fake API when the environment names no real account, the variables that point the adapter
// at it, its line in the banner, where `npm run chat` finds it, and its console pane.
import { CHANNEL_PROFILES } from '../../adapters/profiles.ts';
import type { Channel } from '../../core/identity.ts';
import type { BridgeConsole } from '../console/server.ts';

export type Env = Record<string, string | undefined>;

/** One line of the stack's banner: a part and whether the stack runs it itself. */
export interface Part {
  name: string;
  where: string;
  embedded: boolean;
}

export interface LocalSetup {
  /** The stack's environment: read, and completed with what points the adapter at a fake. */
  env: Env;
  /** A development secret kept under the data directory (made once), by name. */
  secret(name: string): string;
}

export interface Joined {
  part: Part;
  /** The banner's line on how to talk to it: simulated (npm run chat), or where to point the real app. */
  howTo: string;
  /** Routes it serves beyond its POST route (Slack's install flow), as banner lines. */
  routes?: string[];
  /** Added to .data/stack.json: where `npm run chat` and `npm run ops` find the fake. */
  info: Record<string, string | undefined>;
  /** Added to the Stack (its configuration, its fake): see the `declare module` in each file. */
  fields: Record<string, unknown>;
  /** Resolves once its fake has told the stack all it owes it (Twilio's status callbacks): part of `idle`. */
  settled?(): Promise<void>;
}

export interface PreparedChannel {
  close?(): Promise<void>;
  /** The port is known: variables that name the stack's own URL (before the adapters are wired). */
  listening?(url: string, env: Env): void;
  /** The adapters are wired: its console pane, its banner line, its Stack fields. */
  join(context: { url: () => string; env: Env; console: BridgeConsole }): Joined;
}

export interface LocalChannel {
  prepare(setup: LocalSetup): Promise<PreparedChannel>;
}

/** Every registered channel's local part. */
export const LOCAL_CHANNELS: ReadonlyMap<Channel, LocalChannel> = new Map(
  await Promise.all(
    CHANNEL_PROFILES.map(async (profile) => {
      const module = (await import(`./${profile.channel}.ts`)) as { localChannel?: LocalChannel };
      if (!module.localChannel) throw new Error(`dev/local/${profile.channel}.ts exports no localChannel`);
      return [profile.channel, module.localChannel] as const;
    }),
  ),
);
