// The Slack side of `npm run chat`: signed events and button clicks exactly as Slack sends them,
// and the replies read back from the local stack's fake Slack Web API.
import type { KnownBlock } from '@slack/types';
import { blockAction, messageEvent, postSlack, slackRequest, type SlackUser } from '../simulate/slack.ts';
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

export class SlackChat implements ChatChannel {
  readonly name = 'slack';
  private seen = 0;
  private readonly channel: string;

  constructor(
    private readonly stackUrl: string,
    private readonly fakeSlackUrl: string,
    private readonly signingSecret: string,
    private readonly user: SlackUser,
  ) {
    this.channel = `D${user.userId}`;
  }

  /** Skips what was sent before this session started. */
  async start(): Promise<void> {
    this.seen = (await this.calls(0)).next;
  }

  private async calls(since: number): Promise<{ calls: FakeCall[]; next: number }> {
    const res = await fetch(`${this.fakeSlackUrl}/__fake/calls?since=${since}`);
    return (await res.json()) as { calls: FakeCall[]; next: number };
  }

  async send(text: string): Promise<void> {
    const res = await postSlack(this.stackUrl, slackRequest(messageEvent(this.user, { text, channel: this.channel }), this.signingSecret));
    if (res.status !== 200) throw new Error(`the bridge answered ${res.status}: ${await res.text()}`);
  }

  private async click(actionId: string, value: string | undefined, messageTs: string): Promise<void> {
    const payload = blockAction(this.user, { actionId, ...(value ? { value } : {}), channel: this.channel, messageTs });
    const res = await postSlack(this.stackUrl, slackRequest(payload, this.signingSecret, { form: true }));
    if (res.status !== 200) throw new Error(`the bridge answered ${res.status}: ${await res.text()}`);
  }

  async replies(timeoutMs: number): Promise<ChatMessage[]> {
    return collectReplies(async () => {
      const { calls, next } = await this.calls(this.seen);
      this.seen = next;
      const out: ChatMessage[] = [];
      for (const call of calls) {
        if (call.args.channel !== this.channel || !call.delivered) continue;
        if (call.method === 'chat.postMessage') out.push(this.toMessage(call));
        if (call.method === 'chat.postEphemeral' && call.args.user === this.user.userId) out.push({ ...this.toMessage(call), private: true });
      }
      return out;
    }, timeoutMs);
  }

  private toMessage(call: FakeCall): ChatMessage {
    const blocks = (Array.isArray(call.args.blocks) ? call.args.blocks : []) as KnownBlock[];
    const lines: string[] = [];
    const buttons: ChatButton[] = [];
    const messageTs = call.ts ?? `${Date.now() / 1000}`;
    const addButton = (element: unknown) => {
      const b = element as { type?: string; text?: { text?: string }; url?: string; action_id?: string; value?: string };
      if (b.type !== 'button') return;
      const label = b.text?.text ?? 'button';
      if (b.url) buttons.push({ label, url: b.url });
      else if (b.action_id) buttons.push({ label, click: () => this.click(b.action_id!, b.value, messageTs) });
    };
    for (const block of blocks) {
      if (block.type === 'section') {
        if (block.text) lines.push(plainFromMrkdwn(block.text.text));
        for (const field of block.fields ?? []) lines.push(plainFromMrkdwn(field.text).replace('\n', ': '));
        if (block.accessory) addButton(block.accessory);
      } else if (block.type === 'context') {
        for (const element of block.elements) if ('text' in element) lines.push(plainFromMrkdwn(element.text));
      } else if (block.type === 'actions') {
        for (const element of block.elements) addButton(element);
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
    return new SlackChat(stack.url, stack.fakeSlackUrl, signingSecret, { teamId, userId });
  },
};
