// WhatsApp's (Twilio's) inbound half of "what arrives is the platform's format, decoded"
// (DESIGN.md), and status callbacks on the same URL: the normaliser alone, no stack. Every
// recorded webhook in ../shared/realworld/whatsapp (read at run time, never copied here) against
// what its file says a traveller would want, then this project's own fixtures, which always run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EMPTY_TWIML, normalizeWhatsApp, whatsappReference } from '../../adapters/whatsapp/normalize.ts';
import { verifyTwilio } from '../../adapters/whatsapp/verify.ts';
import type { HttpRequest } from '../../core/http.ts';
import type { InboundTurn, TurnInput } from '../../core/inbound.ts';
import type { Normalized } from '../../core/ingress.ts';

const SECRET = 'normalize-whatsapp-test-secret';
const OURS = 'whatsapp:+15550001000';
const TRAVELLER = 'whatsapp:+351910000001';

const formRequest = (params: Record<string, string>): HttpRequest => ({
  method: 'POST',
  path: '/whatsapp/webhook',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: Buffer.from(new URLSearchParams(params).toString()),
});
const normalize = (params: Record<string, string>, options: { sender?: string } = {}) => normalizeWhatsApp(formRequest(params), SECRET, options);

function turnOf(normalized: Normalized): InboundTurn {
  expect(normalized.type, JSON.stringify(normalized)).toBe('turn');
  return (normalized as Extract<Normalized, { type: 'turn' }>).turn;
}
const inputOf = (normalized: Normalized): TurnInput => turnOf(normalized).input;

/**
 * Empty TwiML, 200, no turn; what it says of the callback — the status kept for that thread
 * (a callback for a message we sent), or the note of one too odd to keep.
 */
function expectAcknowledged(normalized: Normalized): string {
  expect(['respond', 'delivery_status'], JSON.stringify(normalized)).toContain(normalized.type);
  const { response } = normalized as Extract<Normalized, { type: 'respond' | 'delivery_status' }>;
  expect(response.status).toBe(200);
  expect(response.body).toBe(EMPTY_TWIML);
  if (normalized.type === 'delivery_status') {
    const { status, thread } = normalized;
    // The thread is named by hashes only.
    expect(thread.actorId).toMatch(/^whatsapp:[0-9a-f]{32}$/);
    expect(thread.conversationId).toMatch(/^wa:[0-9a-f]{32}$/);
    return `status callback: ${status.status} for ${status.messageId}${status.errorCode ? ` (error ${status.errorCode})` : ''}`;
  }
  return (normalized as Extract<Normalized, { type: 'respond' }>).note ?? '';
}

/** No phone number of the request (in any of the forms Twilio writes it) in what is logged. */
function expectNoNumbers(note: string, params: Record<string, string>): void {
  for (const key of ['From', 'To', 'WaId', 'ChannelToAddress']) {
    const digits = (params[key] ?? '').replace(/\D/g, '');
    if (digits.length >= 6) expect(note).not.toContain(digits.slice(0, 6));
  }
}

// ---------------------------------------------------------------- recorded webhooks

interface Step {
  name: string;
  expect: { outcome: string; brekText?: string; lenient?: boolean; nothingStored?: boolean };
  params: Record<string, string>;
  unsigned?: boolean;
}

const REALWORLD = fileURLToPath(new URL('../../../shared/realworld/whatsapp/', import.meta.url));
const haveRealworld = existsSync(REALWORLD);
const files = haveRealworld ? readdirSync(REALWORLD).filter((f) => f.endsWith('.json')).sort() : [];

describe.skipIf(!haveRealworld)(`recorded Twilio webhooks${haveRealworld ? '' : ' (skipped: ../shared/realworld/whatsapp is absent)'}`, () => {
  for (const file of files) {
    const steps = (JSON.parse(readFileSync(`${REALWORLD}${file}`, 'utf8')) as { steps: Step[] }).steps;
    describe(file, () => {
      for (const step of steps) {
        it(`${step.name} → ${step.expect.outcome}${step.expect.lenient ? ' (lenient)' : ''}`, () => {
          const request = formRequest(step.params);
          if (step.unsigned || step.expect.outcome === 'status') {
            expect(verifyTwilio(request, 'an-auth-token', 'https://bridge.test/whatsapp/webhook').ok).toBe(false);
            return;
          }
          const normalized = normalizeWhatsApp(request, SECRET);
          switch (step.expect.outcome) {
            case 'ignored':
              return expectNoNumbers(expectAcknowledged(normalized), step.params);
            case 'notice': {
              // Answered by the bridge itself: nothing (no place name, no file) reaches Brek.
              const input = inputOf(normalized);
              return void expect(input.type).toBe('unsupported');
            }
            case 'answered': {
              if (step.expect.lenient && normalized.type === 'respond') return void expectAcknowledged(normalized);
              const input = inputOf(normalized);
              expect(input.type).toBe('text');
              if (step.expect.brekText !== undefined) expect((input as { text: string }).text).toBe(step.expect.brekText);
              // The number is never the actor: only its keyed hash.
              expect(turnOf(normalized).actorId).not.toContain(step.params.From!.replace(/\D/g, ''));
              return;
            }
            default:
              throw new Error(`outcome ${step.expect.outcome} not covered by this table`);
          }
        });
      }
    });
  }
});

// ---------------------------------------------------------------- the project's own fixtures

