// The browser console end to end: Debian's Chromium, driven by playwright-core, books a room by
// typing and clicking in each of the three panes — the payment page included — against the local
// stack's real routes, then checks the activity panel. Screenshots land in test-results/console/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { WebClient } from '@slack/web-api';
import { LOCAL_SLACK_BOT_TOKEN } from '../../adapters/slack/profile.ts';
import { startFakeSlack } from '../../dev/fakes/slack.ts';
import { startStack } from '../../dev/stack.ts';
import { messageEvent, postSlack, slackRequest } from '../../dev/simulate/slack.ts';
import { SIGNING_SECRET, useStack } from '../support/stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-results', 'console');
const SEARCH = 'find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable';
const REPLY_MS = 20_000;
/** What the console's own page sends with every POST (see dev/console/guard.ts). */
const fromPage = (stack: { console: { token: string } }) => ({ 'content-type': 'application/json', 'x-console-token': stack.console.token });

// Brek's retries kept short, so a turn made to fail fails quickly.
const h = useStack({}, { brek: { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 2_000 } } });
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Requests the page made to anything but the local stack (there must be none: no CDN). */
const outside: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
  context.on('request', (request) => {
    if (!request.url().startsWith('http://127.0.0.1:')) outside.push(request.url());
  });
  page = await context.newPage();
  await page.goto(h.stack.url);
  await page.locator('#live', { hasText: 'live' }).waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

function pane(channel: string): Locator {
  return page.locator(`[data-pane="${channel}"]`);
}

async function say(channel: string, text: string): Promise<void> {
  const input = pane(channel).locator('input[name="message"]');
  await input.fill(text);
  await input.press('Enter');
}

/** The newest message from the bot in a pane that contains `text`. */
function botMessage(channel: string, text: string | RegExp): Locator {
  return pane(channel).locator('.msg.bot', { hasText: text }).last();
}

/** Opens the payment setup link (a new tab, as in the real apps) and adds the sandbox's test Visa. */
async function addCardThrough(link: Locator): Promise<void> {
  const [payment] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await payment.waitForLoadState();
  expect(payment.url()).toContain('/portal/payment?token=');
  await payment.locator('button', { hasText: 'VISA' }).click();
  await expect.poll(() => payment.locator('#result').textContent(), { timeout: REPLY_MS }).toContain('Card added');
  await payment.close();
}

async function screenshot(channel: string, name = channel): Promise<void> {
  await pane(channel).screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

async function waitFor(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: REPLY_MS });
}

