// A WhatsApp bubble: the message text with WhatsApp's own formatting and tappable links, and what
// WhatsApp draws with a Content message: quick replies as buttons under the bubble, a list picker
// as its button opening the list of items (title and description). A tap is posted as Twilio posts
// it (the console server signs it: ListId / ButtonPayload).
import type { TwilioInteractive } from '../../fakes/twilio.ts';
import { appendLinkified } from './format.ts';
import type { ChannelView, PaneContext } from './pane.ts';

export function renderWhatsAppMessage(payload: { body?: unknown }): HTMLElement {
  const bubble = document.createElement('div');
  bubble.className = 'wa';
  bubble.appendChild(whatsappText(String(payload.body ?? '')));
  return bubble;
}

/** WhatsApp: marks, ```monospace``` blocks, and bare URLs made clickable (as the app does). */
function whatsappText(text: string): DocumentFragment {
  const out = document.createDocumentFragment();
  text.split(/```([\s\S]*?)```/).forEach((part, i) => {
    if (i % 2 === 0) return appendLinkified(out, part);
    const code = document.createElement('code');
    code.textContent = part;
    out.appendChild(code);
  });
  return out;
}

function isInteractive(value: unknown): value is TwilioInteractive {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { type?: unknown; items?: unknown; buttons?: unknown };
  return (v.type === 'list' && Array.isArray(v.items)) || (v.type === 'quick' && Array.isArray(v.buttons));
}

/** The controls under a bubble; `tap` sends the chosen id. Each control can be tapped once, as in WhatsApp. */
function renderControls(interactive: TwilioInteractive, tap: (id: string) => void): HTMLElement {
  const controls = document.createElement('div');
  controls.className = `wa-controls wa-${interactive.type}`;
  const choose = (b: HTMLButtonElement, id: string) =>
    b.addEventListener('click', () => {
      for (const other of controls.querySelectorAll('button')) other.disabled = true;
      tap(id);
    });
  if (interactive.type === 'quick') {
    for (const button of interactive.buttons) {
      const b = document.createElement('button');
      b.className = 'wa-quick';
      b.textContent = button.title;
      choose(b, button.id);
      controls.append(b);
    }
    return controls;
  }
  const open = document.createElement('button');
  open.className = 'wa-list-open';
  open.textContent = `☰ ${interactive.button}`;
  const sheet = document.createElement('div');
  sheet.className = 'wa-list-items';
  sheet.hidden = true;
  open.addEventListener('click', () => {
    sheet.hidden = !sheet.hidden;
  });
  for (const item of interactive.items) {
    const b = document.createElement('button');
    b.className = 'wa-item';
    const title = document.createElement('span');
    title.className = 'wa-item-title';
    title.textContent = item.item;
    const description = document.createElement('span');
    description.className = 'wa-item-description';
    description.textContent = item.description;
    b.append(title, description);
    choose(b, item.id);
    sheet.append(b);
  }
  controls.append(open, sheet);
  return controls;
}

/** The WhatsApp pane: text bubbles, quick replies and list pickers; the traveller taps or types. */
export const view: ChannelView = {
  defaultName: 'Linus',
  render(message, pane: PaneContext, wrapper) {
    wrapper.append(renderWhatsAppMessage(message.payload));
    const interactive = message.payload.interactive;
    if (isInteractive(interactive)) {
      wrapper.append(renderControls(interactive, (id) => void pane.request('/console/click', { channel: pane.channel, name: pane.name(), messageId: message.id, value: id })));
    }
  },
};
