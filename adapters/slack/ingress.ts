// Slack's ingress: Bolt's signature check, normalisation, and an empty 200 once the turn is
// stored (Slack wants it within 3 seconds; the worker does the rest).
import type { ChannelIngress } from '../../core/ingress.ts';
import type { SlackConfig } from './config.ts';
import { normalizeSlack } from './normalize.ts';
import { verifySlack } from './verify.ts';

export function slackIngress(config: Pick<SlackConfig, 'signingSecret' | 'appId'>): ChannelIngress {
  return {
    channel: 'slack',
    verify: (request, now) => verifySlack(request, config.signingSecret, now),
    normalize: (request) => normalizeSlack(request, config.appId ? { appId: config.appId } : {}),
    // Retries (X-Slack-Retry-Num) land here as duplicates: acknowledged, not reprocessed.
    acknowledge: () => ({ status: 200 }),
  };
}
