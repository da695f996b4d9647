// Slack's AI app container end to end: the bridge as an assistant thread's agent, through signed
// Events API requests to the local stack, the Brek sandbox, and the real WebClient answering into
// the fake Slack Web API — suggested prompts on a new thread, the thread's status while Brek works
// (cleared with the answer), its title from the search, a booking made with the prompts, and
// every control still its owner's. DMs and channel mentions keep their reactions and buttons.
import type { Button, KnownBlock } from '@slack/types';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_SLACK_BOT_TOKEN } from '../../adapters/slack/profile.ts';
import type { SlackCall } from '../../dev/fakes/slack.ts';
import { attachTestCard } from '../../dev/simulate/payment.ts';
import { assistantThreadEvent, blockAction, messageEvent, postSlack, slackRequest, slackTs, type SlackUser } from '../../dev/simulate/slack.ts';
import { ACTION_WORDS } from '../../core/reply.ts';
import { MESSAGES } from '../../core/wording.ts';
import { SlackChat } from '../../dev/chat/slack.ts';
import { PROGRESS_REACTION_DELAY_MS } from '../../adapters/slack/send.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';

const h = useStack();
let users = 0;

const fake = () => h.stack.fakeSlack!;
const delivered = () => fake().calls.filter((c) => c.delivered);
const calls = (method: string) => delivered().filter((c) => c.method === method);

function buttons(call: SlackCall | undefined): (Button & { blockId?: string })[] {
  const out: (Button & { blockId?: string })[] = [];
  for (const block of (call?.args.blocks ?? []) as KnownBlock[]) {
    const blockId = block.block_id;
    if (block.type === 'section' && block.accessory?.type === 'button') out.push({ ...block.accessory, ...(blockId ? { blockId } : {}) });
    if (block.type === 'actions') for (const e of block.elements) if (e.type === 'button') out.push({ ...e, ...(blockId ? { blockId } : {}) });
  }
  return out;
}

const post = async (payload: Record<string, unknown>, form = false) => {
  const res = await postSlack(h.stack.url, slackRequest(payload, SIGNING_SECRET, { form }));
  expect(res.status).toBe(200);
  await h.stack.idle();
};

/** A traveller with the app's assistant container open: one thread, its replies, its prompts. */
function assistantTraveller(tz?: { offsetSeconds: number; zone: string }) {
  const user: SlackUser = { teamId: 'T0TEST', userId: `U${++users}AI` };
  if (tz) fake().setTimezone(user.userId, tz.offsetSeconds, tz.zone);
  const channel = `D${users}AI`;
  return {
    user,
    channel,
    /** Opens a new thread as Slack does: its root message, then assistant_thread_started. */
    async open(eventId?: string) {
      const thread = fake().openAssistantThread(user.userId, channel);
      await post(assistantThreadEvent(user, 'assistant_thread_started', { channel, threadTs: thread.threadTs, contextChannel: 'C0GENERAL', ...(eventId ? { eventId } : {}) }));
      return thread;
    },
    posts: (threadTs: string) => calls('chat.postMessage').filter((c) => c.args.channel === channel && c.args.thread_ts === threadTs),
    /** What the traveller types (or a suggested prompt sends): a message.im in the thread. */
    async say(threadTs: string, text: string, as: SlackUser = user) {
      const before = this.posts(threadTs).length;
      await post(messageEvent(as, { text, channel, threadTs, assistantThread: true }));
      const after = this.posts(threadTs);
      expect(after.length, `a reply to “${text}”`).toBe(before + 1);
      return after.at(-1)!;
    },
    /** Taps one of the thread's suggested prompts: Slack posts its message as the traveller's. */
    async tap(threadTs: string, title: string) {
      const prompt = fake().assistantThreads.get(`${channel}:${threadTs}`)?.prompts.find((p) => p.title === title);
      expect(prompt, `suggested prompt “${title}”`).toBeDefined();
      return this.say(threadTs, prompt!.message);
    },
    async click(threadTs: string, message: SlackCall, actionIdPrefix: string, as: SlackUser = user) {
      const target = buttons(message).find((b) => b.action_id?.startsWith(actionIdPrefix));
      expect(target, `button ${actionIdPrefix}`).toBeDefined();
      const before = this.posts(threadTs).length;
      const payload = blockAction(as, {
        actionId: target!.action_id!,
        ...(target!.value ? { value: target!.value } : {}),
        ...(target!.blockId ? { blockId: target!.blockId } : {}),
        channel,
        messageTs: String(message.ts),
        threadTs,
      });
      await post(payload, true);
      return this.posts(threadTs).slice(before);
    },
  };
}

