// The Slack side of `npm run chat`: signed events and button clicks exactly as Slack sends them,
// and the replies read back from the local stack's fake Slack Web API. `npm run chat` is an
// assistant thread (Slack's AI app container; SLACK_CHAT_SURFACE=dm for the DM): opening it greets, and the thread's suggested prompts are
// numbered with the reply they came with; choosing one sends its message, as tapping it in Slack does.
import type { KnownBlock } from '@slack/types';
import { assistantThreadEvent, blockAction, messageEvent, postSlack, slackRequest, type SlackUser } from '../simulate/slack.ts';
import { slackUserFor } from '../local/slack.ts';
import { ChatSetupError, collectReplies, type ChatButton, type ChatChannel, type ChatChannelModule, type ChatMessage } from './types.ts';

interface FakeCall {
  method: string;
  args: Record<string, unknown>;
  fault?: string;
  /** The platform did the work (a post whose answer was lost counts). */
  delivered: boolean;
  ts?: string;
}

/** mrkdwn → terminal text: links written out, bold marks and escapes removed. */
export function plainFromMrkdwn(text: string): string {
  return text
    .replace(/<((?:https?|mailto):[^|>]+)\|([^>]+)>/g, '$2: $1')
    .replace(/<((?:https?|mailto):[^>]+)>/g, '$1')
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Each user's assistant thread in this chat process: a stack restart carries on in it. */
const threadsByUser = new Map<string, string>();

interface Prompt {
  title: string;
  message: string;
}

export class SlackChat implements ChatChannel {
  readonly name = 'slack';
  private seen = 0;
  private readonly channel: string;
  private threadTs?: string;
  /** Suggested prompts set for the thread, shown with the message that follows them. */
  private prompts?: Prompt[];
  /** The thread was opened by start(): its greeting is waiting to be read. */
  greets = false;

  constructor(
    private readonly stackUrl: string,
    private readonly fakeSlackUrl: string,
    private readonly signingSecret: string,
    private readonly user: SlackUser,
    /** Talk in an assistant thread (what `npm run chat` does), or else in the DM. */
    private readonly options: { assistant?: boolean } = {},
  ) {
    this.channel = `D${user.userId}`;
  }

  /** Skips what was sent before this session started, then opens the container (once per user) if asked to. */
  async start(): Promise<void> {
    this.seen = (await this.calls(0)).next;
    if (!this.options.assistant) return;
    const key = `${this.user.teamId}:${this.user.userId}`;
    this.threadTs = threadsByUser.get(key);
    if (this.threadTs) return;
    const res = await fetch(`${this.fakeSlackUrl}/__fake/assistant_threads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: this.user.userId, channel: this.channel }) });
    if (!res.ok) throw new Error(`the fake Slack answered ${res.status} opening an assistant thread`);
    const { thread } = (await res.json()) as { thread: { threadTs: string } };
    this.threadTs = thread.threadTs;
    threadsByUser.set(key, thread.threadTs);
    const event = assistantThreadEvent(this.user, 'assistant_thread_started', { channel: this.channel, threadTs: thread.threadTs });
    const opened = await postSlack(this.stackUrl, slackRequest(event, this.signingSecret));
    if (opened.status !== 200) throw new Error(`the bridge answered ${opened.status}: ${await opened.text()}`);
    this.greets = true;
  }

  private async calls(since: number): Promise<{ calls: FakeCall[]; next: number }> {
    const res = await fetch(`${this.fakeSlackUrl}/__fake/calls?since=${since}`);
    return (await res.json()) as { calls: FakeCall[]; next: number };
  }

  async send(text: string): Promise<void> {
    const thread = this.threadTs ? { threadTs: this.threadTs, assistantThread: true } : {};
    const res = await postSlack(this.stackUrl, slackRequest(messageEvent(this.user, { text, channel: this.channel, ...thread }), this.signingSecret));
    if (res.status !== 200) throw new Error(`the bridge answered ${res.status}: ${await res.text()}`);
  }

  private async click(actionId: string, value: string | undefined, messageTs: string, blockId: string | undefined, threadTs: string | undefined): Promise<void> {
    const payload = blockAction(this.user, { actionId, ...(value ? { value } : {}), channel: this.channel, messageTs, ...(threadTs ? { threadTs } : {}), ...(blockId ? { blockId } : {}) });
    const res = await postSlack(this.stackUrl, slackRequest(payload, this.signingSecret, { form: true }));
    if (res.status !== 200) throw new Error(`the bridge answered ${res.status}: ${await res.text()}`);
  }

  async replies(timeoutMs: number): Promise<ChatMessage[]> {
    return collectReplies(async () => {
      const { calls, next } = await this.calls(this.seen);
      this.seen = next;
      const out: ChatMessage[] = [];
      for (const call of calls) {
        if (!call.delivered) continue;
        if (call.method === 'assistant.threads.setSuggestedPrompts' && call.args.channel_id === this.channel && call.args.thread_ts === this.threadTs) {
          this.prompts = Array.isArray(call.args.prompts) ? (call.args.prompts as Prompt[]) : undefined;
        }
        if (call.args.channel !== this.channel) continue;
        if (call.method === 'chat.postMessage') out.push(this.withPrompts(this.toMessage(call)));
        if (call.method === 'chat.postEphemeral' && call.args.user === this.user.userId) out.push({ ...this.toMessage(call), private: true });
      }
      return out;
    }, timeoutMs);
  }

  /** The thread's new suggested prompts, numbered after the message's own buttons. */
  private withPrompts(message: ChatMessage): ChatMessage {
    const prompts = this.prompts;
    if (!prompts?.length) return message;
    this.prompts = undefined;
    return { ...message, buttons: [...message.buttons, ...prompts.map((prompt) => ({ label: `💬 ${prompt.title}`, click: () => this.send(prompt.message) }))] };
  }

  private toMessage(call: FakeCall): ChatMessage {
    const blocks = (Array.isArray(call.args.blocks) ? call.args.blocks : []) as KnownBlock[];
    const lines: string[] = [];
    const buttons: ChatButton[] = [];
    const messageTs = call.ts ?? `${Date.now() / 1000}`;
    const threadTs = typeof call.args.thread_ts === 'string' ? call.args.thread_ts : undefined;
    const addButton = (element: unknown, blockId: string | undefined) => {
      const b = element as { type?: string; text?: { text?: string }; url?: string; action_id?: string; value?: string };
      if (b.type !== 'button') return;
      const label = b.text?.text ?? 'button';
      if (b.url) buttons.push({ label, url: b.url });
      else if (b.action_id) buttons.push({ label, click: () => this.click(b.action_id!, b.value, messageTs, blockId, threadTs) });
    };
    for (const block of blocks) {
      if (block.type === 'section') {
        if (block.text) lines.push(plainFromMrkdwn(block.text.text));
        for (const field of block.fields ?? []) lines.push(plainFromMrkdwn(field.text).replace('\n', ': '));
        if (block.accessory) addButton(block.accessory, block.block_id);
      } else if (block.type === 'context') {
        for (const element of block.elements) if ('text' in element) lines.push(plainFromMrkdwn(element.text));
      } else if (block.type === 'actions') {
        for (const element of block.elements) addButton(element, block.block_id);
      }
    }
    return { text: lines.length ? lines.join('\n') : String(call.args.text ?? ''), buttons };
  }
}

export const chatChannel: ChatChannelModule = {
  open({ stack, secrets, env, user }) {
    if (!stack.fakeSlackUrl) throw new ChatSetupError('the stack talks to real Slack (SLACK_BOT_TOKEN is set); chat needs its simulated Slack.');
    const signingSecret = env.SLACK_SIGNING_SECRET ?? secrets.slackSigningSecret;
    if (!signingSecret) throw new ChatSetupError('no Slack signing secret (set SLACK_SIGNING_SECRET as for `npm start`).');
    const { teamId, userId } = slackUserFor(user);
    // SLACK_CHAT_SURFACE=dm talks in the app's DM instead of its assistant container.
    return new SlackChat(stack.url, stack.fakeSlackUrl, signingSecret, { teamId, userId }, { assistant: env.SLACK_CHAT_SURFACE !== 'dm' });
  },
};
