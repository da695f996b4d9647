// The channels a process serves, built from the adapter list (adapters/index.ts) in one place for
// the deployed worker and the local stack alike: each channel's configuration, its per-workspace
// installations (shared by its sender, its install routes and its uninstall), and its sender.
import type { ChannelAdapter, ChannelDeps, ChannelRole, Installations } from '../core/channel.ts';
import type { ChannelSender } from '../core/delivery.ts';
import type { Channel } from '../core/identity.ts';

export interface WiredChannel {
  adapter: ChannelAdapter;
  config: unknown;
  installations?: Installations;
  sender: ChannelSender;
}

/** Every adapter the environment names (`configured`), read for `role`; throws a ConfigError on bad variables. */
export function wireChannels(adapters: readonly ChannelAdapter[], deps: ChannelDeps, role: ChannelRole): WiredChannel[] {
  return adapters
    .filter((adapter) => adapter.configured(deps.env))
    .map((adapter) => {
      const config = adapter.config(deps.env, deps.mode, role);
      const installations = adapter.installations?.(config, deps);
      return { adapter, config, ...(installations ? { installations } : {}), sender: adapter.sender(config, { ...deps, ...(installations ? { installations } : {}) }) };
    });
}

export function sendersOf(channels: readonly WiredChannel[]): Partial<Record<Channel, ChannelSender>> {
  return Object.fromEntries(channels.map((wired) => [wired.adapter.profile.channel, wired.sender]));
}

export function installationsOf(channels: readonly WiredChannel[]): Partial<Record<Channel, Installations>> {
  return Object.fromEntries(channels.flatMap((wired) => (wired.installations ? [[wired.adapter.profile.channel, wired.installations]] : [])));
}