describe('the assistant container', () => {
  it('a new thread: the greeting and the sample searches as suggested prompts, once however often Slack sends it', async () => {
    const t = assistantTraveller();
    const thread = await t.open('EvAIOPEN1');
    const [greeting, ...more] = t.posts(thread.threadTs);
    expect(more).toEqual([]);
    expect(String(greeting?.args.text)).toContain(MESSAGES.welcome.slice(0, 40));
    // The suggestions are the thread's prompts, not buttons in the message.
    expect(buttons(greeting)).toEqual([]);
    expect(thread.prompts.map((p) => p.message)).toEqual([...ACTION_WORDS.samples]);
    expect(thread.promptsTitle).toBe('Try asking');
    const set = calls('assistant.threads.setSuggestedPrompts').filter((c) => c.args.channel_id === t.channel);
    expect(set).toHaveLength(1);
    expect(set[0]!.args).toMatchObject({ thread_ts: thread.threadTs });
    // Nothing for Brek to do yet: no status, no reaction.
    expect(calls('assistant.threads.setStatus').filter((c) => c.args.channel_id === t.channel)).toEqual([]);

    // Slack retries the event, or sends it again with a new id: still one greeting.
    await post(assistantThreadEvent(t.user, 'assistant_thread_started', { channel: t.channel, threadTs: thread.threadTs, eventId: 'EvAIOPEN1' }));
    await post(assistantThreadEvent(t.user, 'assistant_thread_started', { channel: t.channel, threadTs: thread.threadTs }));
    expect(t.posts(thread.threadTs)).toHaveLength(1);

    // The traveller looks at another channel: acknowledged, nothing said, nothing asked of Brek.
    const brekBefore = (await h.brekRequests()).length;
    await post(assistantThreadEvent(t.user, 'assistant_thread_context_changed', { channel: t.channel, threadTs: thread.threadTs, contextChannel: 'C0RANDOM' }));
    expect(t.posts(thread.threadTs)).toHaveLength(1);
    expect((await h.brekRequests()).length).toBe(brekBefore);
  });

  it('a booking with the suggested prompts: status while Brek works, cleared with the answer; the title from the search; dates in the traveller’s zone', async () => {
    const t = assistantTraveller({ offsetSeconds: -14_400, zone: 'America/New_York' });
    const thread = await t.open();
    const key = `${t.channel}:${thread.threadTs}`;

    const list = await t.tap(thread.threadTs, ACTION_WORDS.samples[0]);
    expect(list.args.text).toContain('Las Vegas');
    // Progress is the thread's status (with lines to rotate through), set before the answer and
    // cleared by it (Slack clears a thread's status when the app replies, and so does the fake):
    // no second setStatus to clear it; no hourglass reaction in an assistant thread.
    const mine = delivered().filter((c) => c.args.channel_id === t.channel || c.args.channel === t.channel);
    const statuses = mine.filter((c) => c.method === 'assistant.threads.setStatus');
    expect(statuses[0]!.args).toMatchObject({ thread_ts: thread.threadTs, status: 'Searching hotels in Las Vegas…' });
    expect(statuses[0]!.args.loading_messages).toEqual(['Searching hotels in Las Vegas…', 'Comparing prices and cancellation terms…', 'Almost there…']);
    const answerAt = mine.indexOf(list);
    expect(mine.indexOf(statuses[0]!)).toBeLessThan(answerAt);
    expect(statuses).toHaveLength(1);
    expect(mine.slice(answerAt).filter((c) => c.method === 'assistant.threads.setStatus')).toEqual([]);
    expect(fake().assistantThreads.get(key)?.status).toBe('');
    expect(calls('reactions.add').filter((c) => c.args.channel === t.channel)).toEqual([]);
    // The shortlist titles the thread with what was asked.
    expect(fake().assistantThreads.get(key)?.title).toBe(ACTION_WORDS.samples[0]);

    // Book from the shortlist: the click belongs to this thread's conversation.
    const [guest] = await t.click(thread.threadTs, list, 'book_option:1');
    expect(guest?.args.text).toContain('guest name');
    expect(guest?.args.thread_ts).toBe(thread.threadTs);

    // The setup link is a button; "Done" is the thread's suggested prompt, not a button.
    const setup = await t.say(thread.threadTs, 'John Doe');
    expect(buttons(setup).map((b) => b.text.text)).toEqual(['Set up payment']);
    expect(fake().assistantThreads.get(key)?.prompts).toEqual([{ title: ACTION_WORDS.setupDone, message: ACTION_WORDS.setupDone }]);
    expect((await attachTestCard(buttons(setup)[0]!.url!)).status).toBe(200);

    const consent = await t.tap(thread.threadTs, ACTION_WORDS.setupDone);
    expect(buttons(consent).map((b) => b.text.text)).toEqual(['Yes, use this card', 'No']);

    // Someone else's tap on the traveller's button is refused, privately, and nothing happens.
    const intruder: SlackUser = { teamId: 'T0TEST', userId: `U${++users}INTRUDER` };
    const brekBefore = (await h.brekRequests()).length;
    await t.click(thread.threadTs, consent, 'confirm_payment_card', intruder);
    const refusal = calls('chat.postEphemeral').at(-1);
    expect(refusal?.args).toMatchObject({ channel: t.channel, user: intruder.userId });
    expect(String(refusal?.args.text)).toContain('belongs to someone else');
    expect((await h.brekRequests()).length).toBe(brekBefore);

    const [booked] = await t.click(thread.threadTs, consent, 'confirm_payment_card');
    expect(booked?.args.text).toMatch(/^Booked /);
    expect(booked?.args.thread_ts).toBe(thread.threadTs);
    // Brek's "Refundable until …T01:00:00Z" in the traveller's own zone (users.info tz).
    expect(JSON.stringify(booked?.args.blocks)).toMatch(/Refundable until \w{3} \d{1,2} \w{3}, \d{1,2}:\d{2} [AP]M E[SD]T/);
    expect(JSON.stringify(booked?.args.blocks)).not.toMatch(/T\d\d:\d\d:\d\dZ/);
    expect(fake().assistantThreads.get(key)?.status).toBe('');

    // One users.info for this traveller (zone and offset from the same answer), and none for a second thread.
    const second = await t.open();
    await t.say(second.threadTs, 'seattle tomorrow');
    expect(calls('users.info').filter((c) => c.args.user === t.user.userId)).toHaveLength(1);
  });

  it('the greeting carries the suggestions as buttons when Slack refuses the prompts', async () => {
    const t = assistantTraveller();
    const thread = fake().openAssistantThread(t.user.userId, t.channel);
    fake().fail({ method: 'assistant.threads.setSuggestedPrompts', error: 'invalid_arguments' });
    await post(assistantThreadEvent(t.user, 'assistant_thread_started', { channel: t.channel, threadTs: thread.threadTs }));
    const [greeting] = t.posts(thread.threadTs);
    expect(buttons(greeting).map((b) => b.text.text)).toEqual([...ACTION_WORDS.samples]);
    expect(thread.prompts).toEqual([]);
  });
});

