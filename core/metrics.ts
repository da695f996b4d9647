// The bridge's CloudWatch metrics, written as Embedded Metric Format log lines: CloudWatch turns
// each line into metrics with no API call and no agent. Powertools for AWS Lambda builds and
// validates the EMF (names, units, dimensions); this module only decides what is counted and
// where the line goes (stdout in Lambda, a capture in tests). The functions flush once per
// invocation, the local stack after each request and turn.
import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttemptInfo } from './brek/client.ts';
import type { TurnEvent } from './turn.ts';

export const METRICS_NAMESPACE = 'BrekBridge';
/** EMF's `service` dimension on every metric (Powertools adds it); alarms name it too. */
export const METRICS_SERVICE = 'brek-bridge';

/** Every metric the bridge emits, and its unit. Alarms in sst.config.ts refer to these names. */
export const METRIC = {
  /** Per `channel`: a new message stored. */
  inboundAccepted: 'InboundAccepted',
  /** Per `channel`: a re-delivery found already stored. */
  inboundDuplicate: 'InboundDuplicate',
  /** Per `channel`: a request whose signature or token did not verify. */
  signatureRejected: 'SignatureRejected',
  /** Per `channel`: turns answered, and turns that ended in an apology or no reply. */
  turnReplied: 'TurnReplied',
  turnFailed: 'TurnFailed',
  /** A reply the channel may or may not show: it failed ambiguously and could not be looked up. */
  turnDeliveryUnknown: 'TurnDeliveryUnknown',
  /** Per `channel`: from the message's arrival to its reply handed to the channel (ms). */
  replyLatency: 'ReplyLatency',
  /** Per `statusClass` (see brekStatusClass): each try of a Brek call. */
  brekCalls: 'BrekCalls',
  /** Tries after the first, over all Brek calls. */
  brekRetries: 'BrekRetries',
  /** Per try, answered or not (ms). */
  brekLatency: 'BrekLatency',
  /** Per `channel`: how long a turn waited for its place in Brek's quota (ms; its count is the turns that waited). */
  brekQueueWait: 'BrekQueueWait',
  /** Per `channel`: turns apologised for because the queue for Brek's quota was longer than they may wait. */
  brekQueueGaveUp: 'BrekQueueGaveUp',
  /** Per `channel` and `code`: each post of a reply that failed (refused, or its answer lost). */
  sendFailures: 'ChannelSendFailures',
  /** Per `channel` and `code`: messages the platform accepted and later reported failed or undelivered (a status callback). */
  deliveryFailed: 'ChannelDeliveryFailed',
  /** Per `channel`: items deleted when a workspace left (the app uninstalled, tokens revoked). */
  workspaceItemsErased: 'WorkspaceItemsErased',
} as const;

/** The bridge's metrics, and those a channel counts of its own (e.g. adapters/slack/profile.ts's). */
export type MetricName = (typeof METRIC)[keyof typeof METRIC] | (string & {});

const MILLISECONDS = new Set<string>([METRIC.replyLatency, METRIC.brekLatency, METRIC.brekQueueWait]);

/** The status classes of BrekCalls, as alarms and dashboards group them. */
export type BrekStatusClass = '2xx' | '400' | '401_403' | '404' | '409' | '429' | '5xx' | 'other_4xx' | 'timeout' | 'network';

export function brekStatusClass(info: Pick<AttemptInfo, 'status' | 'error'>): BrekStatusClass {
  const status = info.status;
  if (status === undefined) return info.error?.kind === 'timeout' ? 'timeout' : 'network';
  if (status >= 200 && status < 300) return '2xx';
  if (status === 401 || status === 403) return '401_403';
  if (status === 400 || status === 404 || status === 409 || status === 429) return String(status) as BrekStatusClass;
  if (status >= 500) return '5xx';
  return 'other_4xx';
}

export interface BridgeMetrics {
  /** Buffers one value; nothing is written until flush(). */
  add(name: MetricName, value: number, dimensions?: Record<string, string>): void;
  /** Writes what was buffered, one EMF line per set of dimensions. */
  flush(): void;
}

/** Metrics that go nowhere: the local stack unless asked, and unit tests. */
export const noMetrics: BridgeMetrics = { add: () => undefined, flush: () => undefined };

/** One line per call, ending in a newline: Lambda sends stdout to CloudWatch Logs line by line. */
const toStdout = (line: string) => void process.stdout.write(`${line}\n`);

export function emfMetrics(options: { namespace?: string; write?: (line: string) => void } = {}): BridgeMetrics {
  const write = options.write ?? toStdout;
  const emf = new PowertoolsMetrics({ namespace: options.namespace ?? METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  const groups = new Map<string, { dimensions: Record<string, string>; values: [MetricName, number][] }>();
  return {
    add(name, value, dimensions = {}) {
      const key = JSON.stringify(Object.entries(dimensions).sort());
      const group = groups.get(key) ?? { dimensions, values: [] };
      group.values.push([name, value]);
      groups.set(key, group);
    },
    flush() {
      for (const { dimensions, values } of groups.values()) {
        // Powertools keeps up to 100 values per metric in one line; a flush never comes near that.
        for (const [name, value] of Object.entries(dimensions)) emf.addDimension(name, value);
        for (const [name, value] of values) emf.addMetric(name, MILLISECONDS.has(name) ? MetricUnit.Milliseconds : MetricUnit.Count, value);
        const line = JSON.stringify(emf.serializeMetrics());
        emf.clearMetrics();
        emf.clearDimensions();
        write(line);
      }
      groups.clear();
    },
  };
}

/** The Brek client's per-try hook: status class, latency and retries. */
export function brekAttemptMetrics(metrics: BridgeMetrics): (info: AttemptInfo) => void {
  return (info) => {
    metrics.add(METRIC.brekCalls, 1, { statusClass: brekStatusClass(info) });
    metrics.add(METRIC.brekLatency, Math.round(info.durationMs));
    if (info.attempt > 1) metrics.add(METRIC.brekRetries, 1);
  };
}

/** processTurn's observer: outcomes, reply latency and refused sends, per channel. */
export function turnMetrics(metrics: BridgeMetrics, now: () => number = Date.now): (event: TurnEvent) => void {
  return (event) => {
    const channel = event.record.channel;
    if (event.kind === 'send_failed') metrics.add(METRIC.sendFailures, 1, { channel, code: event.code });
    if (event.kind === 'queued') {
      if (event.waitedMs > 0) metrics.add(METRIC.brekQueueWait, event.waitedMs, { channel });
      if (event.gaveUp) metrics.add(METRIC.brekQueueGaveUp, 1, { channel });
    }
    if (event.kind !== 'finished' || event.state === 'ignored') return;
    const metric = event.state === 'replied' ? METRIC.turnReplied : event.state === 'unknown' ? METRIC.turnDeliveryUnknown : METRIC.turnFailed;
    metrics.add(metric, 1, { channel });
    const received = Date.parse(event.record.receivedAt);
    if (event.reply && Number.isFinite(received)) metrics.add(METRIC.replyLatency, Math.max(0, now() - received), { channel });
  };
}
