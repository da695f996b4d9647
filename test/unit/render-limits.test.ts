// "Hostile Brek": Replies built the way the bridge builds them (parseEventData → replyFromResult,
// and replyFromResult on unparsed records, as a replay reads them) from results no sane Brek would
// send — 40-option shortlists, 10,000-character texts, 3,000+-character URLs, 2,000+-character
// ids, missing/null/wrong-typed fields, undocumented statuses, unicode, emoji, RTL, and mrkdwn /
// HTML / template / mention / link injection — rendered for every channel and checked against
// every limit of DESIGN.md "Within each platform's rules". A table of named cases, then a
// property over generated results (fast-check, fixed seed).
import type { Button, KnownBlock } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readButton, renderClicked as slackClicked, renderSlack, type SlackMessage } from '../../adapters/slack/render.ts';
import { CARD_CONTENT_TYPE, renderClicked as teamsClicked, renderTeams, type CardJson, type TeamsMessage } from '../../adapters/teams/render.ts';
import { renderWhatsApp, splitMessage } from '../../adapters/whatsapp/render.ts';
import { parseEventData, type EventResult } from '../../core/brek/results.ts';
import { KNOWN_STATUSES } from '../../core/brek/types.ts';
import { fitButton, replyFromResult, textReply, unpackButton, type Reply } from '../../core/reply.ts';
import { cardProblems } from '../support/adaptive-cards.ts';
import { blockKitProblems } from '../support/blockkit.ts';
import { isObj } from '../../core/util.ts';
import { brekOption } from '../support/brek-options.ts';

type Obj = Record<string, unknown>;

const OWNER = 'slack:T0123ABCD:U0123ABCD';

// ---------------------------------------------------------------- hostile material

const LONG = 'a'.repeat(10_000);
const INJECTIONS = [
  '<!channel>',
  '<!here|here> <!everyone>',
  '<@U123> and <@W0ABC|bob>',
  '<#C123|general>',
  '<https://evil.example|x>',
  '<https://evil.example/a|b>|c>',
  '&lt;!channel&gt; &amp; &',
  '*bold* _it_ ~strike~ `code` ```block```',
  '${process.env.SLACK_BOT_TOKEN} {{secret}}',
  '<script>alert(1)</script><img src=x onerror=alert(1)>',
  '<at>Brek</at> **bold** [click](https://evil.example)',
  '](javascript:alert(1))',
];
const UNICODE = [
  'Hôtel Château Étoile ✨🏨',
  'فندق المدينة — מלון העיר', // RTL
  '\u202Egnp.exe\u202C \u2066isolated\u2069', // bidi overrides
  '👨‍👩‍👧‍👦👍🏽🇺🇸🇬🇧🏳️‍🌈',
  'e\u0301\u0302\u0303 Z\u0336\u0335\u0334\u0333\u0332', // combining marks
  '\u0000\u0007\u001b[31m\u007f', // control characters
  '\uD800 lone \uDC00 surrogates', // not a character at all: replaced before it reaches a channel
  'line\r\nbreaks\n\n\n\tand\u00a0nbsp\u2028sep',
];
const HOSTILE_TEXTS = [
  ...INJECTIONS,
  ...UNICODE,
  LONG,
  `${INJECTIONS.join(' ')} `.repeat(200),
  '👨‍👩‍👧‍👦'.repeat(1_000), // 11,000 units, no spaces
  '🇺🇸'.repeat(2_600), // regional indicators pair up: a cut between two would make two wrong flags
  'שלום עולם '.repeat(1_000),
  '\n'.repeat(3_000),
  '',
  '   ',
];
const URLS = [
  'https://b.test/book/hotel/abc?checkIn=2026-05-15',
  `https://b.test/${'a'.repeat(3_100)}`,
  `https://b.test/long?q=${'🏨'.repeat(400)}`, // 4,800 characters once encoded
  'https://b.test/a|b<c>d^e{f}g[h]%zz`i',
  'https://user:secret@bank.example@evil.example/',
  'javascript:alert(1)',
  'data:text/html,<b>x</b>',
  'https://evil|x',
  'not a url',
  'https://b.test/ok#frag ment',
];
const IDS = ['o-1', '3d49d4cb-22b1-4963-9280-508fb1190f5c', 'x'.repeat(2_100), '"'.repeat(1_100), '\u0001'.repeat(400), '🏨'.repeat(600), 'pm_card_visa'];

