// Channel knowledge lives in adapters/<channel>/ and reaches the rest through the registry
// (adapters/profiles.ts: what is known without an SDK; adapters/index.ts: the adapters). These
// checks keep it so: a fifth channel is a copy of a folder and a line in each list.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHANNEL_ADAPTERS } from '../../adapters/index.ts';
import { CHANNEL_PROFILES } from '../../adapters/profiles.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const REGISTRY = ['adapters/index.ts', 'adapters/profiles.ts'];
/** The files every channel folder has (docs/adding-a-channel.md walks through them). */
const TEMPLATE = ['config.ts', 'index.ts', 'ingress.ts', 'normalize.ts', 'profile.ts', 'render.ts', 'send.ts', 'verify.ts'];

/**
 * Developer tools not yet split per channel: each still lists the channels itself. The list may
 * only shrink (a file that stops listing channels must leave it); docs/adding-a-channel.md names
 * them as the steps a new channel still takes.
 */
const NOT_YET_PER_CHANNEL = new Set<string>([]);

/** Source without its comments: what the code itself names. */
function code(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const namesOf = CHANNEL_PROFILES.map((profile) => ({
  channel: profile.channel,
  words: [profile.channel, ...profile.title.split(/\s+/).filter((word) => word.length > 3 && word !== 'Microsoft'), ...(profile.aliases ?? [])],
}));

/** The channels a file's code names (a word of the channel's, not inside a longer identifier's start). */
function channelsNamed(file: string): string[] {
  const text = code(file);
  return namesOf.filter(({ words }) => words.some((word) => new RegExp(`(?<![a-z])${word}`, 'i').test(text))).map(({ channel }) => channel);
}

const tracked = execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file && !file.startsWith('test/') && !file.endsWith('.gen.ts'));
const channelFolders = new Set(CHANNEL_PROFILES.map((profile) => `adapters/${profile.channel}/`));
const inChannelFolder = (file: string) => [...channelFolders].some((folder) => file.startsWith(folder));
/** dev/fakes/slack.ts, dev/chat/teams.ts, functions/whatsapp.ts…: a tool for one channel, by name. */
const namedAfterAChannel = (file: string) => namesOf.some(({ words }) => words.some((word) => basename(file, '.ts').toLowerCase().startsWith(word.toLowerCase())));

describe('the channel registry', () => {
  it('lists every channel folder once, in both lists, in the same order', () => {
    const folders = readdirSync(join(ROOT, 'adapters')).filter((name) => statSync(join(ROOT, 'adapters', name)).isDirectory());
    expect(CHANNEL_PROFILES.map((profile) => profile.channel).sort()).toEqual(folders.sort());
    expect(CHANNEL_ADAPTERS.map((adapter) => adapter.profile)).toEqual(CHANNEL_PROFILES);
  });

  it.each(CHANNEL_PROFILES.map((profile) => [profile.channel]))('adapters/%s/ has the files every channel has', (channel) => {
    const files = readdirSync(join(ROOT, 'adapters', channel));
    for (const file of TEMPLATE) expect(files, `adapters/${channel}/${file}`).toContain(file);
  });

  it('core/ names a channel in at most 2 files', () => {
    const naming = tracked.filter((file) => file.startsWith('core/') && channelsNamed(file).length > 0);
    expect(naming.length, naming.join(', ')).toBeLessThanOrEqual(2);
  });

  it('outside adapters/<channel>/, only the registry lists channels (per-channel tools named after theirs aside)', () => {
    const listing = tracked.filter((file) => !inChannelFolder(file) && !REGISTRY.includes(file) && !namedAfterAChannel(file) && channelsNamed(file).length >= 2);
    expect(listing.filter((file) => !NOT_YET_PER_CHANNEL.has(file)), 'these list channels of their own: read them from the registry').toEqual([]);
    // Kept true: a file that no longer lists channels leaves the list.
    expect([...NOT_YET_PER_CHANNEL].filter((file) => !listing.includes(file)), 'no longer lists channels: take it off NOT_YET_PER_CHANNEL').toEqual([]);
  });

  it('every Lambda loads every profile before its handler runs (so the guards and the log scrubber know each channel)', () => {
    /** The modules a file imports statically, transitively (relative imports only). */
    const reached = (file: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(file)) return seen;
      seen.add(file);
      for (const [, spec] of readFileSync(join(ROOT, file), 'utf8').matchAll(/^import\s+(?!type\b)[^;]*?['"](\.{1,2}\/[^'"]+)['"]/gm)) reached(join(dirname(file), spec!), seen);
      return seen;
    };
    const entries = ['functions/worker.ts', 'functions/slack-oauth.ts', ...CHANNEL_PROFILES.map((profile) => `functions/${profile.channel}.ts`)];
    for (const entry of entries) expect([...reached(entry)], entry).toContain('adapters/profiles.ts');
  });

  it('the check itself sees a list of channels', () => {
    expect(channelsNamed('adapters/profiles.ts')).toEqual(CHANNEL_PROFILES.map((profile) => profile.channel));
    expect(channelsNamed('core/delivery.ts')).toEqual([]);
  });
});
