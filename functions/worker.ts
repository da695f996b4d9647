// The worker Lambda: subscribed to the table's stream (new inbox records only), it runs
// processTurn for each, one thread's turns in order, and reports failures per record so Lambda
// retries from the first one that failed. Its dependencies are wired in worker-deps.ts (shared
// with `npm run ops -- replay`).
import { configureAtStart } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { emfMetrics } from '../core/metrics.ts';
import { processTurn } from '../core/turn.ts';
import { handleStreamBatch, processWithRetries, type BatchResult, type StreamRecord } from '../core/worker.ts';
import { applyLinkedSecrets } from './runtime.ts';
import { workerDeps } from './worker-deps.ts';

applyLinkedSecrets();
const logger = createLogger();
const metrics = emfMetrics();
const { deps } = configureAtStart(logger, process.env, 'deployed', () => workerDeps(process.env, logger, metrics));

export async function handler(event: { Records?: StreamRecord[] }): Promise<BatchResult> {
  // A busy thread (an earlier invocation still holds it) is waited for here, about 30 s, before
  // the record is handed back to Lambda, whose few quick retries alone could outlast no lease.
  try {
    return await handleStreamBatch(event.Records ?? [], (record) => processWithRetries((attempt) => processTurn(record, deps, { attempt }), { attempts: 7, backoffMs: 500 }));
  } finally {
    metrics.flush();
  }
}
