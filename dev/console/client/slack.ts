// Block Kit as Slack draws it, for the blocks the bridge sends: section (text, fields, accessory
// button), actions, context, header, divider and image. Buttons with a URL open it; the others
// send the real block_actions payload through the bridge (via the console server, which signs it).
import type { Button, KnownBlock } from '@slack/types';
import { appendLinkified, link } from './format.ts';
import { senderLine, type ChannelView } from './pane.ts';

export interface SlackClick {
  actionId: string;
  value?: string;
}

function textOf(object: { type: string; text: string } | undefined): Node {
  if (!object) return document.createTextNode('');
  return object.type === 'mrkdwn' ? mrkdwn(object.text) : document.createTextNode(object.text);
}

function button(element: Button, onClick: (click: SlackClick) => void): HTMLElement {
  const style = element.style ? ` ${element.style}` : '';
  const label = element.text.text;
  if (element.url) {
    const a = document.createElement('a');
    a.className = `sk-btn${style}`;
    a.href = element.url;
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = label;
    return a;
  }
  const b = document.createElement('button');
  b.className = `sk-btn${style}`;
  b.textContent = label;
  b.addEventListener('click', () => {
    // Slack asks first when the button carries a confirm dialog.
    if (element.confirm && !window.confirm(`${element.confirm.title?.text ?? ''}\n\n${element.confirm.text.text}`.trim())) return;
    onClick({ actionId: element.action_id ?? '', ...(element.value ? { value: element.value } : {}) });
  });
  return b;
}

export function renderSlackMessage(payload: { text?: unknown; blocks?: unknown }, onClick: (click: SlackClick) => void): HTMLElement {
  const root = document.createElement('div');
  root.className = 'sk';
  const blocks = Array.isArray(payload.blocks) ? (payload.blocks as KnownBlock[]) : [];
  if (blocks.length === 0) {
    const fallback = document.createElement('div');
    fallback.className = 'sk-text';
    fallback.appendChild(mrkdwn(String(payload.text ?? '')));
    root.appendChild(fallback);
  }
  for (const block of blocks) {
    const el = document.createElement('div');
    switch (block.type) {
      case 'section': {
        el.className = 'sk-section';
        const body = document.createElement('div');
        body.className = 'sk-text';
        if (block.text) body.appendChild(textOf(block.text));
        if (block.fields?.length) {
          const fields = document.createElement('div');
          fields.className = 'sk-fields';
          for (const field of block.fields) {
            const cell = document.createElement('div');
            cell.appendChild(textOf(field));
            fields.appendChild(cell);
          }
          body.appendChild(fields);
        }
        el.appendChild(body);
        if (block.accessory?.type === 'button') el.appendChild(button(block.accessory, onClick));
        break;
      }
      case 'actions':
        el.className = 'sk-actions';
        for (const element of block.elements) if (element.type === 'button') el.appendChild(button(element, onClick));
        break;
      case 'context':
        el.className = 'sk-context';
        for (const element of block.elements) if ('text' in element) el.appendChild(textOf(element));
        break;
      case 'header':
        el.className = 'sk-header';
        el.textContent = block.text.text;
        break;
      case 'divider':
        el.appendChild(Object.assign(document.createElement('hr'), { className: 'sk-divider' }));
        break;
      case 'image':
        if ('image_url' in block && block.image_url) el.appendChild(Object.assign(document.createElement('img'), { src: block.image_url, alt: block.alt_text }));
        break;
      default:
        el.className = 'sk-context';
        el.textContent = `(a ${block.type} block)`;
    }
    root.appendChild(el);
  }
  return root;
}

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Slack mrkdwn: <url|label> and <url> links, bare URLs, marks, and Slack's three HTML escapes. */
function mrkdwn(text: string): DocumentFragment {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(/<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>/g)) {
    appendLinkified(out, unescapeSlack(text.slice(last, match.index)));
    out.appendChild(link(match[1]!, unescapeSlack(match[2] ?? match[1]!)));
    last = (match.index ?? 0) + match[0].length;
  }
  appendLinkified(out, unescapeSlack(text.slice(last)));
  return out;
}

/** The Slack pane: Block Kit messages; a button click is sent as the real block_actions payload. */
export const view: ChannelView = {
  defaultName: 'Ada',
  render(message, pane, wrapper) {
    wrapper.append(senderLine());
    if (message.ephemeral) {
      const note = document.createElement('div');
      note.className = 'ephemeral';
      note.textContent = 'Only visible to you';
      wrapper.append(note);
    }
    wrapper.append(renderSlackMessage(message.payload, (click) => void pane.request('/console/click', { channel: pane.channel, name: pane.name(), messageId: message.id, ...click })));
  },
};
