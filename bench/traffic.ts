// Correctly signed channel requests for the bench, built (and signed) before the clock starts so
// only the HTTP exchange is timed, plus a check that each traveller got an answer.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Stack } from '../dev/stack.ts';
import { messageEvent, slackRequest } from '../dev/simulate/slack.ts';
import { messageActivity } from '../dev/simulate/teams.ts';
import { inboundMessage, signTwilio } from '../dev/simulate/whatsapp.ts';
import { SIGNING_SECRET } from './stack.ts';

export type Channel = 'slack' | 'teams' | 'whatsapp';
export const CHANNELS: readonly Channel[] = ['slack', 'teams', 'whatsapp'];

export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** One traveller on one channel: builds their next message and says whether replies arrived. */
export interface Traveller {
  channel: Channel;
  message(text: string): PreparedRequest;
  /** Replies the fake channel API has recorded for this traveller so far. */
  replies(): number;
  /** When each reply was posted (epoch ms, oldest first); Slack's fake records it, the others do not. */
  replyTimes?(): number[];
  /** Slack: the DM's channel id, the end of the thread's partition key (`T#<actor>#<channel>`). */
  conversation?: string;
}

// Distinct across bench runs in one process and across processes.
const runTag = randomBytes(3).toString('hex').toUpperCase();
let travellers = 0;

export function traveller(stack: Stack, channel: Channel): Traveller {
  const n = ++travellers;
  switch (channel) {
    case 'slack': {
      const user = { teamId: 'T0BENCH', userId: `UB${runTag}${n}` };
      const conversation = `DB${runTag}${n}`;
      const fake = stack.fakeSlack;
      if (!fake) throw new Error('the bench needs the fake Slack Web API');
      return {
        channel,
        conversation,
        message: (text) => ({ path: '/slack/events', ...slackRequest(messageEvent(user, { text, channel: conversation }), SIGNING_SECRET) }),
        replies: () => fake.calls.filter((c) => c.method === 'chat.postMessage' && c.delivered && c.args.channel === conversation).length,
        replyTimes: () => fake.calls.filter((c) => c.method === 'chat.postMessage' && c.delivered && c.args.channel === conversation).map((c) => c.at),
      };
    }
    case 'teams': {
      const fake = stack.fakeTeams;
      if (!fake) throw new Error('the bench needs the fake Bot Framework');
      const user = { tenantId: 'bench-tenant', aadObjectId: randomUUID() };
      const conversationId = `a:${user.aadObjectId}`;
      return {
        channel,
        message: (text) => ({
          path: '/teams/messages',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${fake.signInbound({ serviceUrl: fake.serviceUrl })}` },
          body: JSON.stringify(messageActivity(user, text, { serviceUrl: fake.serviceUrl, conversationId })),
        }),
        // Replies replace their placeholder: count the conversation's messages that are cards.
        replies: () => fake.conversation(conversationId).filter((activity) => activity.attachments?.length).length,
      };
    }
    case 'whatsapp': {
      const fake = stack.fakeTwilio;
      if (!fake) throw new Error('the bench needs the fake Twilio API');
      const phone = `+1555${String(Number.parseInt(runTag, 16) % 1000).padStart(3, '0')}${String(n).padStart(4, '0')}`;
      const { authToken, webhookUrl, from } = stack.whatsapp;
      return {
        channel,
        message: (text) => {
          const params = inboundMessage({ phone }, from, text);
          return {
            path: '/whatsapp/webhook',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilio(authToken, webhookUrl, params) },
            body: new URLSearchParams(params).toString(),
          };
        },
        replies: () => fake.messages.filter((m) => m.to === `whatsapp:${phone}` && m.delivered).length,
      };
    }
  }
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
