// Correctly signed channel requests for the bench, built (and signed) before the clock starts so
// only the HTTP exchange is timed, plus a check that each traveller got an answer.
import { randomBytes } from 'node:crypto';
import { CHANNEL_PROFILES } from '../adapters/profiles.ts';
import type { Stack } from '../dev/stack.ts';
import { simulatedTraveller } from '../dev/simulate/index.ts';
import type { PreparedRequest } from '../dev/simulate/traveller.ts';

export type { PreparedRequest } from '../dev/simulate/traveller.ts';
export type Channel = string;
export const CHANNELS: readonly Channel[] = CHANNEL_PROFILES.map((profile) => profile.channel);

/** One traveller on one channel: builds their next message and says whether replies arrived. */
export interface Traveller {
  channel: Channel;
  message(text: string): PreparedRequest;
  /** Replies the fake channel API has recorded for this traveller so far. */
  replies(): number;
  /** When each reply was posted (epoch ms, oldest first); Slack's fake records it, the others do not. */
  replyTimes?(): number[];
  /** The conversation's id on the channel (Slack: the DM's, the end of the thread's partition key `T#<actor>#<channel>`). */
  conversation: string;
}

// Distinct across bench runs in one process and across processes.
const runTag = randomBytes(3).toString('hex').toUpperCase();
let travellers = 0;

/** The suites' simulated traveller (dev/simulate/), each message with fresh ids. */
export function traveller(stack: Stack, channel: Channel): Traveller {
  const simulated = simulatedTraveller(stack, channel, `bench-${runTag}-${++travellers}`);
  return {
    channel,
    conversation: simulated.conversation,
    message: (text) => simulated.request(text),
    replies: () => simulated.replies().length,
    ...(simulated.replyTimes ? { replyTimes: simulated.replyTimes } : {}),
  };
}

export interface Timed {
  status: number;
  ms: number;
}

export async function send(baseUrl: string, request: PreparedRequest): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

/** Sends every request at once and times each from its own start to its full response. */
export async function sendAll(baseUrl: string, requests: readonly PreparedRequest[]): Promise<Timed[]> {
  return Promise.all(requests.map((request) => send(baseUrl, request)));
}

/** Sends with at most `limit` requests in flight. */
export async function sendPooled(baseUrl: string, requests: readonly PreparedRequest[], limit: number): Promise<Timed[]> {
  const results: Timed[] = new Array<Timed>(requests.length);
  let next = 0;
  const lane = async () => {
    while (next < requests.length) {
      const index = next++;
      results[index] = await send(baseUrl, requests[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, requests.length) }, lane));
  return results;
}
