// The worker Lambda: subscribed to the table's stream (new inbox records and workspace erase
// requests only), it runs processTurn for each message and runWorkspaceErase for each request,
// one thread's turns in order, and reports failures per record so Lambda retries from the first
// one that failed. Its dependencies are wired in worker-deps.ts (shared
// with `npm run ops -- replay`).
import { configureAtStart } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { emfMetrics } from '../core/metrics.ts';
import { processTurn } from '../core/turn.ts';
import { handleStreamBatch, processWithRetries, type BatchResult, type StreamRecord } from '../core/worker.ts';
import { runWorkspaceErase } from '../core/workspace-erase.ts';
import { applyLinkedSecrets } from './runtime.ts';
import { workerDeps } from './worker-deps.ts';

applyLinkedSecrets();
const logger = createLogger();
const metrics = emfMetrics();
const { deps, erase } = configureAtStart(logger, process.env, 'deployed', () => workerDeps(process.env, logger, metrics));

/** What a workspace's erase leaves of the invocation's time: enough to store its continuation. */
const ERASE_MARGIN_MS = 15_000;

export async function handler(event: { Records?: StreamRecord[] }, context?: { getRemainingTimeInMillis?: () => number }): Promise<BatchResult> {
  const started = Date.now();
  const remaining = context?.getRemainingTimeInMillis?.();
  try {
    return await handleStreamBatch(event.Records ?? [], {
      // A busy thread (an earlier invocation still holds it) is waited for here, about 30 s, before
      // the record is handed back to Lambda, whose few quick retries alone could outlast no lease.
      // A turn waiting for Brek's quota stops short of the invocation's end: the stream retries it.
      turn: (record) => processWithRetries((attempt) => processTurn(record, deps, { attempt, ...(remaining === undefined ? {} : { deadline: started + remaining }) }), { attempts: 7, backoffMs: 500 }),
      // A large workspace is erased over several invocations, each stopping short of its time limit.
      erase: (request) => runWorkspaceErase(request, { ...erase, deadline: () => (remaining === undefined ? undefined : started + remaining - ERASE_MARGIN_MS) }),
    });
  } finally {
    metrics.flush();
  }
}
