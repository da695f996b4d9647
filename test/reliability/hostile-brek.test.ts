// A hostile Brek behind the whole stack: a local stand-in for the Partner Core Chat API whose
// answers are extreme but possible — 40-option shortlists, 10,000-character texts, 3,000+
// character URLs, 2,000+ character ids, missing, null and wrong-typed fields, undocumented
// statuses, emoji, right-to-left text, and mrkdwn / HTML / ${…} injection — rendered through every
// channel to fakes that refuse what the platforms refuse (dev/fakes/blockkit-limits.ts, Teams'
// 100 KB, Twilio's 1,600). Every turn must be answered, nothing refused for its content, and no
// markup from Brek may reach Slack or Teams live.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack.ts';
import { MESSAGES } from '../../core/wording.ts';
import { CHANNELS, traveller } from '../support/travellers.ts';

const long = (n: number, unit = 'x') => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const INJECTION = 'Hi <!channel> <@U0123ABC> <https://evil.example|Click here for your refund> *bold* _it_ ~s~ `code` &amp; <b>html</b> ${process.env.SECRET} {{7*7}} [Click here for your refund](https://evil.example/refund) {{DATE(2017-02-14T06:00:00Z, SHORT)}}';
const RTL = 'مرحبا بك في فندق الصحراء — שלום 🏨🇸🇦👨‍👩‍👧‍👦';

const option = (i: number, extra: Record<string, unknown> = {}) => ({
  optionId: `opt_${i}_${long(40, 'id')}`,
  name: `${RTL} Hotel ${i} ${long(300, 'Grand ')}`,
  pricePerNight: 100 + i,
  totalPrice: 200 + i,
  currency: 'USD',
  refundable: i % 2 === 0,
  rating: 4.5,
  distanceTo: `${i} miles from ${INJECTION}`,
  detailsUrl: `https://hotels.example/h/${i}?q=${long(i % 3 === 0 ? 3_100 : 80, 'a')}`,
  ...extra,
});

/** The answers, in turn: every one a result Brek could send. */
const RESULTS: unknown[] = [
  { status: 'shortlist', message: { text: `${INJECTION} ${long(10_000, 'lorem ipsum ')}` }, artifacts: { shortlist: Array.from({ length: 40 }, (_, i) => option(i + 1)) } },
  { status: 'shortlist', message: { text: RTL }, artifacts: { shortlist: [option(1, { optionId: long(2_100, 'o') }), option(2, { optionId: null, name: null }), option(3, { pricePerNight: 'cheap', refundable: 'yes' }), { optionId: 'x' }] } },
  { status: 'payment_setup_required', message: { text: INJECTION }, artifacts: { payment: { setupUrl: `https://pay.example/setup?t=${long(3_200, 'z')}` } } },
  { status: 'payment_confirmation_required', message: { text: long(5_000, '💳') }, artifacts: { payment: { paymentMethodId: long(2_500, 'p'), cardBrand: `<@U1>${long(200, 'V')}`, cardLast4: '4242' } } },
  { status: 'booked', message: { text: INJECTION }, artifacts: { booking: { bookingId: long(2_300, 'B'), hotelName: `${RTL} ${INJECTION}`, totalPrice: 1e12, currency: 'XYZ', confirmationUrl: `https://book.example/c|${long(3_100, 'c')}`, cancelPolicy: long(4_000, 'policy ') } } },
  { status: 'a_status_nobody_documented', message: { text: `${INJECTION}\n${RTL}` }, artifacts: { weird: [1, 2, 3] } },
  { status: 'error', message: null, artifacts: null },
  { status: 'guest_name_required', message: { text: '' } },
];

const UNBOOKABLE_ASK = 'a shortlist with a gap';
const UNBOOKABLE = {
  status: 'shortlist',
  message: { text: 'Three hotels:' },
  artifacts: { shortlist: [{ optionId: 'bookable_1', name: 'First' }, { name: 'No id (sold out)' }, { optionId: 'bookable_3', name: 'Third' }] },
};
/** Every event the stand-in received, in order. */
const received: { text?: string; kind?: string; payload?: { optionId?: string } }[] = [];

function hostileBrek(): Promise<{ url: string; server: Server; served: () => number }> {
  let events = 0;
  let sessions = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += String(chunk)));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `hostile-${events}-${sessions}` });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '').replace('/api/partner/v1/core-chat', '');
      if (req.method === 'POST' && path === '/sessions') return send(201, { data: { sessionId: `sess_hostile_${++sessions}`, status: 'active' } });
      if (req.method === 'POST' && path === '/events') {
        const body = JSON.parse(raw || '{}') as { sessionId?: string; text?: string; kind?: string; payload?: { optionId?: string } };
        received.push(body);
        // A shortlist where Brek gave one option no id; and the booking of one that has an id.
        if (body.text === UNBOOKABLE_ASK || body.payload?.optionId?.startsWith('bookable_')) {
          const result = body.text === UNBOOKABLE_ASK ? UNBOOKABLE : { status: 'guest_name_required', message: { text: 'Who is the guest?' } };
          return send(200, { data: { sessionId: body.sessionId, event: { id: 'evt_unbookable', kind: body.kind ?? 'text' }, result: { ...result, traceId: 'trace_unbookable' } } });
        }
        const result = RESULTS[events++ % RESULTS.length];
        return send(200, { data: { sessionId: body.sessionId, event: { id: `evt_${events}`, kind: 'text' }, result: { ...(result as object), traceId: `trace_${events}` } } });
      }
      if (req.method === 'GET' && path.startsWith('/sessions/')) return send(404, { error: 'session_not_found' });
      return send(404, { error: 'not_found' });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, served: () => events })));
}

