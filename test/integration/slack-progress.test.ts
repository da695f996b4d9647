// The Slack hourglass's edges, through the real WebClient into the fake Slack Web API: it goes on
// only after its delay, never outlives its turn (a removal waits for an add still in flight), is
// not put on by a timer that slept through a frozen process, and a turn this process never
// tracked (resumed after a crash elsewhere) still has it taken off.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SlackSender, slackWebClient } from '../../adapters/slack/send.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { startFakeSlack, type FakeSlack } from '../../dev/fakes/slack.ts';

const DELAY_MS = 60;
let slack: FakeSlack;
let turns = 0;

beforeAll(async () => {
  slack = await startFakeSlack({ token: 'xoxb-progress' });
});
afterAll(() => slack.close());
afterEach(() => vi.useRealTimers());

const sender = () => new SlackSender(slackWebClient('xoxb-progress', slack.apiUrl), undefined, undefined, { progressReactionDelayMs: DELAY_MS });

/** A DM turn's record, as far as the sender reads it. */
function dmTurn(): InboxRecord {
  const n = ++turns;
  const fields = { dedupeKey: `slack:progress-${n}`, reference: { channel: `DPROGRESS${n}`, messageTs: `1700000000.00000${n}`, userId: 'UPROGRESS' }, input: { type: 'text', text: 'denver tomorrow' } };
  return fields as Pick<InboxRecord, 'dedupeKey' | 'reference' | 'input'> as InboxRecord;
}

const reactionCalls = (record: InboxRecord) => slack.calls.filter((c) => c.method.startsWith('reactions.') && c.args.channel === record.reference.channel);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NOTE = { status: 'Searching…', loading: [] };

describe('the Slack hourglass', () => {
  it('a turn over before the delay costs no call, then or later', async () => {
    const s = sender();
    const record = dmTurn();
    await s.progress(record, NOTE);
    await s.clearProgress(record, { delivered: true });
    await wait(DELAY_MS * 3);
    expect(reactionCalls(record)).toEqual([]);
  });

  it('a slow turn: on after the delay, off after the turn', async () => {
    const s = sender();
    const record = dmTurn();
    const started = Date.now();
    await s.progress(record, NOTE);
    await wait(DELAY_MS * 3);
    expect(reactionCalls(record).map((c) => c.method)).toEqual(['reactions.add']);
    expect(reactionCalls(record)[0]!.at - started).toBeGreaterThanOrEqual(DELAY_MS - 5);
    await s.clearProgress(record, { delivered: true });
    expect(reactionCalls(record).map((c) => c.method)).toEqual(['reactions.add', 'reactions.remove']);
  });

  it('the removal waits for an add still on its way, so the hourglass never outlives the turn', async () => {
    const s = sender();
    const record = dmTurn();
    slack.fail({ method: 'reactions.add', kind: 'slow_after', delayMs: 300 });
    await s.progress(record, NOTE);
    await wait(DELAY_MS + 40);
    expect(reactionCalls(record).map((c) => c.method)).toEqual(['reactions.add']);
    await s.clearProgress(record, { delivered: true });
    const [add, remove] = reactionCalls(record);
    expect(remove?.method).toBe('reactions.remove');
    // Sent only once the add was answered (held back 300 ms at the fake).
    expect(remove!.at - add!.at).toBeGreaterThanOrEqual(290);
  });

  it('a timer that slept through a frozen process puts nothing on; the turn’s end still takes it off', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const s = sender();
    const record = dmTurn();
    await s.progress(record, NOTE);
    // The process frozen (a Lambda between invocations) for a minute, then the timer runs.
    vi.setSystemTime(Date.now() + 60_000);
    vi.advanceTimersByTime(DELAY_MS);
    vi.useRealTimers();
    await wait(50);
    expect(reactionCalls(record)).toEqual([]);
    // Whoever ends that turn removes it without knowing, as a turn resumed elsewhere would.
    await s.clearProgress(record, { delivered: true });
    expect(reactionCalls(record).map((c) => c.method)).toEqual(['reactions.remove']);
  });

  it('a turn resumed in a process that never showed its progress still takes the hourglass off', async () => {
    const record = dmTurn();
    await sender().clearProgress(record, { delivered: true });
    expect(reactionCalls(record).map((c) => c.method)).toEqual(['reactions.remove']);
  });

  it('the answer posted calls a waiting hourglass off, even before the turn ends', async () => {
    const s = sender();
    const record = dmTurn();
    await s.progress(record, NOTE);
    await s.post({ message: { text: 'your hotels', blocks: [] } }, { record, index: 0, tag: 'p0', since: Date.now() });
    await wait(DELAY_MS * 3);
    await s.clearProgress(record, { delivered: true });
    expect(reactionCalls(record)).toEqual([]);
  });
});
