// CloudWatch metrics as EMF lines (issue: "Operations"): faults driven through the sandbox and the
// fake channels, and the lines the bridge wrote checked by name, dimensions, unit and value.
import { describe, expect, it } from 'vitest';
import { brekStatusClass, emfMetrics, METRICS_NAMESPACE } from '../../core/metrics.ts';
import { messageEvent, postSlack, slackRequest } from '../../dev/simulate/slack.ts';
import { traveller } from '../support/travellers.ts';
import { useStack, type StackHarness } from '../support/stack.ts';

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [field: string]: unknown;
}

/** A stack whose functions' metrics land in `lines`, with Brek's retries kept short. */
function meteredStack(env: Record<string, string> = {}) {
  const lines: string[] = [];
  const h = useStack(env, { metrics: emfMetrics({ write: (line) => lines.push(line) }), brek: { retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 500 } } });
  const records = () => lines.map((line) => JSON.parse(line) as EmfLine);
  /** The sum of a metric over every line whose dimensions are exactly `dimensions` (plus service). */
  const total = (name: string, dimensions: Record<string, string> = {}) =>
    values(name, dimensions).reduce((sum, v) => sum + v, 0);
  const values = (name: string, dimensions: Record<string, string> = {}) =>
    records()
      .filter((r) => {
        const [directive] = r._aws.CloudWatchMetrics;
        const keys = directive?.Dimensions[0] ?? [];
        const wanted = ['service', ...Object.keys(dimensions)].sort();
        return keys.length === wanted.length && [...keys].sort().every((k, i) => k === wanted[i]) && Object.entries(dimensions).every(([k, v]) => r[k] === v);
      })
      .flatMap((r) => (r[name] === undefined ? [] : ([] as number[]).concat(r[name] as number | number[])));
  return { h, lines, records, total, values, reset: () => void lines.splice(0) };
}

async function turn(h: StackHarness, channel: 'slack' | 'teams' | 'whatsapp', name: string, text = 'seattle tomorrow'): Promise<void> {
  const res = await traveller(h, channel, name).message(text, `${name}-${Date.now()}-${Math.random()}`).deliver(0);
  expect(res.status).toBe(200);
  await h.stack.idle();
}