describe('the console (GET /)', () => {
  it('serves everything itself: the page, its script and the card renderer’s styles', async () => {
    for (const path of ['/', '/console/app.js', '/console/adaptivecards.css']) expect((await fetch(`${h.stack.url}${path}`)).status).toBe(200);
    expect(outside).toEqual([]);
  });

  it('books a room in the Slack pane: Block Kit buttons, the payment page, then the card confirmed', async () => {
    await pane('slack').locator('input[name="user"]').fill('Ada');
    await pane('slack').locator('input[name="user"]').dispatchEvent('change');
    await say('slack', SEARCH);
    const shortlist = botMessage('slack', 'Branding Iron Motel');
    await waitFor(shortlist);
    await shortlist.locator('button', { hasText: 'Book' }).first().click();
    await waitFor(botMessage('slack', 'guest name'));
    await say('slack', 'John Doe');
    const setup = botMessage('slack', 'done').locator('a', { hasText: 'Set up payment' });
    await waitFor(setup);
    await addCardThrough(setup);
    await say('slack', 'done');
    const confirm = botMessage('slack', 'Yes, use this card').locator('button', { hasText: 'Yes, use this card' });
    await waitFor(confirm);
    await confirm.click();
    await waitFor(botMessage('slack', 'Booked Branding Iron Motel'));
    await expect.poll(() => botMessage('slack', 'Booked').locator('a', { hasText: 'View booking' }).count()).toBe(1);
    await screenshot('slack');
  }, 90_000);

  it('the Slack pane is an assistant thread: the greeting, suggested prompts as Slack draws them, the status line, the title', async () => {
    await pane('slack').locator('input[name="user"]').fill('Grace');
    await pane('slack').locator('input[name="user"]').dispatchEvent('change');
    await waitFor(botMessage('slack', 'I can find and book hotels'));
    const prompt = pane('slack').locator('.sk-assistant:not([hidden]) button.sk-prompt', { hasText: 'Find a refundable hotel in Las Vegas this weekend' });
    await waitFor(prompt);
    await expect.poll(() => pane('slack').locator('.sk-assistant:not([hidden]) button.sk-prompt').count()).toBe(3);
    await screenshot('slack', 'slack-assistant-prompts');
    await prompt.click();
    await waitFor(pane('slack').locator('.msg.user', { hasText: 'Find a refundable hotel in Las Vegas this weekend' }));
    await waitFor(botMessage('slack', 'Las Vegas'));
    await waitFor(pane('slack').locator('.sk-assistant:not([hidden]) .sk-thread-title', { hasText: 'Find a refundable hotel in Las Vegas this weekend' }));
    // The status line as Slack shows it while the app works (set here as the sender sets it).
    const thread = [...h.stack.fakeSlack!.assistantThreads.values()].filter((t) => t.title).at(-1)!;
    const web = new WebClient(LOCAL_SLACK_BOT_TOKEN, { slackApiUrl: h.stack.fakeSlack!.apiUrl });
    await web.assistant.threads.setStatus({ channel_id: thread.channel, thread_ts: thread.threadTs, status: 'Booking your room…', loading_messages: ['Booking your room…'] });
    await waitFor(pane('slack').locator('.sk-assistant:not([hidden]) .sk-status', { hasText: 'Booking your room…' }));
    await screenshot('slack', 'slack-assistant-status');
    await web.assistant.threads.setStatus({ channel_id: thread.channel, thread_ts: thread.threadTs, status: '' });
    await expect.poll(() => pane('slack').locator('.sk-assistant:not([hidden]) .sk-status').count()).toBe(0);
  }, 90_000);

  it('books a room in the Teams pane: Adaptive Cards drawn by Microsoft’s renderer, Action.Execute clicks', async () => {
    await say('teams', SEARCH);
    const shortlist = botMessage('teams', 'Branding Iron Motel');
    await waitFor(shortlist);
    await shortlist.locator('button', { hasText: 'Book' }).first().click();
    await waitFor(botMessage('teams', 'guest name'));
    await say('teams', 'John Doe');
    const setup = botMessage('teams', 'Set up payment').locator('button', { hasText: 'Set up payment' });
    await waitFor(setup);
    await addCardThrough(setup);
    // A personal chat: "Done" and then Yes / No are suggested actions, chips under the latest message.
    const done = pane('teams').locator('.teams-chip', { hasText: 'Done' });
    await waitFor(done);
    await done.click();
    const confirm = botMessage('teams', 'VISA').locator('.teams-chip', { hasText: 'Yes, use this card' });
    await waitFor(confirm);
    expect(await botMessage('teams', 'VISA').locator('.teams-chip').allTextContents()).toEqual(['Yes, use this card', 'No']);
    await pane('teams').screenshot({ path: join(ARTIFACTS, 'teams-suggested-actions.png') });
    await confirm.click();
    await waitFor(botMessage('teams', 'Booked Branding Iron Motel'));
    // The tap is the traveller's message in the chat, and the chips went with it, as in Teams.
    await waitFor(pane('teams').locator('.msg.user', { hasText: 'Yes, use this card' }));
    await expect.poll(() => pane('teams').locator('.teams-chip').count()).toBe(0);
    await screenshot('teams');
  }, 90_000);

  it('books a room in the WhatsApp pane: numbers and words typed, the link tapped in a bubble', async () => {
    await say('whatsapp', SEARCH);
    await waitFor(botMessage('whatsapp', 'Branding Iron Motel'));
    await say('whatsapp', '1');
    await waitFor(botMessage('whatsapp', 'guest name'));
    await say('whatsapp', 'John Doe');
    const setup = botMessage('whatsapp', 'Set up payment').locator('a[href*="/portal/payment?token="]').first();
    await waitFor(setup);
    await addCardThrough(setup);
    await say('whatsapp', 'done');
    await waitFor(botMessage('whatsapp', /YES/));
    await say('whatsapp', 'yes');
    await waitFor(botMessage('whatsapp', 'Booked Branding Iron Motel'));
    // WhatsApp's own formatting: *bold* drawn bold, not as asterisks.
    expect(await pane('whatsapp').locator('.wa strong').count()).toBeGreaterThan(0);
    expect(await pane('whatsapp').locator('.wa em strong', { hasText: 'cancel my booking' }).count()).toBe(1);
    await screenshot('whatsapp');
  }, 90_000);

  it('books a room in the WhatsApp pane with taps only: a list item, the “Done” and “Yes, use this card” quick replies', async () => {
    // A new traveller (no saved card yet), so the payment link and its "Done" come.
    await pane('whatsapp').locator('input[name="user"]').fill('Wanda');
    await pane('whatsapp').locator('input[name="user"]').dispatchEvent('change');
    await expect.poll(() => pane('whatsapp').locator('.msg.bot').count(), { timeout: REPLY_MS }).toBe(0);
    const bot = (text: string) => pane('whatsapp').locator('.msg.bot', { hasText: text });
    const asked = await bot('guest name').count();
    await say('whatsapp', SEARCH);
    const open = pane('whatsapp').locator('.wa-list-open').last();
    await waitFor(open);
    expect(await open.textContent()).toBe('☰ Choose a hotel');
    await open.click();
    const item = pane('whatsapp').locator('.wa-list-items').last().locator('.wa-item', { hasText: 'Branding Iron Motel' });
    await waitFor(item);
    expect(await item.locator('.wa-item-description').textContent()).toContain('$98.11/night');
    await item.scrollIntoViewIfNeeded();
    await screenshot('whatsapp', 'whatsapp-list-picker');
    await item.click();
    await expect.poll(() => bot('guest name').count(), { timeout: REPLY_MS }).toBe(asked + 1);
    await say('whatsapp', 'John Doe');
    const setup = botMessage('whatsapp', 'Set up payment').locator('a[href*="/portal/payment?token="]').first();
    await waitFor(setup);
    await addCardThrough(setup);
    const done = pane('whatsapp').locator('.wa-quick', { hasText: 'Done' }).last();
    await waitFor(done);
    const consents = await bot('to pay with').count();
    await done.click();
    await expect.poll(() => bot('to pay with').count(), { timeout: REPLY_MS }).toBe(consents + 1);
    const yes = pane('whatsapp').locator('.wa-quick', { hasText: 'Yes, use this card' }).last();
    await waitFor(yes);
    expect(await pane('whatsapp').locator('.wa-quick', { hasText: /^No$/ }).count()).toBeGreaterThan(0);
    await screenshot('whatsapp', 'whatsapp-quick-replies');
    const bookings = await bot('Booked Branding Iron Motel').count();
    await yes.click();
    await expect.poll(() => bot('Booked Branding Iron Motel').count(), { timeout: REPLY_MS }).toBe(bookings + 1);
    // The taps show as the traveller's own messages, as WhatsApp shows them.
    expect(await pane('whatsapp').locator('.msg.user', { hasText: 'Yes, use this card' }).count()).toBeGreaterThan(0);
  }, 90_000);

  it('shows every turn in the activity panel, replied, with Brek’s ids and the raw exchange on demand', async () => {
    await h.stack.idle();
    const rows = page.locator('#turns tr[data-turn]');
    for (const channel of ['slack', 'teams', 'whatsapp']) {
      // Search, book, guest name, done, confirm: five turns each at least.
      await expect.poll(() => page.locator(`#turns tr[data-channel="${channel}"][data-state="replied"]`).count()).toBeGreaterThanOrEqual(5);
    }
    expect(await page.locator('#turns tr[data-turn]:not([data-state="replied"])').count()).toBe(0);
    const booked = rows.filter({ hasText: 'booked' }).first();
    expect(await booked.locator('td.rid').first().textContent()).toMatch(/\S/);
    await booked.locator('button', { hasText: 'Details' }).click();
    const details = page.locator('tr.details pre').first();
    await waitFor(details);
    const shown = JSON.parse((await details.textContent()) ?? '{}') as { brekResult?: { status?: string }; rendered?: unknown };
    expect(shown.brekResult?.status).toBe('booked');
    expect(shown.rendered).toBeTruthy();
    await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
    expect(outside).toEqual([]);
  }, 60_000);
});