// ---------------------------------------------------------------- the checks

interface Figures {
  replies: number;
  slack: { maxBlocks: number; maxSection: number; maxValue: number; maxText: number; buttonsDropped: number; linksToText: number };
  teams: { maxBytes: number; maxSummary: number; optionsDropped: number; cards: number };
  whatsapp: { maxBody: number; minBody: number; bodies: number; maxBodies: number };
}
const figures: Figures = {
  replies: 0,
  slack: { maxBlocks: 0, maxSection: 0, maxValue: 0, maxText: 0, buttonsDropped: 0, linksToText: 0 },
  teams: { maxBytes: 0, maxSummary: 0, optionsDropped: 0, cards: 0 },
  whatsapp: { maxBody: 0, minBody: Infinity, bodies: 0, maxBodies: 0 },
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function replyUrls(reply: Reply): Set<string> {
  return new Set([reply.paymentSetupUrl, reply.booking?.confirmationUrl, ...reply.options.map((o) => o.detailsUrl)].filter((u): u is string => Boolean(u)));
}

/** The packed payload a button would carry, when it fits at all (the renderer must then show it). */
const fits = (payload: Parameters<typeof fitButton>[0]) => fitButton(payload) !== undefined;

function buttonsOf(blocks: KnownBlock[]): Button[] {
  return blocks.flatMap((b) => {
    if (b.type === 'section' && b.accessory?.type === 'button') return [b.accessory];
    if (b.type === 'actions') return b.elements.filter((e): e is Button => e.type === 'button');
    return [];
  });
}

/** Every mrkdwn string of a message, with where it is. */
function mrkdwnOf(message: SlackMessage): [string, string][] {
  const out: [string, string][] = [['text', message.text]];
  message.blocks.forEach((block, i) => {
    const b = block as unknown as Obj;
    if (isObj(b.text) && b.text.type === 'mrkdwn') out.push([`block ${i}`, String(b.text.text)]);
    if (Array.isArray(b.fields)) for (const f of b.fields as Obj[]) out.push([`block ${i} field`, String(f.text)]);
    if (Array.isArray(b.elements)) for (const e of b.elements as Obj[]) if (e.type === 'mrkdwn') out.push([`block ${i} context`, String(e.text)]);
  });
  for (const button of buttonsOf(message.blocks)) if (button.confirm?.text) out.push([`confirm ${button.action_id}`, button.confirm.text.text]);
  return out;
}

/** Live Slack markup that did not come from us: any `<…>` but our own links to the reply's URLs, any bare `&`. */
function liveMarkup(text: string, urls: Set<string>): string | undefined {
  let foreign: string | undefined;
  const rest = text.replace(/<(https?:\/\/[^|<>\s]+)\|([^<>|]*)>/g, (_whole, url: string) => {
    if (!urls.has(url)) foreign = `a link to ${url.slice(0, 60)}`;
    return '';
  });
  if (foreign) return foreign;
  if (/[<>]/.test(rest)) return `raw markup near ${JSON.stringify(rest.slice(Math.max(0, rest.search(/[<>]/) - 20), rest.search(/[<>]/) + 20))}`;
  if (/&(?!amp;|lt;|gt;)/.test(rest)) return 'an unescaped &';
  return undefined;
}

function checkSlack(reply: Reply): void {
  const message = renderSlack(reply);
  expect(blockKitProblems(message)).toEqual([]);
  expect(message.text.length).toBeLessThanOrEqual(40_000);
  const urls = replyUrls(reply);
  for (const [where, text] of mrkdwnOf(message)) {
    expect(liveMarkup(text, urls), `${where}: ${text.slice(0, 120)}`).toBeUndefined();
    expect(LONE_SURROGATE.test(text), where).toBe(false);
  }
  for (const block of message.blocks) {
    const b = block as unknown as Obj;
    if (b.type === 'header') expect(String((b.text as Obj).text).length).toBeLessThanOrEqual(150);
  }
  // Buttons: values are short references that read back to the reply's ids, whole; a button is
  // left out only when its ids cannot fit a value; link buttons only for URLs within the limit.
  const buttons = buttonsOf(message.blocks);
  for (const button of buttons) {
    if (button.value !== undefined) {
      figures.slack.maxValue = Math.max(figures.slack.maxValue, button.value.length);
      const read = readButton(button.action_id!, button.value);
      expect(read?.ownerActorId).toBe(reply.ownerActorId);
      if (read?.action === 'book_option') expect(reply.options.some((o) => o.optionId === read.optionId)).toBe(true);
      if (read?.action === 'cancel_booking') expect(read.bookingId).toBe(reply.booking?.bookingId);
      if (read?.action === 'confirm_payment_card' && read.paymentMethodId) expect(read.paymentMethodId).toBe(reply.paymentMethod?.paymentMethodId);
    }
    if (button.url !== undefined) expect(urls.has(button.url)).toBe(true);
  }
  if (reply.kind === 'shortlist') {
    for (const option of reply.options.slice(0, 10)) {
      const should = option.optionId !== undefined && fits({ action: 'book_option', ownerActorId: reply.ownerActorId, optionId: option.optionId });
      expect(buttons.some((b) => b.action_id === `book_option:${option.index}`), `Book ${option.index}`).toBe(should);
      if (option.optionId && !should) figures.slack.buttonsDropped++;
    }
  }
  for (const url of urls) if (url.length > 3_000 && message.text.includes(url)) figures.slack.linksToText++;
  figures.slack.maxBlocks = Math.max(figures.slack.maxBlocks, message.blocks.length);
  figures.slack.maxText = Math.max(figures.slack.maxText, message.text.length);
  for (const b of message.blocks) if (b.type === 'section' && b.text) figures.slack.maxSection = Math.max(figures.slack.maxSection, b.text.text.length);

  // The clicked message, for every label a button of this reply carries (and Brek's texts raw).
  for (const button of buttons) {
    const read = button.value ? readButton(button.action_id!, button.value) : undefined;
    if (!read) continue;
    const clicked = slackClicked(read.label, read.action);
    expect(blockKitProblems(clicked)).toEqual([]);
    for (const [where, text] of mrkdwnOf(clicked)) expect(liveMarkup(text, new Set()), where).toBeUndefined();
  }
}

type Node = Obj;
function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit));
  if (!isObj(node)) return;
  visit(node);
  for (const v of Object.values(node)) walk(v, visit);
}

