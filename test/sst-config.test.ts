// sst.config.ts evaluated against recording stand-ins of the SST globals: the deployed resource
// graph (table, ingress, worker and its stream mapping, failure queue, secrets, outputs) checked
// without AWS, the network or .sst/. The functions are then cold-started with exactly the
// environment and links the config gives them.
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { INBOX_SK_PREFIX, TABLE_KEYS, TTL_ATTRIBUTE, tableDefinition } from '../core/store/table.ts';
import { inboxRecordOf, type StreamRecord } from '../core/worker.ts';
import { DISTRIBUTION_SECRETS, LINKED_SECRETS, type LinkedSecretName } from '../functions/runtime.ts';
import {
  DynamoStandIn,
  FunctionStandIn,
  SecretStandIn,
  installSstStandIns,
  type SstStandIns,
  type SstWorld,
  type SubscriptionSeen,
} from './support/sst-standins.ts';

const BREK_BASE_URL = 'https://brek.example.test';

let sst: SstStandIns;

beforeAll(async () => {
  sst = installSstStandIns();
  await import('../sst.config.ts');
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
  const { outputs, world } = await sst.run(stage);
  const [table] = world.tables;
  const slack = world.functions.find((fn) => fn.logicalName === 'SlackIngress');
  const teams = world.functions.find((fn) => fn.logicalName === 'TeamsIngress');
  const whatsapp = world.functions.find((fn) => fn.logicalName === 'WhatsAppIngress');
  const [worker] = world.subscriptions;
  const [queue] = world.queues;
  if (!table || !slack || !teams || !whatsapp || !worker || !queue) throw new Error('the config is missing the table, an ingress, the worker or the queue');
  return { outputs, world, table, slack, teams, whatsapp, worker, queue };
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
    expect(fields).toEqual({ [TABLE_KEYS.partitionKey]: 'string', [TABLE_KEYS.sortKey]: 'string' });
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
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(pattern)) {
    return pattern.some((rule: unknown) => {
      if (typeof rule === 'string' || typeof rule === 'number' || typeof rule === 'boolean') return rule === value;
      if (isRecord(rule) && Object.keys(rule).length === 1 && typeof rule.prefix === 'string') {
        return typeof value === 'string' && value.startsWith(rule.prefix);
      }
      throw new Error(`filter rule not understood by this test: ${JSON.stringify(rule)}`);
    });
  }
  if (isRecord(pattern)) return isRecord(value) && Object.entries(pattern).every(([key, sub]) => filterMatches(sub, value[key]));
  throw new Error(`filter pattern not understood by this test: ${JSON.stringify(pattern)}`);
}

