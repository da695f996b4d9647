// A fake of Twilio's Messages API for tests and the local stack: the real `twilio` client posts
// here (through its httpClient option); it checks the account's credentials, records messages,
// answers like Twilio (201 with the Message resource, queued and soon sent), lists and fetches
// them back with Twilio's filters and paging, and fails the way Twilio does (dev/fakes/faults.ts):
// refusing before the work (429 code 20429, or a status and Twilio error code), or accepting the
// message and then losing the answer (dropped connection, 500/503, an answer past the timeout).
// Issue 21: the Content API (POST/GET/DELETE /v1/Content), messages sent with ContentSid and
// ContentVariables (refused as Twilio refuses them: 21655 an unknown ContentSid, 21656 variables
// that do not match or that break the type's limits), the WhatsApp typing indicator
// (POST /v2/Indicators/Typing.json), status callbacks to each message's StatusCallback, signed as
// Twilio signs them, and the 24-hour window: a free-form message to a number whose last message is
// older fails with 63016 (accepted, then `failed` — as Twilio reports it), an approved template passes.
import { randomBytes } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAKE_TWILIO_ACCOUNT_SID } from '../../adapters/whatsapp/profile.ts';
import { applyFault, faultLabel, FaultPlan, isFault, writeAnswer, type Answer, type Chaos, type Fault, type FaultAnswers, type FaultKind } from './faults.ts';
import { isObj } from '../../core/util.ts';

export interface TwilioMessage {
  from: string;
  to: string;
  body: string;
  sid: string;
  /** Set when the request met an injected fault: `refuse:429`, `refuse:63016`, `drop_after`, `error_after:500`, `slow_after`. */
  fault?: string;
  /** Twilio accepted the message (it will be sent), whatever answer the client got. */
  delivered: boolean;
  /** `queued` when accepted, `sent` a few ms later, then `delivered` (and `read`, see markRead); `failed` outside the 24-hour window. */
  status: 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'refused';
  /** Sent with a Content resource: its SID and variables, and what WhatsApp shows for it. */
  contentSid?: string;
  contentVariables?: Record<string, string>;
  interactive?: TwilioInteractive;
  /** Twilio's error for a message that failed after it was accepted (63016). */
  errorCode?: number;
  statusCallback?: string;
  /** Epoch ms (Twilio shows them to the second, RFC 2822). */
  createdAt: number;
  updatedAt: number;
  sentAt?: number;
}

/** What WhatsApp shows under a message sent with a list picker or quick replies. */
export type TwilioInteractive =
  | { type: 'list'; button: string; items: { id: string; item: string; description: string }[] }
  | { type: 'quick'; buttons: { id: string; title: string }[] };

/** A Content resource as created (POST /v1/Content). */
interface TwilioContent {
  sid: string;
  friendlyName: string;
  language: string;
  variables: Record<string, string>;
  types: Record<string, unknown>;
  /** Approved by WhatsApp: may start a conversation outside the 24-hour window. */
  approved: boolean;
  createdAt: number;
}

/** The first `fail()` shape: a refusal of the next send, before the work. */
interface LegacyTwilioFault {
  status: number;
  code?: number;
}

/** A one-shot fault for the next send (`method`: another call, e.g. 'messages.list'); `code` is Twilio's error code. */
type TwilioFault = LegacyTwilioFault | (Fault & { code?: number; method?: TwilioMethod });

/** The calls the fake answers, as faults and chaos name them. */
type TwilioMethod = 'messages.create' | 'messages.list' | 'messages.fetch' | 'content.create' | 'content.fetch' | 'content.list' | 'content.delete' | 'typing.create';

const TWILIO_POSTING_METHODS: readonly TwilioMethod[] = ['messages.create'];

/** WhatsApp's free-form window after the traveller's last message. */
const SESSION_WINDOW_MS = 24 * 3_600_000;

