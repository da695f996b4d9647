// The one traveller driver of the test suites: a traveller's message as a delivery the channel
// would make (signed afresh on every delivery, the same channel message id on every retry), and
// the replies the bridge sent that traveller, read from the channel's fake API. Each channel's
// part is its simulator (dev/simulate/<channel>.ts), found through the channel registry.
import { CHANNEL_PROFILES } from '../../adapters/profiles.ts';
import { simulatedTraveller } from '../../dev/simulate/index.ts';
import { deliver, type SimulatedTraveller } from '../../dev/simulate/traveller.ts';
import { mulberry32 } from '../../dev/fakes/faults.ts';
import type { StackHarness } from './stack.ts';

/** The channels the drivers speak: every registered one. */
export type Channel = 'slack' | 'teams' | 'whatsapp';
export const CHANNELS = CHANNEL_PROFILES.map((profile) => profile.channel) as Channel[];

export interface Message {
  /** Posts one delivery of this message; retries of it are the same message delivered again. */
  deliver(retry: number): Promise<Response>;
}

export interface Traveller extends Pick<SimulatedTraveller, 'actorId' | 'personal' | 'replies' | 'conversation'> {
  channel: Channel;
  /** A message from this traveller; `id` makes its channel message id (unique per suite run). */
  message(text: string, id: string): Message;
}

export function traveller(h: StackHarness, channel: Channel, name: string): Traveller {
  // Built once the stack runs (the harness starts it before each file's tests).
  let simulated: SimulatedTraveller | undefined;
  const sim = () => (simulated ??= simulatedTraveller(h.stack, channel, name));
  return {
    channel,
    get actorId() {
      return sim().actorId;
    },
    get personal() {
      return sim().personal;
    },
    get conversation() {
      return sim().conversation;
    },
    message: (text, id) => ({ deliver: (retry) => deliver(h.stack.url, sim().request(text, { id, retry })) }),
    replies: () => sim().replies(),
  };
}

/** A fixed-seed shuffle (mulberry32), so a failing order can be replayed. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Brek's POST /events requests as the sandbox received them. */
export function brekEvents(h: StackHarness): { idempotencyKey: string; body: string }[] {
  return h.brekExchanges
    .filter((e) => e.method === 'POST' && e.path.endsWith('/events'))
    .map((e) => ({ idempotencyKey: String((JSON.parse(e.requestBody) as { idempotencyKey?: string }).idempotencyKey), body: e.requestBody }));
}

/** The payment setup link in a reply, whichever channel rendered it. */
export function setupLinkIn(reply: string | undefined): string | undefined {
  return /https?:\/\/[^"\s\\]+\/portal\/payment\?token=psu_[A-Za-z0-9_-]+/.exec(reply ?? '')?.[0];
}
