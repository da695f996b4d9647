// Figure 3: each Lambda's bundle (esbuild as test/deploy/bundles.test.ts bundles it: Node, ESM, minified)
// and its cold module-load time in a fresh `node` process; next to a "naive" bundle of the same
// handler that also imports every SDK root in full, the way a shared `sdk.ts` barrel would. Each is
// built twice more with `@aws-sdk/*` external, which the Lambda Node.js runtime provides (SST does
// not do that by default: see docs/performance.md).
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import type { BenchOptions } from './options.ts';
import { median, repeat, round } from './stats.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const OUT = join(ROOT, 'bench', '.out');

type Variant = 'bridge' | 'naive';

export interface BundleFigure {
  function: string;
  variant: Variant;
  awsSdkExternal: boolean;
  bytes: number;
  /** The biggest contributors to the bundle, by package (or "bridge" for this repository's code). */
  largest: { source: string; bytes: number }[];
  /** Median over fresh processes of the time `import()` of the bundle takes. */
  initMs: number;
  /** Median time from the process's start (performance.timeOrigin) to the module loaded. */
  sinceProcessStartMs: number;
  processes: number;
  cores: number;
}

/** Every SDK the bridge uses, by its package root: what the careful imports avoid. */
const SDK_ROOTS = ['@slack/bolt', '@slack/web-api', '@microsoft/teams.apps', '@microsoft/teams.api', 'twilio', '@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'];

/** What module init reads in any function (each reads only its own part); no value is real. */
const FUNCTION_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'brek-bridge',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  SLACK_SIGNING_SECRET: 'bench-signing-secret',
  SLACK_BOT_TOKEN: 'xoxb-bench',
  TEAMS_APP_ID: '00000000-0000-4000-8000-0000000b0701',
  TEAMS_APP_PASSWORD: 'bench-password',
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'bench-twilio-token',
  TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
  WHATSAPP_WEBHOOK_URL: 'https://bridge.example.com/whatsapp/webhook',
  ACTOR_ID_SECRET: 'bench-actor-secret-0123456789',
  BREK_BASE_URL: 'https://brek.example.com',
  BREK_PARTNER_API_KEY: 'bench-key',
};

/** What a function needs beyond the common set (the Slack install routes: distribution mode). */
const EXTRA_ENV: Record<string, Record<string, string>> = {
  'slack-oauth': {
    SLACK_CLIENT_ID: '1234.5678',
    SLACK_CLIENT_SECRET: 'bench-client-secret',
    SLACK_STATE_SECRET: 'bench-state-secret-0123456789',
    SLACK_REDIRECT_URI: 'https://bridge.example.com/slack/oauth_redirect',
    INSTALLATION_KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  },
};

// Runs in the fresh process: times the import, checks the module exported its handler.
const RUNNER = `
const started = performance.now();
const mod = await import(process.env.BENCH_BUNDLE_URL);
const loaded = performance.now();
if (typeof mod.handler !== 'function') throw new Error('no handler export');
process.stdout.write(JSON.stringify({ initMs: loaded - started, sinceProcessStartMs: loaded }));
process.exit(0);
`;

/** The Lambda entry points: modules in functions/ that export a handler. */
async function functionEntries(): Promise<string[]> {
  const names = (await readdir(join(ROOT, 'functions'))).filter((f) => f.endsWith('.ts')).sort();
  const entries: string[] = [];
  for (const name of names) {
    if (/export\s+(const|async function|function)\s+handler\b/.test(await readFile(join(ROOT, 'functions', name), 'utf8'))) entries.push(name.replace(/\.ts$/, ''));
  }
  return entries;
}

/**
 * Builds every function's bridge and naive bundles in one esbuild call (modules shared between
 * entries are parsed once), into OUT/<setting>/<function>.<variant>.mjs.
 */
interface Built {
  file: string;
  bytes: number;
  largest: { source: string; bytes: number }[];
}

/** node_modules/@scope/name/… → @scope/name; the repository's own files → "bridge". */
function sourceOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match ? match[1]! : 'bridge';
}

