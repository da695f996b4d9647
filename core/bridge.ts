// Wires the core from configuration: one place that turns CoreConfig into clients and stores, so
// the Lambda functions and the local stack build the very same pipeline.
import { BrekClient, type BrekClientOptions } from './brek/client.ts';
import { BrekQuota } from './brek/quota.ts';
import type { CoreConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { InboxStore } from './store/inbox.ts';
import { ThreadStore } from './store/threads.ts';
import { documentClient } from './store/table.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { allObservers, type TurnDeps } from './turn.ts';
import type { ChannelSender } from './delivery.ts';
import { brekAttemptMetrics, noMetrics, turnMetrics, type BridgeMetrics } from './metrics.ts';
import type { Channel } from './identity.ts';

export interface Core {
  config: CoreConfig;
  db: DynamoDBDocumentClient;
  inbox: InboxStore;
  threads: ThreadStore;
  brek: BrekClient;
  logger: Logger;
  metrics: BridgeMetrics;
  /** Everything processTurn needs, given the channels' senders. */
  turnDeps(senders: Partial<Record<Channel, ChannelSender>>): TurnDeps;
}

/** What an ingress function needs: the inbox, and nothing of Brek. */
export function createInbox(config: CoreConfig, now: () => number = Date.now): InboxStore {
  return new InboxStore(documentClient(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}), config.tableName, now);
}

export function createCore(
  config: CoreConfig,
  options: { logger?: Logger; brek?: Partial<BrekClientOptions>; now?: () => number; metrics?: BridgeMetrics } = {},
): Core {
  if (!config.brek.baseUrl || !config.brek.apiKey) {
    throw new Error('createCore needs BREK_BASE_URL and BREK_PARTNER_API_KEY (the local stack fills them in for the sandbox)');
  }
  const now = options.now ?? Date.now;
  const db = documentClient(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {});
  const logger = options.logger ?? createLogger();
  const inbox = new InboxStore(db, config.tableName, now);
  const threads = new ThreadStore(db, config.tableName, config.sessionIdleHours * 3_600_000, now);
  const metrics = options.metrics ?? noMetrics;
  const countAttempt = brekAttemptMetrics(metrics);
  const onAttempt = options.brek?.onAttempt;
  const brek = new BrekClient({
    baseUrl: config.brek.baseUrl,
    apiKey: config.brek.apiKey,
    authStyle: config.brek.authStyle,
    ...options.brek,
    onAttempt: (info) => {
      countAttempt(info);
      onAttempt?.(info);
    },
  });
  // One schedule per process, one item in the table for every worker (core/brek/quota.ts).
  const quota = new BrekQuota(db, config.tableName, { limitPerMinute: config.brek.rateLimitPerMinute }, now);
  return {
    config,
    db,
    inbox,
    threads,
    brek,
    logger,
    metrics,
    turnDeps: (senders) => ({
      inbox,
      threads,
      brek,
      senders,
      idempotencyPrefix: config.idempotencyPrefix,
      logger,
      observe: allObservers(turnMetrics(metrics, now)),
      quota: { schedule: quota, maxWaitMs: config.brek.queueMaxWaitSeconds * 1000 },
    }),
  };
}
