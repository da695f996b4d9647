// Teams' ingress: the Bot Framework JWT check (verify.ts), normalisation, one inbox write, and an answer
// Teams accepts: 200 for activities, and for a card click (an invoke) the replacement card in the
// same response — never an empty body, which Teams shows as "Unable to reach app" and retries.
import { json } from '../../core/http.ts';
import type { ChannelIngress } from '../../core/ingress.ts';
import type { TeamsConfig } from './config.ts';
import { normalizeTeams, teamsReference } from './normalize.ts';
import { renderClicked } from './render.ts';
import { TeamsVerifier } from './verify.ts';

export function teamsIngress(config: Pick<TeamsConfig, 'appId' | 'tenantId' | 'openIdMetadataUrl'>): ChannelIngress {
  const verifier = new TeamsVerifier(config);
  return {
    channel: 'teams',
    verify: (request, now) => verifier.verify(request, now),
    normalize: (request) => normalizeTeams(request.body.toString('utf8'), config.tenantId ? { tenantId: config.tenantId } : {}),
    // A retried invoke (a duplicate) gets the same answer as the first.
    acknowledge: (_outcome, turn) => {
      const reference = teamsReference(turn);
      if (!reference.invoke) return { status: 200 };
      return json(200, { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: renderClicked(reference.clickedAction ?? 'book_option', reference.clickedLabel) });
    },
  };
}
