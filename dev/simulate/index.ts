// Every registered channel's traveller simulator, found by the file named after its channel
// (dev/simulate/<channel>.ts exports `simulateTraveller`), so no channel is listed here.
import { CHANNEL_PROFILES } from '../../adapters/profiles.ts';
import type { Channel } from '../../core/identity.ts';
import type { Stack } from '../stack.ts';
import type { SimulatedTraveller, TravellerSimulator } from './traveller.ts';

/** Every registered channel's simulator, by the file named after its channel. */
export const SIMULATORS: ReadonlyMap<Channel, TravellerSimulator> = new Map(
  await Promise.all(
    CHANNEL_PROFILES.map(async (profile) => {
      const module = (await import(`./${profile.channel}.ts`)) as { simulateTraveller?: TravellerSimulator };
      if (!module.simulateTraveller) throw new Error(`dev/simulate/${profile.channel}.ts exports no simulateTraveller`);
      return [profile.channel, module.simulateTraveller] as const;
    }),
  ),
);

export function simulatedTraveller(stack: Stack, channel: Channel, name: string): SimulatedTraveller {
  const simulate = SIMULATORS.get(channel);
  if (!simulate) throw new Error(`no simulator for channel "${channel}"`);
  return simulate(stack, name);
}

