// The core pipeline against real parts: a dynalite server over HTTP, the Brek sandbox over HTTP,
// and a recording channel sender. Tests drive it only through accept + processTurn.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { BrekClientOptions } from '../../core/brek/client.ts';
import type { InboundTurn, TurnInput } from '../../core/inbound.ts';
import { createLogger, memorySink } from '../../core/log.ts';
import type { Reply } from '../../core/reply.ts';
import { InboxStore, type InboxRecord } from '../../core/store/inbox.ts';
import { ThreadStore, type TurnRecord } from '../../core/store/threads.ts';
import { documentClient, ensureTable, type ItemKey } from '../../core/store/table.ts';
import { processTurn, type TurnDeps } from '../../core/turn.ts';
import { DeliveryError, type ChannelSender, type PartContext } from '../../core/delivery.ts';
import { startLocalDynamo, type LocalDynamo } from '../../dev/local-dynamo.ts';
import { useSandbox, type SandboxHarness } from './sandbox.ts';

export interface Sent {
  reply: Reply;
  record: InboxRecord;
}

/** A sender that records what it was asked to deliver, and can be told to refuse (nothing posted). */
export class RecordingSender implements ChannelSender<Reply> {
  readonly sent: Sent[] = [];
  failuresLeft = 0;
  compose(reply: Reply): Reply[] {
    return [reply];
  }
  async post(reply: Reply, context: PartContext): Promise<string> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new DeliveryError('channel said no (test)', { kind: 'not_delivered', code: 'test_refusal' });
    }
    this.sent.push({ reply, record: context.record });
    return `sent-${this.sent.length}`;
  }
}

export interface CoreHarness {
  sandbox: SandboxHarness;
  dynamo: LocalDynamo;
  inbox: InboxStore;
  threads: ThreadStore;
  sender: RecordingSender;
  logs: ReturnType<typeof memorySink>;
  clock: { offsetMs: number };
  deps(overrides?: { brek?: Partial<BrekClientOptions>; idleMs?: number }): TurnDeps;
  /** A turn from one traveller in one conversation; ids unique per call. */
  turn(thread: { actorId: string; conversationId: string }, input: TurnInput | string, extra?: Partial<InboundTurn>): InboundTurn;
  /** Runs the worker on a stored record, as the stream would hand it over. */
  process(key: ItemKey, overrides?: Parameters<CoreHarness['deps']>[0], options?: { replayFailed?: boolean }): ReturnType<typeof processTurn>;
  /** The outcome the worker recorded on the turn's thread, if any. */
  outcome(key: ItemKey): Promise<TurnRecord | undefined>;
}

export const TABLE = 'bridge-test';

export function useCore(): CoreHarness {
  const sandbox = useSandbox();
  const logs = memorySink();
  const clock = { offsetMs: 0 };
  const now = () => Date.now() + clock.offsetMs;
  const h = { sandbox, logs, clock, sender: new RecordingSender() } as CoreHarness;
  const idleMs = 24 * 3_600_000;

  beforeAll(async () => {
    h.dynamo = await startLocalDynamo();
    const db = documentClient({ endpoint: h.dynamo.endpoint });
    await ensureTable(db, TABLE);
    h.inbox = new InboxStore(db, TABLE, now);
    h.threads = new ThreadStore(db, TABLE, idleMs, now);
    h.deps = (overrides = {}) => ({
      inbox: h.inbox,
      threads: overrides.idleMs ? new ThreadStore(db, TABLE, overrides.idleMs, now) : h.threads,
      brek: sandbox.client({ retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...overrides.brek }),
      senders: { slack: h.sender, teams: h.sender, whatsapp: h.sender },
      idempotencyPrefix: 'bridge',
      logger: createLogger({ sink: logs.sink, level: 'debug' }),
      delivery: { backoffMs: 5, settleMs: 5 },
    });
  });

  afterAll(async () => {
    await h.dynamo?.close();
  });

  h.turn = (thread, input, extra = {}) => ({
    channel: 'slack',
    channelMessageId: `Ev${randomUUID().slice(0, 12)}`,
    actorId: thread.actorId,
    conversationId: thread.conversationId,
    input: typeof input === 'string' ? { type: 'text', text: input } : input,
    reference: { channel: 'D123' },
    workspaceId: 'T123',
    timezoneOffsetMinutes: -420,
    ...extra,
  });
  h.process = async (key, overrides, options) => {
    const record = await h.inbox.get(key);
    if (!record) throw new Error(`no inbox record ${key.pk} ${key.sk}`);
    return processTurn(record, h.deps(overrides), options);
  };
  h.outcome = async (key) => {
    const record = await h.inbox.get(key);
    const thread = record && (await h.threads.get(record));
    return record && thread?.turns?.[record.dedupeKey];
  };
  return h;
}
