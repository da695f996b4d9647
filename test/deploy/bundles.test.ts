// What each Lambda carries, bundled the way a deploy does (esbuild, Node, ESM, minified): every
// ingress holds its own channel's SDK and nothing of the others, and the sizes are printed.
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

async function bundle(entry: string): Promise<{ bytes: number; inputs: string[] }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    // CommonJS dependencies inside an ESM bundle need a require.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  const inputs = Object.keys((result.metafile as Metafile).inputs);
  return { bytes: result.outputFiles[0]!.contents.length, inputs };
}

const uses = (inputs: string[], pkg: string) => inputs.some((i) => i.includes(`node_modules/${pkg}/`));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

describe('Lambda bundles', () => {
  it('each ingress bundles only its own channel (and no web framework); sizes reported', async () => {
    const [slack, teams, whatsapp, worker] = await Promise.all(
      ['functions/slack.ts', 'functions/teams.ts', 'functions/whatsapp.ts', 'functions/worker.ts'].map(bundle),
    ) as [Awaited<ReturnType<typeof bundle>>, Awaited<ReturnType<typeof bundle>>, Awaited<ReturnType<typeof bundle>>, Awaited<ReturnType<typeof bundle>>];
    process.stdout.write(`bundle sizes: slack ingress ${kb(slack.bytes)}, teams ingress ${kb(teams.bytes)}, whatsapp ingress ${kb(whatsapp.bytes)}, worker ${kb(worker.bytes)}\n`);

    // Twilio's webhooks module alone: its REST client (the package root) stays out of the ingress.
    expect(whatsapp.inputs.some((i) => i.includes('node_modules/twilio/lib/webhooks/'))).toBe(true);
    expect(whatsapp.inputs.some((i) => i.includes('node_modules/twilio/lib/rest/'))).toBe(false);
    for (const other of ['@slack/bolt', '@slack/web-api', '@microsoft/teams.api', 'express', 'axios']) expect(uses(whatsapp.inputs, other), `whatsapp ingress has ${other}`).toBe(false);

    expect(uses(slack.inputs, '@slack/bolt')).toBe(true);
    for (const other of ['@microsoft/teams.api', '@microsoft/teams.apps', 'twilio', '@slack/web-api', 'express']) expect(uses(slack.inputs, other), `slack ingress has ${other}`).toBe(false);

    // Its JWT check is jose's, not the Teams SDK validator's with jwks-rsa, axios and form-data.
    expect(uses(teams.inputs, 'jose')).toBe(true);
    for (const other of ['@slack/bolt', '@slack/web-api', 'twilio', 'express', '@azure/msal-node', '@microsoft/teams.apps', 'jwks-rsa', 'jsonwebtoken', 'axios', 'form-data']) expect(uses(teams.inputs, other), `teams ingress has ${other}`).toBe(false);
    // 1308 KB with the SDK's validator; 703 KB with jose (esbuild 0.28, minified).
    expect(teams.bytes, 'teams ingress bytes').toBeLessThan(740 * 1024);

    // The worker carries the senders.
    expect(uses(worker.inputs, '@slack/web-api')).toBe(true);
    expect(uses(worker.inputs, '@microsoft/teams.api')).toBe(true);
    expect(uses(worker.inputs, 'twilio')).toBe(true);
    expect(uses(worker.inputs, 'express')).toBe(false);
    // Twilio's REST client as adapters/whatsapp/twilio-client.ts builds it: Messages, Content v1 and
    // the typing indicator, not the package root that reaches every domain (3.2 MB of the worker).
    const twilioRest = worker.inputs.filter((i) => i.includes('node_modules/twilio/lib/rest/')).map((i) => i.slice(i.indexOf('twilio/lib/rest/')));
    expect(twilioRest).toContain('twilio/lib/rest/api/v2010/account/message.js');
    expect(twilioRest).toContain('twilio/lib/rest/content/v1/content.js');
    expect(twilioRest).toContain('twilio/lib/rest/messaging/v2/typingIndicator.js');
    const used = ['twilio/lib/rest/api/v2010/account/message', 'twilio/lib/rest/content/v1/content', 'twilio/lib/rest/messaging/v2/typingIndicator.js'];
    expect(twilioRest.filter((i) => !used.some((prefix) => i.startsWith(prefix))), 'twilio REST modules beyond those used').toEqual([]);
    for (const unused of ['twilio/lib/rest/Twilio.js', 'twilio/lib/rest/video/', 'twilio/lib/rest/voice/', 'twilio/lib/twiml/', 'twilio/lib/rest/api/v2010/account/call']) {
      expect(worker.inputs.some((i) => i.includes(`node_modules/${unused}`)), `worker has ${unused}`).toBe(false);
    }
    // 4752 KB with the package root; 1524 KB with only the resources used (esbuild 0.28, minified).
    expect(worker.bytes, 'worker bytes').toBeLessThan(1600 * 1024);
  }, 60_000);
});
