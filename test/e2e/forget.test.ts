// "Forget me" in every channel, end to end through the local stack's routes (dynalite, the
// sandbox, the fake channel APIs): the traveller's every item is deleted, the confirmation is the
// only answer, Brek hears nothing, others are untouched, and the next message starts afresh.
// Then the reusable erase itself (core/store/erase.ts): prefix safety, the owner index, pagination,
// deadlines, throttling, and the operator's Scan for items older than the index.
import { BatchWriteCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keywordOf } from '../../core/inbound.ts';
import { createLogger, memorySink } from '../../core/log.ts';
import { checkActorPrefix, eraseActor, ErasePrefixError, eraseWorkspaceItems, scanErase } from '../../core/store/erase.ts';
import { ensureTable, ownerKey, THREAD_SK, threadPk } from '../../core/store/table.ts';
import { MESSAGES } from '../../core/wording.ts';
import { messageEvent, postSlack, slackRequest, slackTs } from '../../dev/simulate/slack.ts';
import { CHANNELS, traveller, type Message, type Traveller } from '../support/travellers.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';

const h = useStack();
const db = () => h.stack.db.worker;

type Item = Record<string, unknown> & { pk: string; sk: string };

async function scanAll(tableName = h.stack.config.tableName, client: DynamoDBDocumentClient = db()): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** What identifies the traveller anywhere in an item: the actor id, the channel's raw id, a phone number. */
function needlesOf(t: Traveller): string[] {
  return [t.actorId, ...(t.channel === 'whatsapp' ? t.personal : [t.actorId.split(':').pop()!])];
}

/** Items that hold any of the traveller's ids — in the key or in any attribute, however deep. */
async function itemsOf(t: Traveller): Promise<Item[]> {
  const needles = needlesOf(t);
  return (await scanAll()).filter((item) => needles.some((needle) => JSON.stringify(item).includes(needle)));
}

const byKey = (a: Item, b: Item) => `${a.pk}\n${a.sk}`.localeCompare(`${b.pk}\n${b.sk}`);

async function say(message: Message, retry = 0): Promise<void> {
  const res = await message.deliver(retry);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  await h.stack.idle();
}

const brekCalls = () => h.brekExchanges.length;