describe('outside the assistant container', () => {
  // Brek slower than the hourglass's delay, so every turn here shows it (a quicker answer needs none).
  beforeEach(() => h.faults({ endpoints: { sendEvent: { latencyMs: PROGRESS_REACTION_DELAY_MS + 300 } } }));
  afterEach(() => h.faults(null));

  it('a DM keeps its hourglass reaction and sets no status', async () => {
    const user: SlackUser = { teamId: 'T0TEST', userId: `U${++users}DM` };
    const channel = `D${users}DM`;
    await post(messageEvent(user, { text: 'denver tomorrow', channel }));
    expect(calls('chat.postMessage').filter((c) => c.args.channel === channel)).toHaveLength(1);
    expect(calls('reactions.add').some((c) => c.args.channel === channel)).toBe(true);
    expect(calls('reactions.remove').some((c) => c.args.channel === channel)).toBe(true);
    expect(delivered().filter((c) => c.method.startsWith('assistant.'))).not.toContainEqual(expect.objectContaining({ args: expect.objectContaining({ channel_id: channel }) }));
  });

  it('a thread reply in a DM without Slack’s assistant_thread mark is still the DM’s conversation', async () => {
    const user: SlackUser = { teamId: 'T0TEST', userId: `U${++users}DMT` };
    const channel = `D${users}DMT`;
    await post(messageEvent(user, { text: 'seattle tomorrow', channel }));
    const list = calls('chat.postMessage').filter((c) => c.args.channel === channel).at(-1)!;
    await post(messageEvent(user, { text: 'book option 1', channel, threadTs: String(list.ts) }));
    const answer = calls('chat.postMessage').filter((c) => c.args.channel === channel).at(-1)!;
    // The DM's session went on (Brek asks for the guest name), answered in that thread, with reactions.
    expect(answer.args).toMatchObject({ thread_ts: list.ts, text: expect.stringContaining('guest name') });
    expect(calls('reactions.add').filter((c) => c.args.channel === channel)).toHaveLength(2);
    expect(delivered().some((c) => c.method.startsWith('assistant.') && c.args.channel_id === channel)).toBe(false);
  });

  it('in a channel thread "Done" is a button, and only its owner’s tap counts', async () => {
    const user: SlackUser = { teamId: 'T0TEST', userId: `U${++users}CH` };
    const channel = `C${users}CH`;
    const ts = slackTs();
    const inThread = () => calls('chat.postMessage').filter((c) => c.args.channel === channel);
    await post(messageEvent(user, { text: '<@UBOT> miami tomorrow', channel, ts, type: 'app_mention' }));
    await post(messageEvent(user, { text: 'book option 1', channel, threadTs: ts, channelType: 'channel' }));
    await post(messageEvent(user, { text: 'Ann Lee', channel, threadTs: ts, channelType: 'channel' }));
    const setup = inThread().at(-1)!;
    const done = buttons(setup).find((b) => b.text.text === ACTION_WORDS.setupDone);
    expect(done?.action_id).toMatch(/^say:/);
    expect(calls('reactions.add').some((c) => c.args.channel === channel)).toBe(true);
    expect(delivered().some((c) => c.method.startsWith('assistant.') && c.args.channel_id === channel)).toBe(false);
    await attachTestCard(buttons(setup)[0]!.url!);

    const tap = (as: SlackUser) => post(blockAction(as, { actionId: done!.action_id!, value: done!.value!, channel, messageTs: String(setup.ts), threadTs: ts }), true);
    const intruder: SlackUser = { teamId: 'T0TEST', userId: `U${++users}INTRUDER` };
    const before = inThread().length;
    await tap(intruder);
    expect(calls('chat.postEphemeral').at(-1)?.args).toMatchObject({ channel, user: intruder.userId });
    expect(inThread()).toHaveLength(before);

    await tap(user);
    const consent = inThread().at(-1)!;
    expect(buttons(consent).map((b) => b.text.text)).toEqual(['Yes, use this card', 'No']);
    // The tapped message became the traveller's words.
    expect(calls('chat.update').at(-1)?.args).toMatchObject({ channel, ts: setup.ts, text: '💬 “Done”' });
  });
});

