// sst.config.ts evaluated against recording stand-ins of the SST globals: the deployed resource
// graph (table, ingress, worker and its stream mapping, failure queue, secrets, outputs) checked
// without AWS, the network or .sst/. The functions are then cold-started with exactly the
// environment and links the config gives them.
import { SLACK_METRIC } from '../../adapters/slack/profile.ts';
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Installation } from '@slack/oauth';
import { DynamoInstallationStore, installationPk } from '../../adapters/slack/installations.ts';
import { kmsSecretBox } from '../../core/crypto-kms.ts';
import { WORKER_STREAM } from '../../core/worker-stream.ts';
import { ERASE_SK_PREFIX, INBOX_SK_PREFIX, OWNER_INDEX, TABLE_KEYS, TTL_ATTRIBUTE, WORK_SK_PREFIXES, tableDefinition } from '../../core/store/table.ts';
import { eraseRequestOf, inboxRecordOf, type StreamRecord } from '../../core/worker.ts';
import { logGroupHints } from '../../dev/ops-logs.ts';
import { DISTRIBUTION_SECRETS, LINKED_SECRETS, type LinkedSecretName } from '../../functions/runtime.ts';
import {
  ACCOUNT_ID,
  DynamoStandIn,
  FunctionStandIn,
  SecretStandIn,
  installSstStandIns,
  type SstStandIns,
  type ConditionSeen,
  type SstWorld,
  type SubscriptionSeen,
} from '../support/sst-standins.ts';
import { isObj } from '../../core/util.ts';

const BREK_BASE_URL = 'https://brek.example.test';

let sst: SstStandIns;

beforeAll(async () => {
  sst = installSstStandIns();
  await import('../../sst.config.ts');
});

afterAll(() => sst.uninstall());

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The deploy-time variables the config reads, set as a deployer would. */
function deployEnv(env: Record<string, string | undefined> = {}): void {
  const defaults: Record<string, string | undefined> = {
    BREK_BASE_URL,
    IDEMPOTENCY_PREFIX: undefined,
    ALARM_EMAIL: undefined,
    SLACK_CLIENT_ID: undefined,
    SLACK_REDIRECT_URI: undefined,
    ALARM_BREK_429_THRESHOLD: undefined,
    ALARM_BREK_5XX_THRESHOLD: undefined,
    ALARM_FAILED_TURNS_THRESHOLD: undefined,
    ALARM_UNKNOWN_DELIVERIES_THRESHOLD: undefined,
    ALARM_SIGNATURE_REJECTS_THRESHOLD: undefined,
    ALARM_ITERATOR_AGE_SECONDS: undefined,
    ALARM_SLACK_INSTALL_FAILURES_THRESHOLD: undefined,
    ALARM_SLACK_TOKEN_REFRESH_THRESHOLD: undefined,
    ALARM_BREK_QUEUE_FULL_THRESHOLD: undefined,
    BREK_RATE_LIMIT_PER_MINUTE: undefined,
    BREK_QUEUE_MAX_WAIT_SECONDS: undefined,
    SESSION_IDLE_HOURS: undefined,
    SLACK_APP_ID: undefined,
    TEAMS_APP_ID: 'teams-app-id-0001',
    TEAMS_TENANT_ID: 'tenant-0001',
    TEAMS_CONNECTOR_HOSTS: undefined,
    TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
    TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
    WHATSAPP_WEBHOOK_URL: 'https://wa.example.test/whatsapp/webhook',
  };
  for (const [name, value] of Object.entries({ ...defaults, ...env })) vi.stubEnv(name, value);
}

async function deploy(stage = 'dev', env: Record<string, string | undefined> = {}) {
  deployEnv(env);
  // What the config tells the deployer on the console, kept out of the test's output.
  const warnings: string[] = [];
  const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')));
  const { outputs, world } = await sst.run(stage).finally(() => warn.mockRestore());
  const [table] = world.tables;
  const slack = world.functions.find((fn) => fn.logicalName === 'SlackIngress');
  const teams = world.functions.find((fn) => fn.logicalName === 'TeamsIngress');
  const whatsapp = world.functions.find((fn) => fn.logicalName === 'WhatsAppIngress');
  const [worker] = world.subscriptions;
  const [queue] = world.queues;
  if (!table || !slack || !teams || !whatsapp || !worker || !queue) throw new Error('the config is missing the table, an ingress, the worker or the queue');
  return { outputs, world, table, slack, teams, whatsapp, worker, queue, warnings };
}

function linkNames(fn: FunctionStandIn): string[] {
  return (fn.args.link ?? []).map((link) => {
    if (link instanceof SecretStandIn) return link.name;
    if (link instanceof DynamoStandIn) return `table:${link.logicalName}`;
    throw new Error(`unexpected link on ${fn.logicalName}: ${String(link)}`);
  });
}

function allFunctions(world: SstWorld): FunctionStandIn[] {
  return [...world.functions, ...world.subscriptions.map((s) => s.fn)];
}

describe('app', () => {
  it('retains and protects production stages only', () => {
    const app = (stage: string) => sst.config().app({ stage });
    for (const stage of ['production', 'prod']) expect(app(stage)).toMatchObject({ removal: 'retain', protect: true, home: 'aws' });
    for (const stage of ['dev', 'staging', 'alice']) expect(app(stage)).toMatchObject({ removal: 'remove', protect: false, home: 'aws' });
  });
});

describe('table', () => {
  it('is the one table, keyed as the core defines it, streaming new images, with TTL and PITR', async () => {
    const { world, table } = await deploy();
    expect(world.tables).toHaveLength(1);
    const { fields, primaryIndex, stream, ttl, transform } = table.args;
    expect(primaryIndex).toEqual({ hashKey: TABLE_KEYS.partitionKey, rangeKey: TABLE_KEYS.sortKey });
    expect(fields).toEqual({ [TABLE_KEYS.partitionKey]: 'string', [TABLE_KEYS.sortKey]: 'string', [OWNER_INDEX.partitionKey]: 'string', [OWNER_INDEX.sortKey]: 'string' });
    expect(stream).toBe('new-image');
    expect(ttl).toBe(TTL_ATTRIBUTE);
    expect(transform?.table?.pointInTimeRecovery).toEqual({ enabled: true });
  });

  it('matches the table the local stack and tests create', async () => {
    const { table } = await deploy();
    const local = tableDefinition('x');
    const keyOf = (type: 'HASH' | 'RANGE') => local.KeySchema?.find((k) => k.KeyType === type)?.AttributeName;
    expect(table.args.primaryIndex).toEqual({ hashKey: keyOf('HASH'), rangeKey: keyOf('RANGE') });
    for (const attribute of local.AttributeDefinitions ?? []) {
      expect(attribute.AttributeType).toBe('S');
      expect(table.args.fields[attribute.AttributeName ?? '']).toBe('string');
    }
    expect(local.StreamSpecification?.StreamViewType).toBe(table.args.stream?.toUpperCase().replaceAll('-', '_'));
    expect(Object.keys(table.args.fields).sort()).toEqual((local.AttributeDefinitions ?? []).map((a) => a.AttributeName).sort());
  });

  it('has the owner index erasure Queries, exactly as tableDefinition() creates it', async () => {
    const { table } = await deploy();
    // tableDefinition()'s indexes in SST's terms: name → hash and range key, projection.
    const local = (tableDefinition('x').GlobalSecondaryIndexes ?? []).map((index) => [
      index.IndexName,
      {
        hashKey: index.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName,
        rangeKey: index.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName,
        projection: index.Projection?.ProjectionType === 'KEYS_ONLY' ? 'keys-only' : index.Projection?.ProjectionType === 'INCLUDE' ? index.Projection.NonKeyAttributes : 'all',
      },
    ]);
    expect(local).toEqual([[OWNER_INDEX.name, { hashKey: OWNER_INDEX.partitionKey, rangeKey: OWNER_INDEX.sortKey, projection: 'keys-only' }]]);
    expect(Object.entries(table.args.globalIndexes ?? {})).toEqual(local);
  });

  it('cannot be deleted in production', async () => {
    expect((await deploy('dev')).table.args.deletionProtection).toBe(false);
    expect((await deploy('production')).table.args.deletionProtection).toBe(true);
    expect((await deploy('prod')).table.args.deletionProtection).toBe(true);
  });
});

