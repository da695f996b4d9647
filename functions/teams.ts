// POST /teams/messages: verifies the Bot Framework token and stores — no Brek, no secrets.
import { loadTeamsConfig } from '../adapters/teams/config.ts';
import { teamsIngress } from '../adapters/teams/ingress.ts';
import { lambdaIngress } from './ingress.ts';

export const handler = lambdaIngress({ brek: false, actorIdSecret: false }, (env) => teamsIngress(loadTeamsConfig(env, 'deployed', 'ingress')));