function streamRecord(eventName: string, sk: string): StreamRecord {
  const keys = { [TABLE_KEYS.partitionKey]: { S: 'T#slack:T1:U1#D1' }, [TABLE_KEYS.sortKey]: { S: sk } };
  return { eventName, dynamodb: { Keys: keys, NewImage: keys, SequenceNumber: '1' } };
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

  it('has time for Brek retries', () => {
    const match = /^(\d+) (second|seconds|minute|minutes)$/.exec(worker.fn.args.timeout ?? '');
    expect(match).not.toBeNull();
    const seconds = Number(match?.[1]) * (match?.[2]?.startsWith('minute') ? 60 : 1);
    expect(seconds).toBeGreaterThanOrEqual(60);
    expect(seconds).toBeLessThanOrEqual(900);
  });

  it('is woken by new inbox records only, exactly as the worker code reads the stream', () => {
    const filters = worker.args.filters ?? [];
    expect(filters).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { [TABLE_KEYS.sortKey]: { S: [{ prefix: INBOX_SK_PREFIX }] } } } },
    ]);
    const records = [
      streamRecord('INSERT', `${INBOX_SK_PREFIX}slack:Ev1`),
      streamRecord('MODIFY', `${INBOX_SK_PREFIX}slack:Ev1`),
      streamRecord('REMOVE', `${INBOX_SK_PREFIX}slack:Ev1`),
      streamRecord('INSERT', 'THREAD'),
      streamRecord('MODIFY', 'THREAD'),
    ];
    for (const record of records) {
      const delivered = filters.some((filter) => filterMatches(filter, record));
      expect(delivered, `${record.eventName} ${record.dynamodb?.Keys?.sk?.S}`).toBe(inboxRecordOf(record) !== undefined);
    }
  });

  it('retries from the failed record, bisects, in order per thread, bounded, then to the failure queue', () => {
    const esm = worker.args.transform?.eventSourceMapping;
    expect(esm).toBeDefined();
    expect(esm?.functionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(esm?.bisectBatchOnFunctionError).toBe(true);
    expect(esm?.parallelizationFactor).toBe(1);
    expect(esm?.maximumRetryAttempts).toBeGreaterThanOrEqual(1);
    expect(esm?.maximumRetryAttempts).toBeLessThanOrEqual(10);
    // -1 would mean "until the record expires from the stream" (24 h).
    expect(esm?.maximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(esm?.maximumRecordAgeInSeconds).toBeLessThanOrEqual(6 * 3600);
    expect(esm?.destinationConfig?.onFailure?.destinationArn).toBe(queueArn);
    expect(esm?.batchSize).toBeGreaterThanOrEqual(1);
    expect(esm?.batchSize).toBeLessThanOrEqual(10);
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
  it('adds nothing without SLACK_CLIENT_ID', async () => {
    const { world, outputs } = await deploy();
    expect(world.functions.map((fn) => fn.logicalName)).not.toContain('SlackInstall');
    expect(world.kmsKeys).toEqual([]);
    expect(world.secrets.map((s) => s.name)).not.toContain('SlackClientSecret');
    expect(outputs.slackInstallUrl).toBeUndefined();
  });

  it('serves the install routes from their own function, sealing with a rotating KMS key', async () => {
    const { world, outputs, worker, slack } = await deploy('prod', { SLACK_CLIENT_ID: '1234.5678', SLACK_REDIRECT_URI: 'https://install.example/slack/oauth_redirect' });
    const install = world.functions.find((fn) => fn.logicalName === 'SlackInstall')!;
    const [key] = world.kmsKeys;
    expect(key?.args).toMatchObject({ enableKeyRotation: true });
    expect(install.args.handler).toBe('functions/slack-oauth.handler');
    expect(install.args.url).toEqual({ cors: false });
    expect(linkNames(install)).toEqual(['table:Bridge', 'SlackClientSecret', 'SlackStateSecret']);
    expect(install.args.environment).toMatchObject({ SLACK_CLIENT_ID: '1234.5678', INSTALLATION_KMS_KEY_ID: key!.keyId, SLACK_REDIRECT_URI: 'https://install.example/slack/oauth_redirect' });
    expect(install.args.permissions).toEqual([{ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key!.arn] }]);
    // The worker opens installations (and re-seals a refreshed token); the ingress never does.
    expect(worker.fn.args.environment).toMatchObject({ SLACK_CLIENT_ID: '1234.5678', INSTALLATION_KMS_KEY_ID: key!.keyId });
    expect(linkNames(worker.fn)).toContain('SlackClientSecret');
    expect(worker.fn.args.permissions).toContainEqual({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key!.arn] });
    expect(linkNames(slack)).not.toContain('SlackClientSecret');
    expect(JSON.stringify(slack.args.permissions ?? [])).not.toContain('kms');
    expect(outputs.slackInstallUrl).toBe(`${install.url}slack/install`);
    expect(outputs.slackRedirectUrl).toBe(`${install.url}slack/oauth_redirect`);
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
      ['BrekAuthAlarm', 'BrekErrorsAlarm', 'BrekThrottledAlarm', 'FailedTurnsAlarm', 'SignatureRejectsAlarm', 'UnknownDeliveriesAlarm', 'WorkerFailuresAlarm', 'WorkerIteratorAgeAlarm'].sort(),
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
    expect(world.alarms).toHaveLength(8);
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

  it('takes thresholds from the deploy-time settings, and refuses nonsense', async () => {
    const { world } = await deploy('dev', {
      ALARM_BREK_429_THRESHOLD: '50',
      ALARM_BREK_5XX_THRESHOLD: '20',
      ALARM_FAILED_TURNS_THRESHOLD: '3',
      ALARM_SIGNATURE_REJECTS_THRESHOLD: '100',
      ALARM_ITERATOR_AGE_SECONDS: '600',
    });
    expect(byName(world, 'BrekThrottledAlarm').args.threshold).toBe(50);
    expect(byName(world, 'BrekErrorsAlarm').args.threshold).toBe(20);
    expect(byName(world, 'FailedTurnsAlarm').args.threshold).toBe(3);
    expect(byName(world, 'SignatureRejectsAlarm').args.threshold).toBe(100);
    expect(byName(world, 'WorkerIteratorAgeAlarm').args.threshold).toBe(600_000);
    await expect(deploy('dev', { ALARM_FAILED_TURNS_THRESHOLD: 'lots' })).rejects.toThrow(/ALARM_FAILED_TURNS_THRESHOLD must be a whole number/);
    await expect(deploy('dev', { ALARM_BREK_429_THRESHOLD: '0' })).rejects.toThrow(/ALARM_BREK_429_THRESHOLD/);
  });

  it('names only metrics the bridge emits', async () => {
    const { METRIC } = await import('../core/metrics.ts');
    const { world } = await deploy();
    const emitted = new Set<string>(Object.values(METRIC));
    for (const alarm of world.alarms) for (const m of summed(alarm).metrics) expect(emitted.has(m.name), `${alarm.name}: ${m.name}`).toBe(true);
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
        data[link.name] = { value: SECRET_VALUES[link.name as LinkedSecretName], type: 'sst.sst.Secret' };
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
    await coldStart(slack, '../functions/slack.ts');
    await coldStart(teams, '../functions/teams.ts');
    await coldStart(whatsapp, '../functions/whatsapp.ts');
    await coldStart(worker, '../functions/worker.ts');
  });

  // Each function needs every secret it is linked to: without any one of them it cannot start.
  const NEEDED: { fn: () => FunctionStandIn; module: string; secrets: LinkedSecretName[] }[] = [
    { fn: () => slack, module: '../functions/slack.ts', secrets: ['SlackSigningSecret'] },
    { fn: () => worker, module: '../functions/worker.ts', secrets: ['BrekPartnerApiKey', 'ActorIdSecret', 'SlackBotToken', 'TeamsAppPassword', 'TwilioAuthToken'] },
    { fn: () => whatsapp, module: '../functions/whatsapp.ts', secrets: ['TwilioAuthToken', 'ActorIdSecret'] },
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
    await coldStart(bare, '../functions/worker.ts', 'env', 'TwilioAuthToken');
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
    await coldStart(slack, '../functions/slack.ts', 'file');
    await coldStart(teams, '../functions/teams.ts', 'file');
    await coldStart(whatsapp, '../functions/whatsapp.ts', 'file');
  });
  it('the worker starts with links in resource.enc, as deployed', async () => {
    await coldStart(worker, '../functions/worker.ts', 'file');
  });
});
