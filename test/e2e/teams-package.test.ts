// `npm run teams:package` as a deployer runs it: a zip Teams accepts (manifest with the bot id,
// both icons at the sizes Teams requires), and a one-line refusal without the bot's app id.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { run } from '../support/spawn.ts';

const APP_ID = '11111111-2222-4333-8444-555555555555';

function pngSize(bytes: Uint8Array): { width: number; height: number; colorType: number } {
  const b = Buffer.from(bytes);
  expect(b.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  expect(b.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), colorType: b[25]! };
}

describe('npm run teams:package', () => {
  it('zips the manifest (bot id, scopes, valid domain) with a 192px colour and a 32px outline icon', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'teams-pkg-')), 'app.zip');
    const pack = run('npm', ['run', '--silent', 'teams:package'], { TEAMS_APP_ID: APP_ID, BRIDGE_HOST: 'abc.lambda-url.eu-west-1.on.aws', PARTNER_NAME: 'Acme Travel', TEAMS_PACKAGE_OUT: out });
    expect(await pack.exited).toBe(0);
    expect(pack.output().trim()).toBe(`wrote ${out}`);
    const files = unzipSync(new Uint8Array(await readFile(out)));
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as Record<string, unknown> & { bots: { botId: string; scopes: string[] }[] };
    expect(manifest).toMatchObject({ manifestVersion: '1.19', id: APP_ID, developer: { name: 'Acme Travel' }, validDomains: ['abc.lambda-url.eu-west-1.on.aws'], icons: { color: 'color.png', outline: 'outline.png' } });
    // Group chats too: a card there refreshes for whoever opens it (Universal Actions).
    expect(manifest.bots[0]).toMatchObject({ botId: APP_ID, scopes: ['personal', 'team', 'groupChat'] });
    expect(JSON.stringify(manifest)).not.toContain('{{');
    expect(pngSize(files['color.png']!)).toEqual({ width: 192, height: 192, colorType: 6 });
    expect(pngSize(files['outline.png']!)).toEqual({ width: 32, height: 32, colorType: 6 });
  });

  it('refuses in one line without a bot app id or host', async () => {
    const pack = run('npm', ['run', '--silent', 'teams:package'], { TEAMS_APP_ID: 'not-a-guid', BRIDGE_HOST: '' });
    expect(await pack.exited).toBe(1);
    expect(pack.output().trim()).toBe(
      'npm run teams:package: TEAMS_APP_ID must be the bot’s Microsoft App ID (a GUID); BRIDGE_HOST must be the host of the teams function URL (no scheme, no path)',
    );
  });
});
