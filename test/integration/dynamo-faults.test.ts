// The fault proxy against real parts: dynalite over HTTP and the AWS SDK v3 document client. It shows
// the two resets a network can deal a write (before it reached DynamoDB, after DynamoDB applied it),
// and why the second one breaks a naive conditional put once the SDK retries it.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { documentClient, ensureTable } from '../../core/store/table.ts';
import { startLocalDynamo, type LocalDynamo } from '../../dev/local-dynamo.ts';
import { mulberry32, startDynamoFaultProxy, type DynamoFaultProxy, type FaultOutcome } from '../support/dynamo-faults.ts';

const TABLE = 'fault-test';

// documentClient() fixes maxAttempts; these tests need to choose it, to see or to provoke the SDK's retry.
function client(endpoint: string, maxAttempts: number): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint, maxAttempts, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
}

let dynamo: LocalDynamo;
let proxy: DynamoFaultProxy;
let direct: DynamoDBDocumentClient;
let once: DynamoDBDocumentClient;
let keyCounter = 0;

const freshKey = (label: string) => ({ pk: `F#${label}#${++keyCounter}`, sk: 'THREAD' });
const put = (db: DynamoDBDocumentClient, key: { pk: string; sk: string }, extra: Record<string, unknown> = {}) =>
  db.send(new PutCommand({ TableName: TABLE, Item: { ...key, ...extra } }));
const stored = async (key: { pk: string; sk: string }) =>
  (await direct.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item;

/** The rejection of a call, or a failure of the test if it succeeded. */
async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; name: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to fail, it succeeded');
}

function expectNetworkReset(error: Error & { code?: string; $metadata?: { httpStatusCode?: number } }): void {
  // A socket-level failure: no HTTP status at all, so certainly not a 2xx the caller could trust.
  expect(error.$metadata?.httpStatusCode).toBeUndefined();
  expect(['ECONNRESET', 'EPIPE']).toContain(error.code);
}

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  proxy = await startDynamoFaultProxy({ target: dynamo.endpoint, seed: 42 });
  direct = client(dynamo.endpoint, 1);
  once = client(proxy.endpoint, 1);
  // Created through the proxy, faults off: the plain path works end to end.
  expect(await ensureTable(documentClient({ endpoint: proxy.endpoint }), TABLE)).toBe('created');
});

afterAll(async () => {
  for (const db of [direct, once]) db?.destroy();
  await proxy?.close();
  await dynamo?.close();
});

beforeEach(() => proxy.set(null));

describe('fault proxy', () => {
  it('resetBefore: the caller gets a connection reset and nothing was written', async () => {
    proxy.set({ resetBefore: 1, operations: ['PutItem'] });
    const before = proxy.stats.PutItem?.resetBefore ?? 0;
    const key = freshKey('before');
    expectNetworkReset(await failure(put(once, key)));
    expect(proxy.stats.PutItem?.resetBefore).toBe(before + 1);
    // Other operations are untouched by a PutItem-only fault, through the proxy as well as directly.
    expect((await once.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item).toBeUndefined();
    expect(await stored(key)).toBeUndefined();
  });

  it('resetAfter: the caller gets a connection reset although the write was applied', async () => {
    proxy.set({ resetAfter: 1, operations: ['PutItem'] });
    const key = freshKey('after');
    expectNetworkReset(await failure(put(once, key, { note: 'mine' })));
    expect(await stored(key)).toEqual({ ...key, note: 'mine' });
  });

  it("an SDK retry after a lost answer fails the caller's own attribute_not_exists condition", async () => {
    // Only the first attempt loses its answer; the SDK's standard retry (3 attempts) sends it again.
    proxy.set({ resetAfter: 1, operations: ['PutItem'], maxFaults: 1 });
    const retrying = client(proxy.endpoint, 3);
    const before = proxy.stats.PutItem ?? { forwarded: 0, resetAfter: 0 };
    const key = freshKey('conditional');
    try {
      const error = await failure(
        retrying.send(
          new PutCommand({ TableName: TABLE, Item: { ...key, owner: 'me' }, ConditionExpression: 'attribute_not_exists(pk)' }),
        ),
      );
      // The bug the bridge must handle: "already exists" here means "your own first attempt worked".
      expect(error.name).toBe('ConditionalCheckFailedException');
      expect(await stored(key)).toEqual({ ...key, owner: 'me' });
      expect(proxy.stats.PutItem?.resetAfter).toBe(before.resetAfter + 1);
      expect(proxy.stats.PutItem?.forwarded).toBe(before.forwarded + 1);
    } finally {
      retrying.destroy();
    }
  });

  it('outage: every request is reset while it lasts and served after', async () => {
    const key = freshKey('outage');
    await put(once, key);
    const before = proxy.stats.GetItem?.outage ?? 0;
    proxy.outage(1000);
    expect(proxy.outageActive()).toBe(true);
    const get = () => once.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }));
    expectNetworkReset(await failure(get()));
    expectNetworkReset(await failure(put(once, freshKey('outage'))));
    expect(proxy.stats.GetItem?.outage).toBe(before + 1);
    while (proxy.outageActive()) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await get()).Item).toEqual(key);
  });

  it('the same seed deals the same faults to the same requests, and stats count them', async () => {
    const seed = 20260515;
    const settings = { resetBefore: 0.25, resetAfter: 0.25, operations: ['PutItem'] };
    // Each run writes 40 fresh items; per request: did the caller succeed, and is the item there?
    const run = async () => {
      const faulty = await startDynamoFaultProxy({ target: dynamo.endpoint, seed });
      const db = client(faulty.endpoint, 1);
      try {
        faulty.set(settings);
        const seen: Array<{ ok: boolean; written: boolean }> = [];
        for (let i = 0; i < 40; i++) {
          const key = freshKey('replay');
          const ok = await put(db, key).then(
            () => true,
            (error: Error & { code?: string }) => (expectNetworkReset(error), false),
          );
          seen.push({ ok, written: (await stored(key)) !== undefined });
        }
        return { seen, log: faulty.log, stats: faulty.stats };
      } finally {
        db.destroy();
        await faulty.close();
      }
    };
    const first = await run();
    const second = await run();
    expect(second.seen).toEqual(first.seen);
    expect(second.log).toEqual(first.log);

    // The log is exactly what the seed predicts: one draw per eligible request.
    const random = mulberry32(seed);
    const predicted = first.seen.map((): FaultOutcome => {
      const r = random();
      return r < 0.25 ? 'resetBefore' : r < 0.5 ? 'resetAfter' : 'forwarded';
    });
    expect(first.log.map((entry) => entry.outcome)).toEqual(predicted);
    // And the client saw what the log says: resetBefore wrote nothing, resetAfter wrote silently.
    first.log.forEach(({ operation, outcome }, i) => {
      expect(operation).toBe('PutItem');
      expect(first.seen[i]).toEqual({ ok: outcome === 'forwarded', written: outcome !== 'resetBefore' });
    });
    const count = (outcome: FaultOutcome) => predicted.filter((p) => p === outcome).length;
    expect(first.stats).toEqual({
      PutItem: { forwarded: count('forwarded'), resetBefore: count('resetBefore'), resetAfter: count('resetAfter'), outage: 0 },
    });
    // Enough of each kind that the comparison means something.
    expect(Math.min(count('forwarded'), count('resetBefore'), count('resetAfter'))).toBeGreaterThan(3);
  });
});
