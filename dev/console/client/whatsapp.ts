// A WhatsApp bubble: the message text with WhatsApp's own formatting and tappable links.
import { whatsappText } from './format.ts';

export function renderWhatsAppMessage(payload: { body?: unknown }): HTMLElement {
  const bubble = document.createElement('div');
  bubble.className = 'wa';
  bubble.appendChild(whatsappText(String(payload.body ?? '')));
  return bubble;
}
