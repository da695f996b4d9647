// The fakes refuse what the platforms refuse, so a renderer that breaks a limit fails here as it
// would in production: Slack's Block Kit limits (invalid_blocks, msg_too_long), Teams' message size
// (413 MessageSizeTooBig, counted as UTF-16), Twilio's body length (21617) and empty body (21602).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { slackRefusal } from '../../dev/fakes/blockkit-limits.ts';
import { startFakeSlack, type FakeSlack } from '../../dev/fakes/slack.ts';
import { startFakeTeams, type FakeTeams } from '../../dev/fakes/teams.ts';
import { startFakeTwilio, type FakeTwilio } from '../../dev/fakes/twilio.ts';
import { twilioClient } from '../../adapters/whatsapp/send.ts';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (actionId: string, extra: Record<string, unknown> = {}) => ({ type: 'button', action_id: actionId, text: { type: 'plain_text', text: 'Book' }, ...extra });

describe('Block Kit limits', () => {
  it.each([
    ['51 blocks', { text: 'x', blocks: Array.from({ length: 51 }, () => section('a')) }, 'invalid_blocks'],
    ['a section over 3,000', { text: 'x', blocks: [section('a'.repeat(3_001))] }, 'invalid_blocks'],
    ['11 fields', { text: 'x', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] }, 'invalid_blocks'],
    ['a header over 150', { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }, 'invalid_blocks'],
    ['a button value over 2,000', { text: 'x', blocks: [{ type: 'actions', elements: [button('a', { value: 'v'.repeat(2_001) })] }] }, 'invalid_blocks'],
    ['a button url over 3,000', { text: 'x', blocks: [{ type: 'actions', elements: [button('a', { url: `https://x/${'u'.repeat(3_000)}` })] }] }, 'invalid_blocks'],
    ['button text over 75', { text: 'x', blocks: [{ type: 'actions', elements: [{ ...button('a'), text: { type: 'plain_text', text: 't'.repeat(76) } }] }] }, 'invalid_blocks'],
    ['a repeated action_id', { text: 'x', blocks: [{ type: 'actions', elements: [button('a'), button('a')] }] }, 'invalid_blocks'],
    ['text over 40,000', { text: 't'.repeat(40_001) }, 'msg_too_long'],
    ['nothing at all', {}, 'no_text'],
  ])('%s is refused (%s)', (_name, args, error) => {
    expect(slackRefusal(args)).toBe(error);
  });

  it('a message within every limit is taken', () => {
    expect(slackRefusal({ text: 'x', blocks: [section('a'.repeat(3_000)), { type: 'actions', elements: [button('a', { value: 'v'.repeat(2_000) }), button('b')] }] })).toBeUndefined();
  });
});

describe('the fakes answer as the platforms do', () => {
  let slack: FakeSlack;
  let teams: FakeTeams;
  let twilio: FakeTwilio;
  beforeAll(async () => {
    [slack, teams, twilio] = await Promise.all([startFakeSlack({ token: 'xoxb-limits' }), startFakeTeams(), startFakeTwilio()]);
  });
  afterAll(async () => Promise.all([slack?.close(), teams?.close(), twilio?.close()]));

  it('Slack: chat.postMessage with too many blocks → invalid_blocks, nothing posted', async () => {
    const web = new WebClient('xoxb-limits', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    await expect(web.chat.postMessage({ channel: 'D1', text: 'x', blocks: Array.from({ length: 51 }, () => section('a')) as never })).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    expect(slack.posted('D1')).toEqual([]);
  });

  it('Teams: an activity over 100 KB as UTF-16 → 413 MessageSizeTooBig, nothing created', async () => {
    const token = ((await (await fetch(teams.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: teams.appId, client_secret: teams.appPassword }) })).json()) as { access_token: string }).access_token;
    // 51,300 characters: 51 KB as UTF-8, 103 KB as UTF-16.
    const res = await fetch(`${teams.serviceUrl}v3/conversations/c1/activities`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', text: 'x'.repeat(51_300) }) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MessageSizeTooBig');
    expect(teams.conversation('c1')).toEqual([]);
  });

  it('Twilio: a body over 1,600 characters → 21617, an empty one → 21602, nothing sent', async () => {
    const client = twilioClient({ accountSid: twilio.accountSid, authToken: twilio.authToken, apiUrl: twilio.url });
    const send = (body: string) => client.messages.create({ from: 'whatsapp:+14155238886', to: 'whatsapp:+15550001111', body });
    await expect(send('b'.repeat(1_601))).rejects.toMatchObject({ status: 400, code: 21617 });
    await expect(send('')).rejects.toMatchObject({ status: 400, code: 21602 });
    expect(twilio.delivered()).toEqual([]);
    await send('b'.repeat(1_600));
    expect(twilio.delivered()).toHaveLength(1);
  });
});
