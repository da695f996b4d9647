// Where a turn's log lines are in a deployment, and the CloudWatch Logs Insights query that finds
// them: pure functions behind `npm run ops -- trace` (dev/ops.ts), unit-tested in test/e2e/ops.test.ts.
//
// Every log line of a turn carries `channelMessageId` and `actorId`, and Brek's lines carry
// `brekRequestId` and `traceId` (core/log.ts, core/turn.ts), so those four fields find a turn.
// Lambda writes each function's lines to its own log group, which SST names
// `/aws/lambda/<app>-<stage>-<resource>-<8 random characters>` (its `physicalName`, with the app
// name shortened for long stage names): the prefix is knowable, the random end is not.
import '../adapters/profiles.ts';
import { channelProfile } from '../core/channel.ts';
import type { Channel } from '../core/identity.ts';

/** sst.config.ts's app name and component names (test/e2e/ops.test.ts checks them against it). */
export const SST_NAMES = {
  app: 'brek-bridge',
  /** `new sst.aws.Dynamo('Bridge', …)` */
  table: 'Bridge',
  /** `table.subscribe('Worker', …)` */
  worker: 'Worker',
  /** `new sst.aws.Function('SlackInstall', …)`: the Slack install routes, deployed with SLACK_CLIENT_ID only */
  slackInstall: 'SlackInstall',
} as const;

/**
 * The name SST's log group for a Function component starts with: `${component}Function`, and
 * `table.subscribe(name)` makes a Function component `${table}Subscriber${name}Function`.
 */
function logGroupResource(component: string): string {
  return `${component}Function`;
}

const RESOURCES = {
  // `new sst.aws.Function('SlackIngress', …)` and the others: each channel's profile names its own.
  ingress: (channel: Channel) => logGroupResource(channelProfile(channel)?.ingressFunction ?? `${channel}Ingress`),
  worker: () => logGroupResource(`${SST_NAMES.table}Subscriber${SST_NAMES.worker}Function`),
  slackInstall: () => logGroupResource(SST_NAMES.slackInstall),
};

/** SST's `prefixName` (platform/src/components/naming.ts): `app-stage-name` within `max` characters. */
export function sstPrefixName(app: string, stage: string, name: string, max: number): string {
  const clean = name.replace(/[^a-zA-Z0-9]/g, '');
  if (clean.length + 1 >= max) return clean.substring(0, max);
  if (clean.length + stage.length + 2 >= max) return `${stage.substring(0, max - clean.length - 1)}-${clean}`;
  return `${app.substring(0, max - stage.length - clean.length - 2)}-${stage}-${clean}`;
}

/** The stage of a table SST named (`brek-bridge-<stage>-BridgeTable-<random>`); undefined otherwise. */
export function stageOfTable(tableName: string | undefined): string | undefined {
  const prefix = `${SST_NAMES.app}-`;
  const suffix = new RegExp(`-${SST_NAMES.table}Table-[a-z0-9]+$`);
  if (!tableName?.startsWith(prefix) || !suffix.test(tableName)) return undefined;
  const stage = tableName.slice(prefix.length).replace(suffix, '');
  return stage || undefined;
}

export interface LogGroupHint {
  /** Whose lines: `slack ingress`, `worker`… */
  function: string;
  /** The log group's name up to SST's random suffix; `<stage>` when the stage is not known. */
  prefix: string;
}

/**
 * The log groups that hold a turn's lines — its channel's ingress and the worker — as name
 * prefixes, and for a Slack turn the install routes' too (a workspace's install, and why it has
 * none, is told there; that group exists only where SLACK_CLIENT_ID was deployed). The stage
 * comes from an SST-named table (TABLE_NAME of a deployment); without one the prefixes say
 * `<stage>`.
 */
export function logGroupHints(channels: Channel[], tableName?: string): { groups: LogGroupHint[]; stage?: string } {
  const stage = stageOfTable(tableName);
  // physicalName(64, …) keeps 64 - 9 characters for the prefix, then `-` and 8 random ones.
  const prefix = (resource: string) =>
    `/aws/lambda/${stage ? sstPrefixName(SST_NAMES.app, stage, resource, 55) : `${SST_NAMES.app}-<stage>-${resource}`}-`;
  const unique = [...new Set(channels)];
  return {
    groups: [
      ...unique.map((channel) => ({ function: `${channel} ingress`, prefix: prefix(RESOURCES.ingress(channel)) })),
      { function: 'worker', prefix: prefix(RESOURCES.worker()) },
      ...(unique.includes('slack') ? [{ function: 'slack install, deployed with SLACK_CLIENT_ID', prefix: prefix(RESOURCES.slackInstall()) }] : []),
    ],
    ...(stage ? { stage } : {}),
  };
}

/** The ids to look for: any line carrying one of them is part of the story. */
export interface TraceIds {
  channelMessageIds?: string[];
  actorIds?: string[];
  brekRequestIds?: string[];
  traceIds?: string[];
}

/** A Logs Insights string literal. */
function literal(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The Logs Insights query for the lines carrying any of `ids`, oldest first. One value is
 * `field = "v"`, several are `field in ["a", "b"]` (Logs Insights' set membership).
 */
export function logsInsightsQuery(ids: TraceIds): string {
  const fields: [string, string[] | undefined][] = [
    ['actorId', ids.actorIds],
    ['channelMessageId', ids.channelMessageIds],
    ['brekRequestId', ids.brekRequestIds],
    ['traceId', ids.traceIds],
  ];
  const clauses = fields.flatMap(([field, values]) => {
    const distinct = [...new Set((values ?? []).filter((value) => value !== ''))];
    if (distinct.length === 0) return [];
    return [distinct.length === 1 ? `${field} = ${literal(distinct[0]!)}` : `${field} in [${distinct.map(literal).join(', ')}]`];
  });
  if (clauses.length === 0) throw new Error('logsInsightsQuery needs at least one id');
  return [
    'fields @timestamp, @log, level, msg, channel, status, brekStatus, brekRequestId, traceId, error, error.message',
    `| filter ${clauses.join(' or ')}`,
    '| sort @timestamp asc',
    '| limit 1000',
  ].join('\n');
}

/** The time range to query: from 5 minutes before the first time to an hour after the last. */
export function queryWindow(times: (string | undefined)[], now: number = Date.now()): { start: number; end: number } {
  const ms = times.map((time) => (time ? Date.parse(time) : NaN)).filter(Number.isFinite);
  const first = ms.length ? Math.min(...ms) : now;
  const last = ms.length ? Math.max(...ms) : now;
  return { start: Math.floor(first / 1000) - 300, end: Math.ceil(last / 1000) + 3600 };
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * `aws logs start-query` for the query over the hinted log groups. With the stage known, the
 * groups' full names are looked up by prefix (`describe-log-groups`); otherwise they are left
 * for the operator to fill in.
 */
export function startQueryCommand(query: string, hints: { groups: LogGroupHint[]; stage?: string }, window: { start: number; end: number }): string {
  const groups = hints.stage
    ? `$(for p in ${hints.groups.map((g) => g.prefix).join(' ')}; do aws logs describe-log-groups --log-group-name-prefix "$p" --query 'logGroups[].logGroupName' --output text; done)`
    : hints.groups.map((g) => `<${g.prefix}…>`).join(' ');
  return [
    `aws logs start-query --start-time ${window.start} --end-time ${window.end} \\`,
    `  --log-group-names ${groups} \\`,
    `  --query-string ${shellQuote(query.split('\n').join(' '))}`,
    'aws logs get-query-results --query-id <queryId printed above>',
  ].join('\n');
}