/** The Message resource as Twilio's JSON has it. */
interface TwilioMessageResource {
  account_sid: string;
  api_version: '2010-04-01';
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: 'outbound-api';
  error_code: number | null;
  error_message: string | null;
  from: string;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: string | null;
  price_unit: string;
  sid: string;
  status: 'queued' | 'sent' | 'delivered' | 'read' | 'failed';
  subresource_uris: { media: string };
  to: string;
  uri: string;
}

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  /** Every send attempt, refused ones too (`delivered` false). */
  messages: TwilioMessage[];
  /** Queue a one-shot fault for the next send (old shape `{status, code?}`: a refusal). */
  fail(fault: TwilioFault): void;
  /** A seeded chaos policy (null: off); default methods: 'messages.create'. */
  chaos(settings: Chaos | null): void;
  /** Faults injected so far, by kind. */
  injected(): Record<FaultKind, number>;
  faults: FaultPlan;
  /** The truth: the messages Twilio accepted (to `to`, when given), in send order. */
  delivered(to?: string): TwilioMessage[];
  /** Content resources created (POST /v1/Content), by SID. */
  contents: Map<string, TwilioContent>;
  /** An approved WhatsApp template (as if created and approved in the Console); returns its ContentSid. */
  approvedTemplate(body: string, variables?: Record<string, string>): string;
  /** Typing indicators asked for, in order: the inbound message each was for. */
  typing: { messageId: string; at: number }[];
  /** The traveller wrote (their last message opens the 24-hour window); `at` defaults to now. */
  received(address: string, at?: number): void;
  /** The traveller read this message: a `read` status callback. */
  markRead(sid: string): Promise<void>;
  /** Status callbacks the fake posted, and the bridge's answer to each. */
  callbacks: { sid: string; status: string; answered: number }[];
  /** Resolves once every status step and callback due so far has been posted and answered. */
  settled(): Promise<void>;
  /** Called for each message Twilio accepted, also when the answer was then lost (the console shows it). */
  on(listener: (message: TwilioMessage) => void): () => void;
  close(): Promise<void>;
}

/** Twilio's dates: RFC 2822 in GMT, "Thu, 30 Jul 2015 20:12:31 +0000". */
export function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

const ERROR_MESSAGES: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20001: 'Invalid parameter',
  20429: 'Too Many Requests',
  20500: 'Internal Server Error',
  20503: 'Service Unavailable',
  21211: "Invalid 'To' Phone Number",
  21655: 'The ContentSid is Invalid',
  21656: 'The ContentVariables Parameter is invalid',
  63016: 'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.',
};