describe('secrets', () => {
  it('declares exactly the secrets functions/runtime.ts maps', async () => {
    const { world } = await deploy();
    expect(world.secrets.map((s) => s.name).sort()).toEqual(Object.keys(LINKED_SECRETS).sort());
    const distributed = (await deploy('dev', { SLACK_CLIENT_ID: '1234.5678' })).world;
    expect(distributed.secrets.map((s) => s.name).sort()).toEqual([...Object.keys(LINKED_SECRETS), ...Object.keys(DISTRIBUTION_SECRETS)].sort());
  });
});

describe('Teams ingress', () => {
  it('is a Node 22 function with a URL, the table and the bot’s app id, and no secret', async () => {
    const { teams, table } = await deploy();
    expect(teams.args.handler).toBe('functions/teams.handler');
    expect(existsSync('functions/teams.ts')).toBe(true);
    expect(teams.args.runtime).toBe('nodejs22.x');
    expect(teams.args.url).toBeTruthy();
    expect(teams.args.environment).toMatchObject({ TABLE_NAME: table.name, TEAMS_APP_ID: 'teams-app-id-0001', TEAMS_TENANT_ID: 'tenant-0001' });
    expect(linkNames(teams)).toEqual(['table:Bridge']);
  });

  it('refuses to deploy without the bot’s app id', async () => {
    await expect(deploy('dev', { TEAMS_APP_ID: undefined })).rejects.toThrow('TEAMS_APP_ID must be set');
  });
});

describe('WhatsApp ingress', () => {
  it('is a Node 22 function with a URL, linked to the table, Twilio’s auth token and the actor secret only', async () => {
    const { whatsapp } = await deploy();
    expect(whatsapp.args.handler).toBe('functions/whatsapp.handler');
    expect(whatsapp.args.runtime).toBe('nodejs22.x');
    expect(whatsapp.args.url).toBeTruthy();
    expect(whatsapp.args.environment).toMatchObject({ WHATSAPP_WEBHOOK_URL: 'https://wa.example.test/whatsapp/webhook', TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886' });
    expect(linkNames(whatsapp).sort()).toEqual(['table:Bridge', 'TwilioAuthToken', 'ActorIdSecret'].sort());
  });
});

describe('Slack ingress', () => {
  it('is a Node 22 function with a URL, the table, and the deploy-time settings', async () => {
    const { slack, table } = await deploy('dev', { SESSION_IDLE_HOURS: '12', SLACK_APP_ID: 'A123' });
    expect(slack.args.handler).toBe('functions/slack.handler');
    expect(existsSync('functions/slack.ts')).toBe(true);
    expect(slack.args.runtime).toBe('nodejs22.x');
    expect(slack.args.url).toBeTruthy();
    expect(slack.args.environment).toEqual({
      TABLE_NAME: table.name,
      BREK_BASE_URL,
      IDEMPOTENCY_PREFIX: 'bridge',
      SESSION_IDLE_HOURS: '12',
      SLACK_APP_ID: 'A123',
    });
    // Its bundle is its own import graph: no extra packages installed into it.
    expect(slack.args.nodejs?.install).toBeUndefined();
  });

  it('is linked to the table and the signing secret only', async () => {
    const { slack } = await deploy();
    expect(linkNames(slack).sort()).toEqual(['table:Bridge', 'SlackSigningSecret'].sort());
  });

  it('leaves optional settings out when the deployer did not set them', async () => {
    const { slack } = await deploy('dev', { IDEMPOTENCY_PREFIX: ' ', SESSION_IDLE_HOURS: '' });
    expect(Object.keys(slack.args.environment ?? {}).sort()).toEqual(['BREK_BASE_URL', 'IDEMPOTENCY_PREFIX', 'TABLE_NAME']);
    expect(slack.args.environment?.IDEMPOTENCY_PREFIX).toBe('bridge');
  });
});

describe('deploy-time settings', () => {
  it('refuses to deploy without a Brek base URL, or with one that is not a URL', async () => {
    await expect(deploy('dev', { BREK_BASE_URL: undefined })).rejects.toThrow(/BREK_BASE_URL must be set/);
    await expect(deploy('dev', { BREK_BASE_URL: 'brek.example.test' })).rejects.toThrow(/BREK_BASE_URL must be an absolute http\(s\) URL/);
  });

  it('drops a trailing slash from the Brek base URL', async () => {
    const { slack } = await deploy('dev', { BREK_BASE_URL: `${BREK_BASE_URL}/` });
    expect(slack.args.environment?.BREK_BASE_URL).toBe(BREK_BASE_URL);
  });
});

// A minimal reading of Lambda event-filter patterns: nested objects, arrays of alternatives, exact
// values and `prefix` (all the config uses; anything else is refused rather than guessed).
function filterMatches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule: unknown) => {
      if (typeof rule === 'string' || typeof rule === 'number' || typeof rule === 'boolean') return rule === value;
      if (isObj(rule) && Object.keys(rule).length === 1 && typeof rule.prefix === 'string') {
        return typeof value === 'string' && value.startsWith(rule.prefix);
      }
      throw new Error(`filter rule not understood by this test: ${JSON.stringify(rule)}`);
    });
  }
  if (isObj(pattern)) return isObj(value) && Object.entries(pattern).every(([key, sub]) => filterMatches(sub, value[key]));
  throw new Error(`filter pattern not understood by this test: ${JSON.stringify(pattern)}`);
}

function streamRecord(eventName: string, sk: string, attributes: Record<string, { S: string }> = {}): StreamRecord {
  const keys = { [TABLE_KEYS.partitionKey]: { S: 'T#slack:T1:U1#D1' }, [TABLE_KEYS.sortKey]: { S: sk } };
  return { eventName, dynamodb: { Keys: keys, NewImage: { ...keys, ...attributes }, SequenceNumber: '1' } };
}

