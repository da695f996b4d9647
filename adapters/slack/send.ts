// Delivers Replies through Slack's Web API (@slack/web-api WebClient): in the DM, or in the
// thread of a channel mention; a refusal to someone who clicked another traveller's button is
// ephemeral. Progress shows within a second: an hourglass reaction on the traveller's message,
// or the clicked message replaced by what is happening (which also retires its buttons).
import { WebClient, type WebAPICallResult } from '@slack/web-api';
import type { Json } from '../../core/inbound.ts';
import type { Logger } from '../../core/log.ts';
import type { Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import type { ChannelSender } from '../../core/turn.ts';
import { renderClicked, renderSlack } from './render.ts';

const PROGRESS_REACTION = 'hourglass_flowing_sand';
/** Rate-limit waits longer than this fail the send instead (the core retries or marks it failed). */
const MAX_RATE_LIMIT_WAIT_MS = 10_000;

/** An empty token (every workspace installed through OAuth) makes a client each call names its token for. */
export function slackWebClient(token: string, apiUrl: string): WebClient {
  return new WebClient(token || undefined, {
    slackApiUrl: apiUrl,
    // We handle 429s ourselves: the default policy may wait up to 30 minutes.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    timeout: 10_000,
    allowAbsoluteUrls: false,
  });
}

function ref(record: InboxRecord, key: string): string | undefined {
  const value: Json | undefined = record.reference[key];
  return typeof value === 'string' ? value : undefined;
}

interface RateLimited {
  code: string;
  retryAfter: number;
}
const isRateLimited = (error: unknown): error is RateLimited =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'slack_webapi_rate_limited_error';

/** A workspace's bot token for a turn (multi-workspace installs); undefined = the client's own. */
export type SlackTokenFor = (record: InboxRecord) => Promise<string | undefined>;

export class SlackSender implements ChannelSender {
  constructor(
    private readonly web: WebClient,
    private readonly logger?: Logger,
    private readonly tokenFor?: SlackTokenFor,
  ) {}

  /** The `token` argument of every Web API call for this turn's workspace. */
  private async auth(record: InboxRecord): Promise<{ token?: string }> {
    const token = await this.tokenFor?.(record);
    return token ? { token } : {};
  }

  /** Honours Slack's Retry-After, within bounds. */
  private async call<T extends WebAPICallResult>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isRateLimited(error) || attempt >= 3 || error.retryAfter * 1000 > MAX_RATE_LIMIT_WAIT_MS) throw error;
        this.logger?.warn('slack rate limited; waiting', { retryAfterSeconds: error.retryAfter });
        await new Promise((resolve) => setTimeout(resolve, error.retryAfter * 1000));
      }
    }
  }

  async progress(record: InboxRecord): Promise<void> {
    const channel = ref(record, 'channel');
    if (!channel) return;
    const auth = await this.auth(record);
    const clicked = ref(record, 'clickedMessageTs');
    if (record.input.type === 'action' && clicked) {
      const message = renderClicked(ref(record, 'clickedLabel'), ref(record, 'clickedAction') ?? record.input.action);
      await this.call(() => this.web.chat.update({ ...auth, channel, ts: clicked, text: message.text, blocks: message.blocks }));
      return;
    }
    const messageTs = ref(record, 'messageTs');
    if (messageTs) await this.call(() => this.web.reactions.add({ ...auth, channel, timestamp: messageTs, name: PROGRESS_REACTION }));
  }

  async send(reply: Reply, record: InboxRecord): Promise<void> {
    const channel = ref(record, 'channel');
    if (!channel) throw new Error('slack reference without a channel');
    const threadTs = ref(record, 'threadTs');
    const message = renderSlack(reply);
    const user = ref(record, 'userId');
    const auth = await this.auth(record);
    if (reply.status === 'bridge_not_your_button' && user) {
      await this.call(() => this.web.chat.postEphemeral({ ...auth, channel, user, text: message.text, blocks: message.blocks, ...(threadTs ? { thread_ts: threadTs } : {}) }));
      return;
    }
    await this.call(() =>
      this.web.chat.postMessage({ ...auth, channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false, ...(threadTs ? { thread_ts: threadTs } : {}) }),
    );
    const messageTs = ref(record, 'messageTs');
    if (messageTs && record.input.type === 'text') {
      // The hourglass has done its job; a reaction that is already gone is fine.
      await this.web.reactions.remove({ ...auth, channel, timestamp: messageTs, name: PROGRESS_REACTION }).catch(() => undefined);
    }
  }

  async timezoneOffsetMinutes(record: InboxRecord): Promise<number | undefined> {
    const user = ref(record, 'userId');
    if (!user) return undefined;
    const auth = await this.auth(record);
    const info = await this.call(() => this.web.users.info({ ...auth, user }));
    const seconds = info.user?.tz_offset;
    return typeof seconds === 'number' ? Math.round(seconds / 60) : undefined;
  }
}
