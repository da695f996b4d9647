// Erasure at scale: a table holding 1,000+ items of other travellers (in other workspaces and in
// the same one), and a DynamoDB request counter on the wire (a proxy in front of dynalite) plus
// a record of what every Query returned and every BatchWrite deleted. "Forget me" and a workspace
// uninstall must make no Scan, read only their own items' keys, erase all of them and nothing
// else; the uninstall is acknowledged after one write, without waiting for the erase.
import { BatchWriteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackIngress } from '../../adapters/slack/ingress.ts';
import type { LeavingWorkspace } from '../../core/channel.ts';
import { slackActorId } from '../../adapters/slack/profile.ts';
import { handleIngress } from '../../core/ingress.ts';
import { createLogger, memorySink } from '../../core/log.ts';
import { InboxStore } from '../../core/store/inbox.ts';
import { documentClient, ensureTable, ownerKey, THREAD_SK, threadPk, type ItemKey } from '../../core/store/table.ts';
import { ThreadStore } from '../../core/store/threads.ts';
import { processTurn, type TurnDeps } from '../../core/turn.ts';
import { handleStreamBatch, type StreamRecord } from '../../core/worker.ts';
import type { WorkspaceEraseRecord } from '../../core/workspace-erase.ts';
import { runWorkspaceErase } from '../../core/workspace-erase.ts';
import { startLocalDynamo, type LocalDynamo } from '../../dev/local-dynamo.ts';
import { slackRequest } from '../../dev/simulate/slack.ts';
import { RecordingSender } from '../support/core.ts';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../support/dynamo-faults.ts';
import { useSandbox } from '../support/sandbox.ts';

const TABLE = 'erase-scale';
const SECRET = 'erase-scale-signing-secret';
const sandbox = useSandbox();

let dynamo: LocalDynamo;
let proxy: DynamoFaultProxy;
let direct: DynamoDBDocumentClient;
/** The bridge's client, through the counting proxy; every Query's keys and every delete recorded. */
let counted: DynamoDBDocumentClient;
const seen = { queried: [] as ItemKey[], deleted: [] as ItemKey[] };

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  proxy = await startDynamoFaultProxy({ target: dynamo.endpoint });
  direct = documentClient({ endpoint: dynamo.endpoint });
  counted = documentClient({ endpoint: proxy.endpoint });
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { RequestItems?: Record<string, { DeleteRequest?: { Key: ItemKey } }[]> };
      if (context.commandName === 'BatchWriteItemCommand') for (const request of input.RequestItems?.[TABLE] ?? []) if (request.DeleteRequest) seen.deleted.push(request.DeleteRequest.Key);
      if (context.commandName === 'QueryCommand') seen.queried.push(...(((result.output as { Items?: ItemKey[] }).Items ?? []) as ItemKey[]));
      return result;
    },
    { step: 'initialize', name: 'eraseScaleRecorder' },
  );
  await ensureTable(direct, TABLE);
  await seedOthers();
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await dynamo?.close();
});

/** Per operation, requests since `from` (a copy of `proxy.stats` taken before). */
function requestsSince(from: Record<string, { forwarded: number }>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(proxy.stats)
      .map(([operation, stats]) => [operation, stats.forwarded - (from[operation]?.forwarded ?? 0)] as const)
      .filter(([, count]) => count > 0),
  );
}
const snapshot = () => structuredClone(proxy.stats);
const resetSeen = () => {
  seen.queried.length = 0;
  seen.deleted.length = 0;
};

const OTHER_WORKSPACES = ['TOTHER1', 'TOTHER2', 'TWORK'];
let othersSeeded: Record<string, unknown>[] = [];

