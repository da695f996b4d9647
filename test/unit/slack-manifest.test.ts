// The manifest asks for exactly what the code uses: every Web API method the sender calls is
// covered by a scope, and no scope or event is there for nothing.
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { BOT_SCOPES } from '../../adapters/slack/oauth.ts';
import { ACTION_WORDS } from '../../core/reply.ts';

const SCOPE_FOR_METHOD: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'reactions.add': 'reactions:write',
  'reactions.remove': 'reactions:write',
  'users.info': 'users:read',
  // setStatus takes chat:write as well, for now; the other two only assistant:write.
  'assistant.threads.setStatus': 'assistant:write',
  'assistant.threads.setSuggestedPrompts': 'assistant:write',
  'assistant.threads.setTitle': 'assistant:write',
  // Looking up a reply whose answer was lost (adapters/slack/send.ts `find`): in a DM, and in a
  // channel thread; private channels' groups:history is asked for by the message.groups event.
  'conversations.history': 'im:history',
  'conversations.replies': 'channels:history',
};
const SCOPE_FOR_EVENT: Record<string, string> = {
  app_mention: 'app_mentions:read',
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  'message.im': 'im:history',
};
/** Events that need no scope: the workspace leaving (the bridge then erases it), the assistant container's. */
const EVENTS_WITHOUT_SCOPE = ['app_uninstalled', 'tokens_revoked', 'assistant_thread_started', 'assistant_thread_context_changed'];

it('manifests/slack-app.yaml has exactly the scopes and events the bridge uses', async () => {
  const manifest = parse(await readFile(new URL('../../manifests/slack-app.yaml', import.meta.url), 'utf8')) as {
    features: { assistant_view?: { assistant_description?: string; suggested_prompts?: { title: string; message: string }[] } };
    oauth_config: { scopes: { bot: string[] }; redirect_urls: string[] };
    settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string } };
  };
  const send = await readFile(new URL('../../adapters/slack/send.ts', import.meta.url), 'utf8');
  // `this.web.chat.postMessage(`, `this.web.assistant.threads.setTitle(` (a chain may break lines).
  const used = [...send.matchAll(/this\.web((?:\s*\.[a-zA-Z]+){2,3})\(/g)].map((m) => m[1]!.replace(/\s+/g, '').slice(1));
  expect(new Set(used)).toEqual(new Set(Object.keys(SCOPE_FOR_METHOD)));
  const expected = new Set([...Object.values(SCOPE_FOR_METHOD), ...Object.values(SCOPE_FOR_EVENT)]);
  expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(expected);
  expect(manifest.settings.event_subscriptions.bot_events.sort()).toEqual([...Object.keys(SCOPE_FOR_EVENT), ...EVENTS_WITHOUT_SCOPE].sort());
  // The OAuth install asks for the very same scopes.
  expect(new Set(BOT_SCOPES)).toEqual(expected);
  expect(manifest.oauth_config.redirect_urls).toEqual(['https://YOUR-INSTALL-HOST/slack/oauth_redirect']);
  expect(manifest.settings.event_subscriptions.request_url).toBe('https://YOUR-BRIDGE-HOST/slack/events');
  expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://YOUR-BRIDGE-HOST/slack/events' });
});

it('manifests/slack-app.yaml turns on the assistant container with the welcome’s own suggestions', async () => {
  const manifest = parse(await readFile(new URL('../../manifests/slack-app.yaml', import.meta.url), 'utf8')) as {
    features: { assistant_view?: { assistant_description?: string; suggested_prompts?: { title: string; message: string }[] } };
  };
  const view = manifest.features.assistant_view;
  expect(view?.assistant_description).toMatch(/hotels/);
  // The container's first suggestions are the ones the bridge sets on a new thread (at most four).
  expect(view?.suggested_prompts?.map((p) => p.message)).toEqual([...ACTION_WORDS.samples]);
  expect(view?.suggested_prompts?.length).toBeLessThanOrEqual(4);
});
