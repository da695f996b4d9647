// What `npm run chat` needs from a channel: send a line, click a button, and read back what the
// bridge answered, as the platform would show it. Each channel's dev/chat/<channel>.ts exports a
// `chatChannel` that opens one against the running stack (dev/chat/index.ts finds them).
import type { DevSecrets, StackInfo } from '../stack.ts';

export interface ChatButton {
  label: string;
  /** A link button: shown in full, opened by the person, not by the chat client. */
  url?: string;
  /** A button that talks to the bridge when clicked. */
  click?: () => Promise<void>;
}

export interface ChatMessage {
  /** The message as plain text, links written out in full. */
  text: string;
  buttons: ChatButton[];
  /** Shown only to this user (Slack ephemeral messages). */
  private?: boolean;
}

export interface ChatChannel {
  readonly name: string;
  send(text: string): Promise<void>;
  /** Messages the bridge sent this user since the last call; waits for at least one. */
  replies(timeoutMs: number): Promise<ChatMessage[]>;
}

/**
 * A chat channel ready to use: `start` skips what the stack sent before this session; `greets`,
 * once started, when opening it made the bridge say something first (Slack's assistant thread).
 */
export type OpenChatChannel = ChatChannel & { start(): Promise<void>; greets?: boolean };

/** What a channel's chat side is opened from: the running stack's stack.json and dev secrets. */
export interface ChatContext {
  stack: StackInfo;
  secrets: Partial<DevSecrets>;
  env: Record<string, string | undefined>;
  /** The simulated person's name (--user). */
  user: string;
}

/** The stack cannot be chatted with on this channel (it talks to the real platform): one line for the person. */
export class ChatSetupError extends Error {}

export interface ChatChannelModule {
  open(context: ChatContext): OpenChatChannel;
}

/**
 * Polls for what the bridge sent until something arrives, then a moment more for anything that
 * follows it (a reply and an update often come together).
 */
export async function collectReplies(next: () => Promise<ChatMessage[]>, timeoutMs: number): Promise<ChatMessage[]> {
  const deadline = Date.now() + timeoutMs;
  const out: ChatMessage[] = [];
  let quietSince = 0;
  while (Date.now() < deadline) {
    out.push(...(await next()));
    if (out.length > 0) {
      quietSince ||= Date.now();
      if (Date.now() - quietSince > 300) return out;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return out;
}
