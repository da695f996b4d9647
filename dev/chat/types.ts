// What `npm run chat` needs from a channel: send a line, click a button, and read back what the
// bridge answered, as the platform would show it.

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
