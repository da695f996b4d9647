// The Teams side of `npm run chat`: activities with a Bot Framework token from the local fake
// (as the real service would send), card buttons clicked as Action.Execute invokes, replies read
// back from the fake connector. Suggested actions (a personal chat's chips) are offered as choices too.
import { executeActivity, messageActivity, postActivity, suggestedActionActivity, type SuggestedActionSent, type TeamsUser } from '../simulate/teams.ts';
import { teamsUserFor } from '../local/teams.ts';
import { ChatSetupError, collectReplies, type ChatButton, type ChatChannel, type ChatChannelModule, type ChatMessage } from './types.ts';

interface ConnectorCall {
  method: string;
  conversationId: string;
  body: { type?: string; text?: string; attachments?: { contentType: string; content: unknown }[]; suggestedActions?: { actions?: SuggestedActionSent[] } };
  fault?: string;
  /** The platform did the work (a post whose answer was lost counts). */
  delivered: boolean;
  /** The activity a PUT updates, and the id the connector assigned. */
  activityId?: string;
  id?: string;
}

type Node = Record<string, unknown>;

export class TeamsChat implements ChatChannel {
  readonly name = 'teams';
  private seen = 0;
  private readonly placeholders = new Set<string>();
  private readonly conversationId: string;
  private readonly serviceUrl: string;

  constructor(
    private readonly stackUrl: string,
    private readonly fakeTeamsUrl: string,
    private readonly user: TeamsUser,
  ) {
    this.conversationId = `a:${user.aadObjectId}`;
    this.serviceUrl = `${fakeTeamsUrl}/teams/`;
  }

  async start(): Promise<void> {
    this.seen = (await this.calls(0)).next;
  }

  private async calls(since: number): Promise<{ calls: ConnectorCall[]; next: number }> {
    return (await (await fetch(`${this.fakeTeamsUrl}/__fake/activities?since=${since}`)).json()) as { calls: ConnectorCall[]; next: number };
  }

  private async token(): Promise<string> {
    const res = await fetch(`${this.fakeTeamsUrl}/__fake/sign`, { method: 'POST', body: JSON.stringify({ serviceUrl: this.serviceUrl }) });
    return ((await res.json()) as { token: string }).token;
  }

  private async post(activity: Record<string, unknown>): Promise<Response> {
    const res = await postActivity(this.stackUrl, activity, await this.token());
    if (res.status !== 200) throw new Error(`the bridge answered ${res.status}: ${await res.text()}`);
    return res;
  }

  async send(text: string): Promise<void> {
    await this.post(messageActivity(this.user, text, { serviceUrl: this.serviceUrl }));
  }

  async replies(timeoutMs: number): Promise<ChatMessage[]> {
    return collectReplies(async () => {
      const { calls, next } = await this.calls(this.seen);
      this.seen = next;
      const mine = calls.filter((c) => c.conversationId === this.conversationId && c.body.type === 'message' && c.delivered);
      // A turn's placeholder (text only) is not shown; its reply arrives as an update of it.
      for (const c of mine) if (c.method === 'POST' && !c.body.attachments && c.id) this.placeholders.add(c.id);
      return mine
        .filter((c) => (c.method === 'POST' && c.body.attachments) || (c.method === 'PUT' && c.activityId !== undefined && this.placeholders.has(c.activityId)))
        .map((c) => this.toMessage(c));
    }, timeoutMs);
  }

  /** An Adaptive Card as text: text blocks, rich text, facts, and its buttons (show-cards opened inline). */
  private toMessage(call: ConnectorCall): ChatMessage {
    const card = call.body.attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
    const lines: string[] = [];
    const buttons: ChatButton[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (typeof node !== 'object' || node === null) return;
      const n = node as Node;
      if (n.type === 'TextBlock' && typeof n.text === 'string') lines.push(n.text.replace(/\*\*([^*]+)\*\*/g, '$1'));
      if (n.type === 'RichTextBlock' && Array.isArray(n.inlines)) lines.push(n.inlines.map((run: unknown) => (typeof run === 'string' ? run : String((run as Node).text ?? ''))).join(''));
      if (n.type === 'FactSet' && Array.isArray(n.facts)) for (const f of n.facts as { title: string; value: string }[]) lines.push(`${f.title}: ${f.value}`);
      if (n.type === 'Action.OpenUrl' && typeof n.url === 'string') buttons.push({ label: String(n.title ?? 'Open'), url: n.url });
      if (n.type === 'Action.Execute') {
        const verb = String(n.verb ?? '');
        const data = n.data;
        buttons.push({ label: String(n.title ?? verb), click: () => this.click(verb, data) });
      }
      // A card's refresh is Teams' own business (when the card is opened), not a button.
      for (const [key, value] of Object.entries(n)) if (key !== 'data' && key !== 'refresh') walk(value);
    };
    walk(card);
    // Teams shows them under the latest message; a tap sends the message they stand for.
    for (const chip of call.body.suggestedActions?.actions ?? []) buttons.push({ label: `${chip.title ?? ''} (suggested)`, click: () => this.tap(chip) });
    return { text: lines.length ? lines.join('\n') : String(call.body.text ?? ''), buttons };
  }

  private async tap(chip: SuggestedActionSent): Promise<void> {
    await this.post(suggestedActionActivity(this.user, chip, { serviceUrl: this.serviceUrl, conversationId: this.conversationId }));
  }

  private async click(verb: string, data: unknown): Promise<void> {
    const res = await this.post(executeActivity(this.user, verb, data, '1', { serviceUrl: this.serviceUrl, conversationId: this.conversationId }));
    // The invoke's own answer (the card replaced, or a refusal) is what Teams shows at once.
    const answer = (await res.json()) as { type?: string; value?: unknown };
    if (answer.type === 'application/vnd.microsoft.activity.message') process.stdout.write(`      (${String(answer.value)})\n`);
  }
}

export const chatChannel: ChatChannelModule = {
  open({ stack, user }) {
    if (!stack.fakeTeamsUrl) throw new ChatSetupError('the stack talks to a real Teams bot (TEAMS_APP_ID is set); chat needs its simulated Teams.');
    const { tenantId, aadObjectId, name } = teamsUserFor(user);
    return new TeamsChat(stack.url, stack.fakeTeamsUrl, { tenantId, aadObjectId, ...(name ? { name } : {}) });
  },
};
