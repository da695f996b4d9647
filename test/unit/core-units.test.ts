// Unit tables for the core's pure parts: the Reply model, identities, configuration, the logger
// scrubber — and the rule that core/ imports no channel SDK.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventData, type EventResult } from '../../core/brek/results.ts';
import { ConfigError, loadCoreConfig } from '../../core/config.ts';
import { idempotencyKey } from '../../core/identity.ts';
import { slackActorId } from '../../adapters/slack/profile.ts';
import { teamsActorId } from '../../adapters/teams/profile.ts';
import { whatsappActorId } from '../../adapters/whatsapp/profile.ts';
import { createLogger, memorySink, scrubText } from '../../core/log.ts';
// Every channel's profile: their credential shapes are the scrubber's too.
import '../../adapters/profiles.ts';
import { numberChoice, replyFromResult } from '../../core/reply.ts';

const OWNER = 'slack:T1:U1';

function result(status: string, artifacts: unknown = undefined, text = 'msg'): EventResult {
  const data = parseEventData({ result: { status, message: { text }, artifacts } });
  if (!data) throw new Error('unparseable');
  return data.result;
}

describe('Reply model', () => {
  it('shortlist: every option with its fields and a Book action; optional fields stay optional', () => {
    const reply = replyFromResult(
      result('shortlist', {
        shortlist: [
          { optionId: 'o1', name: 'A', pricePerNight: 1, totalPrice: 2, currency: 'USD', refundable: true, rating: 4.5, distanceTo: '1 mi', detailsUrl: 'https://x.test/a' },
          { name: 'No id' },
          { optionId: 'o3', detailsUrl: 'javascript:alert(1)' },
        ],
      }),
      OWNER,
    );
    expect(reply.kind).toBe('shortlist');
    expect(reply.options).toEqual([
      { index: 1, optionId: 'o1', name: 'A', pricePerNight: 1, totalPrice: 2, currency: 'USD', refundable: true, rating: 4.5, distanceTo: '1 mi', detailsUrl: 'https://x.test/a' },
      { index: 2, name: 'No id' },
      { index: 3, optionId: 'o3' }, // an unsafe link is dropped
    ]);
    expect(reply.actions).toEqual([
      { type: 'book_option', index: 1, optionId: 'o1', label: 'Book', style: 'primary', clickLabel: 'A' },
      { type: 'book_option', index: 3, optionId: 'o3', label: 'Book', style: 'primary' },
    ]);
    expect(reply.ownerActorId).toBe(OWNER);
  });

  it('an empty or missing shortlist is just text', () => {
    expect(replyFromResult(result('shortlist', { shortlist: [] }), OWNER)).toMatchObject({ kind: 'text', options: [], actions: [] });
    expect(replyFromResult(result('shortlist', 'garbage'), OWNER)).toMatchObject({ kind: 'text', text: 'msg' });
  });

  it('guest_name_required and error: the message only, no write buttons', () => {
    expect(replyFromResult(result('guest_name_required'), OWNER)).toEqual({ kind: 'guest_name_required', status: 'guest_name_required', text: 'msg', options: [], actions: [], ownerActorId: OWNER });
    expect(replyFromResult(result('error', { booking: { bookingId: 'B' } }), OWNER)).toMatchObject({ kind: 'error', actions: [] });
  });

  it('payment_setup_required: the setup URL as a link action; without a URL, text only', () => {
    const reply = replyFromResult(result('payment_setup_required', { payment: { setupUrl: 'https://b.test/portal/payment?token=psu_1_a' } }), OWNER);
    expect(reply.paymentSetupUrl).toBe('https://b.test/portal/payment?token=psu_1_a');
    expect(reply.actions).toEqual([
      { type: 'open_url', purpose: 'setup', url: 'https://b.test/portal/payment?token=psu_1_a', label: 'Set up payment', textLabel: 'Set up payment', style: 'primary' },
      // Brek's guides: the traveller says "Done" once the card is added — one tap where the channel can.
      { type: 'say', text: 'Done', label: 'Done' },
    ]);
    expect(replyFromResult(result('payment_setup_required', {}), OWNER)).toMatchObject({ kind: 'payment_setup_required', actions: [] });
  });

  it('payment_confirmation_required: the card, and Yes / No actions', () => {
    const reply = replyFromResult(
      result('payment_confirmation_required', { payment: { paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 12, expYear: 2030 } }),
      OWNER,
    );
    expect(reply.paymentMethod).toEqual({ paymentMethodId: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 });
    expect(reply.actions.map((a) => a.type)).toEqual(['confirm_payment_card', 'decline_payment']);
    const bare = replyFromResult(result('payment_confirmation_required'), OWNER);
    expect(bare.actions).toEqual([
      { type: 'confirm_payment_card', label: 'Yes, use this card', style: 'primary', clickLabel: 'Yes, use this card', typed: 'yes' },
      { type: 'decline_payment', label: 'No', style: 'danger', clickLabel: 'No', typed: 'no' },
    ]);
  });

  it('booked: every booking field, a View booking link and a Cancel action', () => {
    const booking = { bookingId: 'A1WDDC', confirmationBookingId: 'c1', hotelName: 'H', totalPrice: 110.26, currency: 'USD', confirmationUrl: 'https://b.test/my-bookings/c1', cancelPolicy: 'Refundable until x' };
    const reply = replyFromResult(result('booked', { booking }), OWNER);
    expect(reply.booking).toEqual(booking);
    expect(reply.actions).toEqual([
      { type: 'open_url', purpose: 'booking', url: 'https://b.test/my-bookings/c1', label: 'View booking', textLabel: 'View your booking' },
      {
        type: 'cancel_booking',
        bookingId: 'A1WDDC',
        label: 'Cancel booking',
        style: 'danger',
        clickLabel: 'H',
        typed: 'cancel my booking',
        confirm: { title: 'Cancel this booking?', yes: 'Yes, cancel it', no: 'Keep it' },
      },
    ]);
    expect(replyFromResult(result('booked', { booking: 'x' }), OWNER)).toMatchObject({ kind: 'booked', actions: [] });
  });

  it('any other status is a text reply carrying the status', () => {
    for (const status of ['clarification_required', 'booking_cancelled', 'price_changed', '']) {
      expect(replyFromResult(result(status, { shortlist: [{ optionId: 'x' }] }), OWNER)).toEqual({ kind: 'text', status, text: 'msg', options: [], actions: [], ownerActorId: OWNER });
    }
  });
});