describe('the fake assistant.threads.* refuse what Slack refuses', () => {
  it('missing ids, unknown threads, too many prompts, too long a title', async () => {
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };
    const web = new WebClient(LOCAL_SLACK_BOT_TOKEN, { slackApiUrl: fake().apiUrl, retryConfig: { retries: 0 }, logger: quiet });
    const thread = fake().openAssistantThread(`U${++users}FAKE`);
    const error = (call: Promise<unknown>) => call.then(() => 'ok', (e: { data?: { error?: string } }) => e.data?.error);
    const prompt = { title: 'Hi', message: 'Hello' };
    expect(await error(web.apiCall('assistant.threads.setStatus', { channel_id: thread.channel, status: 'x' }))).toBe('invalid_arguments');
    expect(await error(web.assistant.threads.setStatus({ channel_id: thread.channel, thread_ts: '1.000001', status: 'x' }))).toBe('invalid_thread_ts');
    expect(await error(web.assistant.threads.setStatus({ channel_id: 'D0NOWHERE', thread_ts: thread.threadTs, status: 'x' }))).toBe('channel_not_found');
    expect(await error(web.assistant.threads.setStatus({ channel_id: thread.channel, thread_ts: thread.threadTs, status: 'x', loading_messages: Array(11).fill('y') }))).toBe('invalid_arguments');
    expect(await error(web.assistant.threads.setSuggestedPrompts({ channel_id: thread.channel, thread_ts: thread.threadTs, prompts: Array(5).fill(prompt) }))).toBe('invalid_arguments');
    expect(await error(web.assistant.threads.setSuggestedPrompts({ channel_id: thread.channel, thread_ts: thread.threadTs, prompts: [{ title: '', message: 'x' }] }))).toBe('invalid_arguments');
    expect(await error(web.assistant.threads.setTitle({ channel_id: thread.channel, thread_ts: thread.threadTs, title: 'x'.repeat(256) }))).toBe('invalid_arguments');
    expect(await error(web.assistant.threads.setSuggestedPrompts({ channel_id: thread.channel, thread_ts: thread.threadTs, prompts: [prompt, prompt, prompt, prompt] }))).toBe('ok');
    expect(await error(web.assistant.threads.setStatus({ channel_id: thread.channel, thread_ts: thread.threadTs, status: 'is thinking…', loading_messages: ['a', 'b'] }))).toBe('ok');
    expect(fake().assistantThreads.get(`${thread.channel}:${thread.threadTs}`)).toMatchObject({ status: 'is thinking…', loadingMessages: ['a', 'b'], prompts: [prompt, prompt, prompt, prompt] });
  });
});

