// What a channel's view (client/<channel>.ts, `view`) draws with: the pane it is in. The page
// finds each channel's view by the file named after it, so main.ts lists no channel.
import type { PaneMessage } from '../channels.ts';

export type ClientMessage = PaneMessage & { payload: Record<string, unknown> };

export interface PaneContext {
  channel: string;
  /** The simulated user's name in this pane. */
  name(): string;
  /** A POST to the console server; undefined after a refusal (the pane shows the error). */
  request(path: string, body: Record<string, unknown>): Promise<Record<string, unknown> | undefined>;
  /** A message's content changes in place (the card an invoke answered with): redrawn at once. */
  updatePayload(id: string, update: (payload: Record<string, unknown>) => Record<string, unknown>): void;
}

export interface ChannelView {
  /** The pane's first user, until the name is changed. */
  defaultName: string;
  /** The bot's message as the app draws it, into its wrapper (the message's bubble). */
  render(message: ClientMessage, pane: PaneContext, wrapper: HTMLElement): void;
}

/** "Brek" above a bot message, as the apps with a sender line show it. */
export function senderLine(): HTMLElement {
  const who = document.createElement('div');
  who.className = 'who';
  who.textContent = 'Brek';
  return who;
}
