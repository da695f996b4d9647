// A WhatsApp bubble: the message text with WhatsApp's own formatting and tappable links.
import { appendLinkified } from './format.ts';
import type { ChannelView } from './pane.ts';

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

/** The WhatsApp pane: text bubbles; the traveller answers by typing. */
export const view: ChannelView = {
  defaultName: 'Linus',
  render(message, _pane, wrapper) {
    wrapper.append(renderWhatsAppMessage(message.payload));
  },
};
