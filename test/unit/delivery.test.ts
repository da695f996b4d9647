// The delivery protocol on its own (core/delivery.ts): a scripted channel whose posts succeed,
// are refused, or are lost after the work, and whose lookups answer from what it really shows.
// The channels' own senders against their fakes are in test/reliability/channel-faults.test.ts.
import { describe, expect, it } from 'vitest';
import { DeliveryError, deliverParts, newAttempt, type ChannelSender, type DeliveryJournal, type FailureClass, type PartContext } from '../../core/delivery.ts';
import { createLogger, memorySink } from '../../core/log.ts';
import { textReply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';

type Outcome = 'ok' | FailureClass['kind'] | 'lost';

/** A channel that shows what was posted; each post's fate is scripted, in order. */
class ScriptedChannel implements ChannelSender<string> {
  readonly shown: string[] = [];
  posts = 0;
  lookups = 0;
  constructor(
    private readonly script: Outcome[],
    private readonly canLook = true,
  ) {}
  compose(): string[] {
    return ['part one', 'part two', 'part three'];
  }
  async post(part: string): Promise<string> {
    this.posts++;
    const fate = this.script.shift() ?? 'ok';
    if (fate === 'not_delivered' || fate === 'permanent') throw new DeliveryError(`refused (${fate})`, { kind: fate, code: fate });
    this.shown.push(part);
    if (fate === 'lost' || fate === 'ambiguous') throw new DeliveryError('connection dropped after posting', { kind: 'ambiguous', code: 'ECONNRESET' });
    return `id-${this.shown.length}`;
  }
  get find(): ChannelSender<string>['find'] {
    if (!this.canLook) return undefined;
    return async (part: string) => {
      this.lookups++;
      const at = this.shown.indexOf(part);
      return at >= 0 ? `id-${at + 1}` : null;
    };
  }
}

const record = { dedupeKey: 'Ev1', reference: {} } as unknown as InboxRecord;
const reply = textReply('slack:T:U', 'shortlist', 'three parts');
const policy = { backoffMs: 1, settleMs: 1, maxLookups: 2 };
const logger = createLogger({ sink: memorySink().sink });
const journal = (extra: Partial<DeliveryJournal> = {}): DeliveryJournal => ({ turn: 'Ev1', since: Date.now(), token: 'first', ...extra });

describe('deliverParts', () => {
  it('a part lost after posting is looked up, found, and not posted again', async () => {
    const channel = new ScriptedChannel(['ok', 'lost', 'ok']);
    const result = await deliverParts(channel, reply, record, { attempt: newAttempt(), journal: journal(), resumed: false, policy, logger });
    expect(result).toMatchObject({ state: 'delivered', receipts: { 0: 'id-1', 1: 'id-2', 2: 'id-3' } });
    expect(channel.shown).toEqual(['part one', 'part two', 'part three']);
    expect(channel.posts).toBe(3);
  });

  it('refusals are retried as they are; a refusal for good stops at once', async () => {
    const refused = new ScriptedChannel(['not_delivered', 'not_delivered']);
    expect((await deliverParts(refused, reply, record, { attempt: newAttempt(), journal: journal(), resumed: false, policy, logger })).state).toBe('delivered');
    expect(refused.shown).toEqual(['part one', 'part two', 'part three']);
    const permanent = new ScriptedChannel(['ok', 'permanent']);
    const result = await deliverParts(permanent, reply, record, { attempt: newAttempt(), journal: journal(), resumed: false, policy, logger });
    expect(result).toMatchObject({ state: 'not_delivered', receipts: { 0: 'id-1' }, maybe: [] });
    expect(permanent.posts).toBe(2);
  });

  it('a channel that cannot be asked leaves an ambiguous part unknown, never posting it twice', async () => {
    const channel = new ScriptedChannel(['ok', 'lost'], false);
    const result = await deliverParts(channel, reply, record, { attempt: newAttempt(), journal: journal(), resumed: false, policy, logger });
    expect(result).toMatchObject({ state: 'unknown', receipts: { 0: 'id-1' }, maybe: [1] });
    expect(channel.shown).toEqual(['part one', 'part two']);
  });

  it('resumed after a crash: every part is looked up first, the delivery goes on from the first one missing', async () => {
    const channel = new ScriptedChannel([]);
    channel.shown.push('part one', 'part two'); // what the crashed attempt posted
    const result = await deliverParts(channel, reply, record, { attempt: newAttempt(), journal: journal(), resumed: true, policy, logger });
    expect(result.state).toBe('delivered');
    expect(channel.shown).toEqual(['part one', 'part two', 'part three']);
    expect(channel.lookups).toBe(3);
    expect(channel.posts).toBe(1);
  });

  it('resumed after a finished attempt: only the parts it left unknown are looked up; receipts are kept', async () => {
    const channel = new ScriptedChannel([]);
    channel.shown.push('part one');
    const result = await deliverParts(channel, reply, record, {
      attempt: newAttempt(),
      journal: journal({ receipts: { 0: 'id-1' }, maybe: [] }),
      resumed: true,
      policy,
      logger,
    });
    expect(result).toMatchObject({ state: 'delivered', receipts: { 0: 'id-1', 1: 'id-2', 2: 'id-3' } });
    expect(channel.lookups).toBe(0);
  });

  it('the same attempt retried in-process knows what it posted itself', async () => {
    const attempt = newAttempt();
    const first = new ScriptedChannel(['ok', 'permanent']);
    await deliverParts(first, reply, record, { attempt, journal: journal({ token: attempt.token }), resumed: false, policy, logger });
    // Retried by the same attempt (the table failed after): part one is known, part two was refused, so neither is looked up.
    const result = await deliverParts(first, reply, record, { attempt, journal: journal({ token: attempt.token }), resumed: true, policy, logger });
    expect(result.state).toBe('delivered');
    expect(first.shown).toEqual(['part one', 'part two', 'part three']);
    expect(first.lookups).toBe(0);
  });
});

// The context a sender gets names the part and the turn, not the traveller.
it('part tags are short, stable and carry no id in clear', async () => {
  const seen: PartContext[] = [];
  const channel: ChannelSender<string> = { compose: () => ['a'], post: async (_p, context) => (seen.push(context), 'x') };
  await deliverParts(channel, reply, { ...record, dedupeKey: 'slack:T1:U1:1700000000.000100' }, { attempt: newAttempt(), journal: journal(), resumed: false, policy, logger });
  expect(seen[0]?.tag).toMatch(/^[A-Za-z0-9_-]{16}\.0$/);
  expect(seen[0]?.tag).not.toContain('U1');
});
