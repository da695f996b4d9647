// One simulated traveller, whatever the channel, for the test suites and the bench: each channel's
// simulator (dev/simulate/<channel>.ts, `simulateTraveller`) builds its signed deliveries and reads
// the replies from its fake API. dev/simulate/index.ts finds them through the channel registry.
import { createHash } from 'node:crypto';
import type { Channel } from '../../core/identity.ts';
import type { Stack } from '../stack.ts';

/** A delivery exactly as the platform would POST it to the stack's route. */
export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface DeliveryOptions {
  /** Makes the channel message id (the same id = the same message delivered again); fresh when unset. */
  id?: string;
  /** Which delivery of that message this is (0 = the first); platforms mark their retries. */
  retry?: number;
}

export interface SimulatedTraveller {
  channel: Channel;
  /** The actor id the bridge derives for this traveller (read once the stack runs). */
  readonly actorId: string;
  /** Phone numbers and other personal values this traveller exposes (for the privacy scans). */
  personal: string[];
  /** Their conversation's id on the channel (Slack: the DM's channel id). */
  conversation: string;
  /** One delivery of a message, signed afresh. */
  request(text: string, options?: DeliveryOptions): PreparedRequest;
  /**
   * What the bridge has said to this traveller so far, oldest first (each post's payload as text):
   * every post the platform did, also those whose answer it then lost; never a progress marker.
   */
  replies(): string[];
  /** When each reply was posted (epoch ms), where the fake records it. */
  replyTimes?(): number[];
}

/** dev/simulate/<channel>.ts's `simulateTraveller`: a traveller called `name` on that channel. */
export type TravellerSimulator = (stack: Stack, name: string) => SimulatedTraveller;

/** Stable ids from a name: the same name is the same person, the same message id the same message. */
export const digest = (value: string, length: number) => createHash('sha256').update(value).digest('hex').slice(0, length);

/** A delivery's message id source: the caller's, or a fresh one per delivery. */
export const messageKey = (options: DeliveryOptions | undefined) => options?.id ?? `${Date.now()}-${Math.random()}`;

export async function deliver(stackUrl: string, request: PreparedRequest): Promise<Response> {
  return fetch(`${stackUrl}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
}
