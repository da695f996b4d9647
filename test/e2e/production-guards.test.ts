// Production guards (issue 10): outside local mode the bridge refuses to start on http to a remote
// Brek (or channel API), a missing secret, a development credential of this repository, a stand-in
// or a short secret — one line per problem, naming the variable, never holding a value — and at
// cold start it logs which secrets are set, by name only. Local mode is left as it was.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSlackConfig } from '../../adapters/slack/config.ts';
import { loadTeamsConfig } from '../../adapters/teams/config.ts';
import { loadWhatsAppConfig } from '../../adapters/whatsapp/config.ts';
import { ConfigError, configureAtStart, loadCoreConfig, secretVariables } from '../../core/config.ts';
import { DEV_PARTNER_KEY, isPlaceholder, shippedCredentials } from '../../core/dev-defaults.ts';
import '../../adapters/profiles.ts';
import { LOCAL_SLACK_BOT_TOKEN } from '../../adapters/slack/profile.ts';
import { FAKE_TEAMS_APP_PASSWORD } from '../../adapters/teams/profile.ts';
import { FAKE_TWILIO_ACCOUNT_SID } from '../../adapters/whatsapp/profile.ts';
import { createLogger, memorySink } from '../../core/log.ts';
import { startStack } from '../../dev/stack.ts';
import { startFakeTeams } from '../../dev/fakes/teams.ts';
import { startFakeTwilio } from '../../dev/fakes/twilio.ts';
import { LINKED_SECRETS } from '../../functions/runtime.ts';
import { workerDeps } from '../../functions/worker-deps.ts';
import { sandboxConfigFromEnv } from '../../sandbox/config.ts';

type Env = Record<string, string | undefined>;

/** A deployment as it should be: every value real-looking and none of the repository's. */
const GOOD: Record<string, string> = {
  BREK_BASE_URL: 'https://partner.brek.example',
  BREK_PARTNER_API_KEY: 'brek_live_6f1c0d9e2a7b4c58',
  ACTOR_ID_SECRET: '3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e',
  SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-Zq81rTmnb0fLs',
  TEAMS_APP_ID: '6b0c1f8e-2d3a-4e5f-8a9b-0c1d2e3f4a5b',
  TEAMS_TENANT_ID: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
  TEAMS_APP_PASSWORD: 'Qx8~kR2.vN5_wT7-yL1mP4sJ6hG9',
  TWILIO_ACCOUNT_SID: 'AC5e1d9c3b7a2f6e0d4c8b1a5f9e3d7c2b',
  TWILIO_AUTH_TOKEN: 'c4ca4238a0b923820dcc509a6f75849b',
  TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
  WHATSAPP_WEBHOOK_URL: 'https://bridge.example/whatsapp/webhook',
  TABLE_NAME: 'brek-bridge',
};
// Core's and every channel's (their profiles, loaded above through adapters/profiles.ts).
const SECRET_VARIABLES = secretVariables();
const DEV_DEFAULTS = shippedCredentials();
const GOOD_SECRETS = SECRET_VARIABLES.map((name) => GOOD[name]!);

const quiet = createLogger({ sink: () => undefined });

/** What each deployed function reads at cold start, in its order (functions/*.ts). */
const FUNCTIONS = {
  slack: (env: Env) => {
    loadCoreConfig(env, 'deployed', { brek: false, actorIdSecret: false });
    loadSlackConfig(env, 'deployed', 'ingress');
  },
  teams: (env: Env) => {
    loadCoreConfig(env, 'deployed', { brek: false, actorIdSecret: false });
    loadTeamsConfig(env, 'deployed', 'ingress');
  },
  whatsapp: (env: Env) => {
    loadCoreConfig(env, 'deployed', { brek: false, actorIdSecret: true });
    loadWhatsAppConfig(env, 'deployed', 'ingress');
  },
  worker: (env: Env) => void workerDeps(env, quiet),
};
type Fn = keyof typeof FUNCTIONS;