let sids = 0;
const inbound = (fields: Record<string, string>) => ({ MessageSid: `SMin${++sids}`, AccountSid: 'AC0', From: TRAVELLER, To: OURS, NumMedia: '0', SmsStatus: 'received', ...fields });
/** A callback for a message the bridge sent: From is our sender, To the traveller. */
const callback = (fields: Record<string, string>) => ({ MessageSid: `SMout${++sids}`, AccountSid: 'AC0', From: OURS, To: TRAVELLER, ChannelPrefix: 'whatsapp', ApiVersion: '2010-04-01', ...fields });

describe('Twilio status callbacks on the inbound URL', () => {
  it('every outbound status is acknowledged with empty TwiML and noted, never a turn', () => {
    for (const status of ['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'undelivered']) {
      const params = callback({ MessageSid: `SMstatus${status}`, MessageStatus: status, SmsStatus: status });
      const note = expectAcknowledged(normalize(params));
      expect(note).toBe(`status callback: ${status} for SMstatus${status}`);
      expectNoNumbers(note, params);
    }
  });

  it('the error code is noted; SmsStatus alone is enough; a callback carrying our outbound Body is still not a turn', () => {
    expect(expectAcknowledged(normalize(callback({ MessageSid: 'SMerr1', MessageStatus: 'undelivered', ErrorCode: '63016', EventType: 'UNDELIVERED' })))).toBe(
      'status callback: undelivered for SMerr1 (error 63016)',
    );
    expect(expectAcknowledged(normalize(callback({ MessageSid: 'SMold1', SmsSid: 'SMold1', SmsStatus: 'delivered' })))).toBe('status callback: delivered for SMold1');
    expect(expectAcknowledged(normalize(callback({ MessageSid: 'SMbody1', MessageStatus: 'sent', Body: 'Reply 1–3 to book' })))).toBe('status callback: sent for SMbody1');
  });

  it('from our own sender, even without a status: acknowledged (when the ingress knows its sender)', () => {
    const note = expectAcknowledged(normalize(callback({ Body: 'echo' }), { sender: OURS }));
    expect(note).toMatch(/^status callback: unknown for SMout\d+$/);
  });

  it('odd values never reach the note (only ids, statuses and codes do)', () => {
    const note = expectAcknowledged(normalize(callback({ MessageSid: 'SM <+15550001000>', MessageStatus: 'deliv ered +1555', ErrorCode: '+15550001000x' })));
    expect(note).toBe('status callback: unknown');
  });

  it('an inbound message (SmsStatus, even MessageStatus, received) is a turn as before', () => {
    expect(inputOf(normalize(inbound({ Body: 'lisbon', MessageStatus: 'received' })))).toEqual({ type: 'text', text: 'lisbon' });
    const turn = turnOf(normalize(inbound({ Body: 'porto friday' })));
    expect(turn.input).toEqual({ type: 'text', text: 'porto friday' });
    expect(whatsappReference(turn)).toEqual({ to: TRAVELLER, from: OURS });
  });
});

describe('WhatsApp messages that are not text', () => {
  it('a location pin: the "locations" notice; its label and address never reach Brek', () => {
    expect(inputOf(normalize(inbound({ Latitude: '41.1496', Longitude: '-8.6109', Label: 'Hotel Infante', Address: 'Porto' })))).toEqual({ type: 'unsupported', what: 'locations' });
    expect(inputOf(normalize(inbound({ Body: '', MessageType: 'location', Latitude: '41.1', Longitude: '-8.6' })))).toEqual({ type: 'unsupported', what: 'locations' });
  });

  it('media without a caption stays unsupported; a contact card says so; a caption is text', () => {
    expect(inputOf(normalize(inbound({ NumMedia: '1', MediaContentType0: 'audio/ogg', MediaUrl0: 'https://api.twilio.test/m/1' })))).toEqual({ type: 'unsupported', what: 'photos, voice notes or files' });
    expect(inputOf(normalize(inbound({ Body: '', NumMedia: '1', MessageType: 'contacts', MediaContentType0: 'text/vcard' })))).toEqual({ type: 'unsupported', what: 'contact cards' });
    expect(inputOf(normalize(inbound({ Body: 'this hotel?', NumMedia: '1', MediaContentType0: 'image/jpeg' })))).toEqual({ type: 'text', text: 'this hotel?' });
  });

  it('interactive replies: what the button or list row said', () => {
    expect(inputOf(normalize(inbound({ MessageType: 'interactive', Body: 'Tomorrow', ButtonText: 'Tomorrow', ButtonPayload: 'day-1' })))).toEqual({ type: 'text', text: 'Tomorrow' });
    expect(inputOf(normalize(inbound({ MessageType: 'interactive', ButtonText: 'Next week', ButtonPayload: 'day-7' })))).toEqual({ type: 'text', text: 'Next week' });
    expect(inputOf(normalize(inbound({ MessageType: 'interactive', Body: '', ListId: 'room-2', ListTitle: 'Double room' })))).toEqual({ type: 'text', text: 'Double room' });
    // A tapped "STOP" is the opt-out word, as if typed.
    expect(inputOf(normalize(inbound({ MessageType: 'interactive', ButtonText: 'STOP', ButtonPayload: 'stop' })))).toEqual({ type: 'keyword', keyword: 'stop' });
  });
});
