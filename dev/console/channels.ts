// What the console's simulated platforms share. Each channel's pane is in dev/local/<channel>.ts:
// sending goes through the bridge's real routes, signed exactly as the platform signs (the request
// builders of dev/simulate, shared with `npm run chat`); what the bridge sends back is read off
// the local fake APIs as they answer it.
import type { Channel } from '../../core/identity.ts';

/** A message in a pane: the platform's own payload, to be rendered the way that platform shows it. */
export interface PaneMessage {
  channel: Channel;
  /** Whose pane: the Slack DM channel, the Teams conversation, the WhatsApp address. */
  address: string;
  /** Posts and updates of one message share it. */
  id: string;
  op: 'post' | 'update';
  from: 'bot' | 'user';
  /** Slack: { text, blocks }; Teams: the activity; WhatsApp: { body }; the user's own: { text }. */
  payload: unknown;
  /** Slack ephemeral messages: shown to this user only. */
  ephemeral?: boolean;
  at: number;
}

/** A click as the page reports it; the fields are the platform's own (action_id/value, verb/data). */
export interface ClickInput {
  name: string;
  messageId: string;
  actionId?: string;
  value?: string;
  verb?: string;
  data?: unknown;
}

export interface SimulatedChannel {
  channel: Channel;
  address(name: string): string;
  send(name: string, text: string): Promise<void>;
  /** Teams answers a card click itself (the replacement card); others answer later with a message. */
  click(input: ClickInput): Promise<unknown>;
}

export class ChannelRequestError extends Error {}

/** The bridge's answer to a simulated delivery: anything but 200 is the console's error to show. */
export async function expectOk(res: Response): Promise<Response> {
  if (res.status !== 200) throw new ChannelRequestError(`the bridge answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res;
}