/** The problems a function's start is refused with ([] = it starts). */
function problemsOf(fn: Fn, env: Env): string[] {
  try {
    FUNCTIONS[fn](env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** Refused with exactly `expected`, one line each, naming its variable and holding none of `values`. */
function expectRefused(fn: Fn, env: Env, expected: string[], variable: string, values: string[] = []): void {
  const problems = problemsOf(fn, env);
  expect(problems).toEqual(expected);
  for (const problem of problems) {
    expect(problem).not.toContain('\n');
    expect(problem).toContain(variable);
    for (const value of [...values, ...GOOD_SECRETS]) expect(problem).not.toContain(value);
  }
}

describe('a good deployed configuration', () => {
  it('starts every function', () => {
    for (const fn of Object.keys(FUNCTIONS) as Fn[]) expect(problemsOf(fn, GOOD), fn).toEqual([]);
  });

  it('the guards name the same secrets SST links (functions/runtime.ts)', () => {
    expect([...Object.values(LINKED_SECRETS)].sort()).toEqual([...SECRET_VARIABLES].sort());
  });
});

describe('guard 1: Brek over https (http only to this machine)', () => {
  const HTTPS = 'BREK_BASE_URL must be an https URL when deployed (http only to localhost, 127.0.0.1 or ::1)';

  it('http://example.com is refused, and tricks on the host name too', () => {
    for (const url of ['http://example.com', 'http://brek.example.com/api', 'http://localhost.example.com', 'http://127.0.0.1.nip.io:4010']) {
      expectRefused('worker', { ...GOOD, BREK_BASE_URL: url }, [HTTPS], 'BREK_BASE_URL');
    }
  });

  it('http to localhost, 127.0.0.1 and ::1 is accepted (a local sandbox under sst dev), https anywhere', () => {
    for (const url of ['http://localhost:4010', 'http://127.0.0.1:4010', 'http://[::1]:4010', 'https://www.brek.ai']) {
      expect(problemsOf('worker', { ...GOOD, BREK_BASE_URL: url }), url).toEqual([]);
    }
  });

  it('an ingress that does not call Brek is refused too when one is configured over http', () => {
    expectRefused('slack', { ...GOOD, BREK_BASE_URL: 'http://example.com' }, [HTTPS], 'BREK_BASE_URL');
  });

  it('so are the URLs the channel credentials travel to (or the keys that vouch for Teams tokens)', () => {
    const cases: [Fn, string][] = [
      ['worker', 'SLACK_API_URL'],
      ['worker', 'TEAMS_TOKEN_URL'],
      ['teams', 'TEAMS_OPENID_METADATA_URL'],
      ['worker', 'TWILIO_API_URL'],
    ];
    for (const [fn, name] of cases) {
      const path = name === 'TEAMS_OPENID_METADATA_URL' ? '/v1/.well-known/openidconfiguration' : '/api';
      expectRefused(fn, { ...GOOD, [name]: `http://example.com${path}` }, [`${name} must be an https URL when deployed (http only to localhost, 127.0.0.1 or ::1)`], name);
      expect(problemsOf(fn, { ...GOOD, [name]: `http://127.0.0.1:9${path}` })).toEqual([]);
    }
  });

  it('locally, http://example.com is still accepted', () => {
    expect(loadCoreConfig({ BREK_BASE_URL: 'http://example.com', BREK_PARTNER_API_KEY: 'k' }, 'local').brek.baseUrl).toBe('http://example.com');
    expect(loadSlackConfig({ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_API_URL: 'http://example.com/api' }, 'local').apiUrl).toBe('http://example.com/api/');
  });
});

describe('guard 2: the secrets each function needs', () => {
  const MISSING: [Fn, string, string][] = [
    ['slack', 'SLACK_SIGNING_SECRET', 'SLACK_SIGNING_SECRET is required for Slack (from the app’s Basic Information page)'],
    ['whatsapp', 'ACTOR_ID_SECRET', 'ACTOR_ID_SECRET is required when deployed (it keys the WhatsApp actor id hash)'],
    ['whatsapp', 'TWILIO_AUTH_TOKEN', 'TWILIO_AUTH_TOKEN is required for WhatsApp (it signs and authorises Twilio requests)'],
    ['worker', 'BREK_PARTNER_API_KEY', 'BREK_PARTNER_API_KEY is required when deployed'],
    ['worker', 'ACTOR_ID_SECRET', 'ACTOR_ID_SECRET is required when deployed (it keys the WhatsApp actor id hash)'],
    ['worker', 'SLACK_BOT_TOKEN', 'SLACK_BOT_TOKEN is required for Slack (the xoxb- token from OAuth & Permissions), or SLACK_CLIENT_ID for installs through OAuth'],
    ['worker', 'TEAMS_APP_PASSWORD', 'TEAMS_APP_PASSWORD is required for Teams (the bot’s client secret)'],
    ['worker', 'TWILIO_AUTH_TOKEN', 'TWILIO_AUTH_TOKEN is required for WhatsApp (it signs and authorises Twilio requests)'],
  ];
  for (const [fn, name, message] of MISSING) {
    it(`${fn}: without ${name} (unset, empty or blank) it is refused`, () => {
      for (const value of [undefined, '', '   ']) expectRefused(fn, { ...GOOD, [name]: value }, [message], name);
    });
  }

  it('only what a function uses is required: the ingresses start without the worker’s secrets', () => {
    const only = (names: string[]) => Object.fromEntries(Object.entries(GOOD).filter(([name]) => !(SECRET_VARIABLES as readonly string[]).includes(name) || names.includes(name)));
    expect(problemsOf('slack', only(['SLACK_SIGNING_SECRET']))).toEqual([]);
    expect(problemsOf('teams', only([]))).toEqual([]);
    expect(problemsOf('whatsapp', only(['ACTOR_ID_SECRET', 'TWILIO_AUTH_TOKEN']))).toEqual([]);
  });
});

describe('guard 3: development credentials, stand-ins and short secrets', () => {
  /** The URL each development credential is sent to: on this machine, only a local stand-in takes it. */
  const SERVICE: Record<string, [string, string]> = {
    BREK_PARTNER_API_KEY: ['BREK_BASE_URL', 'http://127.0.0.1:4010'],
    SLACK_BOT_TOKEN: ['SLACK_API_URL', 'http://127.0.0.1:4011/api'],
    TEAMS_APP_PASSWORD: ['TEAMS_TOKEN_URL', 'http://localhost:4012/token'],
    TWILIO_ACCOUNT_SID: ['TWILIO_API_URL', 'http://[::1]:4013'],
  };

  for (const shipped of DEV_DEFAULTS) {
    it(`${shipped.variable}: ${shipped.what} is refused when deployed`, () => {
      expect(SERVICE[shipped.variable], 'every development credential has its case here').toBeDefined();
      const message = `${shipped.variable} is a development value shipped in this repository (${shipped.what}): set the real one`;
      expectRefused('worker', { ...GOOD, [shipped.variable]: shipped.value }, [message], shipped.variable, [shipped.value]);
    });

    it(`${shipped.variable}: ${shipped.what} is accepted when it only goes to this machine (sst dev, a deployed replay against the local stack)`, () => {
      const [url, local] = SERVICE[shipped.variable]!;
      expect(problemsOf('worker', { ...GOOD, [shipped.variable]: shipped.value, [url]: local })).toEqual([]);
    });
  }

  it('a development credential in another variable is refused even towards this machine', () => {
    const message = 'SLACK_SIGNING_SECRET is a development value shipped in this repository (the Brek sandbox’s dev key): set the real one';
    expectRefused('slack', { ...GOOD, SLACK_SIGNING_SECRET: DEV_PARTNER_KEY, BREK_BASE_URL: 'http://127.0.0.1:4010' }, [message], 'SLACK_SIGNING_SECRET', [DEV_PARTNER_KEY]);
  });

  /** Which function reads each secret first. */
  const READER: Record<string, Fn> = {
    BREK_PARTNER_API_KEY: 'worker',
    ACTOR_ID_SECRET: 'whatsapp',
    SLACK_SIGNING_SECRET: 'slack',
    SLACK_BOT_TOKEN: 'worker',
    TEAMS_APP_PASSWORD: 'worker',
    TWILIO_AUTH_TOKEN: 'whatsapp',
  };
  const STAND_INS = ['changeme', 'CHANGEME', 'placeholder', '<partner API key>', 'xoxb-…', '…', '$(openssl rand -hex 32)', 'your-signing-secret', 'xxxxxxxxxxxxxxxxxxxxxxxx'];

  for (const name of SECRET_VARIABLES) {
    it(`${name}: stand-ins are refused`, () => {
      for (const value of STAND_INS) {
        const problems = problemsOf(READER[name]!, { ...GOOD, [name]: value });
        expect(problems, value).toContain(`${name} is a stand-in, not a real value: set the real one`);
        // A stand-in Slack token may also fail the xoxb- check: that line names its variable too.
        for (const problem of problems) {
          expect(problem).toContain(name);
          expect(problem).not.toContain(value);
          expect(problem).not.toContain('\n');
        }
      }
    });
  }

  it('every stand-in and secret the README and docs/ show is refused (sst secret set lines and shell examples)', () => {
    const docs = new URL('../../docs/', import.meta.url);
    const pages = [new URL('../../README.md', import.meta.url), ...readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => new URL(name, docs))];
    const documentation = pages.map((page) => readFileSync(page, 'utf8')).join('\n');
    const byResource = LINKED_SECRETS as Record<string, string>;
    const shown: [string, string][] = [];
    for (const m of documentation.matchAll(/sst secret set (\w+) (?:'([^']*)'|"([^"]*)"|([^\s`]+))/g)) {
      if (byResource[m[1]!]) shown.push([byResource[m[1]!]!, (m[2] ?? m[3] ?? m[4])!]);
    }
    for (const m of documentation.matchAll(/\b([A-Z_]+)=([^\s`]+)/g)) {
      if ((SECRET_VARIABLES as readonly string[]).includes(m[1]!)) shown.push([m[1]!, m[2]!]);
    }
    expect(shown.length).toBeGreaterThanOrEqual(9);
    for (const [name, value] of shown) {
      const problems = problemsOf(READER[name]!, { ...GOOD, [name]: value });
      expect(problems.some((p) => p.startsWith(`${name} is `)), `${name}=${value}`).toBe(true);
      for (const problem of problems) expect(problem).not.toContain(value);
    }
  });

  it('short secrets are refused: under 8 characters, and ACTOR_ID_SECRET under 16', () => {
    expectRefused('whatsapp', { ...GOOD, TWILIO_AUTH_TOKEN: 'a1b2c3d' }, ['TWILIO_AUTH_TOKEN must be at least 8 characters'], 'TWILIO_AUTH_TOKEN', ['a1b2c3d']);
    expectRefused('worker', { ...GOOD, BREK_PARTNER_API_KEY: 'k9x2' }, ['BREK_PARTNER_API_KEY must be at least 8 characters'], 'BREK_PARTNER_API_KEY', ['k9x2']);
    expectRefused('whatsapp', { ...GOOD, ACTOR_ID_SECRET: '9f8e7d6c5b4a321' }, ['ACTOR_ID_SECRET must be at least 16 characters'], 'ACTOR_ID_SECRET', ['9f8e7d6c5b4a321']);
  });

  it('a secret pasted into a URL variable is blotted out of the "got …" line', () => {
    const key = GOOD.BREK_PARTNER_API_KEY!;
    expectRefused('worker', { ...GOOD, BREK_BASE_URL: key }, ['BREK_BASE_URL must be an absolute URL, got "[secret]"'], 'BREK_BASE_URL', [key]);
    const token = GOOD.SLACK_BOT_TOKEN!;
    expectRefused('worker', { ...GOOD, SLACK_API_URL: token }, ['SLACK_API_URL must be an absolute URL, got "[secret]"'], 'SLACK_API_URL', [token]);
  });

  it('everything is reported at once, each on its own line', () => {
    const problems = problemsOf('whatsapp', { ...GOOD, BREK_BASE_URL: 'http://example.com', ACTOR_ID_SECRET: 'changeme' });
    expect(problems).toEqual([
      'BREK_BASE_URL must be an https URL when deployed (http only to localhost, 127.0.0.1 or ::1)',
      'ACTOR_ID_SECRET is a stand-in, not a real value: set the real one',
    ]);
    try {
      FUNCTIONS.whatsapp({ ...GOOD, BREK_BASE_URL: 'http://example.com', ACTOR_ID_SECRET: 'changeme' });
    } catch (error) {
      expect((error as Error).message.split('\n').slice(1)).toEqual(problems.map((p) => `  - ${p}`));
    }
  });

  it('real-looking values are not mistaken for stand-ins', () => {
    for (const value of [...GOOD_SECRETS, 'teams-app-password', 'twilio-auth-token', 'brek_test_key', 'xoxb-test-token', 'a.b...c~d']) expect(isPlaceholder(value), value).toBe(false);
  });
});

describe('the list is the one the dev code uses', () => {
  it('the sandbox, the fakes and the local stack take their credentials from it', async () => {
    const listed = new Map(DEV_DEFAULTS.map((d) => [d.value, d.variable]));
    expect([...sandboxConfigFromEnv({}).keys.keys()]).toEqual([DEV_PARTNER_KEY]);
    expect(listed.get(DEV_PARTNER_KEY)).toBe('BREK_PARTNER_API_KEY');
    const teams = await startFakeTeams();
    const twilio = await startFakeTwilio();
    try {
      expect(listed.get(teams.appPassword)).toBe('TEAMS_APP_PASSWORD');
      expect(teams.appPassword).toBe(FAKE_TEAMS_APP_PASSWORD);
      expect(listed.get(twilio.accountSid)).toBe('TWILIO_ACCOUNT_SID');
      expect(twilio.accountSid).toBe(FAKE_TWILIO_ACCOUNT_SID);
    } finally {
      await teams.close();
      await twilio.close();
    }
  });

  it('local mode is unaffected: the local stack starts on them, and its configuration deployed elsewhere is refused', async () => {
    const stack = await startStack({ dataDir: 'memory', logger: quiet, env: { PORT: '0' } });
    try {
      expect(stack.slack.botToken).toBe(LOCAL_SLACK_BOT_TOKEN);
      expect(stack.config.brek.apiKey).toBe(DEV_PARTNER_KEY);
      expect(stack.teams.appPassword).toBe(FAKE_TEAMS_APP_PASSWORD);
      expect(stack.whatsapp.accountSid).toBe(FAKE_TWILIO_ACCOUNT_SID);
      const health = await fetch(`${stack.url}/healthz`);
      expect(health.status).toBe(200);

      // The stack's values as a deployed worker's: accepted while every service is the stack's own
      // (what `npm run ops -- replay` does against it), refused once pointed at the real services.
      const local: Env = {
        ...GOOD,
        AWS_ENDPOINT_URL_DYNAMODB: stack.config.dynamoEndpoint,
        BREK_BASE_URL: stack.config.brek.baseUrl,
        BREK_PARTNER_API_KEY: stack.config.brek.apiKey,
        SLACK_BOT_TOKEN: stack.slack.botToken,
        SLACK_API_URL: stack.slack.apiUrl,
        TEAMS_APP_PASSWORD: stack.teams.appPassword,
        TEAMS_TOKEN_URL: stack.teams.tokenUrl,
        TWILIO_ACCOUNT_SID: stack.whatsapp.accountSid,
        TWILIO_API_URL: stack.whatsapp.apiUrl,
      };
      expect(problemsOf('worker', local)).toEqual([]);
      const remote = { ...local, BREK_BASE_URL: GOOD.BREK_BASE_URL, SLACK_API_URL: undefined, TEAMS_TOKEN_URL: undefined, TWILIO_API_URL: undefined };
      expect(() => loadCoreConfig(remote, 'deployed')).toThrow('BREK_PARTNER_API_KEY is a development value');
      expect(() => loadSlackConfig(remote, 'deployed', 'worker')).toThrow('SLACK_BOT_TOKEN is a development value');
      expect(() => loadTeamsConfig(remote, 'deployed', 'worker')).toThrow('TEAMS_APP_PASSWORD is a development value');
      expect(() => loadWhatsAppConfig(remote, 'deployed', 'worker')).toThrow('TWILIO_ACCOUNT_SID is a development value');
    } finally {
      await stack.close();
    }
  });

  it('locally, stand-ins and development credentials pass as before', () => {
    const env = { SLACK_SIGNING_SECRET: 'changeme', SLACK_BOT_TOKEN: LOCAL_SLACK_BOT_TOKEN, TEAMS_APP_ID: 'x', TEAMS_APP_PASSWORD: FAKE_TEAMS_APP_PASSWORD };
    expect(loadSlackConfig(env, 'local').signingSecret).toBe('changeme');
    expect(loadTeamsConfig(env, 'local').appPassword).toBe(FAKE_TEAMS_APP_PASSWORD);
    expect(loadCoreConfig({ BREK_BASE_URL: 'https://brek.example', BREK_PARTNER_API_KEY: DEV_PARTNER_KEY }, 'local').brek.apiKey).toBe(DEV_PARTNER_KEY);
  });
});

describe('guard 4: the start-up line names secrets, never values', () => {
  it('a good start logs one configuration line listing the secrets set', () => {
    const logs = memorySink();
    const logger = createLogger({ sink: logs.sink });
    const env = { ...GOOD, TWILIO_AUTH_TOKEN: undefined, TWILIO_ACCOUNT_SID: undefined };
    configureAtStart(logger, env, 'deployed', () => workerDeps(env, logger));
    expect(logs.records()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'configuration',
        mode: 'deployed',
        set: ['BREK_PARTNER_API_KEY', 'ACTOR_ID_SECRET', 'SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'TEAMS_APP_PASSWORD'],
        unset: ['TWILIO_AUTH_TOKEN'],
      }),
    ]);
    for (const line of logs.lines) for (const value of GOOD_SECRETS) expect(line).not.toContain(value);
  });

  it('a refused start logs its problems in one line, then throws', () => {
    const logs = memorySink();
    const logger = createLogger({ sink: logs.sink });
    const env = { ...GOOD, SLACK_SIGNING_SECRET: 'changeme' };
    expect(() => configureAtStart(logger, env, 'deployed', () => FUNCTIONS.slack(env))).toThrow(ConfigError);
    expect(logs.records()).toEqual([
      expect.objectContaining({ level: 'error', msg: 'configuration refused', mode: 'deployed', problems: ['SLACK_SIGNING_SECRET is a stand-in, not a real value: set the real one'] }),
    ]);
    expect(logs.lines).toHaveLength(1);
    for (const line of logs.lines) for (const value of [...GOOD_SECRETS, DEV_PARTNER_KEY, 'changeme']) expect(line).not.toContain(value);
  });
});

// A deployed function started as Lambda starts it: its bundle (esbuild, as SST builds it) imported
// by a fresh Node process with only the function's variables; an init error is reported as the
// Lambda runtime reports it (errorType, errorMessage).
describe('cold start of a deployed function', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guards-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const bundles = new Map<string, Promise<string>>();
  function bundle(fn: 'slack' | 'worker'): Promise<string> {
    if (!bundles.has(fn)) bundles.set(fn, buildOne(fn));
    return bundles.get(fn)!;
  }
  async function buildOne(fn: string): Promise<string> {
    const outfile = join(dir, `${fn}.mjs`);
    await build({
      entryPoints: [`functions/${fn}.ts`],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      logLevel: 'silent',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    return outfile;
  }

  const RUNTIME = `
try {
  await import(process.env.HANDLER_URL);
  process.stdout.write('INIT ok\\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ errorType: error.name, errorMessage: error.message }) + '\\n');
  process.exit(1);
}`;

  /** The function's JSON log lines (the runtime's own lines are not JSON objects with a msg). */
  function records(lines: string[]): Record<string, unknown>[] {
    return lines.filter((l) => l.startsWith('{"time"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  function coldStart(file: string, env: Env): Promise<{ code: number | null; lines: string[]; out: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', RUNTIME], {
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env, HANDLER_URL: `file://${file}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, out, lines: out.trim().split('\n') }));
    });
  }

  it('the worker refuses the Brek sandbox’s dev key towards Brek, in one line naming the variable', async () => {
    const file = await bundle('worker');
    const { code, lines, out } = await coldStart(file, { ...GOOD, BREK_PARTNER_API_KEY: DEV_PARTNER_KEY });
    const reason = 'BREK_PARTNER_API_KEY is a development value shipped in this repository (the Brek sandbox’s dev key): set the real one';
    expect(code).toBe(1);
    expect(records(lines).filter((r) => r.msg === 'configuration refused')).toEqual([
      expect.objectContaining({ level: 'error', mode: 'deployed', problems: [reason] }),
    ]);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ errorType: 'ConfigError', errorMessage: `Configuration is not valid:\n  - ${reason}` });
    for (const value of [DEV_PARTNER_KEY, ...GOOD_SECRETS]) expect(out).not.toContain(value);
  }, 60_000);

  it('the Slack ingress starts on a good configuration and logs the secrets set by name only', async () => {
    const file = await bundle('slack');
    const env = { TABLE_NAME: GOOD.TABLE_NAME!, SLACK_SIGNING_SECRET: GOOD.SLACK_SIGNING_SECRET! };
    const { code, lines, out } = await coldStart(file, env);
    expect(code, out).toBe(0);
    expect(records(lines).filter((r) => r.msg === 'configuration')).toEqual([
      expect.objectContaining({ level: 'info', mode: 'deployed', set: ['SLACK_SIGNING_SECRET'], unset: SECRET_VARIABLES.filter((n) => n !== 'SLACK_SIGNING_SECRET') }),
    ]);
    expect(lines.at(-1)).toBe('INIT ok');
    expect(out).not.toContain(GOOD.SLACK_SIGNING_SECRET);
  }, 60_000);

  it('the Slack ingress refuses a stand-in signing secret', async () => {
    const file = await bundle('slack');
    const { code, lines, out } = await coldStart(file, { TABLE_NAME: 'brek-bridge', SLACK_SIGNING_SECRET: '<Basic Information → Signing Secret>' });
    expect(code).toBe(1);
    expect(records(lines).find((r) => r.msg === 'configuration refused')).toMatchObject({ problems: ['SLACK_SIGNING_SECRET is a stand-in, not a real value: set the real one'] });
    expect(out).not.toContain('<Basic Information');
  }, 60_000);
});