describe('EMF lines', () => {
  const m = meteredStack();

  it('are Powertools EMF in the BrekBridge namespace, per channel, with units', async () => {
    m.reset();
    await turn(m.h, 'teams', 'emf-shape');
    const records = m.records();
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      const [directive] = record._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
      expect(record.service).toBe('brek-bridge');
      for (const metric of directive!.Metrics) expect(record[metric.Name]).toBeDefined();
    }
    const accepted = records.find((r) => r.InboundAccepted !== undefined)!;
    expect(accepted._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'channel']]);
    expect(accepted.channel).toBe('teams');
    const latency = records.find((r) => r.ReplyLatency !== undefined)!;
    expect(latency._aws.CloudWatchMetrics[0]!.Metrics).toContainEqual({ Name: 'ReplyLatency', Unit: 'Milliseconds' });
    expect(m.total('InboundAccepted', { channel: 'teams' })).toBe(1);
    expect(m.total('TurnReplied', { channel: 'teams' })).toBe(1);
    expect(m.values('ReplyLatency', { channel: 'teams' })).toHaveLength(1);
    // A first turn: createSession and sendEvent, both 2xx, each with its latency.
    expect(m.total('BrekCalls', { statusClass: '2xx' })).toBe(2);
    expect(m.values('BrekLatency')).toHaveLength(2);
    expect(m.total('BrekRetries')).toBe(0);
  });

  it('count duplicates and forged requests per channel', async () => {
    m.reset();
    const message = traveller(m.h, 'whatsapp', 'emf-dup').message('seattle tomorrow', `dup-${Date.now()}`);
    await message.deliver(0);
    await message.deliver(1);
    await m.h.stack.idle();
    const forged = await postSlack(m.h.stack.url, slackRequest(messageEvent({ teamId: 'T1', userId: 'U1' }, { text: 'hi' }), 'not-the-signing-secret'));
    expect(forged.status).toBe(401);
    expect(m.total('InboundAccepted', { channel: 'whatsapp' })).toBe(1);
    expect(m.total('InboundDuplicate', { channel: 'whatsapp' })).toBe(1);
    expect(m.total('SignatureRejected', { channel: 'slack' })).toBe(1);
  });

  it('count a 429 answered after a retry, and a hung call as a timeout', async () => {
    m.reset();
    await m.h.faults({ endpoints: { createSession: { script: [{ status: 429, retryAfterSeconds: 0 }, { hang: true }] } }, hangMs: 2_000 });
    try {
      await turn(m.h, 'slack', 'emf-429');
    } finally {
      await m.h.faults(null);
    }
    expect(m.total('BrekCalls', { statusClass: '429' })).toBe(1);
    expect(m.total('BrekCalls', { statusClass: 'timeout' })).toBe(1);
    expect(m.total('BrekRetries')).toBe(2);
    expect(m.total('TurnReplied', { channel: 'slack' })).toBe(1);
  });

  it('count 5xx on every try and the failed turn it ends in', async () => {
    m.reset();
    await m.h.faults({ endpoints: { createSession: { rate5xx: 1, status5xx: 503 } } });
    try {
      await turn(m.h, 'whatsapp', 'emf-5xx');
    } finally {
      await m.h.faults(null);
    }
    expect(m.total('BrekCalls', { statusClass: '5xx' })).toBe(3);
    expect(m.total('BrekRetries')).toBe(2);
    expect(m.total('TurnFailed', { channel: 'whatsapp' })).toBe(1);
    expect(m.total('TurnReplied', { channel: 'whatsapp' })).toBe(0);
  });

  it('count a reply the channel refused, by the channel’s own code', async () => {
    m.reset();
    for (let i = 0; i < 3; i++) m.h.stack.fakeSlack!.fail({ method: 'chat.postMessage', error: 'channel_not_found' });
    await turn(m.h, 'slack', 'emf-send');
    expect(m.total('ChannelSendFailures', { channel: 'slack', code: 'channel_not_found' })).toBe(1);
    expect(m.total('TurnFailed', { channel: 'slack' })).toBe(1);
  });

  it('never carry personal data or secrets', () => {
    expect(m.h.leaks()).toEqual([]);
    for (const line of m.lines) expect(line).not.toMatch(/\+\d{7,}|xox[bp]-|seattle/i);
  });
});

describe('Brek refusing the partner key', () => {
  const m = meteredStack({ BREK_PARTNER_API_KEY: 'not-the-partner-key' });

  it('is counted as 401_403, not retried, and the turn fails', async () => {
    m.reset();
    await turn(m.h, 'slack', 'emf-401');
    expect(m.total('BrekCalls', { statusClass: '401_403' })).toBe(1);
    expect(m.total('BrekRetries')).toBe(0);
    expect(m.total('TurnFailed', { channel: 'slack' })).toBe(1);
  });
});

describe('brekStatusClass', () => {
  it.each([
    [200, '2xx'],
    [201, '2xx'],
    [400, '400'],
    [401, '401_403'],
    [403, '401_403'],
    [404, '404'],
    [409, '409'],
    [422, 'other_4xx'],
    [429, '429'],
    [500, '5xx'],
    [503, '5xx'],
  ] as const)('%i → %s', (status, expected) => {
    expect(brekStatusClass({ status })).toBe(expected);
  });
});

describe('failed Brek calls in the logs', () => {
  const m = meteredStack();

  it('every failed try is a log line with its x-request-id', async () => {
    await m.h.faults({ endpoints: { createSession: { script: [{ status: 503 }, { status: 429, retryAfterSeconds: 0 }] } } });
    try {
      await turn(m.h, 'slack', 'log-ids');
    } finally {
      await m.h.faults(null);
    }
    const failed = m.h.logs.records().filter((line) => line.msg === 'brek call failed');
    expect(failed.map((line) => line.status)).toEqual([503, 429]);
    for (const line of failed) {
      expect(line.brekRequestId).toMatch(/^[0-9a-f-]{36}$/);
      // In the turn's context, so a trace by channel message id finds every retry.
      expect(line.channelMessageId).toEqual(expect.any(String));
      expect(line.actorId).toEqual(expect.any(String));
    }
    const sandboxIds = (await m.h.brekRequests()).filter((r) => r.status >= 400).map((r) => r.requestId);
    expect(failed.map((line) => line.brekRequestId)).toEqual(expect.arrayContaining(sandboxIds.slice(-2)));
  });
});