describe('replaying a failed turn from the activity panel', () => {
  it('shows the failed turn with its apology, and Replay answers it once Brek is back', async () => {
    await pane('slack').locator('input[name="user"]').fill('Rita');
    await pane('slack').locator('input[name="user"]').dispatchEvent('change');
    await h.faults({ endpoints: { createSession: { rate5xx: 1, status5xx: 503 }, sendEvent: { rate5xx: 1, status5xx: 503 } } });
    try {
      await say('slack', 'seattle tomorrow');
      await waitFor(botMessage('slack', 'busy'));
      await h.stack.idle();
    } finally {
      await h.faults(null);
    }
    const failed = page.locator('#turns tr[data-channel="slack"][data-state="failed"]');
    await failed.first().waitFor({ timeout: REPLY_MS });
    expect(await failed.count()).toBe(1);
    // The failed Brek call's x-request-id is kept, for Brek support.
    expect(await failed.locator('td.rid').first().textContent()).toMatch(/\S/);
    const id = await failed.getAttribute('data-turn');
    await failed.locator('button', { hasText: 'Replay' }).click();
    await page.locator(`#turns tr[data-state="replied"][data-turn="${id}"]`).waitFor({ timeout: REPLY_MS });
    await waitFor(botMessage('slack', 'Seattle'));
    // Replaying again is refused: the turn has an answer now.
    const again = await fetch(`${h.stack.url}/console/replay`, { method: 'POST', headers: fromPage(h.stack), body: JSON.stringify({ id }) });
    expect(again.status).toBe(400);
    expect(h.leaks()).toEqual([]);
  }, 60_000);
});