describe('worker', () => {
  let worker: SubscriptionSeen;
  let queueArn: string;
  beforeAll(async () => {
    const deployed = await deploy();
    worker = deployed.worker;
    queueArn = deployed.queue.arn;
    vi.unstubAllEnvs();
  });

  it('is the one subscriber of the table stream, a Node 22 function without a URL', () => {
    expect(worker.fn.args.handler).toBe('functions/worker.handler');
    expect(existsSync('functions/worker.ts')).toBe(true);
    expect(worker.fn.args.runtime).toBe('nodejs22.x');
    expect(worker.fn.args.url).toBeUndefined();
    expect(worker.fn.args.nodejs?.install).toBeUndefined();
  });

  const timeoutSeconds = (fn: SubscriptionSeen['fn']) => {
    const match = /^(\d+) (second|seconds|minute|minutes)$/.exec(fn.args.timeout ?? '');
    expect(match).not.toBeNull();
    return Number(match?.[1]) * (match?.[2]?.startsWith('minute') ? 60 : 1);
  };

  it("has time for a turn's wait in Brek's quota queue, then Brek's retries and the reply", () => {
    // The default wait (core/config.ts: 240 s) plus ~52 s of Brek tries and the sends.
    expect(timeoutSeconds(worker.fn)).toBeGreaterThanOrEqual(240 + 120);
    expect(timeoutSeconds(worker.fn)).toBeLessThanOrEqual(900);
  });

  it("passes the quota settings to the worker and sizes its time limit by the wait; refuses a wait it cannot fit", async () => {
    const { worker: paced } = await deploy('dev', { BREK_RATE_LIMIT_PER_MINUTE: '600', BREK_QUEUE_MAX_WAIT_SECONDS: '60' });
    expect(paced.fn.args.environment).toMatchObject({ BREK_RATE_LIMIT_PER_MINUTE: '600', BREK_QUEUE_MAX_WAIT_SECONDS: '60' });
    expect(timeoutSeconds(paced.fn)).toBeGreaterThanOrEqual(60 + 120);
    expect(timeoutSeconds(paced.fn)).toBeLessThan(timeoutSeconds(worker.fn));
    expect(worker.fn.args.environment).not.toHaveProperty('BREK_RATE_LIMIT_PER_MINUTE');
    await expect(deploy('dev', { BREK_QUEUE_MAX_WAIT_SECONDS: '3600' })).rejects.toThrow(/BREK_QUEUE_MAX_WAIT_SECONDS/);
    vi.unstubAllEnvs();
  });

  it('is woken by new inbox records and workspace erase requests only, exactly as the worker code reads the stream', () => {
    const filters = worker.args.filters ?? [];
    expect(filters).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { [TABLE_KEYS.sortKey]: { S: WORK_SK_PREFIXES.map((prefix) => ({ prefix })) } } } },
    ]);
    const eraseSk = `${ERASE_SK_PREFIX}req1#0`;
    const records = [
      streamRecord('INSERT', `${INBOX_SK_PREFIX}slack:Ev1`),
      streamRecord('MODIFY', `${INBOX_SK_PREFIX}slack:Ev1`),
      streamRecord('REMOVE', `${INBOX_SK_PREFIX}slack:Ev1`),
      streamRecord('INSERT', eraseSk, { type: { S: 'erase_workspace' } }),
      streamRecord('MODIFY', eraseSk, { type: { S: 'erase_workspace' } }),
      streamRecord('REMOVE', eraseSk, { type: { S: 'erase_workspace' } }),
      streamRecord('INSERT', 'THREAD'),
      streamRecord('MODIFY', 'THREAD'),
    ];
    for (const record of records) {
      const delivered = filters.some((filter) => filterMatches(filter, record));
      const handled = inboxRecordOf(record) !== undefined || eraseRequestOf(record) !== undefined;
      expect(delivered, `${record.eventName} ${record.dynamodb?.Keys?.sk?.S}`).toBe(handled);
    }
  });

  it('retries from the failed record, bisects, in order per thread, bounded, then to the failure queue', () => {
    const esm = worker.args.transform?.eventSourceMapping;
    expect(esm).toBeDefined();
    expect(esm?.functionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(esm?.bisectBatchOnFunctionError).toBe(true);
    // The model's choice (core/worker-stream.ts): per-key order holds for any factor up to 10.
    expect(esm?.parallelizationFactor).toBe(WORKER_STREAM.parallelizationFactor);
    expect(esm?.parallelizationFactor).toBeGreaterThanOrEqual(1);
    expect(esm?.parallelizationFactor).toBeLessThanOrEqual(10);
    expect(esm?.maximumBatchingWindowInSeconds).toBe(WORKER_STREAM.maximumBatchingWindowInSeconds);
    expect(esm?.maximumRetryAttempts).toBeGreaterThanOrEqual(1);
    expect(esm?.maximumRetryAttempts).toBeLessThanOrEqual(10);
    // -1 would mean "until the record expires from the stream" (24 h).
    expect(esm?.maximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(esm?.maximumRecordAgeInSeconds).toBeLessThanOrEqual(6 * 3600);
    expect(esm?.destinationConfig?.onFailure?.destinationArn).toBe(queueArn);
    // DynamoDB streams allow up to 10,000; the worker runs a batch's threads side by side.
    expect(esm?.batchSize).toBe(WORKER_STREAM.batchSize);
    expect(esm?.batchSize).toBeGreaterThanOrEqual(1);
    expect(esm?.batchSize).toBeLessThanOrEqual(10_000);
    expect(['LATEST', 'TRIM_HORIZON']).toContain(esm?.startingPosition);
  });

  it('may send to the failure queue (the mapping uses the function role for it)', () => {
    expect(worker.fn.args.permissions).toContainEqual({ actions: ['sqs:SendMessage'], resources: [queueArn] });
  });

  it('is linked to the table, Brek, the actor secret and the channels’ sending credentials only', () => {
    expect(linkNames(worker.fn).sort()).toEqual(['table:Bridge', 'BrekPartnerApiKey', 'ActorIdSecret', 'SlackBotToken', 'TeamsAppPassword', 'TwilioAuthToken'].sort());
  });
});