describe.each(CHANNELS)('"forget me" on %s', (channel) => {
  const phrase = { slack: 'Forget me!', teams: 'forget me', whatsapp: 'FORGET ME' }[channel];

  it(`"${phrase}" erases the traveller's conversations and messages, and nothing else; the next message starts afresh`, async () => {
    const a = traveller(h, channel, `forget-a-${channel}`);
    const b = traveller(h, channel, `forget-b-${channel}`);

    // A books part of the way: a search, then option 1 (the guest name is asked next).
    await say(a.message('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable', `${channel}-a1`));
    expect(a.replies().at(-1)).toContain('Branding Iron Motel');
    await say(a.message('1', `${channel}-a2`));
    expect(a.replies().at(-1)).toContain('guest name');
    await say(b.message('seattle tomorrow', `${channel}-b1`));
    expect(b.replies()).toHaveLength(1);

    const before = await itemsOf(a);
    expect(before.map((item) => item.sk).sort()).toEqual([expect.stringMatching(/^IN#/), expect.stringMatching(/^IN#/), THREAD_SK]);
    const oldSession = before.find((item) => item.sk === THREAD_SK)!.sessionId;
    expect(oldSession).toEqual(expect.any(String));
    const othersBefore = (await itemsOf(b)).sort(byKey);
    expect(othersBefore.length).toBe(2);

    // "forget me": the confirmation, as plain text, and not a word to Brek.
    const repliesBefore = a.replies().length;
    const brekBefore = brekCalls();
    const forget = a.message(phrase, `${channel}-a3`);
    await say(forget);
    expect(a.replies()).toHaveLength(repliesBefore + 1);
    expect(a.replies().at(-1)).toContain(MESSAGES.forgotten);
    expect(brekCalls()).toBe(brekBefore);

    // Nothing of A anywhere in the table: no key, no attribute value holds their ids.
    expect(await itemsOf(a)).toEqual([]);
    expect((await scanAll()).filter((item) => item.pk.startsWith(`T#${a.actorId}#`))).toEqual([]);
    // B is untouched, to the attribute.
    expect((await itemsOf(b)).sort(byKey)).toEqual(othersBefore);

    // The same "forget me" delivered again after the turn: its message is gone too, so it is
    // taken as new — answered again, and erased again: still nothing stored.
    await say(forget, 1);
    expect(a.replies()).toHaveLength(repliesBefore + 2);
    expect(a.replies().at(-1)).toContain(MESSAGES.forgotten);
    expect(await itemsOf(a)).toEqual([]);
    expect(brekCalls()).toBe(brekBefore);

    // The next message is a fresh start: a new Brek session, a thread with one turn.
    await say(a.message('seattle tomorrow', `${channel}-a4`));
    expect(a.replies().at(-1)).toContain('Seattle');
    const after = await itemsOf(a);
    const thread = after.find((item) => item.sk === THREAD_SK)!;
    expect(thread.sessionId).toEqual(expect.any(String));
    expect(thread.sessionId).not.toBe(oldSession);
    expect(Object.keys(thread.turns as object)).toHaveLength(1);
    expect(after).toHaveLength(2);
    expect((await itemsOf(b)).sort(byKey)).toEqual(othersBefore);
  });
});

describe('"forget me" beyond one conversation', () => {
  it('a Slack traveller is forgotten in every conversation: the DM and a channel thread', async () => {
    const a = traveller(h, 'slack', 'forget-everywhere');
    const user = { teamId: 'TREL', userId: a.actorId.split(':').pop()! };
    await say(a.message('boston tomorrow', 'everywhere-1'));
    const mention = messageEvent(user, { type: 'app_mention', channel: 'CFORGET', text: '<@UBOT> denver tomorrow', ts: slackTs() });
    expect((await postSlack(h.stack.url, slackRequest(mention, SIGNING_SECRET))).status).toBe(200);
    await h.stack.idle();
    const conversations = new Set((await itemsOf(a)).map((item) => item.pk));
    expect(conversations.size).toBe(2);

    await say(a.message('forget me', 'everywhere-2'));
    expect(a.replies().at(-1)).toContain(MESSAGES.forgotten);
    expect(await itemsOf(a)).toEqual([]);
  });

  it('a traveller the bridge never met is told the same, and nothing is stored', async () => {
    for (const channel of CHANNELS) {
      const t = traveller(h, channel, `forget-stranger-${channel}`);
      await say(t.message('forget me.', `stranger-${channel}`));
      expect(t.replies()).toHaveLength(1);
      expect(t.replies()[0]).toContain(MESSAGES.forgotten);
      expect(await itemsOf(t)).toEqual([]);
    }
  });

  it('the erase logs counts and a hash, never the actor id; nothing personal reached the logs or Brek', async () => {
    const t = traveller(h, 'whatsapp', 'forget-logged');
    await say(t.message('miami tomorrow', 'logged-1'));
    await say(t.message('forget me', 'logged-2'));
    const erased = h.logs.records().filter((line) => line.msg === 'actor erased');
    expect(erased.length).toBeGreaterThan(0);
    for (const line of erased) {
      expect(line.actorHash).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect(line.itemsDeleted).toEqual(expect.any(Number));
      expect(JSON.stringify(line)).not.toMatch(/(slack|teams|whatsapp):[A-Za-z0-9-]+/);
    }
    const forgotten = h.logs.records().find((line) => line.msg === 'traveller forgotten' && line.actorId === t.actorId);
    expect(forgotten?.itemsDeleted).toBe(3);
    const personal = CHANNELS.flatMap((channel) => ['a', 'b'].flatMap((who) => traveller(h, channel, `forget-${who}-${channel}`).personal));
    expect(h.leaks([...personal, ...t.personal])).toEqual([]);
  });
});

describe('the phrase (keywordOf, shared by every normaliser)', () => {
  it('"forget me" in any case, with punctuation and spaces around it, in every channel', () => {
    for (const text of ['forget me', 'Forget me!', 'FORGET ME', '  forget   me. ', 'forget me?!', 'Forgetme', '*forget me*', 'forget-me']) {
      expect(keywordOf(text), text).toBe('forget');
      expect(keywordOf(text, { optOutWords: true }), text).toBe('forget');
    }
    for (const text of ['forget me a hotel in Paris', 'please forget me not', 'forget', 'forget it', 'me', '']) expect(keywordOf(text), text).toBeUndefined();
  });

  it('STOP / START / HELP stay WhatsApp-only and whole-message, exactly as before', () => {
    expect(keywordOf('STOP', { optOutWords: true })).toBe('stop');
    expect(keywordOf(' unsubscribe ', { optOutWords: true })).toBe('stop');
    expect(keywordOf('Unstop', { optOutWords: true })).toBe('start');
    expect(keywordOf('info', { optOutWords: true })).toBe('help');
    expect(keywordOf('stop.', { optOutWords: true })).toBeUndefined();
    expect(keywordOf('constructor', { optOutWords: true })).toBeUndefined();
    // Slack and Teams pass these on to Brek as text.
    for (const text of ['stop', 'START', 'help']) expect(keywordOf(text)).toBeUndefined();
  });
});

describe('eraseActor, eraseWorkspaceItems and scanErase (core/store/erase.ts)', () => {
  const TABLE = 'erase-unit';
  let made = 0;

  /**
   * A thread record and `messages` inbox records in each of `conversations` conversations, with
   * the owner index's key as the bridge writes it — or, `indexed: false`, as items written before
   * the index existed.
   */
  async function seed(actorId: string, conversations = 1, messages = 1, indexed = true): Promise<number> {
    await ensureTable(db(), TABLE);
    let count = 0;
    const put = (item: Item) => db().send(new PutCommand({ TableName: TABLE, Item: indexed ? { ...item, ...ownerKey(actorId, item) } : item }));
    for (let c = 0; c < conversations; c++) {
      const pk = threadPk(actorId, `conv-${++made}`);
      await put({ pk, sk: THREAD_SK, type: 'thread', actorId, sessionId: `sess-${made}` });
      count++;
      for (let m = 0; m < messages; m++) {
        await put({ pk, sk: `IN#m-${made}-${m}`, type: 'inbox', actorId, input: { type: 'text', text: 'x'.repeat(200) } });
        count++;
      }
    }
    return count;
  }

  const actorsLeft = async () => (await scanAll(TABLE)).map((item) => item.actorId as string);
  const quiet = createLogger({ sink: () => undefined });

  /** The table's client, counting Scans, Queries and BatchWrites, optionally handing back unprocessed deletes. */
  function counting(options: { throttleFirstBatches?: number } = {}) {
    const counts = { scans: 0, queries: 0, batches: 0, unprocessed: 0 };
    let throttle = options.throttleFirstBatches ?? 0;
    const client = {
      send: async (command: unknown) => {
        if (command instanceof ScanCommand) counts.scans++;
        if (command instanceof QueryCommand) counts.queries++;
        if (command instanceof BatchWriteCommand) {
          counts.batches++;
          const requests = command.input.RequestItems![TABLE]!;
          if (throttle > 0 && requests.length > 1) {
            // As DynamoDB does under throttling: half applied, half handed back.
            throttle--;
            const half = Math.ceil(requests.length / 2);
            await db().send(new BatchWriteCommand({ RequestItems: { [TABLE]: requests.slice(0, half) } }));
            counts.unprocessed += requests.length - half;
            return { UnprocessedItems: { [TABLE]: requests.slice(half) } };
          }
        }
        return db().send(command as ScanCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    return { client, counts };
  }

  it('refuses a prefix that is empty, a whole channel, or not ending a segment — before reading anything', async () => {
    const bad = ['', ' ', ':', 'T#', '*', 'slack', 'slack:', 'slack::', 'slack:T123', 'slack:T123:U1', 'slack:T 1:', 'whatsapp:', 'slack:T123:#', '#'];
    const { client, counts } = counting();
    for (const prefix of bad) {
      expect(() => checkActorPrefix(prefix), prefix).toThrow(ErasePrefixError);
      await expect(scanErase(client, TABLE, prefix), prefix).rejects.toThrow(ErasePrefixError);
      await expect(eraseWorkspaceItems(client, TABLE, prefix), prefix).rejects.toThrow(ErasePrefixError);
    }
    for (const actor of ['', 'slack:', 'slack:T1:U1#x', 'nope']) await expect(eraseActor(client, TABLE, actor), actor).rejects.toThrow(ErasePrefixError);
    expect(counts).toEqual({ scans: 0, queries: 0, batches: 0, unprocessed: 0 });
    for (const good of ['slack:T123:', 'teams:tenant-1:', 'slack:T123:U1#', 'whatsapp:0123456789abcdef0123456789abcdef#']) expect(() => checkActorPrefix(good), good).not.toThrow();
  });

  it('a workspace erases that workspace only (slack:T12: is not slack:T123:), over many Query pages and batches, with no Scan', async () => {
    let inWorkspace = 0;
    for (let u = 0; u < 4; u++) inWorkspace += await seed(`slack:T123:U${u}`, 3, 4); // 4 × 3 × 5 = 60 items
    await seed('slack:T12:U1', 2, 2);
    await seed('slack:T1234:U1', 1, 2);
    await seed('slack:T123X:U1', 1, 1);
    await seed('teams:T123:U1', 1, 1);
    await seed('whatsapp:T123', 1, 1);
    expect(inWorkspace).toBe(60);

    // The shorter workspace id first: its own 6 items, none of slack:T123:'s.
    expect(await eraseWorkspaceItems(db(), TABLE, 'slack:T12:', { pageSize: 7 })).toEqual({ deleted: 6, done: true });
    expect((await actorsLeft()).filter((actor) => actor.startsWith('slack:T123:'))).toHaveLength(60);
    expect(await actorsLeft()).not.toContain('slack:T12:U1');

    const total = (await scanAll(TABLE)).length;
    const { client, counts } = counting();
    expect(await eraseWorkspaceItems(client, TABLE, 'slack:T123:', { pageSize: 7 })).toEqual({ deleted: 60, done: true });
    expect(counts.scans).toBe(0);
    expect(counts.queries).toBe(Math.ceil(60 / 7) + (60 % 7 === 0 ? 1 : 0)); // paged over its own 60 items only
    expect(counts.batches).toBeGreaterThanOrEqual(3); // at most 25 deletes a batch
    const left = await actorsLeft();
    expect(left.filter((actor) => actor.startsWith('slack:T123:'))).toEqual([]);
    expect(left).toHaveLength(total - 60);
    expect(new Set(left)).toEqual(new Set(['slack:T1234:U1', 'slack:T123X:U1', 'teams:T123:U1', 'whatsapp:T123']));

    // Once more: nothing left to erase, nothing else touched.
    expect(await eraseWorkspaceItems(db(), TABLE, 'slack:T123:')).toEqual({ deleted: 0, done: true });
    expect(await actorsLeft()).toHaveLength(total - 60);
  });

  it('a workspace erase stops at its deadline after a page, and a second run finishes it', async () => {
    await seed('teams:tenant-deadline:aad-1', 4, 4); // 20 items
    let clock = 0;
    const first = await eraseWorkspaceItems(db(), TABLE, 'teams:tenant-deadline:', { pageSize: 5, deadline: 2, now: () => clock++ });
    expect(first.done).toBe(false);
    expect(first.deleted).toBeLessThan(20);
    const second = await eraseWorkspaceItems(db(), TABLE, 'teams:tenant-deadline:', { pageSize: 5 });
    expect(second).toEqual({ deleted: 20 - first.deleted, done: true });
  });

  it('an actor: every conversation of theirs, not an actor whose id merely starts like theirs; unprocessed deletes are retried', async () => {
    const logs = memorySink();
    const mine = await seed('teams:tenant-9:aad-1', 5, 6); // 35 items
    await seed('teams:tenant-9:aad-10', 2, 1);
    await seed('teams:tenant-9:aad-1x', 1, 1);
    const { client, counts } = counting({ throttleFirstBatches: 2 });
    const deleted = await eraseActor(client, TABLE, 'teams:tenant-9:aad-1', { pageSize: 10, backoffMs: 1, logger: createLogger({ sink: logs.sink }) });
    expect(deleted).toBe(mine);
    expect(counts.unprocessed).toBeGreaterThan(0);
    expect(counts.scans).toBe(0);
    const left = await actorsLeft();
    expect(left).not.toContain('teams:tenant-9:aad-1');
    expect(left.filter((actor) => actor.startsWith('teams:tenant-9:'))).toHaveLength(6);
    const [line] = logs.records();
    expect(line).toMatchObject({ msg: 'actor erased', actorHash: expect.stringMatching(/^sha256:[0-9a-f]{16}$/), itemsDeleted: mine });
    expect(JSON.stringify(logs.records())).not.toContain('aad-1');
  });

  it('an actor of no workspace (WhatsApp) is found by its own id; `except` keys are left for the caller', async () => {
    const actor = 'whatsapp:0123456789abcdef0123456789abcdef';
    await seed(actor, 2, 2);
    await seed(`${actor}0`.slice(0, -1) + 'e', 1, 1);
    const keep = (await scanAll(TABLE)).filter((item) => item.actorId === actor).slice(0, 2).map(({ pk, sk }) => ({ pk, sk }));
    expect(await eraseActor(db(), TABLE, actor, { except: keep, logger: quiet })).toBe(4);
    expect((await actorsLeft()).filter((a) => a === actor)).toHaveLength(2);
    expect((await actorsLeft()).filter((a) => a.startsWith('whatsapp:0123456789abcdef0123456789abcde'))).toHaveLength(4);
  });

  it('items written before the index existed are not found by the index; the operator’s scanErase finds them', async () => {
    await seed('slack:TOLD:U1', 2, 2, false);
    await seed('slack:TOLD:U10', 1, 1, false);
    expect(await eraseActor(db(), TABLE, 'slack:TOLD:U1', { logger: quiet })).toBe(0);
    expect(await scanErase(db(), TABLE, 'slack:TOLD:U1#', { logger: quiet })).toBe(6);
    expect((await actorsLeft()).filter((a) => a.startsWith('slack:TOLD:'))).toEqual(['slack:TOLD:U10', 'slack:TOLD:U10']);
    expect(await scanErase(db(), TABLE, 'slack:TOLD:', { logger: quiet })).toBe(2);
    expect((await actorsLeft()).filter((a) => a.startsWith('slack:TOLD:'))).toEqual([]);
  });
});
