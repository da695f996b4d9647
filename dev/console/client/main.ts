// The console page: a chat pane per channel (one simulated user each, names editable) and the
// activity panel, kept live by the server's event stream (/console/events). Every send and click
// goes to the console server, which signs it as the platform would and posts it to the bridge's
// route. Each channel's messages are drawn by its view (client/<channel>.ts).
import type { ActivitySummary } from '../activity.ts';
import type { ConsoleState } from '../server.ts';
import type { ChannelView, ClientMessage, PaneContext } from './pane.ts';

// The wire types are the server's own (type-only imports: nothing of the server is bundled).
type Channel = ConsoleState['activity'][number]['channel'];

/** The channel's view, by the file named after it (esbuild bundles every client/*.ts it may name). */
async function viewOf(channel: Channel): Promise<ChannelView> {
  const module = (await import(`./${channel}.ts`)) as { view?: ChannelView };
  if (!module.view) throw new Error(`client/${channel}.ts exports no view`);
  return module.view;
}

/** This start's token, put in the page by the server: without it the console refuses a POST (see guard.ts). */
const CONSOLE_TOKEN = document.querySelector<HTMLMetaElement>('meta[name="console-token"]')?.content ?? '';

async function post(path: string, body: unknown): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  const headers = { 'content-type': 'application/json', 'x-console-token': CONSOLE_TOKEN };
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  return { ok: res.ok, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

class Pane implements PaneContext {
  private address = '';
  private readonly list = element('div', { className: 'messages' });
  private readonly nameInput: HTMLInputElement;
  /** Every message the server reported for this channel, by id (an update replaces its post). */
  private readonly messages = new Map<string, ClientMessage>();

  constructor(
    readonly channel: Channel,
    title: string,
    private readonly channelView: ChannelView,
    simulated: boolean,
    root: HTMLElement,
  ) {
    const stored = localStorage.getItem(`console.name.${channel}`);
    this.nameInput = element('input', { value: stored ?? channelView.defaultName, name: 'user', title: 'The simulated user’s name' });
    const pane = element('section', { className: 'pane' }, element('div', { className: 'top' }, title, element('label', {}, 'as ', this.nameInput)));
    pane.dataset.pane = channel;
    root.appendChild(pane);
    if (!simulated) {
      this.nameInput.disabled = true;
      pane.append(element('div', { className: 'notice' }, `${title} is connected for real here: talk to the bot in ${title} itself. Its turns appear in the activity panel.`));
      return;
    }
    const input = element('input', { placeholder: `Message Brek on ${title}…`, name: 'message', autocomplete: 'off' });
    const send = element('button', { type: 'submit', textContent: 'Send' });
    const composer = element('form', { className: 'composer' }, input, send);
    composer.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = '';
      void this.request('/console/send', { channel, name: this.name(), text });
    });
    this.nameInput.addEventListener('change', () => {
      localStorage.setItem(`console.name.${channel}`, this.name());
      void this.refreshAddress();
    });
    pane.append(this.list, composer);
    void this.refreshAddress();
  }

  name(): string {
    return this.nameInput.value.trim() || 'traveller';
  }

  private async refreshAddress(): Promise<void> {
    const res = await fetch(`/console/address?channel=${this.channel}&name=${encodeURIComponent(this.name())}`);
    this.address = ((await res.json()) as { address: string }).address;
    this.redraw();
  }

  async request(path: string, body: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const answer = await post(path, body);
    if (!answer.ok) {
      this.list.appendChild(element('div', { className: 'msg error' }, String(answer.body.message ?? 'The bridge refused that.')));
      this.scroll();
      return undefined;
    }
    return answer.body;
  }

  add(message: ClientMessage): void {
    const existing = this.messages.get(message.id);
    // An update keeps the message's place and its sender; only its content changes.
    this.messages.set(message.id, existing && message.op === 'update' ? { ...existing, payload: message.payload } : message);
    if (message.address === this.address) this.redraw();
  }

  private redraw(): void {
    this.list.replaceChildren(...[...this.messages.values()].filter((m) => m.address === this.address).map((m) => this.view(m)));
    this.scroll();
  }

  private scroll(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  private view(message: ClientMessage): HTMLElement {
    if (message.from === 'user') return element('div', { className: 'msg user' }, String(message.payload.text ?? ''));
    const wrapper = element('div', { className: 'msg bot' });
    wrapper.dataset.messageId = message.id;
    this.channelView.render(message, this, wrapper);
    return wrapper;
  }

  updatePayload(id: string, update: (payload: Record<string, unknown>) => Record<string, unknown>): void {
    const current = this.messages.get(id);
    if (!current) return;
    this.messages.set(id, { ...current, payload: update(current.payload) });
    this.redraw();
  }
}

