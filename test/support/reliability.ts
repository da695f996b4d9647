// Counters for the reliability suite: what the table holds and what left the bridge, so a test
// can say "nothing stored, nothing forwarded" about a request by comparing before and after.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Stack } from '../../dev/stack.ts';
import { brekRequestText, type Leak } from './privacy.ts';
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
export function forwardedCount(h: StackHarness): number {
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

/**
 * `h.leaks`, less two false positives of its shapes, each set aside only where the hit is exactly
 * an id the design prescribes:
 * - card number: the Brek sandbox's ids (`sess_1795839252636_…`, `evt_1795839252644`) carry
 *   13-digit millisecond timestamps, about one in ten of them Luhn-valid — dropped when every
 *   occurrence in its source sits right after such an id prefix (`word_`);
 * - whatsapp address: the WhatsApp actor id is `whatsapp:` + 32 hex chars of a keyed hash
 *   (DESIGN.md), which starts with a digit 10 times in 16 — dropped when every occurrence is the
 *   start of exactly such an id (no `+`, 32 hex, then no more hex);
 * - card number in a UUID (Brek's `x-request-id`, logged as brekRequestId): "2614a299-9319-4781-87d4-…"
 *   holds a dash-grouped 13-digit run — dropped when every occurrence lies inside a UUID.
 * Anything else still counts.
 */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
function insideUuid(text: string, at: number, length: number): boolean {
  for (const match of text.matchAll(UUID)) if (match.index <= at && at + length <= match.index + match[0].length) return true;
  return false;
}

export function leaksBeyondDesignedIds(h: StackHarness, knownPersonal: string[]): { leaks: Leak[]; idsSetAside: number } {
  const sourceOf = (where: string): string => {
    const n = Number(/\d+/.exec(where)?.[0] ?? 0);
    if (where.startsWith('log line ')) return h.logs.lines[n - 1] ?? '';
    const exchange = h.brekExchanges[n - 1];
    return exchange ? brekRequestText(exchange) : '';
  };
  const everyOccurrence = (leak: Leak, test: (text: string, at: number) => boolean): boolean => {
    const text = sourceOf(leak.where);
    const at: number[] = [];
    for (let i = text.indexOf(leak.sample); i >= 0; i = text.indexOf(leak.sample, i + 1)) at.push(i);
    return at.length > 0 && at.every((i) => test(text, i));
  };
  const isDesignedId = (leak: Leak): boolean => {
    if (leak.what === 'card number' && /^\d+$/.test(leak.sample)) return everyOccurrence(leak, (text, i) => /\b[a-z]+_$/.test(text.slice(Math.max(0, i - 16), i)));
    if (leak.what === 'card number') return everyOccurrence(leak, (text, i) => insideUuid(text, i, leak.sample.length));
    if (leak.what === 'whatsapp address' && /^whatsapp:\d+$/i.test(leak.sample)) return everyOccurrence(leak, (text, i) => /^whatsapp:[0-9a-f]{32}(?![0-9a-f])/.test(text.slice(i, i + 44)));
    return false;
  };
  const all = h.leaks(knownPersonal);
  const leaks = all.filter((leak) => !isDesignedId(leak));
  return { leaks, idsSetAside: all.length - leaks.length };
}
