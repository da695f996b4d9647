// `npm run chat -- [--channel NAME] [--user NAME] [--script FILE]`: talk to the local stack as a
// channel user would. Each line is sent exactly as the platform sends it; replies are printed
// with their buttons numbered. Commands: /b N clicks button N of the latest reply, /card adds the
// sandbox's test Visa through the latest payment setup link, /quit leaves. When the stack goes
// away (a restart), it says so once, waits for the stack to come back (re-reading .data/stack.json,
// whose addresses change on every start) and carries on.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { CHANNEL_PROFILES } from '../adapters/profiles.ts';
import type { Channel } from '../core/identity.ts';
import { parseCommandLine } from './args.ts';
import { CHAT_CHANNELS } from './chat/index.ts';
import { attachTestCard } from './simulate/payment.ts';
import { ChatSetupError, type ChatButton, type ChatMessage, type OpenChatChannel } from './chat/types.ts';
import type { DevSecrets, StackInfo } from './stack.ts';

const REPLY_TIMEOUT_MS = 30_000;
/** How often an idle chat checks that the stack is still there, and a waiting one looks for it. */
const WATCH_INTERVAL_MS = 2_000;
const WAIT_POLL_MS = 500;
const CHANNELS = CHANNEL_PROFILES.map((profile) => profile.channel);

const { values } = parseCommandLine({
  command: 'npm run chat',
  synopsis: '-- [options]',
  summary: 'Talk to the running local stack (`npm start`) as a channel user would, in the terminal.',
  options: {
    channel: { type: 'string', default: CHANNELS[0]!, value: 'NAME', description: `the channel: ${CHANNELS.join(', ')}` },
    user: { type: 'string', default: 'traveller', value: 'NAME', description: 'the simulated person you are (each name is its own user)' },
    script: { type: 'string', value: 'FILE', description: 'play the lines of FILE (as examples/*.chat) instead of reading the terminal' },
  },
  sections: [
    { heading: 'while chatting', lines: ['/b N    click button N of the latest reply', '/card   add the sandbox test Visa through the latest payment setup link', '/quit   leave'] },
    { heading: 'environment', lines: ['BRIDGE_DATA_DIR   where the stack keeps stack.json (default .data)'] },
  ],
  examples: [`npm run chat -- --channel ${CHANNELS[1] ?? CHANNELS[0]} --user Grace`, `npm run chat -- --script examples/${CHANNELS[0]}-booking.chat`],
});

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stack is not there (refused, reset, closed mid-answer), as opposed to answering badly. */
function isStackGone(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const cause = (error as { cause?: { code?: string } }).cause;
  return (error instanceof TypeError && error.message === 'fetch failed') || ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(cause?.code ?? '');
}

/**
 * The chat's connection to the stack: the channel opened from the current stack.json, and, when
 * the stack goes away, one notice and a wait until a stack answers again from the same data
 * directory (a restart has new addresses, so the channel is opened again from its stack.json).
 */
class StackLink {
  private waiting?: Promise<OpenChatChannel>;
  private watch?: NodeJS.Timeout;

  constructor(
    private readonly dataDir: string,
    private readonly open: (stack: StackInfo, secrets: Partial<DevSecrets>) => OpenChatChannel,
    private channel: OpenChatChannel,
    private stackUrl: string,
  ) {}

  /** Checks in the background, so the notice comes when the stack goes, not at the next line typed. */
  startWatching(): void {
    this.watch = setInterval(() => {
      if (this.waiting) return;
      fetch(`${this.stackUrl}/healthz`, { signal: AbortSignal.timeout(WATCH_INTERVAL_MS) }).catch((error: unknown) => {
        if (isStackGone(error)) void this.lost();
      });
    }, WATCH_INTERVAL_MS);
    this.watch.unref();
  }

  stopWatching(): void {
    clearInterval(this.watch);
  }

  /** The channel to use now: after a loss, once the stack is back. */
  current(): Promise<OpenChatChannel> {
    return this.waiting ?? Promise.resolve(this.channel);
  }

  /** Says once that the stack went away, then waits for it; every caller meanwhile shares the wait. */
  lost(): Promise<OpenChatChannel> {
    if (this.waiting) return this.waiting;
    process.stdout.write(`\n      (the local stack at ${this.stackUrl} went away; waiting for it to come back — start it again with \`npm start\`)\n`);
    this.waiting = this.reconnect().finally(() => (this.waiting = undefined));
    return this.waiting;
  }

