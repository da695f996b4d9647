// A fake of Twilio's Messages API for tests and the local stack: the real `twilio` client posts
// here (through its httpClient option); it checks the account's credentials, records messages,
// answers like Twilio (201 with the Message resource, queued and soon sent), lists and fetches
// them back with Twilio's filters and paging, and fails the way Twilio does (dev/fakes/faults.ts):
// refusing before the work (429 code 20429, or a status and Twilio error code), or accepting the
// message and then losing the answer (dropped connection, 500/503, an answer past the timeout).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAKE_TWILIO_ACCOUNT_SID } from '../../adapters/whatsapp/profile.ts';
import { applyFault, faultLabel, FaultPlan, isFault, writeAnswer, type Answer, type Chaos, type Fault, type FaultAnswers, type FaultKind } from './faults.ts';

export interface TwilioMessage {
  from: string;
  to: string;
  body: string;
  sid: string;
  /** Set when the request met an injected fault: `refuse:429`, `refuse:63016`, `drop_after`, `error_after:500`, `slow_after`. */
  fault?: string;
  /** Twilio accepted the message (it will be sent), whatever answer the client got. */
  delivered: boolean;
  /** `queued` when accepted, `sent` a few ms later; refused attempts stay `refused`. */
  status: 'queued' | 'sent' | 'refused';
  /** Epoch ms (Twilio shows them to the second, RFC 2822). */
  createdAt: number;
  updatedAt: number;
  sentAt?: number;
}

/** The first `fail()` shape: a refusal of the next send, before the work. */
interface LegacyTwilioFault {
  status: number;
  code?: number;
}

/** A one-shot fault for the next send (`method`: another call, e.g. 'messages.list'); `code` is Twilio's error code. */
type TwilioFault = LegacyTwilioFault | (Fault & { code?: number; method?: TwilioMethod });

/** The calls the fake answers, as faults and chaos name them. */
type TwilioMethod = 'messages.create' | 'messages.list' | 'messages.fetch';

const TWILIO_POSTING_METHODS: readonly TwilioMethod[] = ['messages.create'];

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
  status: 'queued' | 'sent';
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

export async function startFakeTwilio(options: { accountSid?: string; authToken?: string; maxPageSize?: number; sentAfterMs?: number } = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? FAKE_TWILIO_ACCOUNT_SID;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  /** Twilio caps PageSize at 1000; a smaller cap makes paging easy to exercise. */
  const maxPageSize = options.maxPageSize ?? 1000;
  const sentAfterMs = options.sentAfterMs ?? 5;
  const messages: TwilioMessage[] = [];
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
    error_code: null,
    error_message: null,
    from: message.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(Math.max(1, Math.ceil(message.body.length / 160))),
    price: null,
    price_unit: 'USD',
    sid: message.sid,
    status: message.status === 'sent' ? 'sent' : 'queued',
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

  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const send = (status: number, body: unknown) => writeAnswer(res, { status, body, headers: { 'content-type': 'application/json' } });
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/__fake/messages') {
      const since = Number(url.searchParams.get('since') ?? 0) || 0;
      return send(200, { messages: messages.slice(since), next: messages.length });
    }
    const one = url.pathname.startsWith(`${base}/Messages/`) ? /^\/(SM[0-9a-f]{32})\.json$/.exec(url.pathname.slice(`${base}/Messages`.length)) : null;
    const method: TwilioMethod | undefined =
      url.pathname === listPath ? (req.method === 'POST' ? 'messages.create' : req.method === 'GET' ? 'messages.list' : undefined) : one && req.method === 'GET' ? 'messages.fetch' : undefined;
    if (!method) return send(404, { code: 20404, message: 'not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 });
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return writeAnswer(res, twilioError(401, 20003));

    const fault = plan.next(method);
    const answers = twilioAnswers(fault ? codes.get(fault) : undefined);
    if (method !== 'messages.create') {
      applyFault(req, res, fault, () => {
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
    };
    // Refused attempts are recorded too (with `fault`), as they always were.
    messages.push(message);
    // Twilio refuses a body it cannot send before anything else: empty (21602), over 1,600 characters (21617).
    const bodyError = message.body.length === 0 ? 21602 : message.body.length > 1_600 ? 21617 : undefined;
    if (bodyError) {
      message.fault = `refuse:${bodyError}`;
      return writeAnswer(res, twilioError(400, bodyError));
    }
    if (fault) message.fault = fault.kind === 'refuse' ? faultLabel(fault, codes.get(fault) ?? fault.status ?? 429) : faultLabel(fault);
    applyFault(req, res, fault, () => {
      message.delivered = true;
      message.status = 'queued';
      // Twilio hands the message to the carrier shortly after accepting it.
      const timer = setTimeout(() => {
        timers.delete(timer);
        message.status = 'sent';
        message.sentAt = Date.now();
        message.updatedAt = message.sentAt;
      }, sentAfterMs);
      timer.unref();
      timers.add(timer);
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
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
