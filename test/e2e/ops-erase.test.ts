// `npm run ops -- erase` as an operator runs it against a deployed table (TABLE_NAME, here a
// dynalite server): one traveller or one workspace from the owner index, the items older than the
// index with --scan, and a clear refusal for anything that is not an actor or a workspace.
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient, ensureTable, ownerKey, THREAD_SK, threadPk } from '../../core/store/table.ts';
import { startLocalDynamo, type LocalDynamo } from '../../dev/local-dynamo.ts';
import { run } from '../support/spawn.ts';

const TABLE = 'ops-erase';
let dynamo: LocalDynamo;
let env: Record<string, string>;
const db = () => documentClient({ endpoint: dynamo.endpoint });

/** A thread and two messages of `actorId`; `indexed: false` as written before the owner index. */
function itemsOf(actorId: string, conversation: string, indexed = true): Record<string, unknown>[] {
  const pk = threadPk(actorId, conversation);
  return [THREAD_SK, 'IN#m1', 'IN#m2'].map((sk) => ({ pk, sk, actorId, ...(indexed ? ownerKey(actorId, { pk, sk }) : {}) }));
}

async function actors(): Promise<string[]> {
  const { Items = [] } = await db().send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  return Items.map((item) => String(item.actorId)).sort();
}

async function ops(...args: string[]): Promise<{ code: number | null; output: string }> {
  const running = run('npm', ['run', '--silent', 'ops', '--', ...args], env);
  const code = await running.exited;
  return { code, output: running.output() };
}

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await ensureTable(db(), TABLE);
  const items = [
    ...itemsOf('slack:T1:UANN', 'D1'),
    ...itemsOf('slack:T1:UANN', 'D2'),
    ...itemsOf('slack:T1:UBOB', 'D3'),
    ...itemsOf('slack:T2:UCAT', 'D4'),
    ...itemsOf('slack:T2:UOLD', 'D5', false),
  ];
  for (let i = 0; i < items.length; i += 25) {
    await db().send(new BatchWriteCommand({ RequestItems: { [TABLE]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
  env = { TABLE_NAME: TABLE, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
}, 30_000);

afterAll(async () => {
  await dynamo?.close();
});

describe('npm run ops -- erase', () => {
  it('refuses what is neither an actor nor a workspace, and --scan elsewhere, touching nothing', async () => {
    const before = await actors();
    for (const bad of ['slack:', 'slack:T1:U1#x', 'nope']) {
      const { code, output } = await ops('erase', bad);
      expect(code, bad).toBe(1);
      expect(output).toContain('erase takes an actor id');
    }
    expect((await ops('turns', '--scan')).output).toContain('--scan is for erase');
    expect(await actors()).toEqual(before);
  }, 60_000);

  it('one traveller, from the owner index: every conversation of theirs, no one else', async () => {
    const { code, output } = await ops('erase', 'slack:T1:UANN');
    expect(code).toBe(0);
    expect(output).toContain(`Erased 6 items of actor slack:T1:UANN in table ${TABLE}`);
    expect(output).toContain('found by the owner index');
    expect(await actors()).not.toContain('slack:T1:UANN');
    expect(await actors()).toContain('slack:T1:UBOB');
  }, 60_000);

  it('a workspace: what the index has; then --scan finds what was written before it', async () => {
    const first = await ops('erase', 'slack:T2:', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.output.trim().split('\n').at(-1)!)).toEqual({ erased: 'slack:T2:', itemsDeleted: 3, by: 'index' });
    expect((await actors()).filter((a) => a.startsWith('slack:T2:'))).toEqual(['slack:T2:UOLD', 'slack:T2:UOLD', 'slack:T2:UOLD']);
    const scanned = await ops('erase', 'slack:T2:', '--scan');
    expect(scanned.code).toBe(0);
    expect(scanned.output).toContain('Erased 3 items of workspace slack:T2:');
    expect(scanned.output).toContain('found by a scan of the whole table');
    expect(await actors()).toEqual(['slack:T1:UBOB', 'slack:T1:UBOB', 'slack:T1:UBOB']);
  }, 60_000);
});
