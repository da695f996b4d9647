// One driver per channel for the reliability suite: a traveller's message as a delivery the
// channel would make (signed afresh on every delivery, the same channel message id on every
// retry), and the replies the bridge sent that traveller, read from the channel's fake API.
import { createHash } from 'node:crypto';
import { messageEvent, slackRequest, postSlack, slackTs } from '../../dev/simulate/slack.ts';
import { messageActivity, postActivity } from '../../dev/simulate/teams.ts';
import { inboundMessage, postTwilio } from '../../dev/simulate/whatsapp.ts';
/** The channels these drivers speak (one per adapter). */
export type Channel = 'slack' | 'teams' | 'whatsapp';
import { slackActorId } from '../../adapters/slack/profile.ts';
import { teamsActorId } from '../../adapters/teams/profile.ts';
import { whatsappActorId } from '../../adapters/whatsapp/profile.ts';
import type { StackHarness } from '../support/stack.ts';
import { renderWorking } from '../../adapters/teams/render.ts';
import { mulberry32 } from '../../dev/fakes/faults.ts';

const TEAMS_PLACEHOLDER = renderWorking();
import { SIGNING_SECRET } from '../support/stack.ts';

export const CHANNELS: Channel[] = ['slack', 'teams', 'whatsapp'];

export interface Message {
  /** Posts one delivery of this message; retries of it are the same message delivered again. */
  deliver(retry: number): Promise<Response>;
}

export interface Traveller {
  channel: Channel;
  /** The actor id the bridge derives for this traveller (read once the stack runs). */
  readonly actorId: string;
  /** A message from this traveller; `id` makes its channel message id (unique per suite run). */
  message(text: string, id: string): Message;
  /**
   * What the bridge has said to this traveller so far, oldest first (the channel's payload, as
   * text): every post the platform did, also those whose answer it then lost.
   */
  replies(): string[];
  /** Phone numbers and other personal values this traveller exposes (for the privacy scan). */
  personal: string[];
}

const digest = (value: string, length: number) => createHash('sha256').update(value).digest('hex').slice(0, length);

export function traveller(h: StackHarness, channel: Channel, name: string): Traveller {
  switch (channel) {
    case 'slack': {
      const user = { teamId: 'TREL', userId: `U${digest(name, 10).toUpperCase()}` };
      const dm = `D${user.userId}`;
      return {
        channel,
        actorId: slackActorId(user.teamId, user.userId),
        personal: [],
        message(text, id) {
          const ts = slackTs();
          const eventId = `Ev${digest(id, 10).toUpperCase()}`;
          return {
            deliver: (retry) =>
              postSlack(h.stack.url, slackRequest(messageEvent(user, { text, channel: dm, ts, eventId }), SIGNING_SECRET, retry ? { retryNum: retry } : {})),
          };
        },
        replies: () =>
          h.stack.fakeSlack!.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === dm && c.delivered).map((c) => JSON.stringify({ text: c.args.text, blocks: c.args.blocks })),
      };
    }
    case 'teams': {
      const user = { tenantId: 'tenant-rel', aadObjectId: `aad-${digest(name, 12)}` };
      const conversationId = `a:${user.aadObjectId}`;
      const fake = () => h.stack.fakeTeams!;
      return {
        channel,
        actorId: teamsActorId(user.tenantId, user.aadObjectId),
        personal: [],
        message(text, id) {
          const activityId = `1${BigInt(`0x${digest(id, 12)}`).toString()}`;
          return {
            deliver: () =>
              postActivity(
                h.stack.url,
                messageActivity(user, text, { serviceUrl: fake().serviceUrl, id: activityId }),
                fake().signInbound({ serviceUrl: fake().serviceUrl }),
              ),
          };
        },
        // The conversation as the traveller sees it: a reply replaces its placeholder in place.
        replies: () =>
          fake()
            .conversation(conversationId)
            .filter((activity) => activity.text !== TEAMS_PLACEHOLDER)
            .map((activity) => JSON.stringify({ text: activity.text, attachments: activity.attachments })),
      };
    }
    case 'whatsapp': {
      const phone = `+1555${String(parseInt(digest(name, 8), 16) % 10_000_000).padStart(7, '0')}`;
      const twilio = () => h.stack.fakeTwilio!;
      const webhook = () => h.stack.whatsapp.webhookUrl;
      return {
        channel,
        get actorId() {
          return whatsappActorId(phone, h.stack.whatsapp.actorIdSecret);
        },
        personal: [phone, `whatsapp:${phone}`],
        message(text, id) {
          const params = inboundMessage({ phone }, h.stack.whatsapp.from, text, { MessageSid: `SM${digest(id, 32)}` });
          return { deliver: () => postTwilio(webhook(), webhook(), twilio().authToken, params) };
        },
        replies: () => twilio().messages.filter((m) => m.to === `whatsapp:${phone}` && m.delivered).map((m) => m.body),
      };
    }
  }
}

/** A fixed-seed shuffle (mulberry32), so a failing order can be replayed. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Brek's POST /events requests as the sandbox received them. */
export function brekEvents(h: StackHarness): { idempotencyKey: string; body: string }[] {
  return h.brekExchanges
    .filter((e) => e.method === 'POST' && e.path.endsWith('/events'))
    .map((e) => ({ idempotencyKey: String((JSON.parse(e.requestBody) as { idempotencyKey?: string }).idempotencyKey), body: e.requestBody }));
}

/** The payment setup link in a reply, whichever channel rendered it. */
export function setupLinkIn(reply: string | undefined): string | undefined {
  return /https?:\/\/[^"\s\\]+\/portal\/payment\?token=psu_[A-Za-z0-9_-]+/.exec(reply ?? '')?.[0];
}
