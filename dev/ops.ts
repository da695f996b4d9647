// `npm run ops -- turns [--failed] [--limit N] [--json]`, `npm run ops -- replay <id> [--json]` and
// `npm run ops -- trace <channel message id | actor id | Brek request id or traceId> [--limit N] [--json]`:
// the operator's terminal view of turns, from the table itself. And
// `npm run ops -- erase <actor id | {channel}:{workspace}:> [--scan] [--json]`: a traveller's (or a
// workspace's travellers') items erased on request, from the owner index as the bridge does —
// or, with --scan, by a Scan of the whole table, for items written before the index existed.
//
// Target: with TABLE_NAME set, that table through the default AWS credential chain (and
// AWS_ENDPOINT_URL_DYNAMODB if set) — a deployed bridge; otherwise the running local stack, found
// through .data/stack.json (BRIDGE_DATA_DIR moves .data). A local replay goes through the stack's
// own POST /console/replay, so its worker and console see it; a deployed one runs in this process
// with the worker's own wiring (functions/worker-deps.ts) and the worker's variables.
//
// Nothing personal is printed: actor ids are pseudonymous, errors are scrubbed as log lines are,
// and the traveller's text and reply reference are never read (see core/ops/views.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigError } from '../core/config.ts';
import { createLogger, scrubText, type Level } from '../core/log.ts';
import { eraseActor, ErasePrefixError, eraseWorkspaceItems, scanErase } from '../core/store/erase.ts';
import { documentClient } from '../core/store/table.ts';
import { shortActor } from '../core/ops/present.ts';
import { replayableTurn, replayTurn, TurnReplayError } from '../core/ops/replay.ts';
import { traceTurns, type TraceResult, type TurnStep, type TurnStory } from '../core/ops/trace.ts';
import { listTurns, type TurnView } from '../core/ops/views.ts';
import type { TurnOutcome } from '../core/turn.ts';
import { parseCommandLine } from './args.ts';
import { logGroupHints, logsInsightsQuery, queryWindow, startQueryCommand } from './ops-logs.ts';
import type { StackInfo } from './stack.ts';

const NAME = 'npm run ops';
const USAGE =
  'usage: npm run ops -- turns [--failed] [--limit N] [--json] | replay <id> [--json] | trace <id> [--limit N] [--json] | erase <actor id | channel:workspace:> [--scan] [--json]';

/** A failure worth one line: printed as `npm run ops: <message>`, exit 1 (as dev/cli.ts does). */
class OpsError extends Error {}

type Target =
  | { kind: 'deployed'; tableName: string; endpoint?: string; describe: string }
  | { kind: 'local'; tableName: string; endpoint: string; stackUrl: string; consoleToken?: string; describe: string };

async function findTarget(env: NodeJS.ProcessEnv): Promise<Target> {
  const tableName = env.TABLE_NAME?.trim();
  if (tableName) {
    const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB?.trim();
    return { kind: 'deployed', tableName, ...(endpoint ? { endpoint } : {}), describe: `table ${tableName}${endpoint ? ` at ${endpoint}` : ''}` };
  }
  const dataDir = env.BRIDGE_DATA_DIR ?? join(process.cwd(), '.data');
  let info: Partial<StackInfo>;
  try {
    info = JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8')) as Partial<StackInfo>;
  } catch {
    throw new OpsError('no target: set TABLE_NAME (with AWS credentials) for a deployed table, or start the local stack with `npm start`.');
  }
  if (!info.url || !info.dynamoEndpoint || !info.tableName) {
    throw new OpsError(`${join(dataDir, 'stack.json')} does not say where the table is: restart \`npm start\`.`);
  }
  return {
    kind: 'local',
    tableName: info.tableName,
    endpoint: info.dynamoEndpoint,
    stackUrl: info.url,
    ...(info.consoleToken ? { consoleToken: info.consoleToken } : {}),
    describe: `table ${info.tableName} of the local stack at ${info.url}`,
  };
}

/** A connection refused or a missing table says which target it was. */
function unreachable(target: Target, error: unknown): OpsError {
  const message = error instanceof Error ? error.message : String(error);
  if (target.kind === 'local' && /ECONNREFUSED|fetch failed|connect/i.test(`${message} ${(error as { cause?: unknown }).cause ?? ''}`)) {
    return new OpsError(`the local stack is not answering (${target.describe}); is \`npm start\` still running?`);
  }
  if ((error as { name?: string }).name === 'ResourceNotFoundException') return new OpsError(`${target.describe}: no such table.`);
  return new OpsError(`${target.describe}: ${message}`);
}