describe('numberChoice', () => {
  it.each([
    [[2], '2'],
    [[1, 2, 3, 4, 5, 6], 'a number (1–6)'],
    [[1, 3], '1 or 3'],
    [[1, 3, 4], '1, 3 or 4'],
    [[2, 3, 4, 5, 7, 9, 10, 11], '2–5, 7 or 9–11'],
    [Array.from({ length: 39 }, (_, i) => i + 2), '2–40'],
  ])('%j → %s', (numbers, said) => {
    expect(numberChoice(numbers)).toBe(said);
  });
});

describe('identities and keys', () => {
  it('namespaces actors by channel and workspace', () => {
    expect(slackActorId('T1', 'U1')).toBe('slack:T1:U1');
    expect(slackActorId('T2', 'U1')).not.toBe(slackActorId('T1', 'U1'));
    expect(teamsActorId('tenant', 'aad')).toBe('teams:tenant:aad');
  });

  it('hashes WhatsApp numbers with a key: 32 hex chars, stable, never the number', () => {
    const id = whatsappActorId('whatsapp:+14155550100', 'a-secret-of-16-chars');
    expect(id).toMatch(/^whatsapp:[0-9a-f]{32}$/);
    expect(id).toBe(whatsappActorId('+14155550100', 'a-secret-of-16-chars'));
    expect(id).not.toContain('4155550100');
    expect(whatsappActorId('+14155550100', 'another-secret-16ch')).not.toBe(id);
    expect(whatsappActorId('+14155550101', 'a-secret-of-16-chars')).not.toBe(id);
  });

  it('builds idempotency keys as {prefix}:{sessionId}:{action}:{channelMessageId}', () => {
    expect(idempotencyKey('bridge', 'sess_1_a', 'text', 'Ev1')).toBe('bridge:sess_1_a:text:Ev1');
  });
});

