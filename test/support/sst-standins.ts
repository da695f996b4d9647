// Recording stand-ins for the SST globals sst.config.ts uses, so a test can evaluate its app() and
// run() and read back the resource graph: no AWS, no Pulumi engine, no .sst/ directory.
//
// Outputs are plain strings here (a resource's name, ARN or URL is a recognisable token), which is
// enough to check what is wired to what. The shapes below describe only what the config passes.

/** `Input<T>` in SST; the stand-ins pass plain values through. */
type In<T> = T;

/** What aws.getCallerIdentityOutput() answers here. */
export const ACCOUNT_ID = '123456789012';

/** An IAM condition as SST's `permissions` take it. */
export interface ConditionSeen {
  test: string;
  variable: string;
  values: string[];
}

interface PermissionSeen {
  actions: string[];
  resources: In<string>[];
  conditions?: ConditionSeen[];
}

export interface FunctionArgsSeen {
  handler: string;
  runtime?: string;
  timeout?: string;
  url?: boolean | { cors?: boolean };
  environment?: Record<string, In<string>>;
  link?: unknown[];
  permissions?: PermissionSeen[];
  nodejs?: { install?: string[] };
}

export interface DynamoArgsSeen {
  fields: Record<string, 'string' | 'number' | 'binary'>;
  primaryIndex: { hashKey: string; rangeKey?: string };
  globalIndexes?: Record<string, { hashKey: string; rangeKey?: string; projection?: 'all' | 'keys-only' | string[] }>;
  stream?: string;
  ttl?: string;
  deletionProtection?: boolean;
  transform?: { table?: { pointInTimeRecovery?: { enabled?: boolean } } };
}

interface EventSourceMappingSeen {
  functionResponseTypes?: string[];
  bisectBatchOnFunctionError?: boolean;
  maximumRetryAttempts?: number;
  maximumRecordAgeInSeconds?: number;
  destinationConfig?: { onFailure?: { destinationArn: In<string> } };
  parallelizationFactor?: number;
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  startingPosition?: string;
}

export interface SubscriberArgsSeen {
  filters?: Record<string, unknown>[];
  transform?: { eventSourceMapping?: EventSourceMappingSeen };
}

export interface QueueArgsSeen {
  transform?: { queue?: { messageRetentionSeconds?: number } };
}

export class SecretStandIn {
  readonly kind = 'Secret';
  constructor(readonly name: string) {}
}

