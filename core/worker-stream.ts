// How the worker Lambda reads the table's stream (the event source mapping in sst.config.ts),
// chosen with the pipeline model (bench/pipeline.ts, `npm run bench`, docs/performance.md "Pipeline model").

/**
 * Before: one batch of 10 per shard at a time. Each batch waits for its slowest Brek call, so a
 * shard answers ~2 turns a second with Brek at ~5 s, a traveller's reply waits behind other
 * travellers' searches, and under Brek's quota turns pile up in the stream (no notice, no bound),
 * to be dropped at the record-age limit an hour later.
 */
export const WORKER_STREAM_TODAY = { batchSize: 10, parallelizationFactor: 1, maximumBatchingWindowInSeconds: 0 } as const;

/**
 * From the model (4 shards, Brek ~5 s; docs/performance.md "Pipeline model"):
 * - parallelizationFactor 10, the most Lambda allows: ten lanes per shard, each key hashed to one
 *   lane so a thread's records stay in order; ten times fewer travellers behind any slow batch
 *   (quota ample, 10 turns/s: p99 22 s instead of 106 s).
 * - batchSize 1000: Lambda hands a free lane what is queued, up to this, and the worker runs every
 *   thread of a batch at once, so the cap only matters with a backlog; then the backlog starts at
 *   once instead of 10 at a time behind the slowest call. At 1,000 turns/s the largest batch was
 *   ~900 (batch 10,000 changes nothing there; 500 answers ~6 % fewer), and under Brek's quota the
 *   waiting turns reach the quota pacer, which answers them within its bounded wait or apologises
 *   at once, instead of staying unseen in the stream until the record-age limit drops them.
 *   Larger would only enlarge one invocation (its turns, its 6 MB payload, a retried batch).
 * - no batching window: a window only delays a lone message; busy lanes fill their batches anyway.
 * A batch holds its lane until its slowest turn is done, quota waits included: the worker's
 * timeout must outlast the bounded wait plus a turn.
 */
export const WORKER_STREAM = { batchSize: 1000, parallelizationFactor: 10, maximumBatchingWindowInSeconds: 0 } as const;

export type WorkerStreamSettings = { readonly batchSize: number; readonly parallelizationFactor: number; readonly maximumBatchingWindowInSeconds: number };