async function bundleAll(functions: readonly string[], awsSdkExternal: boolean): Promise<Map<string, Built>> {
  const dir = join(OUT, awsSdkExternal ? 'aws-external' : 'aws-bundled');
  await mkdir(dir, { recursive: true });
  const entryPoints: Record<string, string> = {};
  for (const fn of functions) {
    // Plain JS, so the project's type-check (which covers bench/) never sees these generated files.
    const naiveEntry = join(OUT, `naive-${fn}.mjs`);
    await writeFile(
      naiveEntry,
      [
        `export { handler } from '../../functions/${fn}.ts';`,
        ...SDK_ROOTS.map((pkg, i) => `import * as sdk${i} from '${pkg}';`),
        // Exported so esbuild keeps every namespace whole, as an app that used them would.
        `export const sdks = [${SDK_ROOTS.map((_, i) => `sdk${i}`).join(', ')}];`,
      ].join('\n'),
    );
    entryPoints[`${fn}.bridge`] = join(ROOT, 'functions', `${fn}.ts`);
    entryPoints[`${fn}.naive`] = naiveEntry;
  }
  const options: BuildOptions = {
    entryPoints,
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    write: true,
    metafile: true,
    logLevel: 'silent',
    external: awsSdkExternal ? ['@aws-sdk/*'] : [],
    // CommonJS dependencies inside an ESM bundle need a require (as in test/deploy/bundles.test.ts).
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  };
  const result = await build(options);
  const out = new Map<string, Built>();
  for (const name of Object.keys(entryPoints)) {
    const file = join(dir, `${name}.mjs`);
    const meta = Object.entries(result.metafile?.outputs ?? {}).find(([path]) => join(ROOT, path) === file)?.[1];
    const bySource = new Map<string, number>();
    for (const [input, { bytesInOutput }] of Object.entries(meta?.inputs ?? {})) bySource.set(sourceOf(input), (bySource.get(sourceOf(input)) ?? 0) + bytesInOutput);
    const largest = [...bySource.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([source, bytes]) => ({ source, bytes }));
    out.set(name, { file, bytes: (await stat(file)).size, largest });
  }
  return out;
}

/** `.out/aws-bundled/slack-oauth.bridge.mjs` → `slack-oauth`. */
const functionOf = (file: string) => (file.split('/').pop() ?? '').split('.')[0] ?? '';

function loadOnce(file: string): Promise<{ initMs: number; sinceProcessStartMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER], {
      cwd: ROOT,
      // A clean environment: nothing of the bench's own process leaks into the function's init.
      env: { PATH: process.env.PATH ?? '', ...FUNCTION_ENV, ...EXTRA_ENV[functionOf(file)], BENCH_BUNDLE_URL: new URL(`file://${file}`).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`loading ${file} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
      try {
        // The runner's figures are the last line: the function logs its configuration line first, as on Lambda.
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as { initMs: number; sinceProcessStartMs: number });
      } catch {
        reject(new Error(`loading ${file}: unexpected output ${out.slice(0, 200)}`));
      }
    });
  });
}

export async function measureBundles(options: BenchOptions): Promise<BundleFigure[]> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const functions = await functionEntries();
  const figures: BundleFigure[] = [];
  for (const awsSdkExternal of options.awsSdkExternal) {
    const bundles = await bundleAll(functions, awsSdkExternal);
    for (const fn of functions) {
      for (const variant of ['bridge', 'naive'] as const) {
        const { file, bytes, largest } = bundles.get(`${fn}.${variant}`)!;
        // One unmeasured load first (full runs), so every measured one finds the file in the page cache.
        if (!options.quick) await loadOnce(file);
        const loads = await repeat(options.initProcesses, () => loadOnce(file));
        figures.push({
          function: fn,
          variant,
          awsSdkExternal,
          bytes,
          largest,
          initMs: round(median(loads.map((l) => l.initMs))),
          sinceProcessStartMs: round(median(loads.map((l) => l.sinceProcessStartMs))),
          processes: options.initProcesses,
          cores: options.cores,
        });
      }
    }
  }
  return figures;
}