describe('npm run chat on Slack', () => {
  it('opens an assistant thread: the greeting’s prompts, and later "Done", are numbered choices that send their message', async () => {
    const chat = new SlackChat(h.stack.url, fake().url, SIGNING_SECRET, { teamId: 'T0TEST', userId: `U${++users}CHAT` }, { assistant: true });
    await chat.start();
    expect(chat.greets).toBe(true);
    const [greeting] = await chat.replies(10_000);
    expect(greeting?.text).toContain('I can find and book hotels');
    expect(greeting?.buttons.map((b) => b.label)).toEqual(ACTION_WORDS.samples.map((sample) => `💬 ${sample}`));

    await greeting!.buttons[0]!.click!();
    const [list] = await chat.replies(10_000);
    expect(list?.text).toContain('Las Vegas');
    await list!.buttons.find((b) => b.label === 'Book')!.click!();
    expect((await chat.replies(10_000))[0]?.text).toContain('guest name');
    await chat.send('John Doe');
    const [setup] = await chat.replies(10_000);
    expect(setup?.buttons.map((b) => b.label)).toEqual(['Set up payment', '💬 Done']);
    expect((await attachTestCard(setup!.buttons[0]!.url!)).status).toBe(200);
    await setup!.buttons[1]!.click!();
    const [consent] = await chat.replies(10_000);
    expect(consent?.buttons.map((b) => b.label)).toEqual(['Yes, use this card', 'No']);
  });
});
