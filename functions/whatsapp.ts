// POST /whatsapp/webhook as a Lambda (Function URL / API Gateway v2). Thin wiring: Twilio's
// signature is verified against WHATSAPP_WEBHOOK_URL, the message stored, empty TwiML returned.
import { createInbox } from '../core/bridge.ts';
import { loadCoreConfig } from '../core/config.ts';
import { fromLambdaEvent, toLambdaResult, type LambdaHttpEvent, type LambdaHttpResult } from '../core/http.ts';
import { handleIngress } from '../core/ingress.ts';
import { createLogger } from '../core/log.ts';
import { loadWhatsAppConfig } from '../adapters/whatsapp/config.ts';
import { whatsappIngress } from '../adapters/whatsapp/ingress.ts';
import { applyLinkedSecrets } from './runtime.ts';

applyLinkedSecrets();
// The ingress verifies, hashes the number and stores: Twilio's auth token and the actor secret.
const config = loadCoreConfig(process.env, 'deployed', { brek: false, actorIdSecret: true });
const ingress = whatsappIngress(loadWhatsAppConfig(process.env, 'deployed', 'ingress'));
const deps = { inbox: createInbox(config), logger: createLogger() };

export async function handler(event: LambdaHttpEvent): Promise<LambdaHttpResult> {
  return toLambdaResult(await handleIngress(fromLambdaEvent(event), ingress, deps));
}
