// `npm run chat -- --channel slack|teams|whatsapp [--user NAME] [--script FILE]`: talk to the local stack as a
// channel user would. Each line is sent exactly as the platform sends it; replies are printed
// with their buttons numbered. Commands: /b N clicks button N of the latest reply, /card adds the
// sandbox's test Visa through the latest payment setup link, /quit leaves.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { SlackChat } from './chat/slack.ts';
import { attachTestCard } from './simulate/payment.ts';
import { TeamsChat } from './chat/teams.ts';
import { WhatsAppChat } from './chat/whatsapp.ts';
import type { ChatButton, ChatChannel, ChatMessage } from './chat/types.ts';
import type { DevSecrets, StackInfo } from './stack.ts';
import { slackUserFor } from './local/slack.ts';
import { teamsUserFor } from './local/teams.ts';
import { whatsappUserFor } from './local/whatsapp.ts';

const REPLY_TIMEOUT_MS = 30_000;

function fail(message: string): never {
  process.stderr.write(`npm run chat: ${message}\n`);
  process.exit(1);
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Prints replies; a reply with buttons numbers them from 1, and `/b N` refers to those. */
function show(messages: ChatMessage[], state: ChatState): void {
  for (const message of messages) {
    const prefix = message.private ? '(only you) ' : '';
    process.stdout.write(`\nbrek> ${prefix}${message.text.split('\n').join('\n      ')}\n`);
    if (message.buttons.length > 0) state.buttons = [];
    for (const button of message.buttons) {
      state.buttons.push(button);
      if (button.url?.includes('/portal/payment?token=')) state.setupUrl = button.url;
      const where = button.url ? ` → ${button.url}` : '';
      process.stdout.write(`      [${state.buttons.length}] ${button.label}${where}\n`);
    }
  }
  if (messages.length === 0) process.stdout.write('\nbrek> (no answer within 30 s)\n');
}

interface ChatState {
  buttons: ChatButton[];
  setupUrl?: string;
}

/** Adds the sandbox's test Visa through the newest setup link, as a tester would on the portal page. */
async function addTestCard(setupUrl: string | undefined): Promise<string> {
  if (!setupUrl) return 'no payment setup link yet';
  const res = await attachTestCard(setupUrl);
  return res.ok ? 'test card VISA •••• 4242 added on the payment page' : `the payment page said ${res.status}: ${await res.text()}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { channel: { type: 'string', default: 'slack' }, user: { type: 'string', default: 'traveller' }, script: { type: 'string' } },
  });
  const dataDir = process.env.BRIDGE_DATA_DIR ?? join(process.cwd(), '.data');
  const stack = await readJson<StackInfo>(join(dataDir, 'stack.json'));
  if (!stack) fail('no local stack is running here (start it with `npm start`).');

  let channel: ChatChannel & { start(): Promise<void> };
  if (values.channel === 'slack') {
    if (!stack.fakeSlackUrl) fail('the stack talks to real Slack (SLACK_BOT_TOKEN is set); chat needs its simulated Slack.');
    const secrets = await readJson<DevSecrets>(join(dataDir, 'dev-secrets.json'));
    const signingSecret = process.env.SLACK_SIGNING_SECRET ?? secrets?.slackSigningSecret;
    if (!signingSecret) fail('no Slack signing secret (set SLACK_SIGNING_SECRET as for `npm start`).');
    const { teamId, userId } = slackUserFor(values.user ?? 'traveller');
    channel = new SlackChat(stack.url, stack.fakeSlackUrl, signingSecret, { teamId, userId });
  } else if (values.channel === 'teams') {
    if (!stack.fakeTeamsUrl) fail('the stack talks to a real Teams bot (TEAMS_APP_ID is set); chat needs its simulated Teams.');
    const { tenantId, aadObjectId, name } = teamsUserFor(values.user ?? 'traveller');
    channel = new TeamsChat(stack.url, stack.fakeTeamsUrl, { tenantId, aadObjectId, ...(name ? { name } : {}) });
  } else if (values.channel === 'whatsapp') {
    if (!stack.fakeTwilioUrl || !stack.whatsappWebhookUrl || !stack.whatsappFrom) fail('the stack talks to real Twilio (TWILIO_ACCOUNT_SID is set); chat needs its simulated WhatsApp.');
    const secrets = await readJson<DevSecrets>(join(dataDir, 'dev-secrets.json'));
    const authToken = process.env.TWILIO_AUTH_TOKEN ?? secrets?.twilioAuthToken;
    if (!authToken) fail('no Twilio auth token (set TWILIO_AUTH_TOKEN as for `npm start`).');
    const { phone, name } = whatsappUserFor(values.user ?? 'traveller');
    channel = new WhatsAppChat(stack.whatsappWebhookUrl, stack.fakeTwilioUrl, authToken, stack.whatsappFrom, { phone, ...(name ? { name } : {}) });
  } else {
    fail(`--channel must be slack, teams or whatsapp, not "${values.channel}".`);
  }
  await channel.start();

  const state: ChatState = { buttons: [] };
  const handle = async (line: string): Promise<boolean> => {
    const input = line.trim();
    if (!input || input.startsWith('#')) return true;
    if (input === '/quit') return false;
    if (input === '/card') {
      process.stdout.write(`      (${await addTestCard(state.setupUrl)})\n`);
      return true;
    }
    const click = /^\/b\s+(\d+)$/.exec(input);
    if (click) {
      const button = state.buttons[Number(click[1]) - 1];
      if (!button) process.stdout.write(`      (no button ${click[1]})\n`);
      else if (button.url) process.stdout.write(`      (a link: open ${button.url})\n`);
      else {
        await button.click!();
        show(await channel.replies(REPLY_TIMEOUT_MS), state);
      }
      return true;
    }
    await channel.send(input);
    show(await channel.replies(REPLY_TIMEOUT_MS), state);
    return true;
  };

  process.stdout.write(`Talking to ${stack.url} as ${values.user} on ${channel.name}. /b N clicks button N, /card adds a test card, /quit leaves.\n`);
  if (values.script) {
    const lines = (await readFile(values.script, 'utf8')).split('\n');
    for (const line of lines) {
      if (line.trim() && !line.trim().startsWith('#')) process.stdout.write(`\nyou> ${line.trim()}\n`);
      if (!(await handle(line))) break;
    }
    return;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  for (;;) {
    const line = await rl.question('\nyou> ').catch(() => '/quit');
    if (!(await handle(line))) break;
  }
  rl.close();
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
