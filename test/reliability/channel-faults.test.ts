// Channel APIs that do the work and then lose the answer, through the local stack's real routes:
// the fake Slack Web API, Teams connector and Twilio Messages API, driven by the real SDK clients,
// refuse before the work (429 with Retry-After, 412/502/504 on Teams), or post and then drop the
// connection, answer 500/503, or answer after the client's timeout — on half the posts, fixed seed.
// 30 travellers × 2 messages per channel: no message answered twice, none lost, one Brek event each.
// Then the same with DynamoDB failing under the bridge: requests reset before and after they are
// applied, and a 3-second outage; a message the stack answers 5xx is re-delivered, as the platforms do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamo, type LocalDynamo } from '../../dev/local-dynamo.ts';
import type { Channel } from '../support/travellers.ts';
import { useStack, type StackHarness } from '../support/stack.ts';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../support/dynamo-faults.ts';
import { brekEvents, CHANNELS, traveller, type Traveller } from '../support/travellers.ts';
import { isPlaceholder } from '../../dev/simulate/teams.ts';

const TIMEOUT_MS = 600;
const fast = {
  channelTimeoutMs: TIMEOUT_MS,
  // A slow post lands within the fakes' delay; settle just past it before looking it up.
  delivery: { backoffMs: 20, settleMs: 150, maxLookups: 4, maxRetryAfterMs: 2_000 },
  brek: { retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2_000 } },
};
const TRAVELLERS = 30;
const TEXTS = ['a hotel in lisbon tomorrow', 'what time is check-in?'];

interface Figures {
  messages: number;
  answeredTwice: number;
  lost: number;
  /** Distinct idempotency keys Brek saw (Brek makes one event of each), and its calls in all. */
  brekKeys: number;
  brekCalls: number;
  /** Deliveries the stack did not acknowledge (5xx, or no answer), which the platform then made again. */
  redelivered: number;
}

