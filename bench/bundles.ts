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
import { median, round } from './stats.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const OUT = join(ROOT, 'bench', '.out');

/** bridge: the function as deployed; naive: plus every dependency whole; baseline: the Bolt app, or one dependency alone. */
type Variant = 'bridge' | 'naive' | 'baseline';

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
  /** Median wall time of the whole process (spawn to exit, measured by the bench), loading the bundle. */
  processMs: number;
  /** processMs ÷ a bare `node -e 0`'s, measured in the same run with the same environment. */
  loadRatio: number;
  processes: number;
  cores: number;
}

/** A bare `node -e 0`, spawned as the bundles are: what every load ratio divides by. */
export interface BareNodeFigure {
  processMs: number;
  processes: number;
}

/**
 * Every runtime dependency by its package root (package.json's, not the infrastructure's `sst`):
 * what the careful imports avoid. Read from package.json so no channel's SDK is listed here.
 */
const SDK_ROOTS: readonly string[] = Object.keys((JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {}).filter(
  (name) => name !== 'sst',
);

/** The Bolt app (bench/bolt-app.ts) as a Lambda: the side-by-side baseline's cold start. */
const BOLT_ENTRY = join(ROOT, 'bench', 'bolt-lambda.ts');

/**
 * What module init reads in any function: the bench stack's resolved environment (each channel's
 * variables filled in by its dev/local/ part, so none is listed here), less what only the local
 * stack sets, plus the region and table a deployment sets.
 */
export function functionEnv(stackEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(stackEnv)) if (value !== undefined && !LOCAL_ONLY.has(name)) env[name] = value;
  return { ...env, AWS_REGION: 'us-east-1', TABLE_NAME: 'brek-bridge', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

/** The local stack's own settings, which no deployed function has. */
const LOCAL_ONLY = new Set(['PORT', 'HOST', 'AWS_ENDPOINT_URL_DYNAMODB', 'BRIDGE_DATA_DIR']);

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

/** A dependency's file-name-safe label: `@scope/name` → `scope+name`. */
const labelOf = (pkg: string) => pkg.replace(/^@/, '').replace('/', '+');

async function bundleAll(functions: readonly string[], awsSdkExternal: boolean, baselines: boolean): Promise<Map<string, Built>> {
  const dir = join(OUT, awsSdkExternal ? 'aws-external' : 'aws-bundled');
  await mkdir(dir, { recursive: true });
  const entryPoints: Record<string, string> = {};
  if (baselines) {
    entryPoints['bolt.baseline'] = BOLT_ENTRY;
    for (const pkg of SDK_ROOTS) {
      const entry = join(OUT, `alone-${labelOf(pkg)}.mjs`);
      // A handler beside the namespace, so the runner's check passes; the namespace kept whole.
      await writeFile(entry, `import * as sdk from '${pkg}';\nexport const kept = sdk;\nexport const handler = async () => ({ statusCode: 200 });\n`);
      entryPoints[`${labelOf(pkg)}.baseline`] = entry;
    }
  }
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

interface Load {
  initMs: number;
  sinceProcessStartMs: number;
  processMs: number;
}

// A clean environment: nothing of the bench's own process leaks into the function's init.
const cleanEnv = (functionEnv: Record<string, string>, file?: string) => ({ PATH: process.env.PATH ?? '', ...functionEnv, ...(file ? EXTRA_ENV[functionOf(file)] : {}) });

/** A bare `node -e 0` with the functions' environment, spawned and timed as loadOnce's are. */
function bareNodeOnce(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', '0'], { cwd: ROOT, env: cleanEnv(env), stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`node -e 0 exited ${code}`))));
  });
}

function loadOnce(file: string, env: Record<string, string>): Promise<Load> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER], {
      cwd: ROOT,
      env: { ...cleanEnv(env, file), BENCH_BUNDLE_URL: new URL(`file://${file}`).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const processMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`loading ${file} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
      try {
        // The runner's figures are the last line: the function logs its configuration line first, as on Lambda.
        resolve({ ...(JSON.parse(out.trim().split('\n').at(-1) ?? '') as { initMs: number; sinceProcessStartMs: number }), processMs });
      } catch {
        reject(new Error(`loading ${file}: unexpected output ${out.slice(0, 200)}`));
      }
    });
  });
}

export async function measureBundles(options: BenchOptions, env: Record<string, string>): Promise<{ bareNode: BareNodeFigure; figures: BundleFigure[] }> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const functions = await functionEntries();
  const candidates: { awsSdkExternal: boolean; label: string; variant: Variant; built: Built }[] = [];
  for (const awsSdkExternal of options.awsSdkExternal) {
    // The baselines once, as SST would bundle them (the SDK inside).
    const baselines = !awsSdkExternal;
    const bundles = await bundleAll(functions, awsSdkExternal, baselines);
    const names = [...functions.flatMap((fn) => [`${fn}.bridge`, `${fn}.naive`]), ...(baselines ? ['bolt.baseline', ...SDK_ROOTS.map((pkg) => `${labelOf(pkg)}.baseline`)] : [])];
    for (const name of names) {
      // The variant follows the last dot: a package's own name may hold one (`@scope/name.part`).
      const label = name.slice(0, name.lastIndexOf('.'));
      const variant = name.slice(name.lastIndexOf('.') + 1) as Variant;
      candidates.push({ awsSdkExternal, label, variant, built: bundles.get(name)! });
    }
  }
  // One unmeasured load of each first (full runs), so every measured one finds its files in the page cache.
  if (!options.quick) {
    await bareNodeOnce(env);
    for (const { built } of candidates) await loadOnce(built.file, env);
  }
  // Round-robin, a bare node in every round: a machine growing busier for a while slows one
  // sample of each bundle, not every sample of the few measured then (on a shared machine,
  // same-sized bundles measured back to back differed by 2×).
  const bareSamples: number[] = [];
  const loads = candidates.map(() => [] as Load[]);
  for (let round = 0; round < options.initProcesses; round++) {
    bareSamples.push(await bareNodeOnce(env));
    for (const [i, { built }] of candidates.entries()) loads[i]!.push(await loadOnce(built.file, env));
  }
  const bare = median(bareSamples);
  const figures = candidates.map(({ awsSdkExternal, label, variant, built }, i): BundleFigure => {
    const samples = loads[i]!;
    const processMs = round(median(samples.map((l) => l.processMs)));
    return {
      function: variant === 'baseline' && label !== 'bolt' ? SDK_ROOTS.find((pkg) => labelOf(pkg) === label)! : label,
      variant,
      awsSdkExternal,
      bytes: built.bytes,
      largest: built.largest,
      initMs: round(median(samples.map((l) => l.initMs))),
      sinceProcessStartMs: round(median(samples.map((l) => l.sinceProcessStartMs))),
      processMs,
      loadRatio: round(processMs / bare, 2),
      processes: options.initProcesses,
      cores: options.cores,
    };
  });
  return { bareNode: { processMs: round(bare), processes: bareSamples.length }, figures };
}
