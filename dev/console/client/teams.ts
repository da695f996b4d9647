// Teams messages drawn by Microsoft's own Adaptive Cards renderer (the `adaptivecards` package).
// Action.Execute sends the real adaptiveCard/action invoke through the bridge; Action.OpenUrl
// opens its link; Action.ShowCard is handled by the renderer itself. Suggested actions are chips
// under the latest message only, as Teams draws them; a tap posts the message Teams would.
import { senderLine, type ChannelView } from './pane.ts';
import { AdaptiveCard, ExecuteAction, HostConfig, OpenUrlAction, SubmitAction, type Action } from 'adaptivecards';

export interface TeamsClick {
  verb: string;
  data: unknown;
}

/** A suggested action as the bot sent it (activity.suggestedActions.actions[i]). */
interface SuggestedChip {
  type?: string;
  title?: string;
}

/** The console server's name for a tap on a suggested action (dev/local/teams.ts). */
const SUGGESTED = 'suggested';

const CARD = 'application/vnd.microsoft.card.adaptive';

// Teams-like spacing and colours; the renderer's defaults are close enough for everything else.
const hostConfig = new HostConfig({
  fontFamily: 'Segoe UI, system-ui, sans-serif',
  containerStyles: { default: { backgroundColor: '#FFFFFF', foregroundColors: { default: { default: '#242424', subtle: '#616161' }, accent: { default: '#5B5FC7' } } } },
  actions: { actionsOrientation: 'horizontal', buttonSpacing: 8, maxActions: 6, showCard: { actionMode: 'inline' } },
});

AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = teamsMarkdownToHtml(text);
  result.didProcess = true;
};

export function renderCard(content: unknown, onClick: (click: TeamsClick) => void): HTMLElement {
  const card = new AdaptiveCard();
  card.hostConfig = hostConfig;
  card.onExecuteAction = (action: Action) => {
    if (action instanceof ExecuteAction) onClick({ verb: action.verb, data: action.data });
    else if (action instanceof SubmitAction) onClick({ verb: '', data: action.data });
    else if (action instanceof OpenUrlAction && action.url) window.open(action.url, '_blank', 'noopener');
  };
  card.parse(content as object);
  const frame = document.createElement('div');
  frame.className = 'teams-card';
  const rendered = card.render();
  if (rendered) frame.appendChild(rendered);
  return frame;
}

/**
 * The chips Teams shows under a bot message: only while it is the latest in the chat (a later
 * message, the traveller's own included, takes them away), so they are dropped once the message
 * has one after it. Checked once the pane has drawn its list (a microtask), redrawn with every message.
 */
function suggestedChips(actions: SuggestedChip[], wrapper: HTMLElement, onTap: (chip: SuggestedChip) => void): HTMLElement {
  const row = document.createElement('div');
  row.className = 'teams-suggested';
  for (const chip of actions) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'teams-chip';
    button.textContent = chip.title ?? '';
    button.addEventListener('click', () => onTap(chip));
    row.appendChild(button);
  }
  queueMicrotask(() => {
    if (wrapper.nextElementSibling) row.remove();
  });
  return row;
}

export function renderTeamsMessage(
  activity: { text?: unknown; textFormat?: unknown; attachments?: { contentType?: string; content?: unknown }[]; suggestedActions?: { actions?: SuggestedChip[] } },
  onClick: (click: TeamsClick) => void,
): HTMLElement {
  const root = document.createElement('div');
  if (typeof activity.text === 'string' && activity.text) {
    const text = document.createElement('div');
    // Teams reads an activity's text as markdown unless it says it is plain.
    if (activity.textFormat === 'plain') {
      text.textContent = activity.text;
      text.style.whiteSpace = 'pre-wrap';
    } else text.innerHTML = teamsMarkdownToHtml(activity.text);
    root.appendChild(text);
  }
  for (const attachment of activity.attachments ?? []) if (attachment.contentType === CARD) root.appendChild(renderCard(attachment.content, onClick));
  return root;
}

function chipsOf(payload: Record<string, unknown>): SuggestedChip[] {
  const suggested = payload.suggestedActions as { actions?: unknown } | undefined;
  return Array.isArray(suggested?.actions) ? (suggested.actions as SuggestedChip[]) : [];
}

/** What Teams does with an invoke's answer: a card replaces the clicked one, a message is shown. */
export function invokeAnswer(answer: unknown): { card?: unknown; message?: string } {
  const body = answer as { statusCode?: number; type?: string; value?: unknown } | undefined;
  if (body?.type === CARD) return { card: body.value };
  if (typeof body?.value === 'string') return { message: body.value };
  return {};
}

/** Teams TextBlock markdown (**bold**, _italic_, [label](url)) as safe HTML for the card renderer. */
function teamsMarkdownToHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return escaped
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|\W)_([^_]+)_(?=\W|$)/g, '$1<em>$2</em>')
    .replace(/\n/g, '<br>');
}

/** The Teams pane: cards drawn by Microsoft's renderer; Teams answers a click in the invoke itself. */
export const view: ChannelView = {
  defaultName: 'Grace',
  render(message, pane, wrapper) {
    wrapper.append(senderLine());
    wrapper.append(
      renderTeamsMessage(message.payload, (click) => {
        void (async () => {
          const body = await pane.request('/console/click', { channel: pane.channel, name: pane.name(), messageId: message.id, ...click });
          if (!body) return;
          const answer = invokeAnswer(body.answer);
          // The new card replaces the clicked one at once (the reply may have arrived before this answer).
          if (answer.card) pane.updatePayload(message.id, (payload) => ({ ...payload, attachments: [{ contentType: CARD, content: answer.card }] }));
          else if (answer.message) {
            const note = document.createElement('div');
            note.className = 'teams-note';
            note.textContent = answer.message;
            wrapper.append(note);
          }
        })();
      }),
    );
    const chips = chipsOf(message.payload);
    if (chips.length) {
      wrapper.append(
        suggestedChips(chips, wrapper, (chip) => {
          void pane.request('/console/click', { channel: pane.channel, name: pane.name(), messageId: message.id, actionId: SUGGESTED, data: chip });
        }),
      );
    }
  },
};
