// Twilio's REST client, only the resources the WhatsApp sender uses: Messages (API 2010), Content v1
// and Messaging v2's typing indicator. The package root's `Twilio` reaches every domain through a
// lazy `require` that a bundler follows all the same, so importing it put the whole REST surface
// (3.2 MB) into the worker; here the same building blocks are wired by hand from twilio's own
// modules: BaseTwilio.Client (authentication, the `httpClient` option, RestException on an error
// answer), a Domain per API origin and its Version, and the resources' list instances.
import BaseTwilio from 'twilio/lib/base/BaseTwilio.js';
import RequestClient from 'twilio/lib/base/RequestClient.js';
import DomainModule from 'twilio/lib/base/Domain.js';
import VersionModule from 'twilio/lib/base/Version.js';
import type V2010Module from 'twilio/lib/rest/api/V2010.js';
import type ContentV1Module from 'twilio/lib/rest/content/V1.js';
import type MessagingV2Module from 'twilio/lib/rest/messaging/V2.js';
import { MessageListInstance } from 'twilio/lib/rest/api/v2010/account/message.js';
import { ContentListInstance } from 'twilio/lib/rest/content/v1/content.js';
import { TypingIndicatorListInstance } from 'twilio/lib/rest/messaging/v2/typingIndicator.js';
import type { WhatsAppConfig } from './config.ts';

const Domain = cjsDefault(DomainModule);
const Version = cjsDefault(VersionModule);
type V2010 = V2010Module.default;
type ContentV1 = ContentV1Module.default;
type MessagingV2 = MessagingV2Module.default;

/** What the sender and the Content catalog call, shaped as the full `twilio()` client has it (which also fits). */
export interface TwilioRest {
  messages: MessageListInstance;
  content: { v1: { contents: ContentListInstance } };
  messaging: { v2: { typingIndicator: TypingIndicatorListInstance } };
}

type RequestOptions = Parameters<RequestClient['request']>[0];

/** Sends the library's requests to another API origin (a local fake), keeping everything else. */
class RedirectingRequestClient extends RequestClient {
  constructor(
    private readonly origin: string,
    timeoutMs?: number,
  ) {
    super(timeoutMs ? { timeout: timeoutMs } : {});
  }

  override request<TData>(opts: RequestOptions & { data?: TData }) {
    const uri = new URL(opts.uri);
    const target = new URL(this.origin);
    uri.protocol = target.protocol;
    uri.host = target.host;
    return super.request({ ...opts, uri: uri.toString() });
  }
}

export function twilioClient(config: Pick<WhatsAppConfig, 'accountSid' | 'authToken' | 'apiUrl'>, options: { timeoutMs?: number } = {}): TwilioRest {
  const httpClient = config.apiUrl
    ? new RedirectingRequestClient(config.apiUrl, options.timeoutMs)
    : options.timeoutMs
      ? new RequestClient({ timeout: options.timeoutMs })
      : undefined;
  const client = new BaseTwilio.Client(config.accountSid, config.authToken, httpClient ? { httpClient } : {});
  return {
    messages: MessageListInstance(apiVersion<V2010>(client, 'https://api.twilio.com', '2010-04-01'), client.accountSid),
    content: { v1: { contents: ContentListInstance(apiVersion<ContentV1>(client, 'https://content.twilio.com', 'v1')) } },
    messaging: { v2: { typingIndicator: TypingIndicatorListInstance(apiVersion<MessagingV2>(client, 'https://messaging.twilio.com', 'v2')) } },
  };
}

/**
 * One API version at its origin, as twilio's ApiBase/V2010, ContentBase/V1 and MessagingBase/V2
 * make it. Those subclasses only add getters for their other resources (V2010 loads every account
 * resource: calls, recordings, …); the resources used here call nothing but what every Version has
 * (create, fetch, page, each, its domain's request), so a plain Version of that name stands in.
 */
function apiVersion<V extends InstanceType<typeof Version>>(client: InstanceType<typeof BaseTwilio.Client>, origin: string, name: string): V {
  return new Version(new Domain(client, origin), name) as V;
}

/**
 * The class a CommonJS module exports as `exports.default`. Node's ESM import hands over the whole
 * `exports` (the class is its `default`, as the types say); vitest's interop hands over the class.
 */
function cjsDefault<T>(module: { default: T }): T {
  return (module as { default?: T }).default ?? (module as unknown as T);
}
