// A fake of Twilio's Messages API for tests and the local stack: the real `twilio` client posts
// here (through its httpClient option); it checks the account's credentials, records messages,
// and can be told to fail the next ones (429, 5xx, or a permanent Twilio error code).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAKE_TWILIO_ACCOUNT_SID } from '../../core/dev-defaults.ts';

export interface TwilioMessage {
  from: string;
  to: string;
  body: string;
  sid: string;
  fault?: string;
}

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  messages: TwilioMessage[];
  fail(fault: { status: number; code?: number }): void;
  /** Called for each message the bridge sends (the console shows it). */
  on(listener: (message: TwilioMessage) => void): () => void;
  close(): Promise<void>;
}

export async function startFakeTwilio(options: { accountSid?: string; authToken?: string } = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? FAKE_TWILIO_ACCOUNT_SID;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const messages: TwilioMessage[] = [];
  const faults: { status: number; code?: number }[] = [];
  const listeners = new Set<(message: TwilioMessage) => void>();
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/__fake/messages') {
      const since = Number(url.searchParams.get('since') ?? 0) || 0;
      return send(200, { messages: messages.slice(since), next: messages.length });
    }
    if (req.method !== 'POST' || url.pathname !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) return send(404, { code: 20404, message: 'not found', status: 404 });
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(401, { code: 20003, message: 'Authenticate', status: 401 });
    const form = new URLSearchParams(raw);
    const message: TwilioMessage = { from: form.get('From') ?? '', to: form.get('To') ?? '', body: form.get('Body') ?? '', sid: `SM${randomBytes(16).toString('hex')}` };
    messages.push(message);
    const fault = faults.shift();
    if (fault) {
      message.fault = String(fault.code ?? fault.status);
      return send(fault.status, { code: fault.code ?? 20429, message: 'injected failure', status: fault.status });
    }
    for (const listener of listeners) listener(message);
    return send(201, { sid: message.sid, status: 'queued', from: message.from, to: message.to, body: message.body, account_sid: accountSid });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accountSid,
    authToken,
    messages,
    fail: (fault) => void faults.push(fault),
    on: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