describe('Slack distribution (SLACK_CLIENT_ID)', () => {
  const DISTRIBUTED = { SLACK_CLIENT_ID: '1234.5678', SLACK_REDIRECT_URI: 'https://install.example/slack/oauth_redirect' };

  it('adds no install routes and no use of the key without SLACK_CLIENT_ID', async () => {
    const { world, outputs, worker } = await deploy();
    expect(world.functions.map((fn) => fn.logicalName)).not.toContain('SlackInstall');
    expect(world.secrets.map((s) => s.name)).not.toContain('SlackClientSecret');
    expect(outputs.slackInstallUrl).toBeUndefined();
    expect(outputs.slackInstallLogGroup).toBeUndefined();
    expect(worker.fn.args.environment?.INSTALLATION_KMS_KEY_ID).toBeUndefined();
    expect(JSON.stringify(allFunctions(world).map((fn) => fn.args.permissions ?? []))).not.toContain('kms');
  });

  it('serves the install routes from their own function, sealing with a rotating KMS key', async () => {
    const { world, outputs, worker, slack } = await deploy('prod', DISTRIBUTED);
    const install = world.functions.find((fn) => fn.logicalName === 'SlackInstall')!;
    const [key] = world.kmsKeys;
    expect(key?.args).toMatchObject({ enableKeyRotation: true });
    expect(install.args.handler).toBe('functions/slack-oauth.handler');
    expect(install.args.url).toEqual({ cors: false });
    expect(linkNames(install)).toEqual(['table:Bridge', 'SlackClientSecret', 'SlackStateSecret']);
    expect(install.args.environment).toMatchObject({ SLACK_CLIENT_ID: '1234.5678', INSTALLATION_KMS_KEY_ID: key!.keyId, SLACK_REDIRECT_URI: 'https://install.example/slack/oauth_redirect' });
    expect(install.args.permissions).toEqual([{ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key!.arn], conditions: expect.any(Array) }]);
    // The worker opens installations (and re-seals a refreshed token); the ingress never does.
    expect(worker.fn.args.environment).toMatchObject({ SLACK_CLIENT_ID: '1234.5678', INSTALLATION_KMS_KEY_ID: key!.keyId });
    expect(linkNames(worker.fn)).toContain('SlackClientSecret');
    expect(worker.fn.args.permissions).toContainEqual({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key!.arn], conditions: install.args.permissions?.[0]?.conditions });
    expect(linkNames(slack)).not.toContain('SlackClientSecret');
    for (const fn of allFunctions(world).filter((f) => f !== install && f !== worker.fn)) expect(JSON.stringify(fn.args.permissions ?? []), fn.logicalName).not.toContain('kms');
    expect(outputs.slackInstallUrl).toBe(`${install.url}slack/install`);
    expect(outputs.slackRedirectUrl).toBe(`${install.url}slack/oauth_redirect`);
  });

  it('outputs the install function and its log group, as ops trace names it', async () => {
    const { world, outputs } = await deploy('dev', DISTRIBUTED);
    const install = world.functions.find((fn) => fn.logicalName === 'SlackInstall')!;
    expect(outputs.slackInstallFunction).toBe(install.name);
    expect(outputs.slackInstallLogGroup).toBe(`/aws/lambda/log-group:${install.logicalName}`);
    // ops trace derives the same function's group from its component name (SST adds `Function`).
    expect(logGroupHints(['slack'], 'brek-bridge-dev-BridgeTable-abcdefhk').groups.map((g) => g.prefix)).toContain(`/aws/lambda/brek-bridge-dev-${install.logicalName}Function-`);
  });
});

// A reading of the IAM policy language for what the key policy uses: action wildcards, and the
// condition operators StringEquals, StringLike and ForAllValues:StringEquals over a request's
// encryption context (kms:EncryptionContext:<key>, kms:EncryptionContextKeys).
const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
const actionMatches = (patterns: string | string[], action: string) => [patterns].flat().some((pattern) => glob(pattern.toLowerCase()).test(action.toLowerCase()));

type ConditionBlock = Record<string, Record<string, string[]>>;
function conditionsHold(block: ConditionBlock | undefined, context: Record<string, string>): boolean {
  return Object.entries(block ?? {}).every(([test, variables]) =>
    Object.entries(variables).every(([variable, values]) => {
      if (variable === 'kms:EncryptionContextKeys') {
        if (test !== 'ForAllValues:StringEquals') throw new Error(`operator not understood by this test: ${test} on ${variable}`);
        return Object.keys(context).every((key) => values.includes(key));
      }
      const prefix = 'kms:EncryptionContext:';
      if (!variable.startsWith(prefix)) throw new Error(`condition key not understood by this test: ${variable}`);
      const value = context[variable.slice(prefix.length)];
      if (value === undefined) return false;
      if (test === 'StringEquals') return values.includes(value);
      if (test === 'StringLike') return values.some((pattern) => glob(pattern).test(value));
      throw new Error(`operator not understood by this test: ${test}`);
    }),
  );
}
/** SST's permission conditions in the key policy's shape, so both can be read alike. */
function asConditionBlock(conditions: ConditionSeen[] | undefined): ConditionBlock {
  const block: ConditionBlock = {};
  for (const { test, variable, values } of conditions ?? []) block[test] = { ...block[test], [variable]: values };
  return block;
}

interface KeyPolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: { AWS: string | string[] };
  Action: string | string[];
  Resource: string;
  Condition?: ConditionBlock;
}