let brek: Awaited<ReturnType<typeof hostileBrek>>;
beforeAll(async () => {
  brek = await hostileBrek();
});
afterAll(async () => {
  await new Promise<void>((resolve) => brek?.server.close(() => resolve()));
});

describe('a hostile Brek', () => {
  const h = useStack({
    get BREK_BASE_URL() {
      return brek.url;
    },
    BREK_PARTNER_API_KEY: 'hostile-partner-key-0123456789',
  } as unknown as Record<string, string>);

  it('every answer, however extreme, reaches the traveller within the platform’s limits; no Brek markup live in Slack or Teams', async () => {
    const travellers = CHANNELS.flatMap((channel) => Array.from({ length: 2 }, (_, i) => traveller(h, channel, `hostile-${channel}-${i}`)));
    let turns = 0;
    let unanswered = 0;
    for (const t of travellers) {
      for (let n = 0; n < RESULTS.length; n++) {
        const before = t.replies().length;
        expect((await t.message(`message ${n}`, `hostile-${t.channel}-${t.actorId}-${n}`).deliver(0)).status).toBe(200);
        await h.stack.idle();
        turns++;
        if (t.replies().length === before) unanswered++;
      }
    }
    const slackCalls = h.stack.fakeSlack!.calls.filter((c) => c.method.startsWith('chat.'));
    const refusedForContent = [
      ...slackCalls.filter((c) => /^refuse:(invalid_blocks|msg_too_long|no_text)/.test(c.fault ?? '')),
      ...h.stack.fakeTeams!.calls.filter((c) => c.fault === undefined && !c.delivered && c.body.type === 'message'),
      ...h.stack.fakeTwilio!.messages.filter((m) => /^refuse:216/.test(m.fault ?? '')),
    ].length;
    const slackText = JSON.stringify(slackCalls.filter((c) => c.delivered).map((c) => ({ text: c.args.text, blocks: c.args.blocks })));
    const live = ['<!channel>', '<@U0123ABC>', '<https://evil.example|', '<@U1>'].filter((markup) => slackText.includes(markup));
    // Teams parses TextBlock text and Fact titles and values as markdown; Brek's words must be in none.
    const teamsParsed: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      if (n.type === 'TextBlock') teamsParsed.push(String(n.text));
      if (n.type === 'FactSet') for (const f of n.facts as { title: string; value: string }[]) teamsParsed.push(f.title, f.value);
      Object.values(n).forEach(walk);
    };
    const teamsDelivered = h.stack.fakeTeams!.calls.filter((c) => c.delivered);
    walk(teamsDelivered.map((c) => c.body.attachments));
    const plainTeams = teamsDelivered.filter((c) => typeof c.body.text === 'string' && c.body.text.includes('evil.example') && c.body.textFormat !== 'plain');
    live.push(...teamsParsed.filter((t) => /evil\.example|\{\{DATE|\*bold\*/.test(t)).map((t) => `Teams: ${t.slice(0, 60)}`));
    live.push(...plainTeams.map((c) => `Teams markdown text: ${String(c.body.text).slice(0, 60)}`));
    const states = h.stack.activity.list().map((a) => a.state);
    console.log(
      `hostile brek: ${turns} turns on 3 channels (${brek.served()} Brek answers), ${unanswered} unanswered, ${refusedForContent} posts refused for their content, ` +
        `live markup from Brek: ${live.length ? live.join(' ') : 'none'}; outcomes ${JSON.stringify(Object.fromEntries([...new Set(states)].map((s) => [s, states.filter((x) => x === s).length])))}`,
    );
    expect(unanswered).toBe(0);
    expect(refusedForContent).toBe(0);
    expect(live).toEqual([]);
    expect(states.every((s) => s === 'replied')).toBe(true);
  }, 120_000);

  it('WhatsApp: an option Brek gave no id is listed unnumbered, and its number books nothing', async () => {
    const t = traveller(h, 'whatsapp', 'unbookable');
    const say = async (text: string, id: string) => {
      const before = t.replies().length;
      expect((await t.message(text, id).deliver(0)).status).toBe(200);
      await h.stack.idle();
      return t.replies().slice(before).join('\n');
    };
    const list = await say(UNBOOKABLE_ASK, 'unbookable-1');
    expect(list).toContain('*1. First*');
    expect(list).toContain('• *No id (sold out)*');
    expect(list).toContain('*3. Third*');
    expect(list).toContain('_Reply with 1 or 3 to book._');
    const events = received.length;
    expect(await say('2', 'unbookable-2')).toBe(MESSAGES.pickBookable([1, 3]));
    expect(received.length).toBe(events); // answered by the bridge: Brek is not asked to guess
    expect(await say('3', 'unbookable-3')).toBe('Who is the guest?');
    expect(received.at(-1)).toMatchObject({ kind: 'action_book_option', payload: { optionId: 'bookable_3' } });
  });
});
