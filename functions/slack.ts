// POST /slack/events: verifies and stores — no Brek, no actor secret, no bot token. A workspace
// that uninstalled the app is one stored erase request; the worker erases it.
import { loadSlackConfig } from '../adapters/slack/config.ts';
import { slackIngress } from '../adapters/slack/ingress.ts';
import { lambdaIngress } from './ingress.ts';

export const handler = lambdaIngress({ brek: false, actorIdSecret: false }, (env) => slackIngress(loadSlackConfig(env, 'deployed', 'ingress')));
