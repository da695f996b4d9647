/// <reference path="./.sst/platform/config.d.ts" />
// The deployed shape of the bridge (docs/architecture.md, "Data flow"): one DynamoDB table, one ingress
// function per channel (URL-invoked; verify, one inbox write, acknowledge) and one worker on the
// table's stream.
//
// SST 4 (the `sst` devDependency, pinned): npm's `latest`, and the one whose platform was generated
// and read here: `sst install` writes its sources and provider types into .sst/platform/ with no
// network but the npm registry, and every component API used below was checked against them
// (3.x is the previous line, with nothing here that needs it). `bash dev/sst-types.sh --check`
// type-checks this file against that platform; the project's NodeNext tsconfig cannot resolve
// SST's extensionless imports, so under `tsc -p .` the SST globals are untyped.
//
// SST refuses top-level imports in this file (app() is evaluated on its own), so project modules
// are imported dynamically inside run(), and types through `import()` type queries.

type DistributionSecretName = keyof typeof import('./functions/runtime.ts').DISTRIBUTION_SECRETS;

/** Stages that refuse `sst remove` and keep the table (SST's `retain`) even if it leaves the config. */
const PRODUCTION_STAGES: readonly string[] = ['production', 'prod'];

export default $config({
  app(input) {
    const production = PRODUCTION_STAGES.includes(input?.stage ?? '');
    return {
      name: 'brek-bridge',
      home: 'aws',
      removal: production ? 'retain' : 'remove',
      protect: production,
    };
  },

  async run() {
    const { TABLE_KEYS, TTL_ATTRIBUTE, WORK_SK_PREFIXES, OWNER_INDEX } = await import('./core/store/table.ts');
    const { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } = await import('./core/metrics.ts');
    const { WORKER_STREAM } = await import('./core/worker-stream.ts');
    const { CHANNEL_PROFILES } = await import('./adapters/profiles.ts');
    const { SLACK_METRIC } = await import('./adapters/slack/profile.ts');
    const production = PRODUCTION_STAGES.includes($app.stage);

    // The one table, keyed from the core's single definition (core/store/table.ts). NEW_IMAGE is
    // all the worker needs (it reads the keys and re-reads the record); TTL expires inbox records.
    // The owner index is what erasure Queries (no Scan): keys only, as tableDefinition() has it.
    const table = new sst.aws.Dynamo('Bridge', {
      fields: {
        [TABLE_KEYS.partitionKey]: 'string',
        [TABLE_KEYS.sortKey]: 'string',
        [OWNER_INDEX.partitionKey]: 'string',
        [OWNER_INDEX.sortKey]: 'string',
      },
      primaryIndex: { hashKey: TABLE_KEYS.partitionKey, rangeKey: TABLE_KEYS.sortKey },
      globalIndexes: { [OWNER_INDEX.name]: { hashKey: OWNER_INDEX.partitionKey, rangeKey: OWNER_INDEX.sortKey, projection: 'keys-only' } },
      stream: 'new-image',
      ttl: TTL_ATTRIBUTE,
      deletionProtection: production,
      // SST 4 turns PITR on by default; stated here so a default change cannot drop it silently.
      transform: { table: { pointInTimeRecovery: { enabled: true } } },
    });

    // One per name of functions/runtime.ts, which maps each to its environment variable (docs/architecture.md): core's and
    // each channel's (its profile).
    const { LINKED_SECRETS } = await import('./functions/runtime.ts');
    const secret: Record<string, sst.Secret> = Object.fromEntries(Object.keys(LINKED_SECRETS).map((name) => [name, new sst.Secret(name)]));
    const secrets = (names: readonly string[] = []) => names.map((name) => secret[name]!);
    /** A function's share of the deployer's variables: the required ones stop the deploy when unset. */
    const environmentFor = (needs: import('./core/channel.ts').DeployNeeds) =>
      Object.assign({}, ...(needs.required ?? []).map((name) => ({ [name]: deployValue(name) })), ...(needs.optional ?? []).map(optionalEnv)) as Record<string, string>;

    // The KMS key that seals each workspace's Slack installation (core/crypto-kms.ts). It exists on
    // every stage whether or not SLACK_CLIENT_ID is set: installations stay in the table when
    // distribution is switched off, and only this key opens them. A key made only with
    // SLACK_CLIENT_ID would be scheduled for deletion by the first deploy without it, and setting
    // it again would make a new key that opens nothing stored (retainOnDelete would only orphan the
    // old key, not bring it back). Switching distribution off therefore removes the key's
    // consumers (its policy below), never the key. Retained wherever the table is (production).
    const installationKey = new aws.kms.Key(
      'InstallationKey',
      {
        description: 'Seals Slack installations (bot tokens) in the bridge table',
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      },
      { retainOnDelete: production },
    );

    // Distribution to many workspaces (OAuth v2) when SLACK_CLIENT_ID is set: the install routes,
    // the installation key's consumers, and the app's client secrets. The worker then takes each
    // workspace's token from its installation (SlackBotToken stays the fallback).
    const slackClientId = process.env.SLACK_CLIENT_ID?.trim();
    const distribution = slackClientId
      ? {
          secret: {
            SlackClientSecret: new sst.Secret('SlackClientSecret'),
            SlackStateSecret: new sst.Secret('SlackStateSecret'),
          } satisfies Record<DistributionSecretName, sst.Secret>,
        }
      : undefined;
    if (!distribution) {
      // Nothing before this deploy can be read here, so it is said on every deploy without it.
      console.warn(
        [
          '',
          `!!! SLACK_CLIENT_ID is not set: Slack distribution is OFF for stage "${$app.stage}".`,
          '!!! If this stage had it, this deploy removes the install routes (SlackInstall) and every function\'s use of',
          '!!! the installation key: new installs fail, and stored installations cannot be opened (the worker no',
          '!!! longer has those workspaces\' bot tokens) until a deploy with SLACK_CLIENT_ID again.',
          '!!! The KMS key InstallationKey is kept, so that deploy opens every stored installation as before.',
          '',
        ].join('\n'),
      );
    }
    const distributionEnvironment: Record<string, $util.Input<string>> = distribution
      ? { SLACK_CLIENT_ID: slackClientId!, INSTALLATION_KMS_KEY_ID: installationKey.keyId, ...optionalEnv('SLACK_REDIRECT_URI') }
      : {};
    /**
     * What the installation key may be used for, as core/crypto-kms.ts and
     * adapters/slack/installations.ts call it (test/deploy/sst-config.test.ts seals with them to check):
     * envelope encryption, a data key per seal (GenerateDataKey) opened with Decrypt, each with the
     * encryption context { purpose: 'brek-bridge', context: <the installation's pk> }. A data key
     * made for one installation record cannot be opened as another's, and nothing else can use it.
     */
    const installationKeyUse = {
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      conditions: [
        { test: 'StringEquals', variable: 'kms:EncryptionContext:purpose', values: ['brek-bridge'] },
        // installationPk(): a workspace's installation, or an org-wide one's.
        { test: 'StringLike', variable: 'kms:EncryptionContext:context', values: ['SLACK#T#*', 'SLACK#E#*'] },
        // No other context keys: the two above are the whole context.
        { test: 'ForAllValues:StringEquals', variable: 'kms:EncryptionContextKeys', values: ['purpose', 'context'] },
      ],
    };
    const kmsPermissions = distribution ? [{ actions: installationKeyUse.actions, resources: [installationKey.arn], conditions: installationKeyUse.conditions }] : [];

    // Not a secret, so a plain variable read at deploy time (not stored per stage): a deploy
    // without it fails here rather than shipping functions that fail at cold start.
    const brekBaseUrl = deployUrl('BREK_BASE_URL');
    const environment: Record<string, $util.Input<string>> = {
      TABLE_NAME: table.name,
      BREK_BASE_URL: brekBaseUrl,
      // Pinned rather than left to the code's default: changing it changes idempotency keys.
      IDEMPOTENCY_PREFIX: process.env.IDEMPOTENCY_PREFIX?.trim() || 'bridge',
      ...optionalEnv('SESSION_IDLE_HOURS'),
    };

    // One ingress per channel, from its profile (adapters/<channel>/profile.ts): it verifies,
    // writes the inbox record and acknowledges, so it gets the table and its own secrets only
    // (test/deploy/sst-config.test.ts starts each with exactly that). Each bundles only its own
    // channel's SDK: esbuild follows the handler's imports, so nothing else is installed into it
    // (no nodejs.install). Every platform wants its answer within seconds (Slack 3 s, Teams and
    // Twilio 15 s) and the handler does one write, so a stuck call ends early.
    const ingresses = CHANNEL_PROFILES.map((profile) => ({
      profile,
      fn: new sst.aws.Function(profile.ingressFunction, {
        handler: `functions/${profile.channel}.handler`,
        runtime: 'nodejs22.x',
        timeout: '10 seconds',
        // Called by the platform's servers only, never from a browser: no CORS headers.
        url: { cors: false },
        environment: { ...environment, ...environmentFor(profile.deploy.ingress) },
        link: [table, ...secrets(profile.deploy.ingress.secrets)],
      }),
    }));

    // Slack install routes (distribution only): GET /slack/install and GET /slack/oauth_redirect.
    const slackInstall = distribution
      ? new sst.aws.Function('SlackInstall', {
          handler: 'functions/slack-oauth.handler',
          runtime: 'nodejs22.x',
          timeout: '20 seconds',
          url: { cors: false },
          environment: { ...environment, ...optionalEnv('SLACK_API_URL'), ...distributionEnvironment },
          link: [table, distribution.secret.SlackClientSecret, distribution.secret.SlackStateSecret],
          permissions: kmsPermissions,
        })
      : undefined;

    // Turns the worker could not process after its retries: each message names the stream batch
    // (shard, sequence numbers); kept for the SQS maximum so they can be replayed.
    const workerFailures = new sst.aws.Queue('WorkerFailures', {
      transform: { queue: { messageRetentionSeconds: 14 * 24 * 3600 } },
    });

    // A turn may wait this long for Brek's quota (core/config.ts has the same default), and needs
    // about two and a half minutes after it; Lambda allows 15 minutes at most.
    const queueMaxWaitSeconds = Number(process.env.BREK_QUEUE_MAX_WAIT_SECONDS?.trim() || 240);
    if (!Number.isFinite(queueMaxWaitSeconds) || queueMaxWaitSeconds < 1 || queueMaxWaitSeconds > 600) {
      throw new Error(`BREK_QUEUE_MAX_WAIT_SECONDS must be a number of seconds from 1 to 600, got "${process.env.BREK_QUEUE_MAX_WAIT_SECONDS}"`);
    }
    const workerTimeoutSeconds = Math.min(900, Math.ceil(queueMaxWaitSeconds) + 150);

    // The worker needs Brek, the actor id secret and each channel's sending credentials.
    const worker = table.subscribe(
      'Worker',
      {
        handler: 'functions/worker.handler',
        runtime: 'nodejs22.x',
        // One turn at worst: its wait for a place in Brek's quota (BREK_QUEUE_MAX_WAIT_SECONDS),
        // then Brek's 4 tries of 10 s with backoff (~52 s) and sends that wait out Retry-After up
        // to 10 s. A later turn of the same thread in the batch that would outlast the invocation
        // stops short of it and is retried by the stream (functions/worker.ts passes the deadline).
        timeout: `${workerTimeoutSeconds} seconds`,
        environment: {
          ...environment,
          ...Object.assign({}, ...CHANNEL_PROFILES.map((profile) => environmentFor(profile.deploy.worker))),
          ...distributionEnvironment,
          ...optionalEnv('BREK_RATE_LIMIT_PER_MINUTE'),
          ...optionalEnv('BREK_QUEUE_MAX_WAIT_SECONDS'),
        },
        link: [
          table,
          ...secrets(['BrekPartnerApiKey', 'ActorIdSecret']),
          ...CHANNEL_PROFILES.flatMap((profile) => secrets(profile.deploy.worker.secrets)),
          // Refreshing a rotating bot token is an oauth.v2.access call with the client secret.
          ...(distribution ? [distribution.secret.SlackClientSecret] : []),
        ],
        // Lambda sends the on-failure record with the function's own role.
        permissions: [{ actions: ['sqs:SendMessage'], resources: [workerFailures.arn] }, ...kmsPermissions],
      },
      {
        // New inbox records and workspace erase requests (WORK_SK_PREFIXES) only: session writes
        // and state updates never wake the worker.
        filters: [{ eventName: ['INSERT'], dynamodb: { Keys: { [TABLE_KEYS.sortKey]: { S: WORK_SK_PREFIXES.map((prefix) => ({ prefix })) } } } }],
        transform: {
          eventSourceMapping: {
            // Each record must be answered once and in order per thread; the worker reports the
            // first failed record of a thread and Lambda retries from there.
            functionResponseTypes: ['ReportBatchItemFailures'],
            bisectBatchOnFunctionError: true,
            maximumRetryAttempts: 5,
            // A turn an hour old is no longer a conversation; past that it goes to the queue.
            maximumRecordAgeInSeconds: 3600,
            destinationConfig: { onFailure: { destinationArn: workerFailures.arn } },
            // Chosen with the pipeline model (core/worker-stream.ts, docs/performance.md, "Pipeline model"): ten
            // lanes per shard, each key in one lane so a thread's records stay in order, and a
            // lane's whole backlog in one batch.
            parallelizationFactor: WORKER_STREAM.parallelizationFactor,
            batchSize: WORKER_STREAM.batchSize,
            maximumBatchingWindowInSeconds: WORKER_STREAM.maximumBatchingWindowInSeconds,
            // Replayed records are harmless (answered ones are skipped by their state), lost ones
            // are not: a recreated mapping reads the stream from its start (LATEST would skip
            // what arrived meanwhile), and the record-age limit above keeps that to the last hour.
            startingPosition: 'TRIM_HORIZON',
          },
        },
      },
    );

    // The installation key's own policy: the account administers the key (it can never be locked
    // out of it) but is given no cryptographic use, so no IAM policy in the account can grant one;
    // only the install routes and the worker may make and open data keys, under the same
    // encryption-context conditions as their IAM permissions. (No kms:ViaService: the functions
    // call KMS themselves, not through another AWS service. No kms:CallerAccount: the principals are
    // this account's roles by ARN.) A separate resource, not the key's `policy`: it names the
    // functions' roles, whose inline policies name the key, so it can only be written after both.
    // Without distribution it keeps the administration statement only.
    const account = aws.getCallerIdentityOutput({}).accountId;
    const partition = aws.getPartitionOutput({}).partition;
    const installationKeyUsers = slackInstall ? [slackInstall.nodes.role.arn, worker.nodes.function.apply((fn: sst.aws.Function) => fn.nodes.role.arn)] : [];
    new aws.kms.KeyPolicy('InstallationKeyPolicy', {
      keyId: installationKey.keyId,
      policy: $jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AccountAdministersTheKey',
            Effect: 'Allow',
            Principal: { AWS: $interpolate`arn:${partition}:iam::${account}:root` },
            // AWS's key-administrator actions, less kms:CreateGrant (a grant would be a way around
            // the usage statement below). kms:PutKeyPolicy (Put*) keeps the key manageable.
            Action: [
              'kms:Describe*',
              'kms:Get*',
              'kms:List*',
              'kms:Enable*',
              'kms:Disable*',
              'kms:Put*',
              'kms:Update*',
              'kms:Revoke*',
              'kms:Delete*',
              'kms:TagResource',
              'kms:UntagResource',
              'kms:ScheduleKeyDeletion',
              'kms:CancelKeyDeletion',
              'kms:RotateKeyOnDemand',
            ],
            Resource: '*',
          },
          ...(installationKeyUsers.length
            ? [
                {
                  Sid: 'InstallRoutesAndWorkerSealAndOpenInstallations',
                  Effect: 'Allow',
                  Principal: { AWS: installationKeyUsers },
                  Action: installationKeyUse.actions,
                  Resource: '*',
                  Condition: policyConditions(installationKeyUse.conditions),
                },
              ]
            : []),
        ],
      }),
    });

    // Alarms (Brek's production checklist: alert on repeated 401/403/429 and 5xx). Every alarm
    // goes to one SNS topic; ALARM_EMAIL subscribes an address to it (AWS mails a confirmation
    // link first). Thresholds are per 5 minutes and are deploy-time settings (docs/deploy.md).
    const alarmTopic = new sst.aws.SnsTopic('Alarms');
    const alarmEmail = process.env.ALARM_EMAIL?.trim();
    if (alarmEmail) new aws.sns.TopicSubscription('AlarmEmail', { topic: alarmTopic.arn, protocol: 'email', endpoint: alarmEmail });
    const threshold = (name: string, fallback: number) => {
      const value = process.env[name]?.trim();
      if (!value) return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, got "${value}"`);
      return n;
    };
    const FIVE_MINUTES = 300;
    const CHANNELS = CHANNEL_PROFILES.map((profile) => profile.channel);
    /** The bridge's own metric (core/metrics.ts): EMF adds the `service` dimension to each. */
    const bridgeMetric = (id: string, metricName: string, dimensions: Record<string, string>) => ({
      id,
      returnData: false,
      metric: { namespace: METRICS_NAMESPACE, metricName, dimensions: { service: METRICS_SERVICE, ...dimensions }, period: FIVE_MINUTES, stat: 'Sum' },
    });
    /** One alarm on a query of bridge metrics, per 5 minutes, to the topic; quiet periods are not incidents. */
    const queryAlarm = (name: string, description: string, limit: number, metricQueries: aws.types.input.cloudwatch.MetricAlarmMetricQuery[]) =>
      new aws.cloudwatch.MetricAlarm(name, {
        alarmDescription: description,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: limit,
        evaluationPeriods: 1,
        treatMissingData: 'notBreaching',
        alarmActions: [alarmTopic.arn],
        okActions: [alarmTopic.arn],
        metricQueries,
      });
    /** One alarm on the sum of several series (a missing series counts as 0). */
    const sumAlarm = (name: string, description: string, limit: number, series: ReturnType<typeof bridgeMetric>[]) =>
      queryAlarm(name, description, limit, [...series, { id: 'total', expression: series.map((m) => `FILL(${m.id}, 0)`).join(' + '), label: description, returnData: true }]);
    sumAlarm('BrekAuthAlarm', 'Brek refused the partner key (401/403): check BrekPartnerApiKey', 1, [bridgeMetric('auth', METRIC.brekCalls, { statusClass: '401_403' })]);
    // Paced, the bridge meets few 429s (core/brek/quota.ts): many mean the key is shared or its limit is lower than Brek said.
    sumAlarm('BrekThrottledAlarm', 'Brek is rate limiting the bridge (429)', threshold('ALARM_BREK_429_THRESHOLD', 10), [bridgeMetric('throttled', METRIC.brekCalls, { statusClass: '429' })]);
    // A traffic peak beyond what the partner key's quota serves within BREK_QUEUE_MAX_WAIT_SECONDS.
    sumAlarm('BrekQueueFullAlarm', "Turns apologised for because Brek's quota could not serve them in time: ask Brek for a larger quota", threshold('ALARM_BREK_QUEUE_FULL_THRESHOLD', 1), CHANNELS.map((channel) => bridgeMetric(channel, METRIC.brekQueueGaveUp, { channel })));
    sumAlarm('BrekErrorsAlarm', 'Brek is failing (5xx or no answer in time)', threshold('ALARM_BREK_5XX_THRESHOLD', 10), [
      bridgeMetric('server', METRIC.brekCalls, { statusClass: '5xx' }),
      bridgeMetric('timeout', METRIC.brekCalls, { statusClass: 'timeout' }),
    ]);
    sumAlarm('FailedTurnsAlarm', 'Travellers got an apology or no reply', threshold('ALARM_FAILED_TURNS_THRESHOLD', 5), CHANNELS.map((channel) => bridgeMetric(channel, METRIC.turnFailed, { channel })));
    // A reply the channel may or may not show (core/delivery.ts): someone should look at those turns.
    sumAlarm('UnknownDeliveriesAlarm', 'Replies that may not have reached travellers (the channel could not say)', threshold('ALARM_UNKNOWN_DELIVERIES_THRESHOLD', 3), CHANNELS.map((channel) => bridgeMetric(channel, METRIC.turnDeliveryUnknown, { channel })));
    sumAlarm('SignatureRejectsAlarm', 'Requests with bad signatures: a wrong secret or an attack', threshold('ALARM_SIGNATURE_REJECTS_THRESHOLD', 25), CHANNELS.map((channel) => bridgeMetric(channel, METRIC.signatureRejected, { channel })));
    /**
     * One alarm on a bridge metric summed over every set of dimensions it is emitted with (a
     * Metrics Insights query; metric math SEARCH cannot be alarmed on), so a `reason` added later
     * is counted rather than missed.
     */
    const everyDimensionAlarm = (name: string, description: string, limit: number, metricName: string) =>
      queryAlarm(name, description, limit, [
        { id: 'total', expression: `SELECT SUM("${metricName}") FROM "${METRICS_NAMESPACE}" WHERE service = '${METRICS_SERVICE}'`, period: FIVE_MINUTES, label: description, returnData: true },
      ]);
    if (distribution) {
      // Per `reason` (state, access_denied, oauth_access, storage…): installs that did not complete.
      everyDimensionAlarm('SlackInstallFailuresAlarm', 'Slack installs failing (see the slackInstallLogGroup output)', threshold('ALARM_SLACK_INSTALL_FAILURES_THRESHOLD', 5), SLACK_METRIC.installFailed);
      // A rotating token not refreshed stops that workspace's replies when it expires (12 h).
      everyDimensionAlarm('SlackTokenRefreshFailuresAlarm', 'Slack bot tokens failing to refresh: those workspaces stop getting replies', threshold('ALARM_SLACK_TOKEN_REFRESH_THRESHOLD', 1), SLACK_METRIC.tokenRefreshFailed);
    }
    /** An alarm on one AWS metric's per-minute maximum. */
    const maximumAlarm = (name: string, description: string, metric: { namespace: string; metricName: string; dimensions: Record<string, $util.Input<string>> }, limit: number, minutes: number) =>
      new aws.cloudwatch.MetricAlarm(name, {
        alarmDescription: description,
        ...metric,
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: minutes,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: limit,
        treatMissingData: 'notBreaching',
        alarmActions: [alarmTopic.arn],
        okActions: [alarmTopic.arn],
      });
    // The worker falling behind its stream: turns waiting for minutes.
    maximumAlarm(
      'WorkerIteratorAgeAlarm',
      'The worker is falling behind the table stream',
      { namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensions: { FunctionName: worker.nodes.function.name } },
      threshold('ALARM_ITERATOR_AGE_SECONDS', 120) * 1000,
      5,
    );
    // Anything on the on-failure queue is a turn the worker gave up on.
    maximumAlarm(
      'WorkerFailuresAlarm',
      'The worker gave up on stream records (see the WorkerFailures queue)',
      { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: workerFailures.nodes.queue.name } },
      1,
      1,
    );

    return {
      // Each channel's URL to register with its platform: its route on the ingress's function URL.
      ...Object.fromEntries(ingresses.map(({ profile, fn }) => [profile.deploy.urlOutput, $interpolate`${fn.url}${profile.route.slice(1)}`])),
      table: table.name,
      workerFailuresQueue: workerFailures.url,
      // The functions, and their log groups for `aws logs tail <group> --follow` (SST names a log
      // group with a random suffix of its own, not the function's: use these, not the names).
      ...Object.fromEntries(ingresses.map(({ profile, fn }) => [`${profile.channel}LogGroup`, fn.nodes.logGroup.apply((group?: { name: unknown }) => group?.name ?? '')])),
      workerLogGroup: worker.nodes.function.apply((fn: sst.aws.Function) => fn.nodes.logGroup.apply((group?: { name: unknown }) => group?.name ?? '')),
      ...Object.fromEntries(ingresses.map(({ profile, fn }) => [`${profile.channel}Function`, fn.name])),
      workerFunction: worker.nodes.function.name,
      alarmTopic: alarmTopic.arn,
      // Distribution: the "Add to Slack" link, and the redirect URL to register with the app (and
      // set as SLACK_REDIRECT_URI on the next deploy, like WHATSAPP_WEBHOOK_URL).
      ...(slackInstall
        ? {
            slackInstallUrl: $interpolate`${slackInstall.url}slack/install`,
            slackRedirectUrl: $interpolate`${slackInstall.url}slack/oauth_redirect`,
            slackInstallFunction: slackInstall.name,
            slackInstallLogGroup: slackInstall.nodes.logGroup.apply((group?: { name: unknown }) => group?.name ?? ''),
          }
        : {}),
      // The key that seals Slack installations (kept when distribution is switched off).
      installationKey: installationKey.arn,
    };
  },
});

/** A URL from the deployer's environment, required: the deploy stops with one line naming it. */
function deployUrl(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} must be set when deploying (see docs/deploy.md)`);
  const protocol = URL.canParse(value) ? new URL(value).protocol : undefined;
  if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`${name} must be an absolute http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** A plain value from the deployer's environment, required. */
function deployValue(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} must be set when deploying (see docs/deploy.md)`);
  return value;
}

/** SST's `permissions` conditions as a key policy's Condition block: { test: { variable: values } }. */
function policyConditions(conditions: { test: string; variable: string; values: string[] }[]): Record<string, Record<string, string[]>> {
  const block: Record<string, Record<string, string[]>> = {};
  for (const { test, variable, values } of conditions) block[test] = { ...block[test], [variable]: values };
  return block;
}

/** Passes a deployer's variable through to the functions only when it is set. */
function optionalEnv(name: string): Record<string, string> {
  const value = process.env[name]?.trim();
  return value ? { [name]: value } : {};
}