describe('the console’s own routes refuse bad input clearly', () => {
  const post = (path: string, body: string) => fetch(`${h.stack.url}${path}`, { method: 'POST', headers: fromPage(h.stack), body });
  it.each([
    ['/console/send', 'not json', 'Send a JSON object.'],
    ['/console/send', '{"channel":"fax","text":"hi"}', 'not a simulated channel'],
    ['/console/send', '{"channel":"slack","text":"   "}', 'Type a message first.'],
    ['/console/click', '{"channel":"slack"}', 'A click needs the message'],
    ['/console/click', '{"channel":"whatsapp","messageId":"x"}', 'no buttons'],
    ['/console/replay', '{}', 'Name the turn'],
    ['/console/replay', '{"id":"no-such-turn"}', 'no-such-turn'],
  ])('POST %s %s', async (path, body, message) => {
    const res = await post(path, body);
    expect([400, 502]).toContain(res.status);
    expect(((await res.json()) as { message: string }).message).toContain(message);
  });

  it('answers 404 for an unknown turn or route', async () => {
    expect((await fetch(`${h.stack.url}/console/turns/nope`)).status).toBe(404);
    expect((await fetch(`${h.stack.url}/console/nope`)).status).toBe(404);
  });
});

describe('with a real channel configured', () => {
  it('offers no pane for it, still lists its turns, and drives the simulated ones', async () => {
    // "Real" Slack: a bot token and an API URL of the partner's; the stack starts no fake for it.
    const slackApi = await startFakeSlack({ token: 'xoxb-real-workspace' });
    const stack = await startStack({
      dataDir: 'memory',
      logger: createLogger({ level: 'error' }),
      env: { PORT: '0', SLACK_BOT_TOKEN: 'xoxb-real-workspace', SLACK_API_URL: slackApi.apiUrl, SLACK_SIGNING_SECRET: SIGNING_SECRET, ACTOR_ID_SECRET: 'test-actor-secret-0123456789' },
    });
    try {
      const state = (await (await fetch(`${stack.url}/console/state`)).json()) as { simulated: Record<string, boolean> };
      expect(state.simulated).toEqual({ slack: false, teams: true, whatsapp: true });
      const refused = await fetch(`${stack.url}/console/send`, { method: 'POST', headers: fromPage(stack), body: JSON.stringify({ channel: 'slack', text: 'hi' }) });
      expect(refused.status).toBe(400);
      // A message from the real workspace shows in the activity.
      const res = await postSlack(stack.url, slackRequest(messageEvent({ teamId: 'TREAL', userId: 'UREAL' }, { text: 'seattle tomorrow' }), SIGNING_SECRET));
      expect(res.status).toBe(200);
      await stack.idle();
      const other = await browser.newPage();
      await other.goto(stack.url);
      await other.locator('[data-pane="slack"] .notice', { hasText: 'connected for real' }).waitFor();
      expect(await other.locator('[data-pane="slack"] input[name="message"]').count()).toBe(0);
      await other.locator('#turns tr[data-channel="slack"][data-state="replied"]').waitFor({ timeout: REPLY_MS });
      await other.close();
    } finally {
      await stack.close();
      await slackApi.close();
    }
  }, 60_000);
});