function checkTeams(reply: Reply): TeamsMessage {
  const message = renderTeams(reply);
  expect(cardProblems(message.card)).toEqual([]);
  // The activity as the sender posts it, counted as Teams counts it (UTF-16).
  const activity = { type: 'message', text: message.text, attachments: [{ contentType: CARD_CONTENT_TYPE, content: message.card }] };
  const bytes = JSON.stringify(activity).length * 2;
  expect(bytes).toBeLessThanOrEqual(80 * 1024);
  // A short summary, not the card again.
  expect(message.text.trim().length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(200);
  expect(message.text).not.toContain('\n');
  const urls = replyUrls(reply);
  let containers = 0;
  walk(message.card, (n) => {
    for (const v of Object.values(n)) if (typeof v === 'string') expect(LONE_SURROGATE.test(v)).toBe(false);
    if (n.type === 'Container') containers++;
    if (n.type === 'Action.Execute') {
      expect(JSON.stringify(n.data).length).toBeLessThanOrEqual(2_000);
      const read = unpackButton(n.data);
      expect(read?.ownerActorId).toBe(reply.ownerActorId);
      if (read?.action === 'book_option') expect(reply.options.some((o) => o.optionId === read.optionId)).toBe(true);
      if (read?.action === 'cancel_booking') expect(read.bookingId).toBe(reply.booking?.bookingId);
    }
    if (n.type === 'Action.OpenUrl') {
      expect(urls.has(String(n.url))).toBe(true);
      expect(String(n.url).length).toBeLessThanOrEqual(3_000);
    }
  });
  if (reply.kind === 'shortlist') figures.teams.optionsDropped += Math.min(reply.options.length, 10) - containers;
  figures.teams.cards++;
  figures.teams.maxBytes = Math.max(figures.teams.maxBytes, bytes);
  figures.teams.maxSummary = Math.max(figures.teams.maxSummary, message.text.length);
  for (const label of [undefined, ...reply.options.map((o) => o.name)]) expect(cardProblems(teamsClicked('book_option', label))).toEqual([]);
  return message;
}

/** Occurrences of `url` as a whole link (not as the start of a longer one). */
function linkCount(text: string, url: string): number {
  let count = 0;
  for (let at = text.indexOf(url); at >= 0; at = text.indexOf(url, at + 1)) if (!/[\w/?#&=%~@+-]/.test(text.charAt(at + url.length))) count++;
  return count;
}

function checkBodies(bodies: string[], max = 1_600): void {
  expect(bodies.length).toBeGreaterThan(0);
  for (const body of bodies) {
    expect(body.length).toBeGreaterThanOrEqual(1);
    expect(body.trim().length).toBeGreaterThan(0);
    expect(body.length).toBeLessThanOrEqual(max);
    expect(LONE_SURROGATE.test(body)).toBe(false);
  }
  // No cut inside a character: where two bodies meet, the text has a grapheme boundary.
  for (let i = 1; i < bodies.length; i++) {
    const a = bodies[i - 1]!;
    const joined = a + bodies[i]!;
    const boundaries = new Set([...graphemes.segment(joined)].map((s) => s.index));
    expect(boundaries.has(a.length), `cut between bodies ${i - 1} and ${i}: …${JSON.stringify(a.slice(-8))} | ${JSON.stringify(bodies[i]!.slice(0, 8))}`).toBe(true);
  }
}

function checkWhatsApp(reply: Reply): string[] {
  const bodies = renderWhatsApp(reply);
  checkBodies(bodies);
  const joined = bodies.join('\n');
  // Each link once (Brek's own text may say it; then it is not repeated).
  for (const url of replyUrls(reply)) expect(linkCount(joined, url), url.slice(0, 60)).toBeLessThanOrEqual(Math.max(1, linkCount(reply.text, url)));
  // Only options that can be booked are numbered, and the prompt names exactly those numbers.
  if (reply.kind === 'shortlist') {
    const shown = reply.options.slice(0, 10);
    const bookable = shown.filter((o) => o.optionId).map((o) => o.index);
    const last = bodies.at(-1)!.split('\n').at(-1)!;
    const prompt = /^_Reply with (?:a number \(1–(\d+)\)|([\d, ]+?)(?: or (\d+))?) to book\._$/.exec(last);
    if (bookable.length === 0) expect(prompt).toBeNull();
    else {
      expect(prompt, last).not.toBeNull();
      const named = prompt![1] ? Array.from({ length: Number(prompt![1]) }, (_, i) => i + 1) : [...prompt![2]!.split(', ').map(Number), ...(prompt![3] ? [Number(prompt![3])] : [])];
      expect(named).toEqual(bookable);
    }
    for (const option of shown) if (!option.optionId) expect(joined).not.toContain(`*${option.index}. ${(option.name ?? `Option ${option.index}`).slice(0, 20)}`);
  }
  figures.whatsapp.bodies += bodies.length;
  figures.whatsapp.maxBodies = Math.max(figures.whatsapp.maxBodies, bodies.length);
  for (const body of bodies) {
    figures.whatsapp.maxBody = Math.max(figures.whatsapp.maxBody, body.length);
    figures.whatsapp.minBody = Math.min(figures.whatsapp.minBody, body.length);
  }
  return bodies;
}

function checkAll(reply: Reply): { slack: SlackMessage; teams: TeamsMessage; whatsapp: string[] } {
  figures.replies++;
  // Rendering is pure: twice the same.
  expect(renderSlack(reply)).toEqual(renderSlack(reply));
  checkSlack(reply);
  const teams = checkTeams(reply);
  const whatsapp = checkWhatsApp(reply);
  return { slack: renderSlack(reply), teams, whatsapp };
}

/** A Reply the way the worker builds one from Brek's answer. */
function fromBrek(result: unknown): Reply {
  const data = parseEventData({ sessionId: 's', event: { id: 'e', kind: 'k' }, result });
  // Without a string status the client raises malformed_response: nothing to render.
  return data ? replyFromResult(data.result, OWNER) : textReply(OWNER, 'bridge_apology', 'Sorry');
}

// ---------------------------------------------------------------- the table

const option = brekOption;

const CASES: [string, unknown][] = [
  ['40-option shortlist', { status: 'shortlist', message: { text: 'Found 40.' }, artifacts: { shortlist: Array.from({ length: 40 }, (_, i) => option(i)) } }],
  [
    '40 options, every field at its worst',
    {
      status: 'shortlist',
      message: { text: LONG },
      artifacts: {
        shortlist: Array.from({ length: 40 }, (_, i) =>
          option(i, { optionId: IDS[i % IDS.length], name: HOSTILE_TEXTS[i % HOSTILE_TEXTS.length], distanceTo: LONG, currency: '<!channel>'.repeat(50), pricePerNight: 1e300, rating: -1e21, detailsUrl: URLS[i % URLS.length] }),
        ),
      },
    },
  ],
  ['options without ids between bookable ones', { status: 'shortlist', message: { text: 'Some can be booked.' }, artifacts: { shortlist: [option(1), option(2, { optionId: undefined }), option(3), option(4, { optionId: 42 })] } }],
  ['only the first option bookable', { status: 'shortlist', message: { text: 'One.' }, artifacts: { shortlist: [option(1), { name: 'No id' }] } }],
  ['2,000+-character optionIds', { status: 'shortlist', message: { text: 'Long ids.' }, artifacts: { shortlist: [option(1, { optionId: 'x'.repeat(2_100) }), option(2, { optionId: '"'.repeat(1_100) }), option(3)] } }],
  ['shortlist of junk', { status: 'shortlist', message: { text: null }, artifacts: { shortlist: [null, 1, 'x', [], { optionId: ['a'], name: { text: 'x' }, pricePerNight: '12', refundable: 'yes', rating: NaN, detailsUrl: 7 }] } }],
  ['shortlist that is not a list', { status: 'shortlist', message: 'hi', artifacts: { shortlist: 'three hotels' } }],
  ['10,000-character injection message', { status: 'error', message: { text: `${INJECTIONS.join(' ')} `.repeat(100) } }],
  ['10,000 characters, no space, emoji', { status: 'guest_name_required', message: { text: '👨‍👩‍👧‍👦'.repeat(1_000) } }],
  ['flags without spaces', { status: 'guest_name_required', message: { text: '🇺🇸'.repeat(2_600) } }],
  ['RTL and bidi overrides', { status: 'error', message: { text: UNICODE.join('\n').repeat(100) } }],
  ['payment setup, 3,100-character URL', { status: 'payment_setup_required', message: { text: 'Set up your card.' }, artifacts: { payment: { setupUrl: URLS[1] } } }],
  ['payment setup, URL with |<>^{}[]%', { status: 'payment_setup_required', message: { text: `Set up here: ${URLS[3]}` }, artifacts: { payment: { setupUrl: URLS[3] } } }],
  ['payment setup, link in Brek’s text too', { status: 'payment_setup_required', message: { text: `Set up here: ${URLS[0]}\nPlease reply "Done".` }, artifacts: { payment: { setupUrl: URLS[0] } } }],
  ['payment setup, credentials and javascript', { status: 'payment_setup_required', message: { text: 'x' }, artifacts: { payment: { setupUrl: URLS[4] }, shortlist: [option(1, { detailsUrl: URLS[5] })] } }],
  ['payment setup, 4,800-character encoded URL', { status: 'payment_setup_required', message: { text: '' }, artifacts: { payment: { setupUrl: URLS[2] } } }],
  ['card confirmation, 2,000+-character paymentMethodId', { status: 'payment_confirmation_required', message: { text: 'Use this card?' }, artifacts: { payment: { paymentMethodId: 'p'.repeat(2_100), cardBrand: LONG, cardLast4: '<@U123>' } } }],
  ['card confirmation, wrong types', { status: 'payment_confirmation_required', message: { text: 'ok' }, artifacts: { payment: { paymentMethodId: 5, cardBrand: null, cardLast4: 4242, expMonth: '03', expYear: 1e308 } } }],
  [
    'booked, everything too long',
    {
      status: 'booked',
      message: { text: LONG },
      artifacts: { booking: { bookingId: 'B'.repeat(2_100), hotelName: `${INJECTIONS.join(' ')}`.repeat(30), totalPrice: 1e21, currency: 'XXXXXXXXXXXXXXXX', confirmationUrl: `https://b.test/${'c'.repeat(3_200)}`, cancelPolicy: LONG } },
    },
  ],
  ['booked, injection everywhere', { status: 'booked', message: { text: INJECTIONS.join('\n') }, artifacts: { booking: { bookingId: '<!channel>', hotelName: '<https://evil.example|Hotel>', confirmationUrl: 'https://b.test/my|<bookings>', cancelPolicy: '<@U123> ${x}' } } }],
  ['booked, confirmation URL over 1,600 (WhatsApp) but under 3,000', { status: 'booked', message: { text: 'Booked.' }, artifacts: { booking: { bookingId: 'A1', confirmationUrl: `https://b.test/${'d'.repeat(2_000)}` } } }],
  ['undocumented status with artifacts', { status: 'clarification_required', message: { text: '<!here> which city?' }, artifacts: { shortlist: [option(1)], booking: { bookingId: 'B' } } }],
  ['odd statuses', { status: '__proto__', message: { text: 'x' } }],
  ['empty status', { status: '', message: { text: '' } }],
  ['artifacts of the wrong type', { status: 'booked', message: { text: 'x' }, artifacts: ['booking'] }],
];

/** Results read back from a stored record without the parser: every field may be anything. */
const UNPARSED: [string, unknown][] = [
  ['status a number', { status: 42, messageText: null, artifacts: null }],
  ['artifacts junk', { status: 'shortlist', messageText: 7, artifacts: { shortlist: 'x', payment: [1], booking: 'B' } }],
  ['options of junk', { status: 'shortlist', messageText: 'x', artifacts: { shortlist: [null, { optionId: 3, name: ['x'], detailsUrl: {} }, { optionId: 'ok', name: 'Fine' }] } }],
  ['nothing at all', {}],
];

/** Activities whose JSON grows ~6× under escaping, so the card must give up options to fit. */
const CONTROL = '\u0001'.repeat(200);
const HEAVY: [string, unknown] = [
  'Teams: escapes make every option heavy',
  {
    status: 'shortlist',
    message: { text: '\u0002'.repeat(4_000) },
    artifacts: {
      shortlist: Array.from({ length: 12 }, (_, i) =>
        option(i, { optionId: `${'\u0003'.repeat(300)}${i}`, name: CONTROL, distanceTo: '\u0004'.repeat(300), currency: '\u0005', detailsUrl: `https://b.test/${i}/${'%01'.repeat(990)}` }),
      ),
    },
  },
];

describe('hostile Brek: every rendered payload within every platform limit', () => {
  it.each(CASES)('%s', (_name, result) => {
    checkAll(fromBrek(result));
  });

  it.each(UNPARSED)('a stored result read back unparsed: %s', (_name, result) => {
    const reply = replyFromResult(result as EventResult, OWNER);
    expect(typeof reply.status).toBe('string');
    checkAll(reply);
  });

  it('Teams gives up options from the end, then text, until the activity is under 80 KB', () => {
    const reply = fromBrek(HEAVY[1]);
    const { teams } = checkAll(reply);
    const containers: Node[] = [];
    walk(teams.card, (n) => n.type === 'Container' && containers.push(n));
    expect(containers.length).toBeGreaterThan(0);
    expect(containers.length).toBeLessThan(10);
    expect(JSON.stringify(teams.card)).toContain(`and ${12 - containers.length} more`);
    console.log(`hostile teams heavy: ${containers.length} of 10 options kept, activity ${JSON.stringify({ type: 'message', text: teams.text, attachments: [{ contentType: CARD_CONTENT_TYPE, content: teams.card }] }).length * 2} bytes`);
  });

  it('specific promises: long links go to text, long ids lose their button only, each link once', () => {
    const setup = checkAll(fromBrek(CASES.find(([n]) => n === 'payment setup, 3,100-character URL')![1]));
    expect(buttonsOf(setup.slack.blocks).map((b) => b.action_id)).toEqual(['say:0']);
    expect(setup.slack.text).toContain(URLS[1]);
    expect(JSON.stringify(setup.teams.card)).toContain(`Set up payment: ${URLS[1]}`);
    expect(setup.whatsapp.join('\n')).toContain('too long to send on WhatsApp');

    const piped = fromBrek(CASES.find(([n]) => n === 'payment setup, URL with |<>^{}[]%')![1]);
    expect(piped.paymentSetupUrl).toBe('https://b.test/a%7Cb%3Cc%3Ed%5Ee%7Bf%7Dg%5Bh%5D%25zz%60i');

    const ids = checkAll(fromBrek(CASES.find(([n]) => n === '2,000+-character optionIds')![1]));
    expect(buttonsOf(ids.slack.blocks).map((b) => b.action_id)).toEqual(['book_option:3']);
    expect(ids.whatsapp.join('\n')).toContain('Reply with a number (1–3) to book.'); // typed numbers still book them

    const twice = checkAll(fromBrek(CASES.find(([n]) => n === 'payment setup, link in Brek’s text too')![1]));
    expect(linkCount(twice.whatsapp.join('\n'), URLS[0]!)).toBe(1);

    const gaps = checkAll(fromBrek(CASES.find(([n]) => n === 'options without ids between bookable ones')![1]));
    expect(gaps.whatsapp.join('\n')).toContain('Reply with 1 or 3 to book.');
    expect(gaps.whatsapp.join('\n')).toContain('• *Hotel 2*');

    const creds = fromBrek(CASES.find(([n]) => n === 'payment setup, credentials and javascript')![1]);
    expect(creds.paymentSetupUrl).toBe('https://evil.example/');
  });

  it('splitMessage: emoji sequences and flags without spaces are cut between characters only', () => {
    for (const text of ['👨‍👩‍👧‍👦'.repeat(1_000), '🇺🇸'.repeat(2_600), `${'e\u0301'.repeat(3_000)}`, 'a'.repeat(5_000), `${'x'.repeat(1_599)}👍🏽${'y'.repeat(1_600)}`]) {
      for (const max of [1_600, 100, 13]) {
        const parts = splitMessage(text, max);
        checkBodies(parts, max);
        expect(parts.join('')).toBe(text);
      }
    }
    // A single character longer than a message (11 units here) cannot be kept whole: it is cut
    // between code points, never inside a surrogate pair.
    const parts = splitMessage('👨‍👩‍👧‍👦'.repeat(10), 7);
    for (const part of parts) expect(LONE_SURROGATE.test(part)).toBe(false);
    expect(parts.join('')).toBe('👨‍👩‍👧‍👦'.repeat(10));
  });

  it('property: generated results (fast-check, fixed seed)', () => {
    const text = fc.oneof(fc.constantFrom(...HOSTILE_TEXTS), fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
    const junk = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }));
    const field = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: junk });
    const id = fc.oneof(fc.constantFrom(...IDS), fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }));
    const url = fc.oneof(fc.constantFrom(...URLS), fc.webUrl({ withQueryParameters: true, withFragments: true }));
    const money = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
    const anOption = fc.record(
      {
        optionId: field(id),
        name: field(text),
        pricePerNight: field(money),
        totalPrice: field(money),
        currency: field(fc.oneof(fc.constantFrom('USD', 'EUR', 'JPY', 'usd', 'XXX', '<!channel>'), text)),
        refundable: field(fc.boolean()),
        rating: field(money),
        distanceTo: field(text),
        detailsUrl: field(url),
      },
      { requiredKeys: [] },
    );
    const result = fc.record(
      {
        status: fc.oneof(fc.constantFrom(...KNOWN_STATUSES, 'clarification_required', 'something_new', 'constructor', ''), fc.string({ maxLength: 20 })),
        message: fc.oneof(fc.record({ text: field(text) }, { requiredKeys: [] }), junk),
        artifacts: fc.oneof(
          fc.record(
            {
              shortlist: fc.oneof({ weight: 4, arbitrary: fc.array(fc.oneof({ weight: 5, arbitrary: anOption }, { weight: 1, arbitrary: junk }), { maxLength: 45 }) }, { weight: 1, arbitrary: junk }),
              payment: fc.oneof(
                fc.record(
                  { setupUrl: field(url), paymentMethodId: field(id), cardBrand: field(text), cardLast4: field(text), expMonth: field(fc.integer({ min: -5, max: 20 })), expYear: field(fc.integer()) },
                  { requiredKeys: [] },
                ),
                junk,
              ),
              booking: fc.oneof(
                fc.record(
                  { bookingId: field(id), hotelName: field(text), totalPrice: field(money), currency: field(text), confirmationUrl: field(url), cancelPolicy: field(text) },
                  { requiredKeys: [] },
                ),
                junk,
              ),
            },
            { requiredKeys: [] },
          ),
          junk,
        ),
      },
      { requiredKeys: ['status'] },
    );
    fc.assert(
      fc.property(result, (r) => {
        checkAll(fromBrek(r));
      }),
      { seed: 20_260_517, numRuns: 250 },
    );
    const f = figures;
    console.log(
      [
        `hostile replies: ${f.replies} rendered on 3 channels, 0 over a limit`,
        `hostile slack: ≤ ${f.slack.maxBlocks} blocks (max 50), sections ≤ ${f.slack.maxSection} (3000), button values ≤ ${f.slack.maxValue} (2000), text ≤ ${f.slack.maxText} (40000); ${f.slack.buttonsDropped} Book buttons left out for ids too long, ${f.slack.linksToText} over-long links kept in the text; no live markup from Brek`,
        `hostile teams: ${f.teams.cards} cards schema-valid, activity ≤ ${f.teams.maxBytes} bytes UTF-16 (81920), summary ≤ ${f.teams.maxSummary} characters; ${f.teams.optionsDropped} options given up to fit`,
        `hostile whatsapp: ${f.whatsapp.bodies} bodies of ${f.whatsapp.minBody}–${f.whatsapp.maxBody} units (1–1600), at most ${f.whatsapp.maxBodies} for one reply; no cut inside a character`,
      ].join('\n'),
    );
  });
});
