// Counters for the reliability suite: what the table holds and what left the bridge, so a test
// can say "nothing stored, nothing forwarded" about a request by comparing before and after.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Stack } from '../../dev/stack.ts';
import type { StackHarness } from './stack.ts';

/** Inbox records in the table (sk IN#…); the worker's SESSION items are not counted. */
export async function inboxItemCount(stack: Stack): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await stack.db.ingress.send(
      new ScanCommand({
        TableName: stack.config.tableName,
        Select: 'COUNT',
        FilterExpression: 'begins_with(sk, :inbox)',
        ExpressionAttributeValues: { ':inbox': 'IN#' },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/** Everything that left the bridge: Brek requests, posts to each fake channel, Teams tokens fetched. */
function forwardedCount(h: StackHarness): number {
  const { fakeSlack, fakeTeams, fakeTwilio } = h.stack;
  return h.brekExchanges.length + (fakeSlack?.calls.length ?? 0) + (fakeTeams?.calls.length ?? 0) + (fakeTeams?.tokensIssued ?? 0) + (fakeTwilio?.messages.length ?? 0);
}

export interface Observed {
  status: number;
  stored: number;
  forwarded: number;
}

/** Sends one request, waits for the in-process worker, and reports what it changed. */
export async function observe(h: StackHarness, send: () => Promise<Response>): Promise<Observed> {
  await h.stack.idle();
  const storedBefore = await inboxItemCount(h.stack);
  const forwardedBefore = forwardedCount(h);
  const res = await send();
  await res.arrayBuffer();
  await h.stack.idle();
  return { status: res.status, stored: (await inboxItemCount(h.stack)) - storedBefore, forwarded: forwardedCount(h) - forwardedBefore };
}
