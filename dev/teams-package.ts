// `npm run teams:package`: the Teams app package (manifest.json + icons, zipped) to sideload or
// upload to the Teams admin center. TEAMS_APP_ID is the bot's Microsoft App ID; BRIDGE_HOST the
// host of the teams function URL; PARTNER_NAME the publisher shown in Teams. The icons are drawn
// here (a 192×192 colour icon and a 32×32 white outline on transparent, as Teams requires).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { zipSync, strToU8 } from 'fflate';
import { parseCommandLine } from './args.ts';

type Pixel = [number, number, number, number];

/** A PNG (RGBA, 8 bits per channel) of `size`×`size`, from a function of the pixel position. */
export function png(size: number, paint: (x: number, y: number) => Pixel): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let x = 0; x < size; x++) Buffer.from(paint(x, y)).copy(row, 1 + x * 4);
    rows.push(row);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit, RGBA, deflate, no filter method, no interlace
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** A bed, roughly: a headboard and a mattress, inside the icon's safe area. */
function bed(x: number, y: number, size: number): boolean {
  const u = x / size;
  const v = y / size;
  const headboard = u >= 0.2 && u <= 0.28 && v >= 0.3 && v <= 0.72;
  const mattress = u >= 0.2 && u <= 0.8 && v >= 0.5 && v <= 0.62;
  const legs = (u >= 0.74 && u <= 0.8 && v >= 0.62 && v <= 0.72) || (u >= 0.2 && u <= 0.26 && v >= 0.62 && v <= 0.72);
  const pillow = u >= 0.3 && u <= 0.44 && v >= 0.42 && v <= 0.5;
  return headboard || mattress || legs || pillow;
}

export interface PackageOptions {
  appId: string;
  bridgeHost: string;
  partnerName: string;
}

export async function buildTeamsPackage(options: PackageOptions): Promise<Uint8Array> {
  const template = await readFile(new URL('../manifests/teams/manifest.json', import.meta.url), 'utf8');
  const manifest = template
    .replaceAll('{{TEAMS_APP_ID}}', options.appId)
    .replaceAll('{{BRIDGE_HOST}}', options.bridgeHost)
    .replaceAll('{{PARTNER_NAME}}', options.partnerName);
  JSON.parse(manifest); // a value that breaks the JSON fails here, not in Teams
  const color = png(192, (x, y) => (bed(x, y, 192) ? [255, 255, 255, 255] : [29, 53, 87, 255]));
  const outline = png(32, (x, y) => (bed(x, y, 32) ? [255, 255, 255, 255] : [0, 0, 0, 0]));
  return zipSync({ 'manifest.json': strToU8(manifest), 'color.png': color, 'outline.png': outline });
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseCommandLine({
    command: 'npm run teams:package',
    synopsis: '[-- options]',
    summary: 'Writes the Teams app package (manifest.json and icons, zipped) to sideload or upload to the Teams admin center.',
    options: { out: { type: 'string', value: 'FILE', description: 'where to write the zip (TEAMS_PACKAGE_OUT; default dist/teams-app.zip)' } },
    sections: [
      {
        heading: 'environment',
        lines: ['TEAMS_APP_ID   the bot’s Microsoft App ID (a GUID; required)', 'BRIDGE_HOST    the host of the teams function URL (required)', 'PARTNER_NAME   the publisher shown in Teams (default "Brek partner")'],
      },
    ],
    examples: ['TEAMS_APP_ID=00000000-0000-0000-0000-000000000000 BRIDGE_HOST=abc.lambda-url.eu-west-1.on.aws npm run teams:package'],
  });
  const appId = process.env.TEAMS_APP_ID?.trim() ?? '';
  const bridgeHost = process.env.BRIDGE_HOST?.trim() ?? '';
  const problems = [
    ...(GUID.test(appId) ? [] : ['TEAMS_APP_ID must be the bot’s Microsoft App ID (a GUID)']),
    ...(/^[a-z0-9.-]+$/i.test(bridgeHost) ? [] : ['BRIDGE_HOST must be the host of the teams function URL (no scheme, no path)']),
  ];
  if (problems.length) {
    process.stderr.write(`npm run teams:package: ${problems.join('; ')}\n`);
    process.exit(1);
  }
  const out = values.out ?? process.env.TEAMS_PACKAGE_OUT ?? join(process.cwd(), 'dist', 'teams-app.zip');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, await buildTeamsPackage({ appId, bridgeHost, partnerName: process.env.PARTNER_NAME?.trim() || 'Brek partner' }));
  process.stdout.write(`wrote ${out}\n`);
}