export class FunctionStandIn {
  readonly kind = 'Function';
  readonly name: string;
  readonly arn: string;
  /** SST's nodes: the log group is an Output, lifted here with a one-step `apply`; the role SST makes for it. */
  readonly nodes: { logGroup: { apply<T>(fn: (group: { name: string } | undefined) => T): T }; role: { name: string; arn: string } };
  constructor(
    readonly logicalName: string,
    readonly args: FunctionArgsSeen,
  ) {
    this.name = `fn:${logicalName}`;
    this.arn = `arn:aws:lambda:::function:${logicalName}`;
    const group = { name: `/aws/lambda/log-group:${logicalName}` };
    this.nodes = { logGroup: { apply: (fn) => fn(group) }, role: { name: `role:${logicalName}`, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${logicalName}Role` } };
  }
  /** As the Output<Function> of a subscriber is read: `apply` lifts the function itself. */
  apply<T>(fn: (self: FunctionStandIn) => T): T {
    return fn(this);
  }
  /** A function URL ends with a slash, as AWS returns it. */
  get url(): string {
    if (!this.args.url) throw new Error(`${this.logicalName} has no URL`);
    return `https://${this.logicalName.toLowerCase()}.lambda-url.test/`;
  }
}

export class QueueStandIn {
  readonly kind = 'Queue';
  readonly arn: string;
  readonly url: string;
  readonly nodes: { queue: { name: string } };
  constructor(
    readonly logicalName: string,
    readonly args: QueueArgsSeen,
  ) {
    this.arn = `arn:aws:sqs:::${logicalName}`;
    this.url = `https://sqs.test/${logicalName}`;
    this.nodes = { queue: { name: `queue:${logicalName}` } };
  }
}

export class TopicStandIn {
  readonly kind = 'SnsTopic';
  readonly arn: string;
  constructor(readonly logicalName: string) {
    this.arn = `arn:aws:sns:::${logicalName}`;
  }
}

/** A query of a metric-math alarm: a metric, or an expression over the others. */
interface MetricQuerySeen {
  id: string;
  expression?: string;
  returnData?: boolean;
  label?: string;
  /** A Metrics Insights query's period (an expression over metrics takes theirs). */
  period?: number;
  metric?: { namespace: string; metricName: string; dimensions?: Record<string, In<string>>; period: number; stat: string };
}

export interface MetricAlarmArgsSeen {
  alarmDescription?: string;
  comparisonOperator: string;
  threshold: number;
  evaluationPeriods: number;
  treatMissingData?: string;
  alarmActions?: In<string>[];
  okActions?: In<string>[];
  namespace?: string;
  metricName?: string;
  dimensions?: Record<string, In<string>>;
  statistic?: string;
  period?: number;
  metricQueries?: MetricQuerySeen[];
}

export interface TopicSubscriptionArgsSeen {
  topic: In<string>;
  protocol: string;
  endpoint: string;
}

/** What `table.subscribe(name, functionArgs, subscriberArgs)` created. */
export interface SubscriptionSeen {
  name: string;
  fn: FunctionStandIn;
  args: SubscriberArgsSeen;
}

export class DynamoStandIn {
  readonly kind = 'Dynamo';
  readonly name: string;
  readonly arn: string;
  constructor(
    readonly logicalName: string,
    readonly args: DynamoArgsSeen,
    private readonly world: SstWorld,
  ) {
    // A valid physical table name, as the functions' TABLE_NAME check expects.
    this.name = `brek-bridge-${world.stage}-${logicalName}Table`;
    this.arn = `arn:aws:dynamodb:::table/${logicalName}`;
  }
  /** Returns what SST's Output<DynamoLambdaSubscriber> lifts to for the parts the config reads. */
  subscribe(name: string, subscriber: FunctionArgsSeen, args: SubscriberArgsSeen = {}): { nodes: { function: FunctionStandIn } } {
    if (!this.args.stream) throw new Error(`Cannot subscribe to "${this.logicalName}" because stream is not enabled.`);
    const fn = new FunctionStandIn(`${this.logicalName}Subscriber${name}Function`, subscriber);
    this.world.subscriptions.push({ name, fn, args });
    return { nodes: { function: fn } };
  }
}

/** Everything one evaluation of run() created. */
export class SstWorld {
  readonly tables: DynamoStandIn[] = [];
  readonly functions: FunctionStandIn[] = [];
  readonly queues: QueueStandIn[] = [];
  readonly secrets: SecretStandIn[] = [];
  readonly subscriptions: SubscriptionSeen[] = [];
  readonly topics: TopicStandIn[] = [];
  readonly alarms: { name: string; args: MetricAlarmArgsSeen }[] = [];
  readonly topicSubscriptions: { name: string; args: TopicSubscriptionArgsSeen }[] = [];
  readonly kmsKeys: { name: string; keyId: string; arn: string; args: Record<string, unknown>; opts: ResourceOptionsSeen }[] = [];
  /** aws.kms.KeyPolicy: the policy as the JSON string KMS is given. */
  readonly keyPolicies: { name: string; keyId: string; policy: string }[] = [];
  constructor(readonly stage: string) {}
}

export interface ResourceOptionsSeen {
  retainOnDelete?: boolean;
  protect?: boolean;
}

interface AppInputSeen {
  stage: string;
}

interface AppSeen {
  name: string;
  home: string;
  removal: 'remove' | 'retain' | 'retain-all';
  protect: boolean;
}

interface ConfigSeen {
  app(input: AppInputSeen): AppSeen;
  run(): Promise<Record<string, unknown>>;
}

const GLOBALS = ['$config', 'sst', 'aws', '$app', '$interpolate', '$jsonStringify'] as const;

export interface SstStandIns {
  /** The object sst.config.ts passed to $config (set once its module has been evaluated). */
  config(): ConfigSeen;
  /** Evaluates run() for a stage with fresh recorders; returns the outputs and what was created. */
  run(stage: string): Promise<{ outputs: Record<string, unknown>; world: SstWorld }>;
  uninstall(): void;
}

/** Installs the stand-ins on globalThis; import sst.config.ts after this. */
export function installSstStandIns(): SstStandIns {
  let captured: ConfigSeen | undefined;
  let world = new SstWorld('unset');
  const target = globalThis as Record<string, unknown>;

  target.$config = (input: ConfigSeen): ConfigSeen => {
    captured = input;
    return input;
  };
  target.sst = {
    Secret: class extends SecretStandIn {
      constructor(name: string) {
        super(name);
        world.secrets.push(this);
      }
    },
    aws: {
      Dynamo: class extends DynamoStandIn {
        constructor(name: string, args: DynamoArgsSeen) {
          super(name, args, world);
          world.tables.push(this);
        }
      },
      Function: class extends FunctionStandIn {
        constructor(name: string, args: FunctionArgsSeen) {
          super(name, args);
          world.functions.push(this);
        }
      },
      Queue: class extends QueueStandIn {
        constructor(name: string, args: QueueArgsSeen = {}) {
          super(name, args);
          world.queues.push(this);
        }
      },
      SnsTopic: class extends TopicStandIn {
        constructor(name: string) {
          super(name);
          world.topics.push(this);
        }
      },
    },
  };
  // The Pulumi AWS provider's resources the config creates directly.
  target.aws = {
    kms: {
      Key: class {
        readonly keyId: string;
        readonly arn: string;
        constructor(name: string, args: Record<string, unknown>, opts: ResourceOptionsSeen = {}) {
          this.keyId = `key:${name}`;
          this.arn = `arn:aws:kms:::key/${name}`;
          world.kmsKeys.push({ name, keyId: this.keyId, arn: this.arn, args, opts });
        }
      },
      KeyPolicy: class {
        constructor(name: string, args: { keyId: string; policy: string }) {
          world.keyPolicies.push({ name, keyId: args.keyId, policy: args.policy });
        }
      },
    },
    getCallerIdentityOutput: () => ({ accountId: ACCOUNT_ID }),
    getPartitionOutput: () => ({ partition: 'aws' }),
    cloudwatch: {
      MetricAlarm: class {
        constructor(name: string, args: MetricAlarmArgsSeen) {
          world.alarms.push({ name, args });
        }
      },
    },
    sns: {
      TopicSubscription: class {
        constructor(name: string, args: TopicSubscriptionArgsSeen) {
          world.topicSubscriptions.push({ name, args });
        }
      },
    },
  };
  // Outputs are plain values here, so stringifying one is JSON.stringify.
  target.$jsonStringify = (value: unknown): string => JSON.stringify(value);
  // Outputs are strings here, so interpolation is plain template concatenation.
  target.$interpolate = (strings: TemplateStringsArray, ...values: unknown[]): string =>
    strings.reduce((out, part, i) => out + part + (i < values.length ? String(values[i]) : ''), '');

  return {
    config() {
      if (!captured) throw new Error('sst.config.ts has not called $config yet');
      return captured;
    },
    async run(stage) {
      world = new SstWorld(stage);
      target.$app = { name: this.config().app({ stage }).name, stage };
      const outputs = await this.config().run();
      return { outputs, world };
    },
    uninstall() {
      for (const name of GLOBALS) delete target[name];
    },
  };
}