class ActivityPanel {
  private readonly rows = new Map<string, HTMLTableRowElement>();

  constructor(private readonly body: HTMLElement) {}

  update(turn: ActivitySummary): void {
    let row = this.rows.get(turn.id);
    if (!row) {
      row = element('tr');
      this.rows.set(turn.id, row);
      this.body.prepend(row);
    }
    row.dataset.turn = turn.id;
    row.dataset.channel = turn.channel;
    row.dataset.state = turn.state;
    const state = element('span', { className: `state ${turn.state}` }, turn.state);
    const actions = element('td');
    const details = element('button', { type: 'button', textContent: 'Details' });
    details.addEventListener('click', () => void this.toggleDetails(turn.id));
    actions.append(details);
    if (turn.state === 'failed' || turn.state === 'unknown') {
      const replay = element('button', { type: 'button', textContent: 'Replay' });
      replay.addEventListener('click', () => void this.replay(turn.id, replay));
      actions.append(' ', replay);
    }
    row.replaceChildren(
      element('td', { title: turn.receivedAt }, new Date(turn.receivedAt).toLocaleTimeString()),
      element('td', {}, turn.channel),
      element('td', { className: 'id', title: turn.actorId }, turn.actorId),
      element('td', { title: turn.error ?? '' }, state),
      element('td', {}, turn.status ?? ''),
      element('td', {}, turn.brekStatus ?? ''),
      element('td', { className: 'rid' }, turn.brekRequestId ?? ''),
      element('td', { className: 'rid' }, turn.traceId ?? ''),
      element('td', {}, turn.latencyMs === undefined ? '' : `${turn.latencyMs} ms`),
      actions,
    );
  }

  private async toggleDetails(id: string): Promise<void> {
    const row = this.rows.get(id);
    const next = row?.nextElementSibling as HTMLElement | null;
    if (next?.classList.contains('details')) return next.remove();
    const res = await fetch(`/console/turns/${encodeURIComponent(id)}`);
    const cell = element('td', { colSpan: 10 }, element('pre', {}, JSON.stringify(await res.json(), null, 2)));
    row?.after(element('tr', { className: 'details' }, cell));
  }

  private async replay(id: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const answer = await post('/console/replay', { id });
    if (!answer.ok) {
      button.disabled = false;
      button.title = String(answer.body.message ?? 'replay refused');
    }
  }
}

function connect(): void {
  const live = document.getElementById('live')!;
  const panes = new Map<Channel, Pane>();
  const activity = new ActivityPanel(document.getElementById('turns')!);
  const source = new EventSource('/console/events');
  source.addEventListener('state', (event) => void showState(JSON.parse((event as MessageEvent<string>).data) as ConsoleState));
  const showState = async (state: ConsoleState) => {
    const views = await Promise.all(state.channels.map(({ channel }) => viewOf(channel)));
    // On a reconnect the server sends everything again: start the panes afresh.
    const root = document.getElementById('panes')!;
    root.replaceChildren();
    panes.clear();
    state.channels.forEach(({ channel, title, simulated }, i) => panes.set(channel, new Pane(channel, title, views[i]!, simulated, root)));
    for (const message of state.messages) panes.get(message.channel)?.add(message as ClientMessage);
    for (const turn of state.activity) activity.update(turn);
    live.textContent = 'live';
    live.className = 'live';
  };
  source.addEventListener('message', (event) => {
    const message = JSON.parse((event as MessageEvent<string>).data) as ClientMessage;
    panes.get(message.channel)?.add(message);
  });
  source.addEventListener('activity', (event) => activity.update(JSON.parse((event as MessageEvent<string>).data) as ActivitySummary));
  source.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
  });
}

connect();