function client(target: Target): DynamoDBDocumentClient {
  return documentClient(target.endpoint ? { endpoint: target.endpoint } : {});
}

// ---- turns ---------------------------------------------------------------------------------

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function latency(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function clip(text: string | undefined, width: number): string {
  if (!text) return '-';
  const line = text.replace(/\s+/g, ' ');
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

export function turnsTable(views: TurnView[]): string {
  const header = ['id', 'when (UTC)', 'channel', 'actor', 'state', 'status', 'latency', 'brek request id', 'trace id', 'error'];
  const rows = views.map((v) => [
    v.id,
    when(v.receivedAt),
    v.channel,
    shortActor(v.actorId),
    v.state,
    v.status ?? '-',
    latency(v.latencyMs),
    v.brekRequestId ?? '-',
    v.traceId ?? '-',
    clip(v.error, 60),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

async function turns(target: Target, options: { failed: boolean; limit: number; json: boolean }): Promise<void> {
  let views: TurnView[];
  try {
    views = await listTurns(client(target), target.tableName, { failed: options.failed, limit: options.limit });
  } catch (error) {
    throw unreachable(target, error);
  }
  if (options.json) {
    for (const view of views) process.stdout.write(`${JSON.stringify(view)}\n`);
    return;
  }
  const what = options.failed ? 'failed turns' : 'turns';
  if (views.length === 0) {
    process.stdout.write(`no ${what} in ${target.describe}\n`);
    return;
  }
  process.stdout.write(`${turnsTable(views)}\n`);
  const more = views.length === options.limit ? ` (the newest ${options.limit}; --limit N shows more)` : '';
  process.stdout.write(`${views.length} ${views.length === 1 ? what.replace('turns', 'turn') : what}, newest first${more}, in ${target.describe}\n`);
}

// ---- replay --------------------------------------------------------------------------------

/** The stack's POST /console/replay: 200 `{ outcome }`, or 4xx/5xx `{ error, message }`. */
async function replayLocal(target: Extract<Target, { kind: 'local' }>, id: string): Promise<TurnOutcome> {
  let res: Response;
  try {
    res = await fetch(`${target.stackUrl}/console/replay`, {
      method: 'POST',
      // The console serves its own page only: the per-start token from stack.json says this is the operator.
      headers: { 'content-type': 'application/json', ...(target.consoleToken ? { 'x-console-token': target.consoleToken } : {}) },
      body: JSON.stringify({ id }),
    });
  } catch (error) {
    throw unreachable(target, error);
  }
  const body = (await res.json().catch(() => ({}))) as { outcome?: TurnOutcome; message?: string; error?: string };
  if (!res.ok || !body.outcome) throw new OpsError(body.message ?? body.error ?? `the local stack answered ${res.status}`);
  return body.outcome;
}

/** The worker's own dependencies, from the worker's variables (and SST_RESOURCE_* links, when present). */
async function replayDeployed(target: Extract<Target, { kind: 'deployed' }>, id: string): Promise<TurnOutcome> {
  // An unknown or unfailed turn is said so before the worker's variables are asked for.
  try {
    await replayableTurn(client(target), target.tableName, id);
  } catch (error) {
    if (error instanceof TurnReplayError) throw new OpsError(error.message);
    throw unreachable(target, error);
  }
  const { applyLinkedSecrets } = await import('../functions/runtime.ts');
  const { workerDeps } = await import('../functions/worker-deps.ts');
  applyLinkedSecrets();
  // The worker's log lines go to stderr, warnings and up unless LOG_LEVEL says otherwise.
  const logger = createLogger({ level: (process.env.LOG_LEVEL as Level | undefined) ?? 'warn', sink: (line) => process.stderr.write(`${line}\n`) });
  let wired: ReturnType<typeof workerDeps>;
  try {
    wired = workerDeps(process.env, logger);
  } catch (error) {
    if (error instanceof ConfigError) throw new OpsError(`a deployed replay needs the worker's variables: ${error.problems.join('; ')}`);
    throw error;
  }
  try {
    return await replayTurn(id, { ...wired.deps, db: wired.core.db, tableName: target.tableName });
  } catch (error) {
    if (error instanceof TurnReplayError) throw new OpsError(error.message);
    throw unreachable(target, error);
  }
}

function describeOutcome(id: string, outcome: TurnOutcome): { text: string; ok: boolean } {
  switch (outcome.outcome) {
    case 'replied':
      return { text: `turn ${id}: replied (${outcome.status})`, ok: true };
    case 'failed':
      return { text: `turn ${id}: failed again (${outcome.status}): ${scrubText(outcome.error)}`, ok: false };
    case 'unknown':
      return { text: `turn ${id}: delivery still unknown (${outcome.status}): ${scrubText(outcome.error)}; the channel could not say whether it arrived, so nothing was sent again`, ok: false };
    case 'ignored':
      return { text: `turn ${id}: ignored (${outcome.reason})`, ok: true };
    case 'busy':
      return { text: `turn ${id}: its conversation is busy with another turn; try again in a minute`, ok: false };
    case 'skipped':
      return { text: `turn ${id}: already answered meanwhile; nothing sent`, ok: false };
  }
}

async function replay(target: Target, id: string, json: boolean): Promise<boolean> {
  const outcome = target.kind === 'local' ? await replayLocal(target, id) : await replayDeployed(target, id);
  const { text, ok } = describeOutcome(id, outcome);
  process.stdout.write(json ? `${JSON.stringify({ id, ...outcome })}\n` : `${text}\n`);
  return ok;
}

// ---- trace ---------------------------------------------------------------------------------

const STEP_LABELS: Record<TurnStep['step'], string> = {
  received: 'received',
  taken_up: 'taken up',
  brek: 'Brek',
  reply: 'reply',
  earlier_attempt: 'earlier',
  finished: 'finished',
};

/** `2030-01-01 10:00:00.250Z`, or only the time when it is the day `sameDayAs` is on. */
function stamp(iso: string, sameDayAs?: string): string {
  const full = new Date(iso).toISOString().replace('T', ' ');
  return sameDayAs && full.slice(0, 10) === new Date(sameDayAs).toISOString().slice(0, 10) ? full.slice(11) : full;
}

/** One turn's story, as an operator reads it: never the traveller's text. */
function storyText(story: TurnStory): string {
  const rows: [string, string][] = [
    ['channel', story.channel],
    ['actor', story.actorId],
    ['conversation', story.conversation],
    ['channel message id', story.channelMessageId ?? '- (the message record has expired)'],
    ['received at', story.receivedAt ? stamp(story.receivedAt) : '-'],
    ['state now', `${story.state}${story.status ? ` (${story.status})` : ''}`],
  ];
  const lines = [`turn ${story.id}`, ...rows.map(([label, value]) => `  ${label.padEnd(19)} ${value}`), '  steps'];
  const times = story.steps.map((step) => (step.at ? stamp(step.at, story.receivedAt) : ''));
  const timeWidth = Math.max(0, ...times.map((time) => time.length));
  story.steps.forEach((step, i) => lines.push(`    ${times[i]!.padEnd(timeWidth)}  ${STEP_LABELS[step.step].padEnd(9)} ${step.text}`));
  const kept = story.keptAnswer;
  const after: [string, string][] = [
    ['Brek session', story.brekSessionId ? `${story.brekSessionId} (the conversation’s current one)` : '-'],
    ['Brek request id', story.brekRequestId ?? '-'],
    ['trace id', story.traceId ?? '-'],
    [
      'kept Brek answer',
      kept
        ? `${kept.status} (${[kept.brekRequestId && `x-request-id ${kept.brekRequestId}`, kept.traceId && `traceId ${kept.traceId}`, kept.sessionId && `session ${kept.sessionId}`].filter(Boolean).join(', ')}); \`${NAME} -- replay ${story.id}\` re-sends it`
        : '-',
    ],
    ['error', story.error ?? '-'],
  ];
  lines.push(...after.map(([label, value]) => `  ${label.padEnd(19)} ${value}`));
  return lines.join('\n');
}

/** The query and where to run it, for the turns a trace found. */
function traceLogs(result: TraceResult, tableName: string | undefined, now: number = Date.now()) {
  const stories = result.stories;
  const brekRequestIds = stories.flatMap((s) => [s.brekRequestId, s.keptAnswer?.brekRequestId]).filter((v): v is string => Boolean(v));
  const channelMessageIds = stories.flatMap((s) => (s.channelMessageId ? [s.channelMessageId] : []));
  // A turn known by neither (its message expired, no Brek call) is found by its traceId or actor.
  const idless = stories.filter((s) => !s.channelMessageId && !s.brekRequestId);
  const query = logsInsightsQuery({
    channelMessageIds,
    brekRequestIds,
    traceIds: idless.flatMap((s) => (s.traceId ? [s.traceId] : [])),
    actorIds: result.match === 'actor' || idless.some((s) => !s.traceId) ? [...new Set(stories.map((s) => s.actorId))] : [],
  });
  const hints = logGroupHints(stories.map((s) => s.channel), tableName);
  const window = queryWindow(stories.flatMap((s) => [s.receivedAt, s.finishedAt]), now);
  return { query, logGroups: hints.groups, ...(hints.stage ? { stage: hints.stage } : {}), startTime: window.start, endTime: window.end, startQuery: startQueryCommand(query, hints, window) };
}

async function trace(target: Target, id: string, options: { limit: number; json: boolean }): Promise<void> {
  let result: TraceResult | undefined;
  try {
    result = await traceTurns(client(target), target.tableName, id, { limit: options.limit });
  } catch (error) {
    throw unreachable(target, error);
  }
  if (!result) {
    throw new OpsError(`nothing in ${target.describe} matches "${id}" (a channel message id, actor id, Brek request id or traceId; turns are kept 48 h)`);
  }
  const deployed = target.kind === 'deployed';
  const logs = traceLogs(result, deployed ? target.tableName : undefined);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ id, match: result.match, total: result.total, turns: result.stories, logs })}\n`);
    return;
  }
  const count = (n: number) => `${n} ${n === 1 ? 'turn' : 'turns'}`;
  const heading = {
    message: `${count(result.total)} with channel message id ${id}`,
    brek: `${count(result.total)} with Brek request id or traceId ${id}`,
    actor: `actor ${id}: ${result.stories.length < result.total ? `the newest ${result.stories.length} of ${count(result.total)} (--limit N shows more)` : `${count(result.total)}, newest first`}`,
  }[result.match];
  const out = [`${heading}, in ${target.describe}`, ''];
  for (const story of result.stories) out.push(storyText(story), '');

  const window = `${when(new Date(logs.startTime * 1000).toISOString())} to ${when(new Date(logs.endTime * 1000).toISOString())}`;
  out.push(
    `Logs of ${result.stories.length === 1 ? 'this turn' : 'these turns'}: CloudWatch Logs Insights, ${window}, over the log groups`,
    ...logs.logGroups.map((group) => `  ${group.prefix}…  (${group.function})`),
    `(SST ends each name with 8 random characters${logs.stage ? '' : '; <stage> is the deployed stage'})`,
    '',
    ...logs.query.split('\n').map((line) => `  ${line}`),
    '',
  );
  if (deployed) {
    out.push(
      'Run it in the CloudWatch console (Logs Insights: pick those log groups and the time range, paste the query), or:',
      ...logs.startQuery.split('\n').map((line) => `  ${line}`),
    );
  } else {
    out.push(
      'This is the local stack: `npm start` writes these JSON lines to its terminal (LOG_LEVEL=info for every step).',
      `In a deployment, run the query in CloudWatch Logs Insights: \`TABLE_NAME=<table output> ${NAME} -- trace <id>\` names the log groups and prints the \`aws logs start-query\` command.`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---- erase ---------------------------------------------------------------------------------

/**
 * Erases one actor (`slack:T123:U1`) or every actor of a workspace (`slack:T123:`). The owner
 * index finds what the bridge wrote since it existed; `--scan` reads the whole table and also
 * finds older items (they expire by TTL within days anyway). A workspace's installation is not
 * touched here: uninstalling the app removes it.
 */
async function erase(target: Target, id: string, options: { scan: boolean; json: boolean }): Promise<void> {
  const workspace = id.endsWith(':');
  const db = client(target);
  const logger = createLogger({ sink: () => undefined });
  let deleted: number;
  try {
    if (options.scan) deleted = await scanErase(db, target.tableName, workspace ? id : `${id}#`, { logger });
    else if (workspace) deleted = (await eraseWorkspaceItems(db, target.tableName, id)).deleted;
    else deleted = await eraseActor(db, target.tableName, id, { logger });
  } catch (error) {
    if (error instanceof ErasePrefixError) {
      throw new OpsError(`erase takes an actor id as "turns" prints it (<channel>:<workspace>:<user>) or a workspace ending in ":" (<channel>:<workspace>:), got "${scrubText(id)}"`);
    }
    throw unreachable(target, error);
  }
  const how = options.scan ? 'a scan of the whole table' : 'the owner index';
  if (options.json) process.stdout.write(`${JSON.stringify({ erased: id, itemsDeleted: deleted, by: options.scan ? 'scan' : 'index' })}\n`);
  else process.stdout.write(`Erased ${deleted} item${deleted === 1 ? '' : 's'} of ${workspace ? `workspace ${id}` : `actor ${id}`} in ${target.describe}, found by ${how}.\n`);
}

// ---- main ----------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new OpsError(`${error instanceof Error ? error.message : String(error)} (${USAGE})`);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.scan && command !== 'erase') throw new OpsError(`--scan is for erase (${USAGE})`);
  if (command === 'turns') {
    if (rest.length > 0) throw new OpsError(`turns takes no id (got "${rest.join(' ')}") (${USAGE})`);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new OpsError(`--limit must be a whole number of 1 or more, got "${values.limit}"`);
    await turns(await findTarget(process.env), { failed: values.failed ?? false, limit, json: values.json ?? false });
    return 0;
  }
  if (command === 'replay') {
    if (rest.length !== 1 || !rest[0]) throw new OpsError(`replay takes one turn id (the first column of \`${NAME} -- turns\`) (${USAGE})`);
    if (values.failed || values.limit !== undefined) throw new OpsError(`--failed and --limit are for turns (${USAGE})`);
    return (await replay(await findTarget(process.env), rest[0], values.json ?? false)) ? 0 : 1;
  }
  if (command === 'trace') {
    if (rest.length !== 1 || !rest[0]?.trim()) {
      throw new OpsError(`trace takes one id: a channel message id, an actor id, or a Brek request id or traceId (${USAGE})`);
    }
    if (values.failed) throw new OpsError(`--failed is for turns (${USAGE})`);
    const limit = values.limit === undefined ? 10 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new OpsError(`--limit must be a whole number of 1 or more, got "${values.limit}"`);
    await trace(await findTarget(process.env), rest[0].trim(), { limit, json: values.json ?? false });
    return 0;
  }
  if (command === 'erase') {
    if (rest.length !== 1 || !rest[0]?.trim()) throw new OpsError(`erase takes one actor id or workspace (<channel>:<workspace>:) (${USAGE})`);
    if (values.failed || values.limit !== undefined) throw new OpsError(`--failed and --limit are for turns (${USAGE})`);
    await erase(await findTarget(process.env), rest[0].trim(), { scan: values.scan ?? false, json: values.json ?? false });
    return 0;
  }
  throw new OpsError(command ? `unknown command "${command}" (${USAGE})` : USAGE);
}

function parse(argv: string[]) {
  return parseCommandLine(
    {
      command: NAME,
      synopsis: '-- <command> [id] [options]',
      summary: 'Turns from the table itself: list them, replay a failed one, trace one by id, or erase a traveller’s items.',
      options: {
        failed: { type: 'boolean', description: 'turns: only the failed ones' },
        limit: { type: 'string', value: 'N', description: 'turns: at most N (default 50); trace: at most N turns (default 10)' },
        json: { type: 'boolean', description: 'one JSON object a line instead of tables' },
        scan: { type: 'boolean', description: 'erase: find the items by a Scan of the whole table, not the owner index' },
      },
      positionals: true,
      sections: [
        {
          heading: 'commands',
          lines: [
            'turns [--failed] [--limit N]    the latest turns, newest first',
            'replay <id>                     run a failed turn again (its id from `turns`)',
            'trace <id> [--limit N]          a turn’s story, by channel message id, actor id, or Brek request id or traceId',
            'erase <actor id | channel:workspace:> [--scan]   erase a traveller’s (or a workspace’s) items',
          ],
        },
        { heading: 'environment', lines: ['TABLE_NAME        a deployed table (AWS credentials as usual); unset: the running local stack', 'BRIDGE_DATA_DIR   where the local stack keeps stack.json (default .data)'] },
      ],
      examples: [`${NAME} -- turns --failed`, `${NAME} -- trace Ev0123ABC`],
    },
    argv,
  );
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  const message = error instanceof OpsError ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${NAME}: ${scrubText(message)}\n`);
  code = 1;
}
// Done: the SDK's and the channels' clients may keep sockets open, which must not keep this alive.
process.exit(code);