/** 1,200 items of 240 other travellers: threads and messages written with the owner key, as the bridge writes them. */
async function seedOthers(): Promise<void> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < 240; i++) {
    const workspace = OTHER_WORKSPACES[i % OTHER_WORKSPACES.length]!;
    const actorId = i % 5 === 4 ? `whatsapp:${i.toString(16).padStart(32, '0')}` : slackActorId(workspace, `UOTHER${i}`);
    const pk = threadPk(actorId, `D${i}`);
    const thread = { pk, sk: THREAD_SK };
    items.push({ ...thread, ...ownerKey(actorId, thread), type: 'thread', actorId, sessionId: `sess-other-${i}` });
    for (let m = 0; m < 4; m++) {
      const message = { pk, sk: `IN#other-${i}-${m}` };
      items.push({ ...message, ...ownerKey(actorId, message), type: 'inbox', actorId, input: { type: 'text', text: `other traveller ${i} message ${m}` } });
    }
  }
  for (let i = 0; i < items.length; i += 25) {
    await direct.send(new BatchWriteCommand({ RequestItems: { [TABLE]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
  othersSeeded = items;
}

async function allItems(): Promise<(ItemKey & Record<string, unknown>)[]> {
  const items: (ItemKey & Record<string, unknown>)[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await direct.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...((page.Items ?? []) as (ItemKey & Record<string, unknown>)[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const quiet = createLogger({ sink: () => undefined });
const sender = new RecordingSender();
function turnDeps(): TurnDeps {
  return {
    inbox: new InboxStore(counted, TABLE),
    threads: new ThreadStore(counted, TABLE, 24 * 3_600_000),
    brek: sandbox.client({ retry: { baseDelayMs: 5, maxDelayMs: 20 } }),
    senders: { slack: sender, teams: sender, whatsapp: sender },
    idempotencyPrefix: 'bridge',
    logger: quiet,
    delivery: { backoffMs: 5, settleMs: 5 },
  };
}

let ids = 0;
/** A real turn of a traveller: stored by the inbox, run by processTurn, as ingress and worker do. */
async function say(actorId: string, conversationId: string, text: string | 'forget', workspaceId: string): Promise<void> {
  const deps = turnDeps();
  const { key } = await deps.inbox.accept({
    channel: 'slack',
    channelMessageId: `Ev${++ids}`,
    actorId,
    conversationId,
    input: text === 'forget' ? { type: 'keyword', keyword: 'forget' } : { type: 'text', text },
    reference: { channel: conversationId },
    workspaceId,
  });
  const record = await deps.inbox.get(key);
  await processTurn(record!, deps);
}

const itemsOf = (items: Record<string, unknown>[], needle: string) => items.filter((item) => JSON.stringify(item).includes(needle));

describe('erasure reads only what it deletes', () => {
  it(`"forget me": no Scan, only the traveller's own keys read and deleted, among ${'>'}1,000 others (some in the same workspace)`, async () => {
    const actor = slackActorId('TWORK', 'UFORGET');
    await say(actor, 'DFORGET1', 'lisbon tomorrow', 'TWORK');
    await say(actor, 'DFORGET1', '1', 'TWORK');
    await say(actor, 'DFORGET2', 'porto tomorrow', 'TWORK');
    const mine = itemsOf(await allItems(), actor).map(({ pk, sk }) => ({ pk, sk }));
    expect(mine.length).toBe(5); // 2 threads, 3 messages
    const others = (await allItems()).length - mine.length;
    expect(others).toBeGreaterThanOrEqual(1_000);

    const before = snapshot();
    resetSeen();
    await say(actor, 'DFORGET1', 'forget', 'TWORK');
    const requests = requestsSince(before);
    expect(requests.Scan ?? 0).toBe(0);
    expect(requests.Query).toBeGreaterThanOrEqual(1);
    // What the Query read: the traveller's own items only (the forget message's own included).
    const ownPk = (key: ItemKey) => key.pk.startsWith(`T#${actor}#`);
    expect(seen.queried.length).toBeGreaterThan(0);
    expect(seen.queried.filter((key) => !ownPk(key))).toEqual([]);
    expect(seen.deleted.filter((key) => !ownPk(key))).toEqual([]);
    const after = await allItems();
    expect(itemsOf(after, actor)).toEqual([]);
    expect(after.length).toBe(others);
    console.log(`forget me among ${others} other items: ${JSON.stringify(requests)}; ${seen.queried.length} keys read, ${seen.deleted.length} deleted`);
  });

  it('app_uninstalled: one PutItem and the acknowledgement, then the worker erases the workspace by Query, in runs, touching nothing else', async () => {
    // A workspace of 30 travellers with real turns, among the others (TWORK's are in it too).
    const workspace = 'TGONE';
    for (let u = 0; u < 6; u++) await say(slackActorId(workspace, `UGONE${u}`), `DGONE${u}`, 'rome tomorrow', workspace);
    const gone = itemsOf(await allItems(), `slack:${workspace}:`).length;
    expect(gone).toBe(12);
    const total = (await allItems()).length;

    // The ingress: verify, normalise, one write, acknowledge — no erase on the platform's clock.
    const stored: WorkspaceEraseRecord[] = [];
    const event = { type: 'event_callback', team_id: workspace, api_app_id: 'A0SCALE', event_id: 'EvGONE1', event_time: Math.floor(Date.now() / 1000), event: { type: 'app_uninstalled' } };
    const signed = slackRequest(event, SECRET);
    const request = { method: 'POST', path: '/slack/events', headers: signed.headers, body: Buffer.from(signed.body) };
    const ingressDeps = { inbox: new InboxStore(counted, TABLE), logger: quiet, onEraseRequested: (record: WorkspaceEraseRecord) => stored.push(record) };
    const before = snapshot();
    resetSeen();
    const response = await handleIngress(request, slackIngress({ signingSecret: SECRET }), ingressDeps);
    expect(response.status).toBe(200);
    expect(requestsSince(before)).toEqual({ PutItem: 1 });
    expect(itemsOf(await allItems(), `slack:${workspace}:`).length).toBe(gone + 1); // not erased yet; the request stored
    // Slack re-delivers an event it got no timely answer for: acknowledged, nothing more stored.
    expect((await handleIngress(request, slackIngress({ signingSecret: SECRET }), ingressDeps)).status).toBe(200);
    expect(stored).toHaveLength(1);

    // The worker, as the stream hands it the request (the new image): a deadline that allows one
    // page a run, so the erase goes on in continuation parts, each handed on like a new record.
    const uninstalled: LeavingWorkspace[] = [];
    const installations = { slack: { uninstall: async (left: LeavingWorkspace) => void uninstalled.push(left) } };
    const logs = memorySink();
    let clock = 0;
    const queue: WorkspaceEraseRecord[] = [...stored];
    const workerBefore = snapshot();
    resetSeen();
    let runs = 0;
    while (queue.length) {
      const next = queue.shift()!;
      const record: StreamRecord = { eventName: 'INSERT', dynamodb: { NewImage: marshall(next, { removeUndefinedValues: true }) as never, SequenceNumber: String(++runs) } };
      const result = await handleStreamBatch([record], {
        turn: async () => ({ outcome: 'replied' }),
        erase: (request) =>
          runWorkspaceErase(request, {
            db: counted,
            tableName: TABLE,
            logger: createLogger({ sink: logs.sink }),
            installations,
            pageSize: 5,
            now: () => clock++,
            deadline: () => clock + 1,
            onContinued: (part) => queue.push(part),
          }),
      });
      expect(result.batchItemFailures).toEqual([]);
    }
    const requests = requestsSince(workerBefore);
    expect(requests.Scan ?? 0).toBe(0);
    expect(runs).toBeGreaterThan(1); // continued over several runs
    expect(uninstalled).toEqual([{ workspaceId: workspace }]); // the installation once, by the first part
    expect(seen.queried.filter((key) => !key.pk.startsWith(`T#slack:${workspace}:`))).toEqual([]);
    expect(seen.deleted.filter((key) => !key.pk.startsWith(`T#slack:${workspace}:`) && !key.pk.startsWith('ERASE#'))).toEqual([]);
    const after = await allItems();
    expect(itemsOf(after, `slack:${workspace}:`)).toEqual([]); // travellers and the requests, all gone
    expect(itemsOf(after, workspace)).toEqual([]);
    expect(after.length).toBe(total - gone);
    expect(logs.records().filter((line) => line.msg === 'workspace erased')).toEqual([expect.objectContaining({ itemsDeleted: gone, parts: runs, workspaceId: workspace })]);
    console.log(`workspace uninstall among ${after.length} other items: ingress 1 PutItem; worker ${JSON.stringify(requests)} over ${runs} runs`);
  });

  it('the other travellers are all still there, unchanged', async () => {
    const byKey = new Map((await allItems()).map((item) => [`${item.pk}\n${item.sk}`, item]));
    expect(othersSeeded.length).toBe(1_200);
    for (const item of othersSeeded) expect(byKey.get(`${String(item.pk)}\n${String(item.sk)}`)).toEqual(item);
  });
});