describe('configuration', () => {
  it('has the documented local defaults', () => {
    expect(loadCoreConfig({}, 'local')).toEqual({
      mode: 'local',
      brek: { authStyle: 'x-partner-api-key', rateLimitPerMinute: 120, queueMaxWaitSeconds: 240 },
      tableName: 'brek-bridge',
      idempotencyPrefix: 'bridge',
      sessionIdleHours: 24,
    });
  });

  it('deployed, names every missing variable at once', () => {
    try {
      loadCoreConfig({}, 'deployed');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual([
        'BREK_BASE_URL is required when deployed (the Brek API base URL)',
        'BREK_PARTNER_API_KEY is required when deployed',
        'ACTOR_ID_SECRET is required when deployed (it keys the WhatsApp actor id hash)',
      ]);
      expect((error as Error).message).toContain('BREK_BASE_URL');
    }
  });

  it('rejects invalid values with the variable named', () => {
    const bad = {
      BREK_BASE_URL: 'not a url',
      BREK_PARTNER_API_KEY: 'k',
      ACTOR_ID_SECRET: 'short',
      SESSION_IDLE_HOURS: 'soon',
      TABLE_NAME: 'a b',
      IDEMPOTENCY_PREFIX: 'has:colon',
      AWS_ENDPOINT_URL_DYNAMODB: 'ftp://x',
      BREK_AUTH_STYLE: 'cookie',
      BREK_RATE_LIMIT_PER_MINUTE: '0',
      BREK_QUEUE_MAX_WAIT_SECONDS: '9000',
    };
    expect(() => loadCoreConfig(bad, 'deployed')).toThrow(ConfigError);
    try {
      loadCoreConfig(bad, 'deployed');
    } catch (error) {
      const text = (error as ConfigError).problems.join('\n');
      for (const name of Object.keys(bad).filter((n) => n !== 'BREK_PARTNER_API_KEY')) expect(text).toContain(name);
      expect(text).not.toContain('"k"'); // values of secrets are never echoed
    }
  });

  it('locally, a real Brek needs its key', () => {
    expect(() => loadCoreConfig({ BREK_BASE_URL: 'https://brek.example' }, 'local')).toThrow(/BREK_PARTNER_API_KEY is required when BREK_BASE_URL is set/);
    const config = loadCoreConfig({ BREK_BASE_URL: 'https://brek.example/', BREK_PARTNER_API_KEY: 'k', SESSION_IDLE_HOURS: '2' }, 'local');
    expect(config.brek).toEqual({ baseUrl: 'https://brek.example', apiKey: 'k', authStyle: 'x-partner-api-key', rateLimitPerMinute: 120, queueMaxWaitSeconds: 240 });
    const paced = loadCoreConfig({ BREK_RATE_LIMIT_PER_MINUTE: '600', BREK_QUEUE_MAX_WAIT_SECONDS: '90' }, 'local');
    expect(paced.brek).toMatchObject({ rateLimitPerMinute: 600, queueMaxWaitSeconds: 90 });
    expect(config.sessionIdleHours).toBe(2);
  });
});

describe('logger', () => {
  it('scrubs card numbers, phone numbers and tokens from every value', () => {
    expect(scrubText('card 4242 4242 4242 4242')).toBe('card [card number removed]');
    expect(scrubText('from whatsapp:+14155550100')).toBe('from [phone]');
    expect(scrubText('call +1 415 555 0100 now')).toBe('call [phone] now');
    expect(scrubText('xoxb-123-456-abc')).toBe('[redacted]');
    expect(scrubText('Authorization: Bearer abc.def')).toBe('Authorization: [redacted]');
    expect(scrubText('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toBe('[redacted]');
    expect(scrubText('book option 2 for 5/15 under $200')).toBe('book option 2 for 5/15 under $200');
  });

  it('redacts secret-named fields whole, binds context, and writes JSON lines', () => {
    const { sink, records } = memorySink();
    const log = createLogger({ sink, level: 'info' }).child({ channelMessageId: 'Ev1', actorId: 'slack:T:U' });
    log.debug('hidden');
    log.info('hello', { apiKey: 'k-123', nested: { authToken: 'x', ok: 1 }, error: new Error('boom 4242424242424242') });
    const [line] = records();
    expect(records()).toHaveLength(1);
    expect(line).toMatchObject({ level: 'info', msg: 'hello', channelMessageId: 'Ev1', actorId: 'slack:T:U', apiKey: '[redacted]', nested: { authToken: '[redacted]', ok: 1 } });
    expect(JSON.stringify(line)).not.toContain('4242424242424242');
  });
});

describe('layering', () => {
  it('nothing under core/ imports a channel SDK or an adapter', async () => {
    const root = new URL('../../core/', import.meta.url).pathname;
    const files: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.name.endsWith('.ts')) files.push(path);
      }
    };
    await walk(root);
    expect(files.length).toBeGreaterThan(5);
    const forbidden = /from\s+['"](@slack\/|@microsoft\/|botbuilder|botframework|twilio|[./]+\/adapters\/|[./]+\/functions\/)/;
    const offenders: string[] = [];
    for (const file of files) {
      const source = await readFile(file, 'utf8');
      for (const line of source.split('\n')) if (forbidden.test(line) || /import\(['"](@slack|@microsoft|twilio)/.test(line)) offenders.push(`${file}: ${line.trim()}`);
    }
    expect(offenders).toEqual([]);
  });
});
