// Block Kit as Slack draws it, for the blocks the bridge sends: section (text, fields, accessory
// button), actions, context, header, divider and image. Buttons with a URL open it; the others
// send the real block_actions payload through the bridge (via the console server, which signs it).
// The pane is the app's assistant container: the thread's status line ("Brek is searching…") and
// its suggested prompts show under the newest message, as Slack draws them; a prompt, tapped,
// is sent as the traveller's message.
import type { Button, KnownBlock } from '@slack/types';
import { appendLinkified, link } from './format.ts';
import { senderLine, type ChannelView, type PaneContext } from './pane.ts';

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

interface AssistantState {
  status?: string;
  loadingMessages?: string[];
  prompts?: { title: string; message: string }[];
  promptsTitle?: string;
  title?: string;
}

/** The newest thread state drawn in each pane: an older one is hidden when a newer one is drawn (in message order). */
const shownState = new Map<string, HTMLElement>();

function renderAssistantState(state: AssistantState, pane: PaneContext, wrapper: HTMLElement): void {
  shownState.get(pane.channel)?.setAttribute('hidden', '');
  shownState.set(pane.channel, wrapper);
  // Not a message bubble: Slack draws these under the thread, beside the composer.
  wrapper.className = 'sk-assistant';
  if (state.title) {
    const title = document.createElement('div');
    title.className = 'sk-context sk-thread-title';
    title.textContent = `Thread: ${state.title}`;
    wrapper.append(title);
  }
  if (state.status) {
    // Slack writes the app's name before its status, and rotates the loading lines in its place.
    const status = document.createElement('div');
    status.className = 'sk-context sk-status';
    status.append(Object.assign(document.createElement('b'), { textContent: 'Brek ' }), document.createTextNode(state.loadingMessages?.[0] ?? state.status));
    status.title = (state.loadingMessages ?? [state.status]).join('\n');
    wrapper.append(status);
  }
  if (state.prompts?.length) {
    if (state.promptsTitle) wrapper.append(Object.assign(document.createElement('div'), { className: 'sk-context sk-prompts-title', textContent: state.promptsTitle }));
    const chips = document.createElement('div');
    chips.className = 'sk-actions sk-prompts';
    for (const prompt of state.prompts) {
      const chip = document.createElement('button');
      chip.className = 'sk-btn sk-prompt';
      chip.textContent = prompt.title;
      chip.title = prompt.message;
      chip.addEventListener('click', () => void pane.request('/console/send', { channel: pane.channel, name: pane.name(), text: prompt.message }));
      chips.append(chip);
    }
    wrapper.append(chips);
  }
  // Nothing to show (no status, no prompts): the state takes no room.
  if (!wrapper.childElementCount) wrapper.setAttribute('hidden', '');
}

/** The Slack pane: Block Kit messages; a button click is sent as the real block_actions payload. */
export const view: ChannelView = {
  defaultName: 'Ada',
  render(message, pane, wrapper) {
    const assistant = message.payload.assistant;
    if (typeof assistant === 'object' && assistant !== null) return renderAssistantState(assistant as AssistantState, pane, wrapper);
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