describe('the installation key', () => {
  const DISTRIBUTED = { SLACK_CLIENT_ID: '1234.5678' };
  const ROOT = `arn:aws:iam::${ACCOUNT_ID}:root`;
  const CRYPTO = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:CreateGrant'];

  async function keyPolicy(stage: string, env: Record<string, string | undefined> = {}) {
    const deployed = await deploy(stage, env);
    const [key] = deployed.world.kmsKeys;
    expect(deployed.world.kmsKeys).toHaveLength(1);
    expect(deployed.world.keyPolicies).toHaveLength(1);
    const [attached] = deployed.world.keyPolicies;
    expect(attached!.keyId).toBe(key!.keyId);
    const policy = JSON.parse(attached!.policy) as { Version: string; Statement: KeyPolicyStatement[] };
    expect(policy.Version).toBe('2012-10-17');
    for (const statement of policy.Statement) expect(statement.Effect).toBe('Allow');
    /** Who the policy lets do `action` on the key, given the request's encryption context. */
    const allowed = (action: string, context: Record<string, string> = {}) =>
      policy.Statement.filter((st) => actionMatches(st.Action, action) && conditionsHold(st.Condition, context)).flatMap((st) => [st.Principal.AWS].flat());
    return { ...deployed, key: key!, policy, allowed };
  }

  it('is there on every stage, with or without SLACK_CLIENT_ID, and kept on deletion where the table is', async () => {
    const plain = (await keyPolicy('dev')).key;
    const distributed = (await keyPolicy('dev', DISTRIBUTED)).key;
    // Same logical resource, same settings: dropping SLACK_CLIENT_ID neither replaces nor deletes it.
    expect(plain.name).toBe('InstallationKey');
    expect(plain).toEqual(distributed);
    expect(plain.args).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    expect(plain.opts.retainOnDelete).toBe(false);
    for (const stage of ['prod', 'production']) expect((await keyPolicy(stage)).key.opts.retainOnDelete, stage).toBe(true);
    expect((await deploy('dev', DISTRIBUTED)).outputs.installationKey).toBe(plain.arn);
  });

  it('a deploy without SLACK_CLIENT_ID says loudly what it switches off, and that the key is kept', async () => {
    const { warnings } = await deploy('prod');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('SLACK_CLIENT_ID is not set: Slack distribution is OFF for stage "prod"');
    expect(warnings[0]).toMatch(/stored installations cannot be opened/);
    expect(warnings[0]).toMatch(/InstallationKey is kept/);
    expect((await deploy('prod', DISTRIBUTED)).warnings).toEqual([]);
  });

  it('the account administers it, and may change its policy, but cannot use it', async () => {
    const { policy, allowed } = await keyPolicy('prod', DISTRIBUTED);
    const admin = policy.Statement.filter((st) => [st.Principal.AWS].flat().includes(ROOT));
    expect(admin).toHaveLength(1);
    expect(admin[0]!.Condition).toBeUndefined();
    for (const action of ['kms:PutKeyPolicy', 'kms:GetKeyPolicy', 'kms:DescribeKey', 'kms:EnableKeyRotation', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:TagResource']) {
      expect(allowed(action), action).toContain(ROOT);
    }
    // No `kms:*`, no crypto and no grants: IAM policies in the account cannot open installations.
    for (const action of CRYPTO) expect(allowed(action, { purpose: 'brek-bridge', context: 'SLACK#T#T1' }), action).not.toContain(ROOT);
  });

  it('only the install routes and the worker may seal and open installations', async () => {
    const { allowed, world, worker } = await keyPolicy('prod', DISTRIBUTED);
    const install = world.functions.find((fn) => fn.logicalName === 'SlackInstall')!;
    const users = [install.nodes.role.arn, worker.fn.nodes.role.arn].sort();
    const context = { purpose: 'brek-bridge', context: installationPk({ teamId: 'T0123' }) };
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) expect(allowed(action, context).sort(), action).toEqual(users);
    for (const action of CRYPTO.filter((a) => a !== 'kms:GenerateDataKey' && a !== 'kms:Decrypt')) expect(allowed(action, context), action).toEqual([]);
    // No other function's role is named anywhere in the policy.
    for (const fn of allFunctions(world).filter((f) => f !== install && f !== worker.fn)) expect(JSON.stringify(world.keyPolicies), fn.logicalName).not.toContain(fn.nodes.role.arn);
  });

  it('without distribution nobody may use it: the policy keeps its administration only', async () => {
    const { allowed, policy } = await keyPolicy('prod');
    expect(policy.Statement).toHaveLength(1);
    for (const action of CRYPTO) expect(allowed(action, { purpose: 'brek-bridge', context: 'SLACK#T#T1' }), action).toEqual([]);
    expect(allowed('kms:PutKeyPolicy')).toEqual([ROOT]);
  });

  it('use is conditioned on the encryption context, in the key policy and the IAM permissions alike', async () => {
    const { policy, world, worker } = await keyPolicy('prod', DISTRIBUTED);
    const install = world.functions.find((fn) => fn.logicalName === 'SlackInstall')!;
    const usage = policy.Statement.find((st) => actionMatches(st.Action, 'kms:Decrypt'))!;
    const iam = [install, worker.fn].map((fn) => asConditionBlock(fn.args.permissions?.find((perm) => perm.actions.includes('kms:Decrypt'))?.conditions));
    expect(iam[0]).toEqual(usage.Condition);
    expect(iam[1]).toEqual(usage.Condition);
    const holds = (context: Record<string, string>) => conditionsHold(usage.Condition, context);
    // What the bridge asks for: an installation record's key, workspace or org-wide.
    expect(holds({ purpose: 'brek-bridge', context: installationPk({ teamId: 'T0123' }) })).toBe(true);
    expect(holds({ purpose: 'brek-bridge', context: installationPk({ enterpriseId: 'E0123', isEnterpriseInstall: true }) })).toBe(true);
    // Anything else is refused: no context, another purpose, another record, an extra key.
    expect(holds({})).toBe(false);
    expect(holds({ context: 'SLACK#T#T0123' })).toBe(false);
    expect(holds({ purpose: 'other-app', context: 'SLACK#T#T0123' })).toBe(false);
    expect(holds({ purpose: 'brek-bridge', context: 'T#slack:T0123:U1#D1' })).toBe(false);
    expect(holds({ purpose: 'brek-bridge', context: 'SLACK#T#T0123', extra: 'x' })).toBe(false);
  });

  it('the conditions admit exactly what the installation store asks KMS for (a seal and an open of each kind)', async () => {
    const { policy } = await keyPolicy('prod', DISTRIBUTED);
    const usage = policy.Statement.find((st) => actionMatches(st.Action, 'kms:Decrypt'))!;
    // KMS as the key policy has it: a request whose action or context it does not allow is refused.
    const dataKeys = new Map<string, { key: Uint8Array; context: string }>();
    const asked: { action: string; context: Record<string, string> }[] = [];
    const kms = {
      async send(command: unknown) {
        const { action, input } =
          command instanceof GenerateDataKeyCommand ? { action: 'kms:GenerateDataKey', input: command.input } : command instanceof DecryptCommand ? { action: 'kms:Decrypt', input: command.input } : { action: 'unknown', input: {} };
        const context = (input as { EncryptionContext?: Record<string, string> }).EncryptionContext ?? {};
        asked.push({ action, context });
        if (!actionMatches(usage.Action, action) || !conditionsHold(usage.Condition, context)) throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
        if (command instanceof GenerateDataKeyCommand) {
          const blob = randomBytes(16);
          const key = randomBytes(32);
          dataKeys.set(blob.toString('hex'), { key: Uint8Array.from(key), context: JSON.stringify(context) });
          return { Plaintext: Uint8Array.from(key), CiphertextBlob: Uint8Array.from(blob) };
        }
        const blob = Buffer.from((input as { CiphertextBlob: Uint8Array }).CiphertextBlob).toString('hex');
        const sealed = dataKeys.get(blob);
        if (!sealed || sealed.context !== JSON.stringify(context)) throw Object.assign(new Error('context mismatch'), { name: 'InvalidCiphertextException' });
        return { Plaintext: Uint8Array.from(sealed.key) };
      },
    } as unknown as KMSClient;
    const items = new Map<string, Record<string, unknown>>();
    const db = {
      async send(command: unknown) {
        if (command instanceof PutCommand) items.set(`${command.input.Item?.pk}`, command.input.Item!);
        if (command instanceof GetCommand) return { Item: items.get(`${command.input.Key?.pk}`) };
        return {};
      },
    } as unknown as DynamoDBDocumentClient;
    const store = new DynamoInstallationStore(db, 'table', kmsSecretBox({ keyId: 'key:InstallationKey', client: kms }));
    const workspace = { team: { id: 'T0123' }, enterprise: undefined, isEnterpriseInstall: false, bot: { token: 'xoxb-1', id: 'B1', userId: 'U1', scopes: [] }, user: { id: 'U2', token: undefined, scopes: undefined } } as unknown as Installation<'v2', false>;
    const org = { team: undefined, enterprise: { id: 'E0123' }, isEnterpriseInstall: true, bot: { token: 'xoxb-2', id: 'B2', userId: 'U3', scopes: [] }, user: { id: 'U4', token: undefined, scopes: undefined } } as unknown as Installation<'v2', true>;
    await store.storeInstallation(workspace);
    await store.storeInstallation(org);
    expect((await store.fetchInstallation({ teamId: 'T0123', enterpriseId: undefined, isEnterpriseInstall: false })).bot?.token).toBe('xoxb-1');
    expect((await store.fetchInstallation({ teamId: undefined, enterpriseId: 'E0123', isEnterpriseInstall: true })).bot?.token).toBe('xoxb-2');
    expect(asked.map((a) => a.action)).toEqual(['kms:GenerateDataKey', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:Decrypt']);
  });
});

describe('alarms', () => {
  type Alarm = SstWorld['alarms'][number];
  const byName = (world: SstWorld, name: string): Alarm => {
    const alarm = world.alarms.find((a) => a.name === name);
    if (!alarm) throw new Error(`no alarm ${name}; have ${world.alarms.map((a) => a.name).join(', ')}`);
    return alarm;
  };
  /** The bridge metrics an alarm sums (name and dimensions), and the expression that sums them. */
  const summed = (alarm: Alarm) => {
    const queries = alarm.args.metricQueries ?? [];
    const metrics = queries.filter((q) => q.metric).map((q) => ({ name: q.metric!.metricName, dimensions: q.metric!.dimensions, stat: q.metric!.stat, period: q.metric!.period, namespace: q.metric!.namespace }));
    const output = queries.filter((q) => q.returnData);
    return { metrics, output };
  };

  it('sends every alarm to one SNS topic, and subscribes ALARM_EMAIL to it', async () => {
    const { world } = await deploy('prod', { ALARM_EMAIL: 'oncall@partner.example' });
    expect(world.topics.map((t) => t.logicalName)).toEqual(['Alarms']);
    const topic = world.topics[0]!.arn;
    expect(world.topicSubscriptions).toEqual([{ name: 'AlarmEmail', args: { topic, protocol: 'email', endpoint: 'oncall@partner.example' } }]);
    expect(world.alarms.map((a) => a.name).sort()).toEqual(
      ['BrekAuthAlarm', 'BrekErrorsAlarm', 'BrekQueueFullAlarm', 'BrekThrottledAlarm', 'FailedTurnsAlarm', 'SignatureRejectsAlarm', 'UnknownDeliveriesAlarm', 'WorkerFailuresAlarm', 'WorkerIteratorAgeAlarm'].sort(),
    );
    for (const alarm of world.alarms) {
      expect(alarm.args.alarmActions, alarm.name).toEqual([topic]);
      expect(alarm.args.okActions, alarm.name).toEqual([topic]);
      expect(alarm.args.treatMissingData, alarm.name).toBe('notBreaching');
      expect(alarm.args.comparisonOperator, alarm.name).toBe('GreaterThanOrEqualToThreshold');
    }
  });

  it('without ALARM_EMAIL: the topic and alarms, no subscription', async () => {
    const { world } = await deploy();
    expect(world.topicSubscriptions).toEqual([]);
    expect(world.alarms).toHaveLength(9);
  });

  it('alarms on any Brek 401/403 in 5 minutes, and on 429s and 5xx/timeouts over their thresholds', async () => {
    const { world } = await deploy();
    const service = { service: 'brek-bridge' };
    const auth = byName(world, 'BrekAuthAlarm');
    expect(auth.args.threshold).toBe(1);
    expect(auth.args.evaluationPeriods).toBe(1);
    expect(summed(auth).metrics).toEqual([{ namespace: 'BrekBridge', name: 'BrekCalls', dimensions: { ...service, statusClass: '401_403' }, stat: 'Sum', period: 300 }]);
    expect(summed(auth).output).toEqual([expect.objectContaining({ expression: 'FILL(auth, 0)' })]);
    const throttled = byName(world, 'BrekThrottledAlarm');
    expect(throttled.args.threshold).toBe(10);
    expect(summed(throttled).metrics.map((m) => m.dimensions)).toEqual([{ ...service, statusClass: '429' }]);
    const errors = byName(world, 'BrekErrorsAlarm');
    expect(errors.args.threshold).toBe(10);
    expect(summed(errors).metrics.map((m) => m.dimensions)).toEqual([
      { ...service, statusClass: '5xx' },
      { ...service, statusClass: 'timeout' },
    ]);
    expect(summed(errors).output[0]?.expression).toBe('FILL(server, 0) + FILL(timeout, 0)');
  });

  it('alarms on failed turns, unknown deliveries and rejected signatures summed over the three channels', async () => {
    const { world } = await deploy();
    for (const [name, metric, limit] of [
      ['FailedTurnsAlarm', 'TurnFailed', 5],
      ['UnknownDeliveriesAlarm', 'TurnDeliveryUnknown', 3],
      ['SignatureRejectsAlarm', 'SignatureRejected', 25],
      ['BrekQueueFullAlarm', 'BrekQueueGaveUp', 1],
    ] as const) {
      const alarm = byName(world, name);
      expect(alarm.args.threshold, name).toBe(limit);
      expect(summed(alarm).metrics.map((m) => [m.name, m.dimensions?.channel])).toEqual([
        [metric, 'slack'],
        [metric, 'teams'],
        [metric, 'whatsapp'],
      ]);
      expect(summed(alarm).output[0]?.expression).toBe('FILL(slack, 0) + FILL(teams, 0) + FILL(whatsapp, 0)');
    }
  });

  it('alarms on the worker’s stream iterator age and on anything in its failure queue', async () => {
    const { world, worker, queue } = await deploy();
    const age = byName(world, 'WorkerIteratorAgeAlarm');
    expect(age.args).toMatchObject({ namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensions: { FunctionName: worker.fn.name }, statistic: 'Maximum', threshold: 120_000 });
    const failures = byName(world, 'WorkerFailuresAlarm');
    expect(failures.args).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: queue.nodes.queue.name }, threshold: 1 });
  });

  /** The metric a Metrics Insights alarm sums, and the query. */
  const queried = (alarm: Alarm) => {
    const [query, ...others] = alarm.args.metricQueries ?? [];
    expect(others, alarm.name).toEqual([]);
    const match = /^SELECT SUM\("(\w+)"\) FROM "(\w+)" WHERE service = '([\w-]+)'$/.exec(query?.expression ?? '');
    return { query, metricName: match?.[1], namespace: match?.[2], service: match?.[3] };
  };
  const SLACK_ALARMS = ['SlackInstallFailuresAlarm', 'SlackTokenRefreshFailuresAlarm'];

  it('with distribution, alarms on failed installs and failed token refreshes, summed over every reason', async () => {
    const { world } = await deploy('prod', { SLACK_CLIENT_ID: '1234.5678' });
    const topic = world.topics[0]!.arn;
    for (const [name, metric, limit] of [
      ['SlackInstallFailuresAlarm', 'SlackInstallFailed', 5],
      ['SlackTokenRefreshFailuresAlarm', 'SlackTokenRefreshFailed', 1],
    ] as const) {
      const alarm = byName(world, name);
      expect(alarm.args, name).toMatchObject({ threshold: limit, evaluationPeriods: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold', treatMissingData: 'notBreaching', alarmActions: [topic], okActions: [topic] });
      // One Metrics Insights query over every dimension set of the metric (each `reason`), per 5 minutes.
      const { query, metricName, namespace, service } = queried(alarm);
      expect({ metricName, namespace, service }, name).toEqual({ metricName: metric, namespace: 'BrekBridge', service: 'brek-bridge' });
      expect(query, name).toMatchObject({ period: 300, returnData: true });
      expect(query?.metric, name).toBeUndefined();
    }
  });

  it('without distribution there is nothing to alarm on for installs or refreshes', async () => {
    const { world } = await deploy('prod');
    for (const name of SLACK_ALARMS) expect(world.alarms.map((a) => a.name)).not.toContain(name);
  });

  it('takes the Slack alarms’ thresholds from the deploy-time settings, and refuses nonsense', async () => {
    const { world } = await deploy('dev', { SLACK_CLIENT_ID: '1234.5678', ALARM_SLACK_INSTALL_FAILURES_THRESHOLD: '12', ALARM_SLACK_TOKEN_REFRESH_THRESHOLD: '3' });
    expect(byName(world, 'SlackInstallFailuresAlarm').args.threshold).toBe(12);
    expect(byName(world, 'SlackTokenRefreshFailuresAlarm').args.threshold).toBe(3);
    await expect(deploy('dev', { SLACK_CLIENT_ID: '1234.5678', ALARM_SLACK_TOKEN_REFRESH_THRESHOLD: '0' })).rejects.toThrow(/ALARM_SLACK_TOKEN_REFRESH_THRESHOLD must be a whole number/);
    await expect(deploy('dev', { SLACK_CLIENT_ID: '1234.5678', ALARM_SLACK_INSTALL_FAILURES_THRESHOLD: 'many' })).rejects.toThrow(/ALARM_SLACK_INSTALL_FAILURES_THRESHOLD/);
  });

  it('takes thresholds from the deploy-time settings, and refuses nonsense', async () => {
    const { world } = await deploy('dev', {
      ALARM_BREK_429_THRESHOLD: '50',
      ALARM_BREK_5XX_THRESHOLD: '20',
      ALARM_FAILED_TURNS_THRESHOLD: '3',
      ALARM_SIGNATURE_REJECTS_THRESHOLD: '100',
      ALARM_ITERATOR_AGE_SECONDS: '600',
      ALARM_BREK_QUEUE_FULL_THRESHOLD: '4',
    });
    expect(byName(world, 'BrekQueueFullAlarm').args.threshold).toBe(4);
    expect(byName(world, 'BrekThrottledAlarm').args.threshold).toBe(50);
    expect(byName(world, 'BrekErrorsAlarm').args.threshold).toBe(20);
    expect(byName(world, 'FailedTurnsAlarm').args.threshold).toBe(3);
    expect(byName(world, 'SignatureRejectsAlarm').args.threshold).toBe(100);
    expect(byName(world, 'WorkerIteratorAgeAlarm').args.threshold).toBe(600_000);
    await expect(deploy('dev', { ALARM_FAILED_TURNS_THRESHOLD: 'lots' })).rejects.toThrow(/ALARM_FAILED_TURNS_THRESHOLD must be a whole number/);
    await expect(deploy('dev', { ALARM_BREK_429_THRESHOLD: '0' })).rejects.toThrow(/ALARM_BREK_429_THRESHOLD/);
  });

  it('names only metrics the bridge emits', async () => {
    const { METRIC } = await import('../../core/metrics.ts');
    const { world } = await deploy('dev', { SLACK_CLIENT_ID: '1234.5678' });
    const emitted = new Set<string>([...Object.values(METRIC), ...Object.values(SLACK_METRIC)]);
    for (const alarm of world.alarms) {
      for (const m of summed(alarm).metrics) expect(emitted.has(m.name), `${alarm.name}: ${m.name}`).toBe(true);
      const sql = alarm.args.metricQueries?.find((q) => q.expression?.startsWith('SELECT'));
      if (sql) expect(emitted.has(queried(alarm).metricName ?? ''), `${alarm.name}: ${sql.expression}`).toBe(true);
    }
  });
});

describe('the graph as a whole', () => {
  it('has one table, one ingress, one worker, one queue; URLs on the ingress only', async () => {
    const { world, slack } = await deploy();
    expect(world.tables).toHaveLength(1);
    expect(world.subscriptions).toHaveLength(1);
    expect(world.queues).toHaveLength(1);
    expect(world.functions.map((fn) => fn.logicalName)).toEqual(['SlackIngress', 'TeamsIngress', 'WhatsAppIngress']);
    expect(allFunctions(world).filter((fn) => fn.args.url).map((fn) => fn.logicalName)).toEqual([slack.logicalName, 'TeamsIngress', 'WhatsAppIngress']);
    for (const fn of allFunctions(world)) expect(fn.args.runtime, fn.logicalName).toBe('nodejs22.x');
  });

  it('outputs the Slack and Teams request URLs, the table and the failure queue', async () => {
    const { outputs, slack, teams, whatsapp, table, queue, worker } = await deploy();
    expect(outputs).toEqual({
      slackEventsUrl: `${slack.url}slack/events`,
      teamsMessagesUrl: `${teams.url}teams/messages`,
      whatsappWebhookUrl: `${whatsapp.url}whatsapp/webhook`,
      whatsappFunction: whatsapp.name,
      table: table.name,
      workerFailuresQueue: queue.url,
      slackFunction: slack.name,
      teamsFunction: teams.name,
      workerFunction: worker.fn.name,
      alarmTopic: 'arn:aws:sns:::Alarms',
      slackLogGroup: `/aws/lambda/log-group:${slack.logicalName}`,
      teamsLogGroup: `/aws/lambda/log-group:${teams.logicalName}`,
      whatsappLogGroup: `/aws/lambda/log-group:${whatsapp.logicalName}`,
      workerLogGroup: `/aws/lambda/log-group:${worker.fn.logicalName}`,
      installationKey: 'arn:aws:kms:::key/InstallationKey',
    });
    expect(new URL(String(outputs.teamsMessagesUrl)).pathname).toBe('/teams/messages');
    expect(new URL(String(outputs.slackEventsUrl)).pathname).toBe('/slack/events');
  });
});

// Each handler reads its configuration at module load. Here each is loaded with exactly the
// environment the config gives it and its linked secrets, nothing from the test's own shell.
// Links reach a process in one of two ways (SST 4, .sst/platform/src/components/aws/function.ts and
// node_modules/sst/dist/resource/node.js):
// - 'env': one SST_RESOURCE_<Name> variable per link holding its JSON (`sst shell`, commands run
//   by `sst dev`), which is what functions/runtime.ts reads;
// - 'file': deployed, the links are encrypted into resource.enc in the bundle, with SST_KEY and
//   SST_KEY_FILE pointing at it; only SST_RESOURCE_App is a variable.
describe('cold start with what the config gives each function', () => {
  const SECRET_VALUES: Record<LinkedSecretName, string> = {
    BrekPartnerApiKey: 'brek_test_key',
    ActorIdSecret: 'actor-id-secret-0123456789',
    SlackSigningSecret: 'slack-signing-secret-0123456789',
    SlackBotToken: 'xoxb-test-token',
    TeamsAppPassword: 'teams-app-password',
    TwilioAuthToken: 'twilio-auth-token',
  };
  // Every variable the loaders (and SST's link delivery) read, cleared first so the test's own
  // environment cannot help.
  const READ_BY_LOADERS = [
    ...Object.values(LINKED_SECRETS),
    ...Object.keys(LINKED_SECRETS).map((name) => `SST_RESOURCE_${name}`),
    'SST_RESOURCE_App', 'SST_KEY', 'SST_KEY_FILE', 'SST_RESOURCES_JSON',
    'BREK_BASE_URL', 'BREK_AUTH_STYLE', 'TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB', 'IDEMPOTENCY_PREFIX',
    'SESSION_IDLE_HOURS', 'SLACK_API_URL', 'SLACK_APP_ID', 'TEAMS_APP_ID', 'TEAMS_TENANT_ID', 'TEAMS_CONNECTOR_HOSTS',
    'TEAMS_OPENID_METADATA_URL', 'TEAMS_TOKEN_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_WHATSAPP_FROM', 'TWILIO_API_URL', 'WHATSAPP_WEBHOOK_URL',
  ];
  const dir = mkdtempSync(join(tmpdir(), 'sst-links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** name → link properties, as SST builds them (Link.build: the component's own props + its type). */
  function linkData(fn: FunctionStandIn, without?: string): Record<string, Record<string, string>> {
    const data: Record<string, Record<string, string>> = {};
    for (const link of fn.args.link ?? []) {
      if (link instanceof SecretStandIn && link.name !== without) {
        data[link.name] = { value: SECRET_VALUES[link.name as LinkedSecretName]!, type: 'sst.sst.Secret' };
      } else if (link instanceof DynamoStandIn) {
        data[link.logicalName] = { name: link.name, type: 'sst.aws.Dynamo' };
      }
    }
    return data;
  }

  /** resource.enc as SST writes it: AES-256-GCM, a zero 12-byte nonce, the tag appended. */
  function writeResourceFile(data: unknown): { key: string; file: string } {
    const key = randomBytes(32);
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 0));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const file = join(dir, `${randomBytes(6).toString('hex')}.enc`);
    writeFileSync(file, sealed);
    return { key: key.toString('base64'), file };
  }

  function stubFunctionEnv(fn: FunctionStandIn, delivery: 'env' | 'file', without?: string): void {
    for (const name of READ_BY_LOADERS) vi.stubEnv(name, undefined);
    for (const [name, value] of Object.entries(fn.args.environment ?? {})) vi.stubEnv(name, String(value));
    vi.stubEnv('SST_RESOURCE_App', JSON.stringify({ name: 'brek-bridge', stage: 'dev' }));
    const links = linkData(fn, without);
    if (delivery === 'env') {
      for (const [name, properties] of Object.entries(links)) vi.stubEnv(`SST_RESOURCE_${name}`, JSON.stringify(properties));
    } else {
      const { key, file } = writeResourceFile(links);
      vi.stubEnv('SST_KEY', key);
      vi.stubEnv('SST_KEY_FILE', file);
    }
  }

  /**
   * SST's reader keeps what it loaded on globalThis, once per process — right for a Lambda, where
   * one process is one function. Each simulated cold start here gets a fresh one (vitest inlines
   * `sst`, so resetModules re-evaluates it too).
   */
  function freshProcess(): void {
    const state = globalThis as Record<string, unknown>;
    for (const key of ['__SST_RESOURCE_RAW__', '__SST_RESOURCE_ENVIRONMENT__', 'SST_KEY_FILE_DATA']) delete state[key];
    vi.resetModules();
  }

  async function coldStart(fn: FunctionStandIn, module: string, delivery: 'env' | 'file' = 'env', without?: string): Promise<void> {
    stubFunctionEnv(fn, delivery, without);
    freshProcess();
    try {
      await import(/* @vite-ignore */ module);
    } finally {
      vi.unstubAllEnvs();
    }
  }

  let slack: FunctionStandIn;
  let teams: FunctionStandIn;
  let whatsapp: FunctionStandIn;
  let worker: FunctionStandIn;
  beforeAll(async () => {
    const deployed = await deploy();
    slack = deployed.slack;
    teams = deployed.teams;
    whatsapp = deployed.whatsapp;
    worker = deployed.worker.fn;
    vi.unstubAllEnvs();
  });

  it('the Slack ingress and the worker start with links as SST_RESOURCE_<Name> variables', async () => {
    await coldStart(slack, '../../functions/slack.ts');
    await coldStart(teams, '../../functions/teams.ts');
    await coldStart(whatsapp, '../../functions/whatsapp.ts');
    await coldStart(worker, '../../functions/worker.ts');
  });

  // Each function needs every secret it is linked to: without any one of them it cannot start.
  const NEEDED: { fn: () => FunctionStandIn; module: string; secrets: LinkedSecretName[] }[] = [
    { fn: () => slack, module: '../../functions/slack.ts', secrets: ['SlackSigningSecret'] },
    { fn: () => worker, module: '../../functions/worker.ts', secrets: ['BrekPartnerApiKey', 'ActorIdSecret', 'SlackBotToken', 'TeamsAppPassword', 'TwilioAuthToken'] },
    { fn: () => whatsapp, module: '../../functions/whatsapp.ts', secrets: ['TwilioAuthToken', 'ActorIdSecret'] },
  ];
  for (const { fn, module, secrets } of NEEDED) {
    for (const secret of secrets) {
      it(`${module} cannot start without ${secret}`, async () => {
        await expect(coldStart(fn(), module, 'env', secret)).rejects.toThrow(LINKED_SECRETS[secret]);
      });
    }
  }

  it('the worker starts without WhatsApp when no Twilio account is configured', async () => {
    const bare = { ...worker, args: { ...worker.args, environment: { ...(worker.args.environment ?? {}) } } } as FunctionStandIn;
    delete (bare.args.environment as Record<string, unknown>).TWILIO_ACCOUNT_SID;
    await coldStart(bare, '../../functions/worker.ts', 'env', 'TwilioAuthToken');
  });

  it("writes resource.enc the way SST's own reader decrypts it", async () => {
    stubFunctionEnv(worker, 'file');
    freshProcess();
    const { Resource } = await import('sst/resource');
    const linked: Record<string, unknown> = { ...Resource };
    expect(linked.BrekPartnerApiKey).toEqual({ value: SECRET_VALUES.BrekPartnerApiKey, type: 'sst.sst.Secret' });
    expect(linked.Bridge).toMatchObject({ type: 'sst.aws.Dynamo' });
  });

  // Deployed delivery: the links are in resource.enc, read with SST's own reader.
  it('the Slack ingress starts with links in resource.enc, as deployed', async () => {
    await coldStart(slack, '../../functions/slack.ts', 'file');
    await coldStart(teams, '../../functions/teams.ts', 'file');
    await coldStart(whatsapp, '../../functions/whatsapp.ts', 'file');
  });
  it('the worker starts with links in resource.enc, as deployed', async () => {
    await coldStart(worker, '../../functions/worker.ts', 'file');
  });
});