/** Twilio's error body (twilio-node turns it into a RestException with status and code). */
function twilioError(status: number, code: number): Answer {
  return { status, body: { code, message: ERROR_MESSAGES[code] ?? 'injected failure', more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

const defaultCode = (status: number) => (status === 429 ? 20429 : status === 503 ? 20503 : status >= 500 ? 20500 : status === 404 ? 20404 : 20001);

function twilioAnswers(code: number | undefined): FaultAnswers {
  return {
    refuse: (fault) => {
      const status = fault.status ?? 429;
      const answer = twilioError(status, code ?? defaultCode(status));
      return fault.retryAfter === undefined ? answer : { ...answer, headers: { 'retry-after': String(fault.retryAfter) } };
    },
    serverError: (status) => twilioError(status, defaultCode(status)),
  };
}

/** A date filter value as twilio-node sends it: "YYYY-MM-DD" (a whole UTC day) or "YYYY-MM-DDTHH:mm:ssZ". */
function parseDateFilter(value: string): { from: number; to: number } | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(start) ? undefined : { from: start, to: start + 86_400_000 - 1 };
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  const second = Math.floor(at / 1000) * 1000;
  return { from: second, to: second + 999 };
}

/** Twilio's limits for the types the fake knows (https://www.twilio.com/docs/content/twiliolist-picker, …/twilio-quick-reply). */
const LIMITS = { body: 1024, textBody: 1600, items: 10, item: 24, description: 72, id: 200, button: 20, quickReplies: 3, title: 20 } as const;


/** The {{n}} placeholders a content definition uses. */
function placeholders(types: Record<string, unknown>): Set<string> {
  return new Set([...JSON.stringify(types).matchAll(/\{\{\s*([0-9A-Za-z_]+)\s*\}\}/g)].map((m) => m[1]!));
}

/** Why Twilio would refuse this definition at creation (shape only: values may be variables); undefined when fine. */
function contentProblem(body: unknown): string | undefined {
  if (!isObj(body)) return 'the body must be a JSON object';
  if (typeof body.language !== 'string' || body.language === '') return 'language is required';
  if (!isObj(body.types) || Object.keys(body.types).length === 0) return 'types is required';
  if (body.variables !== undefined && (!isObj(body.variables) || Object.values(body.variables).some((v) => typeof v !== 'string'))) return 'variables must map names to strings';
  for (const [type, definition] of Object.entries(body.types)) {
    if (!isObj(definition) || typeof definition.body !== 'string' || definition.body === '') return `${type}: body is required`;
    if (type === 'twilio/list-picker') {
      if (typeof definition.button !== 'string' || definition.button === '') return 'twilio/list-picker: button is required';
      const items = definition.items;
      if (!Array.isArray(items) || items.length < 1 || items.length > LIMITS.items) return `twilio/list-picker: 1 to ${LIMITS.items} items`;
      if (items.some((i) => !isObj(i) || typeof i.id !== 'string' || typeof i.item !== 'string' || typeof i.description !== 'string')) return 'twilio/list-picker: each item needs id, item and description';
    } else if (type === 'twilio/quick-reply') {
      const actions = definition.actions;
      if (!Array.isArray(actions) || actions.length < 1 || actions.length > LIMITS.quickReplies) return `twilio/quick-reply: 1 to ${LIMITS.quickReplies} actions`;
      if (actions.some((a) => !isObj(a) || typeof a.title !== 'string' || (a.id !== undefined && typeof a.id !== 'string'))) return 'twilio/quick-reply: each action needs a title';
    } else if (type !== 'twilio/text') return `${type}: not a type this fake knows`;
  }
  return undefined;
}

const fill = (template: string, values: Record<string, string>) => template.replace(/\{\{\s*([0-9A-Za-z_]+)\s*\}\}/g, (_, name: string) => values[name] ?? '');

/** The message a Content resource makes with these values: its body and what WhatsApp shows with it; or why Twilio refuses it. */
function materialise(content: TwilioContent, values: Record<string, string>): { body: string; interactive?: TwilioInteractive } | { problem: string } {
  const list = content.types['twilio/list-picker'];
  const quick = content.types['twilio/quick-reply'];
  const text = content.types['twilio/text'];
  const tooLong = (what: string, value: string, max: number) => (value.length > max ? `${what} is over ${max} characters` : value.trim() === '' ? `${what} is empty` : undefined);
  if (isObj(list)) {
    const body = fill(String(list.body), values);
    const items = (list.items as Record<string, string>[]).map((i) => ({ id: fill(i.id!, values), item: fill(i.item!, values), description: fill(i.description!, values) }));
    const button = fill(String(list.button), values);
    const problem =
      tooLong('body', body, LIMITS.body) ??
      tooLong('button', button, LIMITS.button) ??
      items.map((i, n) => tooLong(`item ${n + 1}`, i.item, LIMITS.item) ?? tooLong(`item ${n + 1} id`, i.id, LIMITS.id) ?? (i.description.length > LIMITS.description ? `item ${n + 1} description is over ${LIMITS.description} characters` : undefined)).find(Boolean);
    if (!problem && new Set(items.map((i) => i.id)).size !== items.length) return { problem: 'item ids must be unique' };
    return problem ? { problem } : { body, interactive: { type: 'list', button, items } };
  }
  if (isObj(quick)) {
    const body = fill(String(quick.body), values);
    const buttons = (quick.actions as Record<string, string>[]).map((a) => {
      const title = fill(a.title!, values);
      return { id: a.id === undefined ? title : fill(a.id, values), title };
    });
    const problem = tooLong('body', body, LIMITS.body) ?? buttons.map((b, n) => tooLong(`button ${n + 1}`, b.title, LIMITS.title) ?? tooLong(`button ${n + 1} id`, b.id, LIMITS.id)).find(Boolean);
    return problem ? { problem } : { body, interactive: { type: 'quick', buttons } };
  }
  const body = isObj(text) ? fill(String(text.body), values) : '';
  return tooLong('body', body, LIMITS.textBody) ? { problem: tooLong('body', body, LIMITS.textBody)! } : { body };
}

export async function startFakeTwilio(options: { accountSid?: string; authToken?: string; maxPageSize?: number; sentAfterMs?: number } = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? FAKE_TWILIO_ACCOUNT_SID;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  /** Twilio caps PageSize at 1000; a smaller cap makes paging easy to exercise. */
  const maxPageSize = options.maxPageSize ?? 1000;
  const sentAfterMs = options.sentAfterMs ?? 5;
  const messages: TwilioMessage[] = [];
  const contents = new Map<string, TwilioContent>();
  const typing: { messageId: string; at: number }[] = [];
  /** Each traveller's last message (epoch ms), by address: the 24-hour window. */
  const lastInbound = new Map<string, number>();
  const callbacks: { sid: string; status: string; answered: number }[] = [];
  const pendingCallbacks = new Set<Promise<void>>();
  const plan = new FaultPlan(TWILIO_POSTING_METHODS, { refuse: { status: 429 }, error_after: [{ status: 500 }, { status: 503 }] });
  /** Twilio error codes for queued faults, by fault (a Fault has no numeric code of its own). */
  const codes = new WeakMap<Fault, number>();
  const listeners = new Set<(message: TwilioMessage) => void>();
  const timers = new Set<NodeJS.Timeout>();
  const base = `/2010-04-01/Accounts/${accountSid}`;
  const listPath = `${base}/Messages.json`;

  const resource = (message: TwilioMessage): TwilioMessageResource => ({
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: message.body,
    date_created: rfc2822(message.createdAt),
    date_sent: message.sentAt === undefined ? null : rfc2822(message.sentAt),
    date_updated: rfc2822(message.updatedAt),
    direction: 'outbound-api',
    error_code: message.errorCode ?? null,
    error_message: message.errorCode ? (ERROR_MESSAGES[message.errorCode] ?? null) : null,
    from: message.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(Math.max(1, Math.ceil(message.body.length / 160))),
    price: null,
    price_unit: 'USD',
    sid: message.sid,
    status: message.status === 'refused' ? 'queued' : message.status,
    subresource_uris: { media: `${base}/Messages/${message.sid}/Media.json` },
    to: message.to,
    uri: `${base}/Messages/${message.sid}.json`,
  });

  /** GET Messages.json: newest first, Twilio's filters (DateSent is the sent date: a queued message has none), paged. */
  function list(query: URLSearchParams): Answer {
    const filters: ((m: TwilioMessage) => boolean)[] = [];
    const to = query.get('To');
    const from = query.get('From');
    if (to !== null) filters.push((m) => m.to === to);
    if (from !== null) filters.push((m) => m.from === from);
    // "DateSent<" and "DateSent>" are on-or-before and on-or-after (Twilio's docs: <= and >=).
    for (const [param, test] of [
      ['DateSent', (sent: number, range: { from: number; to: number }) => sent >= range.from && sent <= range.to],
      ['DateSent<', (sent: number, range: { from: number; to: number }) => sent <= range.to],
      ['DateSent>', (sent: number, range: { from: number; to: number }) => sent >= range.from],
    ] as const) {
      const value = query.get(param);
      if (value === null) continue;
      const range = parseDateFilter(value);
      if (!range) return { status: 400, body: { code: 20001, message: `Invalid value for ${param}`, more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 } };
      filters.push((m) => m.sentAt !== undefined && test(Math.floor(m.sentAt / 1000) * 1000, range));
    }
    const matching = messages
      .map((m, order) => ({ m, order }))
      .filter(({ m }) => m.delivered && filters.every((f) => f(m)))
      // Newest first: by the sent date, or the creation date of one not sent yet; then the later send first.
      .sort((a, b) => (b.m.sentAt ?? b.m.createdAt) - (a.m.sentAt ?? a.m.createdAt) || b.order - a.order)
      .map(({ m }) => m);
    const requested = Number(query.get('PageSize') ?? 50);
    const pageSize = Number.isInteger(requested) && requested > 0 ? Math.min(requested, maxPageSize) : 50;
    const pageNumber = Math.max(0, Number(query.get('Page') ?? 0) || 0);
    // PageToken "PA<sid>" (the page after that message) or "PB<sid>" (the page before it) anchors
    // a page on the list, not on an offset, so messages sent while paging do not shift it;
    // without one, Page × PageSize.
    const token = query.get('PageToken');
    let start = pageNumber * pageSize;
    if (token) {
      const [, direction, sid] = /^P([AB])(SM[0-9a-f]{32})$/.exec(token) ?? [];
      const index = sid ? matching.findIndex((m) => m.sid === sid) : -1;
      if (index < 0) return { status: 400, body: { code: 20001, message: 'Invalid PageToken', more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 } };
      start = direction === 'A' ? index + 1 : Math.max(0, index - pageSize);
    }
    const items = matching.slice(start, start + pageSize);
    const filterQuery = new URLSearchParams();
    for (const key of ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>']) {
      const value = query.get(key);
      if (value !== null) filterQuery.set(key, value);
    }
    const uri = (page: number, pageToken?: string) => {
      const q = new URLSearchParams(filterQuery);
      q.set('PageSize', String(pageSize));
      q.set('Page', String(page));
      if (pageToken) q.set('PageToken', pageToken);
      return `${listPath}?${q.toString()}`;
    };
    const last = items.at(-1);
    const hasMore = start + pageSize < matching.length;
    return {
      status: 200,
      body: {
        messages: items.map(resource),
        end: items.length ? start + items.length - 1 : start,
        first_page_uri: uri(0),
        next_page_uri: hasMore && last ? uri(pageNumber + 1, `PA${last.sid}`) : null,
        page: pageNumber,
        page_size: pageSize,
        previous_page_uri: pageNumber > 0 && items[0] ? uri(pageNumber - 1, `PB${items[0].sid}`) : null,
        start,
        uri: uri(pageNumber, token ?? undefined),
      },
    };
  }

  const contentResource = (content: TwilioContent) => ({
    sid: content.sid,
    account_sid: accountSid,
    friendly_name: content.friendlyName,
    language: content.language,
    variables: content.variables,
    types: content.types,
    url: `https://content.twilio.com/v1/Content/${content.sid}`,
    date_created: new Date(content.createdAt).toISOString(),
    date_updated: new Date(content.createdAt).toISOString(),
    links: { approval_create: `https://content.twilio.com/v1/Content/${content.sid}/ApprovalRequests/whatsapp`, approval_fetch: `https://content.twilio.com/v1/Content/${content.sid}/ApprovalRequests` },
  });

  function createContent(body: Record<string, unknown>, approved: boolean): TwilioContent {
    const content: TwilioContent = {
      sid: `HX${randomBytes(16).toString('hex')}`,
      friendlyName: typeof body.friendly_name === 'string' ? body.friendly_name : '',
      language: String(body.language),
      variables: (body.variables as Record<string, string> | undefined) ?? {},
      types: body.types as Record<string, unknown>,
      approved,
      createdAt: Date.now(),
    };
    contents.set(content.sid, content);
    return content;
  }

  /** The Content API (content.twilio.com/v1/Content): create, fetch, list, delete. */
  function contentApi(method: TwilioMethod, sid: string | undefined, raw: string, query: URLSearchParams): Answer {
    const invalid = (message: string): Answer => ({ status: 400, body: { code: 20001, message, more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 } });
    switch (method) {
      case 'content.create': {
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          return invalid('the body must be JSON');
        }
        const problem = contentProblem(body);
        return problem ? invalid(problem) : { status: 201, body: contentResource(createContent(body as Record<string, unknown>, false)) };
      }
      case 'content.list': {
        const pageSize = Math.min(Number(query.get('PageSize') ?? 50) || 50, 500);
        const all = [...contents.values()];
        return { status: 200, body: { contents: all.slice(0, pageSize).map(contentResource), meta: { page: 0, page_size: pageSize, first_page_url: 'https://content.twilio.com/v1/Content?PageSize=50&Page=0', previous_page_url: null, url: 'https://content.twilio.com/v1/Content', next_page_url: null, key: 'contents' } } };
      }
      default: {
        const content = sid ? contents.get(sid) : undefined;
        if (!content) return twilioError(404, 20404);
        if (method === 'content.fetch') return { status: 200, body: contentResource(content) };
        contents.delete(content.sid);
        return { status: 204 };
      }
    }
  }

  /** Posts a status callback as Twilio does: form-encoded, signed over the callback URL with the auth token. */
  let closed = false;
  function statusCallback(message: TwilioMessage): void {
    const url = message.statusCallback;
    if (!url || closed) return;
    const params: Record<string, string> = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      ChannelPrefix: 'whatsapp',
      From: message.from,
      To: message.to,
      MessageSid: message.sid,
      SmsSid: message.sid,
      MessageStatus: message.status,
      SmsStatus: message.status,
      ...(message.errorCode ? { ErrorCode: String(message.errorCode) } : {}),
    };
    const posting = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': getExpectedTwilioSignature(authToken, url, params) },
      body: new URLSearchParams(params).toString(),
    })
      .then(async (answer) => {
        await answer.arrayBuffer();
        callbacks.push({ sid: message.sid, status: params.MessageStatus!, answered: answer.status });
      })
      .catch(() => {
        callbacks.push({ sid: message.sid, status: params.MessageStatus!, answered: 0 });
      })
      .finally(() => pendingCallbacks.delete(posting));
    pendingCallbacks.add(posting);
  }

  /** Later steps of an accepted message, one after another, each reported to its StatusCallback. */
  function advance(message: TwilioMessage, steps: ('sent' | 'delivered' | 'failed')[]): void {
    const [step, ...rest] = steps;
    if (!step) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      message.status = step;
      message.updatedAt = Date.now();
      if (step === 'sent') message.sentAt = message.updatedAt;
      if (step === 'failed') message.errorCode = 63016;
      statusCallback(message);
      advance(message, rest);
    }, sentAfterMs);
    timer.unref();
    timers.add(timer);
  }

  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const send = (status: number, body: unknown) => writeAnswer(res, { status, body, headers: { 'content-type': 'application/json' } });
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/__fake/messages') {
      const since = Number(url.searchParams.get('since') ?? 0) || 0;
      return send(200, { messages: messages.slice(since), next: messages.length });
    }
    const contentSid = /^\/v1\/Content\/(HX[0-9a-f]{32})$/.exec(url.pathname)?.[1];
    const contentMethod: TwilioMethod | undefined =
      url.pathname === '/v1/Content' ? (req.method === 'POST' ? 'content.create' : req.method === 'GET' ? 'content.list' : undefined)
        : url.pathname.startsWith('/v1/Content/') ? (req.method === 'GET' ? 'content.fetch' : req.method === 'DELETE' ? 'content.delete' : undefined)
          : url.pathname === '/v2/Indicators/Typing.json' && req.method === 'POST' ? 'typing.create' : undefined;
    const one = url.pathname.startsWith(`${base}/Messages/`) ? /^\/(SM[0-9a-f]{32})\.json$/.exec(url.pathname.slice(`${base}/Messages`.length)) : null;
    const method: TwilioMethod | undefined =
      contentMethod ?? (url.pathname === listPath ? (req.method === 'POST' ? 'messages.create' : req.method === 'GET' ? 'messages.list' : undefined) : one && req.method === 'GET' ? 'messages.fetch' : undefined);
    if (!method) return send(404, { code: 20404, message: 'not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 });
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return writeAnswer(res, twilioError(401, 20003));

    const fault = plan.next(method);
    const answers = twilioAnswers(fault ? codes.get(fault) : undefined);
    if (method !== 'messages.create') {
      applyFault(req, res, fault, () => {
        if (method === 'typing.create') {
          // Twilio's typing indicator (messaging.twilio.com/v2/Indicators/Typing.json): for an inbound WhatsApp message.
          const form = new URLSearchParams(raw);
          const messageId = form.get('messageId') ?? '';
          if (form.get('channel') !== 'whatsapp') return { status: 400, body: { code: 20001, message: 'channel must be whatsapp', more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 } };
          if (!/^(SM|MM)[0-9a-f]{32}$/.test(messageId)) return { status: 400, body: { code: 20001, message: 'messageId must be a Message SID', more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 } };
          typing.push({ messageId, at: Date.now() });
          return { status: 200, body: { success: true } };
        }
        if (method.startsWith('content.')) return contentApi(method, contentSid, raw, url.searchParams);
        if (method === 'messages.list') return list(url.searchParams);
        const found = messages.find((m) => m.sid === one![1] && m.delivered);
        return found ? { status: 200, body: resource(found) } : twilioError(404, 20404);
      }, answers);
      return;
    }

    const form = new URLSearchParams(raw);
    const now = Date.now();
    const message: TwilioMessage = {
      from: form.get('From') ?? '',
      to: form.get('To') ?? '',
      body: form.get('Body') ?? '',
      sid: `SM${randomBytes(16).toString('hex')}`,
      delivered: false,
      status: 'refused',
      createdAt: now,
      updatedAt: now,
      ...(form.get('StatusCallback') ? { statusCallback: form.get('StatusCallback')! } : {}),
    };
    // Refused attempts are recorded too (with `fault`), as they always were.
    messages.push(message);
    const refuse = (code: number, detail?: string) => {
      message.fault = `refuse:${code}`;
      const answer = twilioError(400, code);
      return writeAnswer(res, detail ? { ...answer, body: { ...(answer.body as Record<string, unknown>), message: `${ERROR_MESSAGES[code]}: ${detail}` } } : answer);
    };
    const sid = form.get('ContentSid');
    let content: TwilioContent | undefined;
    if (sid !== null) {
      // A Content resource: its SID must be this account's, and the variables exactly its placeholders.
      content = contents.get(sid);
      if (!content) return refuse(21655);
      let values: unknown = {};
      try {
        values = JSON.parse(form.get('ContentVariables') ?? '{}');
      } catch {
        return refuse(21656, 'not JSON');
      }
      if (!isObj(values) || Object.values(values).some((v) => typeof v !== 'string')) return refuse(21656, 'values must be strings');
      const used = placeholders(content.types);
      const unknown = Object.keys(values).filter((k) => !used.has(k));
      if (unknown.length) return refuse(21656, `no variable ${unknown.join(', ')} in this content`);
      const merged = { ...content.variables, ...(values as Record<string, string>) };
      const missing = [...used].filter((k) => merged[k] === undefined);
      if (missing.length) return refuse(21656, `no value for ${missing.join(', ')}`);
      const made = materialise(content, merged);
      if ('problem' in made) return refuse(21656, made.problem);
      message.body = made.body;
      message.contentSid = content.sid;
      message.contentVariables = values as Record<string, string>;
      if (made.interactive) message.interactive = made.interactive;
    } else {
      // Twilio refuses a body it cannot send before anything else: empty (21602), over 1,600 characters (21617).
      const bodyError = message.body.length === 0 ? 21602 : message.body.length > 1_600 ? 21617 : undefined;
      if (bodyError) return refuse(bodyError);
    }
    // Outside the traveller's 24-hour window only an approved template goes; anything else is
    // accepted and then fails with 63016, as Twilio reports it (a number that never wrote is not held to it).
    const last = lastInbound.get(message.to);
    const outsideWindow = last !== undefined && now - last > SESSION_WINDOW_MS && !content?.approved;
    if (fault) message.fault = fault.kind === 'refuse' ? faultLabel(fault, codes.get(fault) ?? fault.status ?? 429) : faultLabel(fault);
    applyFault(req, res, fault, () => {
      message.delivered = true;
      message.status = 'queued';
      // Twilio hands the message to the carrier shortly after accepting it; WhatsApp then delivers it.
      // (Delivery is reported to a StatusCallback; without one the fake's message stays `sent`.)
      advance(message, outsideWindow ? ['failed'] : message.statusCallback ? ['sent', 'delivered'] : ['sent']);
      for (const listener of listeners) listener(message);
      return { status: 201, body: resource(message), headers: { 'content-type': 'application/json' } };
    }, answers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accountSid,
    authToken,
    messages,
    contents,
    approvedTemplate: (body, variables = { '1': 'message' }) => createContent({ friendly_name: 'approved_template', language: 'en', variables, types: { 'twilio/text': { body } } }, true).sid,
    typing,
    received: (address, at = Date.now()) => {
      lastInbound.set(address, at);
    },
    markRead: async (sid) => {
      const message = messages.find((m) => m.sid === sid && m.delivered);
      if (!message) return;
      message.status = 'read';
      message.updatedAt = Date.now();
      statusCallback(message);
      await Promise.all([...pendingCallbacks]);
    },
    callbacks,
    settled: async () => {
      while (timers.size > 0 || pendingCallbacks.size > 0) {
        await Promise.allSettled([...pendingCallbacks]);
        if (timers.size > 0) await new Promise((resolve) => setTimeout(resolve, sentAfterMs));
      }
    },
    fail: (fault) => {
      const shaped: Fault = isFault(fault) ? fault : { kind: 'refuse', status: fault.status };
      // Twilio's error code: `code`, or a numeric `error` ("21211").
      const code = fault.code ?? (isFault(fault) && fault.error && /^\d+$/.test(fault.error) ? Number(fault.error) : undefined);
      if (code !== undefined) codes.set(shaped, code);
      plan.push(shaped, isFault(fault) ? fault.method : undefined);
    },
    chaos: (settings) => plan.chaos(settings),
    injected: () => ({ ...plan.injected }),
    faults: plan,
    delivered: (to) => messages.filter((m) => m.delivered && (to === undefined || m.to === to)),
    on: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
