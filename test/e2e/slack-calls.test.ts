// How many Slack Web API calls a turn costs (issue 22), counted at the fake Slack the real
// WebClient talks to, through the whole local stack: a DM answered quickly needs no hourglass (no
// add, no removal); a slow one gets it and loses it with the answer; a known traveller's second
// session asks users.info nothing; the WebClient (global fetch in @slack/web-api 8) reuses its
// connection; an assistant thread's status is cleared by the answer itself.
import { afterEach, describe, expect, it } from 'vitest';
import { PROGRESS_REACTION_DELAY_MS } from '../../adapters/slack/send.ts';
import type { SlackCall } from '../../dev/fakes/slack.ts';
import { assistantThreadEvent, messageEvent, postSlack, slackRequest, slackTs, type SlackUser } from '../../dev/simulate/slack.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';

const h = useStack();
let users = 0;

const fake = () => h.stack.fakeSlack!;
/** The calls the worker made (the ingress makes none) since `from`, as method names in order. */
const methodsSince = (from: number): string[] => fake().calls.slice(from).filter((c) => c.delivered).map((c) => c.method);
const about = (channel: string) => (c: SlackCall) => c.args.channel === channel || c.args.channel_id === channel;

async function say(user: SlackUser, options: Parameters<typeof messageEvent>[1]): Promise<void> {
  const res = await postSlack(h.stack.url, slackRequest(messageEvent(user, options), SIGNING_SECRET));
  expect(res.status).toBe(200);
  await h.stack.idle();
}

/** Brek answers its events after `ms` (longer than the hourglass's delay: a slow turn). */
const slowBrek = (ms: number) => h.faults({ endpoints: { sendEvent: { latencyMs: ms } } });
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => h.faults(null));

describe('Slack calls per turn', () => {
  it('a DM answered quickly costs one call once the traveller is known; a slow one adds the hourglass and removes it', async () => {
    const user: SlackUser = { teamId: 'T0TEST', userId: `U${++users}CALLS` };
    const channel = `D${users}CALLS`;

    // First turn: users.info for the zone of the new session, then the answer. No hourglass.
    let from = fake().calls.length;
    await say(user, { text: 'denver tomorrow', channel });
    expect(methodsSince(from)).toEqual(['users.info', 'chat.postMessage']);

    // The same session, answered quickly: the answer is the one call.
    from = fake().calls.length;
    await say(user, { text: 'something cheaper please', channel });
    expect(methodsSince(from)).toEqual(['chat.postMessage']);
    // Nothing comes after the turn: the called-off hourglass never goes on later.
    await wait(PROGRESS_REACTION_DELAY_MS + 300);
    expect(methodsSince(from)).toEqual(['chat.postMessage']);

    // Brek slow: the hourglass goes on while it works and comes off after the answer (as every turn paid before).
    await slowBrek(PROGRESS_REACTION_DELAY_MS + 800);
    from = fake().calls.length;
    const ts = slackTs();
    await say(user, { text: 'something in boulder instead', channel, ts });
    expect(methodsSince(from)).toEqual(['reactions.add', 'chat.postMessage', 'reactions.remove']);
    const reactions = fake().calls.slice(from).filter((c) => c.method.startsWith('reactions.'));
    expect(reactions.map((c) => c.args)).toEqual([expect.objectContaining({ channel, timestamp: ts }), expect.objectContaining({ channel, timestamp: ts })]);
  });

  it('the worker keeps its connection to Slack alive across calls and turns', async () => {
    const user: SlackUser = { teamId: 'T0TEST', userId: `U${++users}ALIVE` };
    const channel = `D${users}ALIVE`;
    await say(user, { text: 'portland tomorrow', channel });
    const calls = fake().calls.length;
    const connections = fake().connections();
    expect(connections).toBeGreaterThan(0); // the count counts
    for (const text of ['something cheaper please', 'something closer to downtown', 'any with free parking']) await say(user, { text, channel });
    expect(fake().calls.length - calls).toBe(3);
    // Without keep-alive each call would open its own; a reused one opens none (a dropped idle one, one more).
    expect(fake().connections() - connections).toBeLessThanOrEqual(1);
  });

  it('a known traveller’s new conversation asks users.info nothing', async () => {
    const user: SlackUser = { teamId: 'T0TEST', userId: `U${++users}KNOWN` };
    await say(user, { text: 'austin tomorrow', channel: `D${users}KNOWN` });
    const from = fake().calls.length;
    // A channel mention: a thread of its own, so a new Brek session, with the zone already known.
    const channel = `C${users}KNOWN`;
    await say(user, { text: '<@UBOT> dallas tomorrow', channel, type: 'app_mention' });
    expect(methodsSince(from)).toEqual(['chat.postMessage']);
    const fresh = fake().calls.slice(from).filter(about(channel));
    expect(fresh).toHaveLength(1);
  });

  it('an assistant thread: the status, then the answer, which clears it (no second setStatus)', async () => {
    const user: SlackUser = { teamId: 'T0TEST', userId: `U${++users}AI` };
    const channel = `D${users}AI`;
    const thread = fake().openAssistantThread(user.userId, channel);
    const opened = await postSlack(h.stack.url, slackRequest(assistantThreadEvent(user, 'assistant_thread_started', { channel, threadTs: thread.threadTs, contextChannel: 'C0GENERAL' }), SIGNING_SECRET));
    expect(opened.status).toBe(200);
    await h.stack.idle();
    await say(user, { text: 'seattle tomorrow', channel, threadTs: thread.threadTs, assistantThread: true });
    const from = fake().calls.length;
    await say(user, { text: 'something cheaper please', channel, threadTs: thread.threadTs, assistantThread: true });
    const turn = methodsSince(from);
    expect(turn.filter((m) => m === 'assistant.threads.setStatus')).toHaveLength(1);
    expect(turn.indexOf('assistant.threads.setStatus')).toBeLessThan(turn.indexOf('chat.postMessage'));
    expect(fake().assistantThreads.get(`${channel}:${thread.threadTs}`)?.status).toBe('');
  });
});