/** Sends each traveller's messages in turn (all travellers at once), as the platform would: a non-2xx is delivered again. */
async function converse(h: StackHarness, travellers: Traveller[], tag: string, onFirstAck?: () => void): Promise<Figures> {
  let acked = false;
  const eventsBefore = brekEvents(h).length;
  let answeredTwice = 0;
  let lost = 0;
  let sent = 0;
  let redelivered = 0;
  await Promise.all(
    travellers.map(async (t, n) => {
      for (const [i, text] of TEXTS.entries()) {
        const before = t.replies().length;
        const message = t.message(text, `${tag}-${t.channel}-${n}-${i}`);
        for (let delivery = 0; ; delivery++) {
          const res = await message.deliver(delivery).catch(() => undefined);
          if (res?.status === 200) {
            if (!acked) onFirstAck?.();
            acked = true;
            break;
          }
          redelivered++;
          if (delivery >= 20) throw new Error(`${t.channel} message never acknowledged (last ${res?.status ?? 'no answer'})`);
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        sent++;
        await h.stack.idle();
        const answers = t.replies().slice(before);
        if (answers.length === 0) lost++;
        // A reply is one message (Slack, Teams) or a few parts (WhatsApp): a copy repeats a part.
        if (new Set(answers).size < answers.length) answeredTwice++;
      }
    }),
  );
  const events = brekEvents(h).slice(eventsBefore);
  return { messages: sent, answeredTwice, lost, brekKeys: new Set(events.map((e) => e.idempotencyKey)).size, brekCalls: events.length, redelivered };
}

describe('channel APIs that lose their answers', () => {
  const h = useStack({}, fast);

  it.each(CHANNELS)('%s: half the posts fail, before or after the work — every message answered exactly once', async (channel: Channel) => {
    const travellers = Array.from({ length: TRAVELLERS }, (_, i) => traveller(h, channel, `chfault-${channel}-${i}`));
    const chaos = { seed: 16, rate: 0.5, kinds: { refuse: 1, drop_after: 1, error_after: 1, slow_after: 1 } };
    const fake = channel === 'slack' ? h.stack.fakeSlack! : channel === 'teams' ? h.stack.fakeTeams! : h.stack.fakeTwilio!;
    fake.chaos(chaos);
    let figures: Figures;
    try {
      figures = await converse(h, travellers, 'chfault');
    } finally {
      fake.chaos(null);
    }
    const injected = fake.injected();
    // Teams: a placeholder whose POST failed after the work cannot be found again, so its reply is
    // posted on its own and the placeholder stays (README: what stays at most once).
    const placeholdersLeft =
      channel === 'teams'
        ? travellers.reduce((sum, t) => sum + h.stack.fakeTeams!.conversation(`a:${t.actorId.split(':').at(-1)}`).filter(isPlaceholder).length, 0)
        : 0;
    console.log(
      `channel faults ${channel}: ${figures.messages} messages, ${figures.answeredTwice} answered twice, ${figures.lost} lost` +
        `${channel === 'teams' ? `, ${placeholdersLeft} placeholders left behind` : ''}; ` +
        `Brek: ${figures.brekKeys} events in ${figures.brekCalls} calls; faults injected ${JSON.stringify(injected)}`,
    );
    expect(figures.messages).toBe(TRAVELLERS * TEXTS.length);
    expect(Object.values(injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(10); // the faults did bite
    expect(figures.answeredTwice).toBe(0);
    expect(figures.lost).toBe(0);
    // The channel's faults never reach Brek: one call per message.
    expect(figures.brekKeys).toBe(figures.messages);
    expect(figures.brekCalls).toBe(figures.messages);
  }, 120_000);
});

describe('what a channel says, taken at its word', () => {
  const h = useStack({}, fast);
  const replay = async (id: string) =>
    (await (await fetch(`${h.stack.url}/console/replay`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-console-token': h.stack.console.token }, body: JSON.stringify({ id }) })).json()) as { outcome: { outcome: string } };
  const lastTurn = (channel: Channel) => h.stack.activity.list().filter((t) => t.channel === channel).at(-1)!;

  it('Slack: a post whose answer was lost while the lookup failed too is unknown, not failed; a replay finds it and posts nothing', async () => {
    const t = traveller(h, 'slack', 'unknown-then-replay');
    const slack = h.stack.fakeSlack!;
    slack.fail({ method: 'chat.postMessage', kind: 'drop_after' });
    for (let i = 0; i < fast.delivery.maxLookups; i++) slack.fail({ method: 'conversations.history', kind: 'refuse', error: 'internal_error' });
    expect((await t.message('a hotel in rome tomorrow', 'unknown-1').deliver(0)).status).toBe(200);
    await h.stack.idle();
    expect(t.replies()).toHaveLength(1); // it did arrive
    const turn = lastTurn('slack');
    expect(turn.state).toBe('unknown');
    const lookupsBefore = slack.calls.filter((c) => c.method === 'conversations.history').length;
    expect((await replay(turn.id)).outcome).toMatchObject({ outcome: 'replied' });
    expect(t.replies()).toHaveLength(1);
    expect(slack.calls.filter((c) => c.method === 'conversations.history').length).toBeGreaterThan(lookupsBefore);
  });

  it('Teams: the reply replaces its placeholder, an update retried after any failure — one message', async () => {
    const t = traveller(h, 'teams', 'teams-update');
    h.stack.fakeTeams!.faults.push({ kind: 'error_after', status: 503 }, 'PUT');
    h.stack.fakeTeams!.faults.push({ kind: 'drop_after' }, 'PUT');
    expect((await t.message('a hotel in oslo tomorrow', 'teams-update-1').deliver(0)).status).toBe(200);
    await h.stack.idle();
    const seen = h.stack.fakeTeams!.conversation(`a:${t.actorId.split(':').at(-1)}`);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.updates).toBeGreaterThanOrEqual(1);
    expect(t.replies()).toHaveLength(1);
    expect(lastTurn('teams').state).toBe('replied');
  });

  it('Teams: a reply refused for good takes its placeholder away — no "working on it" outlives the turn', async () => {
    const t = traveller(h, 'teams', 'teams-refused-update');
    h.stack.fakeTeams!.faults.push({ kind: 'refuse', status: 403 }, 'PUT');
    expect((await t.message('a hotel in oslo tomorrow', 'teams-refused-update-1').deliver(0)).status).toBe(200);
    await h.stack.idle();
    const conversationId = `a:${t.actorId.split(':').at(-1)}`;
    expect(h.stack.fakeTeams!.calls.some((c) => c.conversationId === conversationId && c.method === 'DELETE' && c.delivered)).toBe(true);
    expect(h.stack.fakeTeams!.conversation(conversationId)).toEqual([]);
    expect(lastTurn('teams').state).toBe('failed');
  });

  it('Teams: without a placeholder, an ambiguous post is never posted again (the connector cannot be asked); the turn says unknown', async () => {
    const t = traveller(h, 'teams', 'teams-unknown');
    // The placeholder is the first POST (best effort: refused, the reply is posted on its own); then the reply's.
    h.stack.fakeTeams!.faults.push({ kind: 'refuse', status: 412 }, 'POST');
    h.stack.fakeTeams!.faults.push({ kind: 'error_after', status: 503 }, 'POST');
    expect((await t.message('a hotel in oslo tomorrow', 'teams-unknown-1').deliver(0)).status).toBe(200);
    await h.stack.idle();
    expect(t.replies()).toHaveLength(1);
    expect(lastTurn('teams').state).toBe('unknown');
  });

  it('Teams: a reply posted new waits longer than an update for its answer — a slow connector is a reply, not an unknown', async () => {
    const t = traveller(h, 'teams', 'teams-slow-post');
    h.stack.fakeTeams!.faults.push({ kind: 'refuse', status: 412 }, 'POST');
    // Past the client's timeout for an update, well within the patience of a POST made only once.
    h.stack.fakeTeams!.faults.push({ kind: 'slow_after', delayMs: TIMEOUT_MS * 2 }, 'POST');
    expect((await t.message('a hotel in oslo tomorrow', 'teams-slow-post-1').deliver(0)).status).toBe(200);
    await h.stack.idle();
    expect(t.replies()).toHaveLength(1);
    expect(lastTurn('teams').state).toBe('replied');
  });

  it.each([
    ['slack', () => h.stack.fakeSlack!.fail({ method: 'chat.postMessage', kind: 'refuse', error: 'token_revoked' })],
    ['teams', () => h.stack.fakeTeams!.faults.push({ kind: 'refuse', status: 403 }, 'POST')],
    ['whatsapp', () => h.stack.fakeTwilio!.fail({ kind: 'refuse', status: 400, code: 21211 })],
  ] as const)('%s: a refusal for good is tried once, and the turn is failed', async (channel, refuse) => {
    const t = traveller(h, channel, `refused-${channel}`);
    const attempts = () =>
      channel === 'slack'
        ? h.stack.fakeSlack!.calls.filter((c) => c.method === 'chat.postMessage').length
        : channel === 'teams'
          ? h.stack.fakeTeams!.calls.filter((c) => c.method === 'POST' && Array.isArray(c.body.attachments)).length
          : h.stack.fakeTwilio!.messages.length;
    // Teams' placeholder goes first: refused, the reply is posted on its own (and then refused for good).
    if (channel === 'teams') h.stack.fakeTeams!.faults.push({ kind: 'refuse', status: 412 }, 'POST');
    refuse();
    const before = attempts();
    expect((await t.message('a hotel in rome tomorrow', `refused-${channel}-1`).deliver(0)).status).toBe(200);
    await h.stack.idle();
    expect(attempts() - before).toBe(1);
    expect(t.replies()).toHaveLength(0);
    expect(lastTurn(channel).state).toBe('failed');
  });

  it.each([
    ['slack', () => h.stack.fakeSlack!.fail({ method: 'chat.postMessage', kind: 'refuse', error: 'invalid_blocks' })],
    ['teams', () => h.stack.fakeTeams!.faults.push({ kind: 'refuse', status: 413 }, 'PUT')],
    ['whatsapp', () => h.stack.fakeTwilio!.fail({ kind: 'refuse', status: 400, code: 21617 })],
  ] as const)('%s: a reply refused for what it is goes out once more as plain text, links written out', async (channel, refuse) => {
    const t = traveller(h, channel, `plain-${channel}`);
    refuse();
    expect((await t.message('a hotel in rome tomorrow', `plain-${channel}-1`).deliver(0)).status).toBe(200);
    await h.stack.idle();
    const replies = t.replies();
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/1\. .+—/); // the options, as text
    expect(replies[0]).toContain('Reply with an option’s number to book it.');
    expect(replies[0]).toMatch(/https?:\/\/\S+\/book\/hotel\//); // a details link, written out
    // Teams reads a text as markdown unless told: Brek's words are sent as plain.
    if (channel === 'teams') expect(h.stack.fakeTeams!.calls.filter((c) => c.delivered).at(-1)?.body.textFormat).toBe('plain');
    expect(lastTurn(channel).state).toBe('replied');
  });

  it('Slack: a 429 is waited out (its Retry-After) and the reply posted once', async () => {
    const t = traveller(h, 'slack', 'rate-limited');
    h.stack.fakeSlack!.fail({ method: 'chat.postMessage', kind: 'refuse', status: 429, retryAfter: 1 });
    const started = Date.now();
    expect((await t.message('a hotel in rome tomorrow', 'rate-limited-1').deliver(0)).status).toBe(200);
    await h.stack.idle();
    expect(t.replies()).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(lastTurn('slack').state).toBe('replied');
  });
});

describe('DynamoDB that loses its answers', () => {
  let dynamo: LocalDynamo;
  let proxy: DynamoFaultProxy;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    proxy = await startDynamoFaultProxy({ target: dynamo.endpoint, seed: 16 });
  });
  afterAll(async () => {
    await proxy?.close();
    await dynamo?.close();
  });
  const h = useStack({ get AWS_ENDPOINT_URL_DYNAMODB() { return proxy.endpoint; } } as unknown as Record<string, string>, fast);

  it('requests reset before and after they are applied, and a 3-second outage: every acknowledged message answered once', async () => {
    const travellers = CHANNELS.flatMap((channel) => Array.from({ length: 10 }, (_, i) => traveller(h, channel, `dbfault-${channel}-${i}`)));
    proxy.set({ resetBefore: 0.1, resetAfter: 0.1 });
    // Down as the first messages arrive (the stack can store nothing: 5xx, delivered again), then
    // three seconds more while the first acknowledged turns are at work.
    proxy.outage(800);
    let figures: Figures;
    try {
      figures = await converse(h, travellers, 'dbfault', () => proxy.outage(3_000));
    } finally {
      proxy.set(null);
    }
    const faults = Object.values(proxy.stats).reduce((sum, s) => sum + s.resetBefore + s.resetAfter + s.outage, 0);
    console.log(
      `dynamodb faults: ${figures.messages} messages (${figures.redelivered} deliveries answered 5xx and made again), ${figures.answeredTwice} answered twice, ${figures.lost} lost; ` +
        `Brek: ${figures.brekKeys} events in ${figures.brekCalls} calls; ${faults} DynamoDB requests reset ${JSON.stringify(proxy.stats)}`,
    );
    expect(faults).toBeGreaterThan(20);
    expect(Object.values(proxy.stats).some((s) => s.outage > 0)).toBe(true); // the outage hit turns in flight
    expect(figures.redelivered).toBeGreaterThan(0); // and messages the stack could not store: re-delivered, answered once
    expect(figures.messages).toBe(travellers.length * TEXTS.length);
    expect(figures.answeredTwice).toBe(0);
    expect(figures.lost).toBe(0);
    // A turn retried after the table failed mid-way asks Brek again under the same key: still one event.
    expect(figures.brekKeys).toBe(figures.messages);
  }, 180_000);
});
