// An in-process model of the table's DynamoDB stream read by a Lambda event source mapping, for
// the local stack's worker when it should show the deployed pipeline's limits (StackOptions.stream)
// instead of KeyedSerialQueue's "every thread at once". A record goes to shard hash(pk) % shards;
// within a shard to one of `parallelizationFactor` lanes by another hash of pk, so one key always
// lands in one lane and stays in order. Each lane runs one batch at a time, as Lambda does per
// (shard, lane): up to batchSize queued records, gathered for up to batchingWindowMs, run like
// core/worker.ts handleStreamBatch (keys side by side, one key's records in order), and the next
// batch starts only when the whole batch has finished — the head-of-line effect of a slow turn.

export interface StreamModelSettings {
  /** Stream shards (deployed: about one per table partition; a small table has a few). */
  shards: number;
  /** Records per batch at most (Lambda: 1..10000). */
  batchSize: number;
  /** Concurrent batches per shard (Lambda: 1..10; per-key order holds for any of them). */
  parallelizationFactor: number;
  /** How long a free lane waits for a batch to fill (Lambda: 0..300 s); 0 takes what is queued. */
  batchingWindowMs: number;
  /** Sees each batch once it has finished (the bench compares them with its model). */
  onBatch?: (batch: BatchRecord) => void;
}

/**
 * 32-bit FNV-1a with murmur3's finalizer: stable, so a key's shard and lane never change, and
 * well mixed in its low bits (plain FNV-1a's lowest bit is the parity of the text's, which would
 * tie a key's shard to its lane).
 */
function keyHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Where a key's records are read: shard and lane. Two independent hashes, so that a shard count
 * and a parallelization factor sharing a factor (4 and 10) still use every (shard, lane) pair.
 */
export function laneOf(key: string, settings: Pick<StreamModelSettings, 'shards' | 'parallelizationFactor'>): { shard: number; lane: number } {
  return { shard: keyHash(key) % settings.shards, lane: keyHash(`lane:${key}`) % settings.parallelizationFactor };
}

function validateStreamSettings(settings: StreamModelSettings): void {
  const check = (name: 'shards' | 'batchSize' | 'parallelizationFactor' | 'batchingWindowMs', min: number, max: number) => {
    const value = settings[name];
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`stream ${name} must be an integer from ${min} to ${max}, got ${value}`);
  };
  check('shards', 1, 10_000);
  check('batchSize', 1, 10_000);
  check('parallelizationFactor', 1, 10);
  check('batchingWindowMs', 0, 300_000);
}

interface Queued {
  key: string;
  job: () => Promise<unknown>;
}

interface Lane {
  shard: number;
  lane: number;
  queue: Queued[];
  running: boolean;
  /** Set while a free lane waits for its batch to fill. */
  windowTimer: NodeJS.Timeout | undefined;
  /** A read is due once the current synchronous work is done, so records pushed together share a batch. */
  readDue: boolean;
}

/** One lane's batch as it ran: what a test (or the bench) can check the batching by. */
export interface BatchRecord {
  shard: number;
  lane: number;
  keys: string[];
  startedAt: number;
  finishedAt: number;
}

export class StreamModel {
  private readonly lanes = new Map<string, Lane>();
  private pending = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly settings: StreamModelSettings,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    validateStreamSettings(settings);
  }

  /** Same contract as KeyedSerialQueue.push: a key's jobs in order, a failure logged and passed. */
  push(key: string, job: () => Promise<unknown>): void {
    this.pending++;
    const where = laneOf(key, this.settings);
    const id = `${where.shard}/${where.lane}`;
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { ...where, queue: [], running: false, windowTimer: undefined, readDue: false };
      this.lanes.set(id, lane);
    }
    lane.queue.push({ key, job });
    this.schedule(lane);
  }

  /** Resolves when every job pushed so far (and any they pushed) has finished. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  private schedule(lane: Lane): void {
    if (lane.running || lane.queue.length === 0 || lane.readDue) return;
    if (lane.queue.length >= this.settings.batchSize || this.settings.batchingWindowMs === 0) {
      lane.readDue = true;
      queueMicrotask(() => {
        lane.readDue = false;
        this.runBatch(lane);
      });
      return;
    }
    // The window opens when a free lane first has a record, as Lambda's batching window does.
    lane.windowTimer ??= setTimeout(() => this.runBatch(lane), this.settings.batchingWindowMs);
  }

  private runBatch(lane: Lane): void {
    clearTimeout(lane.windowTimer);
    lane.windowTimer = undefined;
    lane.running = true;
    const batch = lane.queue.splice(0, this.settings.batchSize);
    const byKey = new Map<string, Queued[]>();
    for (const item of batch) {
      const jobs = byKey.get(item.key);
      if (jobs) jobs.push(item);
      else byKey.set(item.key, [item]);
    }
    const startedAt = Date.now();
    void Promise.all(
      [...byKey.values()].map(async (jobs) => {
        for (const { job } of jobs) {
          // The local stack's jobs retry inside themselves (processWithRetries); a failure that
          // still escapes is logged and the key goes on, as KeyedSerialQueue does.
          try {
            await job();
          } catch (error) {
            this.onError(error);
          }
        }
      }),
    ).then(() => {
      this.settings.onBatch?.({ shard: lane.shard, lane: lane.lane, keys: batch.map((item) => item.key), startedAt, finishedAt: Date.now() });
      lane.running = false;
      this.pending -= batch.length;
      // Queued records first: a job of this batch may have pushed more.
      this.schedule(lane);
      if (this.pending === 0) for (const resolve of this.waiters.splice(0)) resolve();
    });
  }
}