  private async reconnect(): Promise<OpenChatChannel> {
    for (;;) {
      await sleep(WAIT_POLL_MS);
      const stack = await readJson<StackInfo>(join(this.dataDir, 'stack.json'));
      if (!stack?.url) continue;
      try {
        // Any answer proves the bridge listens (503 only says a part of it is unhealthy).
        await fetch(`${stack.url}/healthz`, { signal: AbortSignal.timeout(WATCH_INTERVAL_MS) });
        const channel = this.open(stack, (await readJson<Partial<DevSecrets>>(join(this.dataDir, 'dev-secrets.json'))) ?? {});
        await channel.start();
        this.channel = channel;
        this.stackUrl = stack.url;
        process.stdout.write(`      (the local stack is back at ${stack.url}; carrying on)\n`);
        return channel;
      } catch (error) {
        // A stale stack.json (the old stack was killed) or a stack still starting: keep waiting.
        if (error instanceof ChatSetupError) throw error;
      }
    }
  }

  /** Runs `action` on the current channel; if the stack went away meanwhile, waits and runs it again. */
  async withChannel<T>(action: (channel: OpenChatChannel) => Promise<T>): Promise<T> {
    for (;;) {
      const channel = await this.current();
      try {
        return await action(channel);
      } catch (error) {
        if (!isStackGone(error)) throw error;
        await this.lost();
      }
    }
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
  const chatChannel = CHAT_CHANNELS.get(values.channel as Channel);
  if (!chatChannel) fail(`--channel must be one of ${CHANNELS.join(', ')}, not "${values.channel}".`);
  const dataDir = process.env.BRIDGE_DATA_DIR ?? join(process.cwd(), '.data');
  const stack = await readJson<StackInfo>(join(dataDir, 'stack.json'));
  if (!stack) fail('no local stack is running here (start it with `npm start`).');

  const open = (info: StackInfo, secrets: Partial<DevSecrets>) => chatChannel.open({ stack: info, secrets, env: process.env, user: values.user });
  let first: OpenChatChannel;
  try {
    first = open(stack, (await readJson<Partial<DevSecrets>>(join(dataDir, 'dev-secrets.json'))) ?? {});
  } catch (error) {
    if (error instanceof ChatSetupError) fail(error.message);
    throw error;
  }
  await first.start();
  const link = new StackLink(dataDir, open, first, stack.url);
  link.startWatching();

  const state: ChatState = { buttons: [] };
  const handle = async (line: string): Promise<boolean> => {
    const input = line.trim();
    if (!input || input.startsWith('#')) return true;
    if (input === '/quit') return false;
    if (input === '/card') {
      // The sandbox goes away with the stack; the link is still good once it is back.
      process.stdout.write(`      (${await link.withChannel(() => addTestCard(state.setupUrl))})\n`);
      return true;
    }
    const click = /^\/b\s+(\d+)$/.exec(input);
    if (click) {
      const button = state.buttons[Number(click[1]) - 1];
      if (!button) process.stdout.write(`      (no button ${click[1]})\n`);
      else if (button.url) process.stdout.write(`      (a link: open ${button.url})\n`);
      else {
        try {
          await button.click!();
        } catch (error) {
          if (!isStackGone(error)) throw error;
          // The button belongs to the stack that went away (its addresses); the new one has its own.
          await link.lost();
          state.buttons = [];
          process.stdout.write('      (that button was from before the restart: type your answer, or ask again for fresh buttons)\n');
          return true;
        }
        show(await link.withChannel((channel) => channel.replies(REPLY_TIMEOUT_MS)), state);
      }
      return true;
    }
    await link.withChannel((channel) => channel.send(input));
    show(await link.withChannel((channel) => channel.replies(REPLY_TIMEOUT_MS)), state);
    return true;
  };

  process.stdout.write(`Talking to ${stack.url} as ${values.user} on ${first.name}. /b N clicks button N, /card adds a test card, /quit leaves.\n`);
  // Opening the channel can be answered first (Slack's assistant thread greets, with suggestions).
  if (first.greets) show(await link.withChannel((channel) => channel.replies(REPLY_TIMEOUT_MS)), state);
  try {
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
  } finally {
    link.stopWatching();
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
