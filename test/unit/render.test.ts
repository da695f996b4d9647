// The three renderers against one table of Replies (every kind, with and without a payment
// method, long names, more than MAX_OPTIONS_SHOWN options, links too long for a button, ids too
// long for a value, a missing owner) × what each channel must show: every action of the Reply's
// list as a control or as words to type, the owner in every button value, each platform's limits
// (Block Kit's, Microsoft's Adaptive Card schema, Twilio's body length) and the fallback text.
import type { Button, KnownBlock } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, readButton, renderSlack, type SlackMessage } from '../../adapters/slack/render.ts';
import { activityBytes, renderTeams, TEAMS_LIMITS, type TeamsMessage } from '../../adapters/teams/render.ts';
import { MAX_BODY, renderWhatsApp } from '../../adapters/whatsapp/render.ts';
import { parseEventData } from '../../core/brek/results.ts';
import { KNOWN_STATUSES } from '../../core/brek/types.ts';
import { MAX_OPTIONS_SHOWN, moreOptionsNote, OPTION_TEXT_MAX, plainSummary, summaryLine } from '../../core/reply-format.ts';
import { ACTION_WORDS, actionsOf, fittedButton, replyFromResult, replyText, textReply, unpackButton, type Reply, type ReplyAction } from '../../core/reply.ts';
import { cardProblems } from '../support/adaptive-cards.ts';
import { blockKitProblems } from '../support/blockkit.ts';
import { brekOption } from '../support/brek-options.ts';

const OWNER = 'slack:T0123ABCD:U0123ABCD';
type Obj = Record<string, unknown>;

function fromBrek(status: string, artifacts?: unknown, text = 'Message from Brek', owner = OWNER): Reply {
  return replyFromResult(parseEventData({ result: { status, message: { text }, artifacts } })!.result, owner);
}

const option = brekOption;
const options = (n: number, over: (i: number) => Obj = () => ({})) => Array.from({ length: n }, (_, i) => option(i + 1, over(i + 1)));
const LONG_URL = `https://b.test/${'a'.repeat(3_100)}`;
const LONG_NAME = `Grand ${'Hôtel & <Spa> '.repeat(40)}`;
const CARD = { paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 3, expYear: 2030 };
const BOOKING = { bookingId: 'A1WDDC', hotelName: 'Branding Iron Motel', totalPrice: 110.26, currency: 'USD', confirmationUrl: 'https://b.test/my-bookings/c1', cancelPolicy: 'Refundable until 2026-05-15T01:00:00Z' };

const TABLE: [string, Reply][] = [
  ['shortlist', fromBrek('shortlist', { shortlist: options(3) })],
  ['shortlist, options without ids between bookable ones', fromBrek('shortlist', { shortlist: options(4, (i) => (i % 2 === 0 ? { optionId: undefined } : {})) })],
  [`shortlist of ${MAX_OPTIONS_SHOWN + 15}`, fromBrek('shortlist', { shortlist: options(MAX_OPTIONS_SHOWN + 15) })],
  ['shortlist, long names', fromBrek('shortlist', { shortlist: options(3, () => ({ name: LONG_NAME })) })],
  ['shortlist, details links too long for a button', fromBrek('shortlist', { shortlist: options(2, () => ({ detailsUrl: LONG_URL })) })],
  ['shortlist, an optionId too long for a button value', fromBrek('shortlist', { shortlist: [option(1, { optionId: 'x'.repeat(2_100) }), option(2)] })],
  ['guest_name_required', fromBrek('guest_name_required', undefined, 'Before I book, I need the guest name.')],
  ['payment_setup_required', fromBrek('payment_setup_required', { payment: { setupUrl: 'https://b.test/portal/payment?token=psu_1' } }, 'Add a card.')],
  ['payment_setup_required, link in Brek’s words', fromBrek('payment_setup_required', { payment: { setupUrl: 'https://b.test/portal/payment?token=psu_1' } }, 'Add a card: https://b.test/portal/payment?token=psu_1')],
  ['payment_setup_required, link too long for a button', fromBrek('payment_setup_required', { payment: { setupUrl: LONG_URL } })],
  ['payment_setup_required without a link', fromBrek('payment_setup_required', {})],
  ['payment_confirmation_required with a payment method', fromBrek('payment_confirmation_required', { payment: CARD }, 'Use this card?')],
  ['payment_confirmation_required without a payment method', fromBrek('payment_confirmation_required', undefined, 'Use your card?')],
  ['payment_confirmation_required, a paymentMethodId too long for a value', fromBrek('payment_confirmation_required', { payment: { ...CARD, paymentMethodId: 'p'.repeat(2_100) } })],
  ['booked', fromBrek('booked', { booking: BOOKING }, 'Booked Branding Iron Motel.')],
  ['booked, confirmation link too long for a button', fromBrek('booked', { booking: { ...BOOKING, confirmationUrl: LONG_URL } })],
  ['booked, a bookingId too long for a value', fromBrek('booked', { booking: { ...BOOKING, bookingId: 'B'.repeat(2_100) } })],
  ['booked with nothing but a message', fromBrek('booked', {}, 'Booked.')],
  ['error', fromBrek('error', { shortlist: options(2) }, 'That did not work.')],
  ['error without words', fromBrek('error', undefined, '')],
  ['an undocumented status', fromBrek('clarification_required', { booking: BOOKING }, 'Which city?')],
  ['the bridge’s own message', textReply(OWNER, 'bridge_apology', 'Sorry — try again.')],
  ['missing owner: shortlist', fromBrek('shortlist', { shortlist: options(2) }, 'Pick one', '')],
  ['missing owner: payment confirmation', fromBrek('payment_confirmation_required', { payment: CARD }, 'Use it?', '')],
  ['missing owner: booked', fromBrek('booked', { booking: BOOKING }, 'Booked.', '')],
];

// ---------------------------------------------------------------- what each channel rendered

interface Rendered {
  slack: SlackMessage;
  teams: TeamsMessage;
  whatsapp: string[];
}
const render = (reply: Reply): Rendered => ({ slack: renderSlack(reply), teams: renderTeams(reply), whatsapp: renderWhatsApp(reply) });

function slackButtons(blocks: KnownBlock[]): Button[] {
  return blocks.flatMap((b) => {
    if (b.type === 'section' && b.accessory?.type === 'button') return [b.accessory];
    if (b.type === 'actions') return b.elements.filter((e): e is Button => e.type === 'button');
    return [];
  });
}
/** Every mrkdwn text Slack shows: sections, fields, context notes. */
function slackTexts(blocks: KnownBlock[]): string[] {
  return blocks.flatMap((block) => {
    const b = block as unknown as Obj;
    const out: string[] = [];
    if (typeof (b.text as Obj | undefined)?.text === 'string') out.push((b.text as Obj).text as string);
    for (const f of (b.fields as Obj[] | undefined) ?? []) out.push(String(f.text));
    for (const e of (b.elements as Obj[] | undefined) ?? []) if (e.type === 'mrkdwn') out.push(String(e.text));
    return out;
  });
}
const slackNotes = (blocks: KnownBlock[]) => blocks.flatMap((b) => (b.type === 'context' ? b.elements.map((e) => (e.type === 'mrkdwn' ? e.text : '')) : []));

function walk(node: unknown, visit: (n: Obj) => void): void {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit));
  if (typeof node !== 'object' || node === null) return;
  visit(node as Obj);
  for (const v of Object.values(node)) walk(v, visit);
}
function teamsNodes(card: Obj, type: string): Obj[] {
  const found: Obj[] = [];
  walk(card, (n) => n.type === type && found.push(n));
  return found;
}
/** What the card says, run by run and block by block, one string per line of it. */
function teamsTexts(card: Obj): string[] {
  return [...teamsNodes(card, 'RichTextBlock').map((b) => (b.inlines as Obj[]).map((r) => String(r.text)).join('')), ...teamsNodes(card, 'TextBlock').map((b) => String(b.text))];
}

/** Whether the option `index` is listed on the channel's text as a number the traveller can reply with. */
const numberedOn = (text: string, index: number) => text.includes(`*${index}. `) || text.includes(`${index}. `);

// ---------------------------------------------------------------- every action, on every channel

/** Where `action` shows on Slack: its button (label, id, value, style from the action) or the words to type. */
function expectOnSlack(reply: Reply, action: ReplyAction, slack: SlackMessage): void {
  const buttons = slackButtons(slack.blocks);
  const notes = slackNotes(slack.blocks).join('\n');
  const texts = slackTexts(slack.blocks).join('\n');
  const withLabel = buttons.filter((b) => b.text.text === action.label);
  switch (action.type) {
    case 'book_option': {
      const button = buttons.find((b) => b.action_id === `book_option:${action.index}`);
      if (button) {
        expect(button).toMatchObject({ text: { text: action.label }, style: action.style });
        if (reply.ownerActorId) expect(readButton(button.action_id!, button.value)?.optionId).toBe(action.optionId);
      } else expect(numberedOn(texts, action.index), `option ${action.index} numbered`).toBe(true);
      return;
    }
    case 'open_url': {
      const button = withLabel.find((b) => b.url === action.url);
      if (button) expect(button).toMatchObject({ action_id: `open_url:${action.purpose}`, ...(action.style ? { style: action.style } : {}) });
      else {
        expect(slack.text).toContain(escapeMrkdwn(action.url));
        expect(notes).toContain('link is too long');
      }
      return;
    }
    case 'confirm_payment_card':
    case 'decline_payment':
    case 'cancel_booking': {
      const button = withLabel.find((b) => b.action_id === action.type);
      if (!button) {
        expect(notes).toContain(`*${action.typed}*`);
        return;
      }
      expect(button.style).toBe(action.style);
      const read = readButton(button.action_id!, button.value);
      if (reply.ownerActorId) expect(read).toMatchObject({ action: action.type, ...(action.clickLabel ? { label: action.clickLabel } : {}) });
      if (reply.ownerActorId && action.type === 'confirm_payment_card' && action.paymentMethodId) expect(read?.paymentMethodId).toBe(action.paymentMethodId);
      if (action.type === 'cancel_booking') {
        expect(read?.bookingId ?? action.bookingId).toBe(action.bookingId);
        expect(button.confirm).toMatchObject({ title: { text: action.confirm.title }, confirm: { text: action.label }, deny: { text: action.confirm.no } });
      }
    }
  }
}

const CARD_STYLE = { primary: 'positive', danger: 'destructive' } as const;

/** Where `action` shows on Teams: Action.Execute / OpenUrl / a confirming Show Card, or the words to type. */
function expectOnTeams(reply: Reply, action: ReplyAction, teams: TeamsMessage): void {
  const executes = teamsNodes(teams.card, 'Action.Execute');
  const texts = teamsTexts(teams.card).join('\n');
  const styled = (n: Obj) => expect(n.style).toBe(action.style ? CARD_STYLE[action.style] : undefined);
  switch (action.type) {
    case 'book_option': {
      const button = executes.find((n) => n.verb === 'book_option' && unpackButton(n.data)?.optionId === action.optionId);
      if (button || (!reply.ownerActorId && executes.some((n) => n.verb === 'book_option'))) return;
      expect(numberedOn(texts, action.index), `option ${action.index} listed`).toBe(true);
      return;
    }
    case 'open_url': {
      const button = teamsNodes(teams.card, 'Action.OpenUrl').find((n) => n.url === action.url);
      if (button) {
        expect(button.title).toBe(action.label);
        styled(button);
      } else expect(texts).toMatch(new RegExp(`${action.label}: https?:|link is too long`));
      return;
    }
    case 'confirm_payment_card':
    case 'decline_payment': {
      const button = executes.find((n) => n.verb === action.type);
      if (button) {
        expect(button.title).toBe(action.label);
        styled(button);
      } else expect(texts).toContain(`**${action.typed}**`);
      return;
    }
    case 'cancel_booking': {
      const ask = teamsNodes(teams.card, 'Action.ShowCard').find((n) => n.title === action.label);
      if (!ask) {
        expect(texts).toContain(`**${action.typed}**`);
        return;
      }
      const [yes] = teamsNodes(ask, 'Action.Execute');
      expect(yes).toMatchObject({ verb: 'cancel_booking', title: action.confirm.yes, style: CARD_STYLE[action.style!] });
    }
  }
}

/** Where `action` shows on WhatsApp: a numbered option and the prompt, a link with the action's words, or the word to reply. */
function expectOnWhatsApp(reply: Reply, action: ReplyAction, bodies: string[]): void {
  const text = bodies.join('\n');
  switch (action.type) {
    case 'book_option':
      expect(text).toContain(`*${action.index}. `);
      expect(bodies.at(-1)).toMatch(/_Reply with .* to book\._$/);
      return;
    case 'open_url':
      if (replyText(reply).includes(action.url)) expect(text).toContain(`${action.textLabel} with the link above.`);
      else expect(text).toMatch(new RegExp(`${action.textLabel}: (https?:|the link is too long)`));
      return;
    case 'confirm_payment_card':
    case 'decline_payment':
      expect(text).toContain(`*${action.typed.toUpperCase()}*`);
      return;
    case 'cancel_booking':
      expect(text).toContain(`*${action.typed}*`);
  }
}

/** The actions a message can show: Book only for the options it lists. */
function shownActions(reply: Reply): ReplyAction[] {
  return actionsOf(reply).filter((a) => a.type !== 'book_option' || a.index <= MAX_OPTIONS_SHOWN);
}

function expectEveryAction(reply: Reply, rendered: Rendered): void {
  for (const action of shownActions(reply)) {
    expectOnSlack(reply, action, rendered.slack);
    expectOnTeams(reply, action, rendered.teams);
    expectOnWhatsApp(reply, action, rendered.whatsapp);
  }
  // And nothing else: no control without an action behind it (Teams' Details links are the options' own).
  const actions = actionsOf(reply);
  for (const button of slackButtons(rendered.slack.blocks)) expect(actions.some((a) => a.label === button.text.text), button.text.text).toBe(true);
  const teamsControls = [...teamsNodes(rendered.teams.card, 'Action.OpenUrl'), ...teamsNodes(rendered.teams.card, 'Action.ShowCard'), ...teamsNodes(rendered.teams.card, 'Action.Execute')];
  const teamsTitles = new Set(actions.flatMap((a) => (a.type === 'cancel_booking' ? [a.label, a.confirm.yes] : [a.label])));
  for (const control of teamsControls) if (control.title !== 'Details') expect(teamsTitles.has(String(control.title)), String(control.title)).toBe(true);
}

// ---------------------------------------------------------------- the table

describe.each(TABLE)('%s', (_name, reply) => {
  const rendered = render(reply);

  it('is within each platform’s limits', () => {
    expect(blockKitProblems(rendered.slack)).toEqual([]);
    expect(cardProblems(rendered.teams.card)).toEqual([]);
    expect(activityBytes(rendered.teams)).toBeLessThanOrEqual(TEAMS_LIMITS.activityBytes);
    expect(rendered.whatsapp.length).toBeGreaterThan(0);
    for (const body of rendered.whatsapp) {
      expect(body.trim().length).toBeGreaterThan(0);
      expect(body.length).toBeLessThanOrEqual(MAX_BODY);
    }
  });

  it('shows every action of its list on every channel, and no other', () => {
    expectEveryAction(reply, rendered);
  });

  it('binds every button to its owner; without one, no click on them is taken', () => {
    const slackValues = slackButtons(rendered.slack.blocks).filter((b) => b.value !== undefined).map((b) => readButton(b.action_id!, b.value));
    const teamsValues = teamsNodes(rendered.teams.card, 'Action.Execute').map((n) => unpackButton(n.data));
    for (const read of [...slackValues, ...teamsValues]) {
      if (reply.ownerActorId) expect(read?.ownerActorId).toBe(reply.ownerActorId);
      else expect(read).toBeUndefined();
    }
    // A write action whose ids fit a value has its button on both channels.
    const fitting = actionsOf(reply).filter((a) => fittedButton(a, reply.ownerActorId) !== undefined && (a.type !== 'book_option' || a.index <= MAX_OPTIONS_SHOWN));
    expect(slackValues).toHaveLength(fitting.length);
    expect(teamsValues).toHaveLength(fitting.length);
  });

  it('has its plain-text fallback: Slack’s text, Teams’ summary, WhatsApp’s first words', () => {
    const summary = escapeMrkdwn(plainSummary(reply));
    expect(rendered.slack.text.startsWith(summary.slice(0, 200))).toBe(true);
    expect(rendered.teams.text).toBe(summaryLine(reply, TEAMS_LIMITS.summary));
    expect(rendered.teams.text).not.toContain('\n');
    expect(rendered.whatsapp[0]!.startsWith(replyText(reply).slice(0, 200))).toBe(true);
  });

  it('lists at most MAX_OPTIONS_SHOWN options, and counts the rest', () => {
    const hidden = reply.options.length - MAX_OPTIONS_SHOWN;
    const note = moreOptionsNote(hidden);
    const slackSections = rendered.slack.blocks.filter((b) => b.type === 'section' && /^\*\d+\. /.test(b.text?.text ?? ''));
    const teamsContainers = teamsNodes(rendered.teams.card, 'Container');
    const whatsappListed = rendered.whatsapp.join('\n').split('\n').filter((line) => /^(\*\d+\. |• \*)/.test(line));
    const listed = Math.min(reply.options.length, MAX_OPTIONS_SHOWN);
    expect(slackSections).toHaveLength(listed);
    expect(teamsContainers).toHaveLength(listed);
    expect(whatsappListed).toHaveLength(listed);
    for (const text of [slackNotes(rendered.slack.blocks).join('\n'), teamsTexts(rendered.teams.card).join('\n'), rendered.whatsapp.join('\n')]) {
      if (hidden > 0) expect(text).toContain(note);
      else expect(text).not.toContain('more. Tell me more');
    }
    for (const o of reply.options.slice(MAX_OPTIONS_SHOWN)) expect(rendered.slack.text).not.toContain(`\n${o.index}. `);
  });

  it('cuts every option’s name to one readable length, on every channel', () => {
    for (const o of reply.options.slice(0, MAX_OPTIONS_SHOWN)) {
      const name = o.name ?? `Option ${o.index}`;
      const slackName = rendered.slack.blocks.flatMap((b) => (b.type === 'section' && b.text?.text.startsWith(`*${o.index}. `) ? [b.text.text.split('\n')[0]!.slice(`*${o.index}. `.length, -1)] : []))[0];
      const teamsName = teamsTexts(rendered.teams.card).find((t) => t.startsWith(`${o.index}. `))?.slice(`${o.index}. `.length);
      const whatsappName = rendered.whatsapp.join('\n').split('\n').find((l) => l.startsWith(`*${o.index}. `) || l === `• *${name}*` || l.startsWith('• *'));
      for (const shown of [slackName, teamsName]) {
        expect(shown, `option ${o.index}`).toBeDefined();
        expect(shown!.length).toBeLessThanOrEqual(OPTION_TEXT_MAX.name);
        if (name.length > OPTION_TEXT_MAX.name) expect(shown!.endsWith('…')).toBe(true);
      }
      expect(whatsappName).toBeDefined();
      expect(whatsappName!.length).toBeLessThanOrEqual(OPTION_TEXT_MAX.name + `*${o.index}. *`.length);
    }
  });

  it('renders a reply stored before actions carried their look (type, ids and label only) the same', () => {
    const legacy: Reply = { ...reply, actions: reply.actions.map(legacyAction) };
    expect(render(legacy)).toEqual(rendered);
  });
});

/** An action as replies stored it before this model: its type, its ids and its label. */
function legacyAction(action: ReplyAction): ReplyAction {
  const { type, label } = action;
  switch (action.type) {
    case 'book_option':
      return { type: 'book_option', index: action.index, optionId: action.optionId, label } as ReplyAction;
    case 'confirm_payment_card':
      return { type, label, ...(action.paymentMethodId ? { paymentMethodId: action.paymentMethodId } : {}) } as ReplyAction;
    case 'cancel_booking':
      return { type, label, bookingId: action.bookingId } as ReplyAction;
    case 'open_url':
      return { type, label, url: action.url } as ReplyAction;
    case 'say':
      return action; // newer than any stored reply
    default:
      return { type, label } as ReplyAction;
  }
}

describe('one source of wording', () => {
  it('every button label is the action’s: the channels write none of their own', () => {
    const booked = render(fromBrek('booked', { booking: BOOKING }));
    const card = render(fromBrek('payment_confirmation_required', { payment: CARD }));
    const labels = [...slackButtons(booked.slack.blocks), ...slackButtons(card.slack.blocks)].map((b) => b.text.text);
    expect(labels).toEqual([ACTION_WORDS.viewBooking, ACTION_WORDS.cancelBooking, ACTION_WORDS.confirmCard, ACTION_WORDS.declineCard]);
    const titles = [...teamsNodes(booked.teams.card, 'Action.OpenUrl'), ...teamsNodes(booked.teams.card, 'Action.ShowCard'), ...teamsNodes(card.teams.card, 'Action.Execute')].map((n) => n.title);
    expect(titles).toEqual([ACTION_WORDS.viewBooking, ACTION_WORDS.cancelBooking, ACTION_WORDS.confirmCard, ACTION_WORDS.declineCard]);
  });

  it('property: every action of a generated reply shows on every channel (fast-check, fixed seed)', () => {
    const anOption = fc.record({ optionId: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }), name: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }), pricePerNight: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: undefined }) }, { requiredKeys: [] });
    const result = fc.record({
      status: fc.constantFrom(...KNOWN_STATUSES, 'something_new'),
      text: fc.string({ maxLength: 40 }),
      shortlist: fc.array(anOption, { maxLength: 14 }),
      payment: fc.option(fc.record({ setupUrl: fc.option(fc.webUrl(), { nil: undefined }), paymentMethodId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }), cardBrand: fc.constantFrom('visa', 'amex'), cardLast4: fc.constant('4242') }, { requiredKeys: [] }), { nil: undefined }),
      booking: fc.option(fc.record({ bookingId: fc.string({ minLength: 1, maxLength: 20 }), hotelName: fc.string({ maxLength: 30 }), confirmationUrl: fc.webUrl() }, { requiredKeys: [] }), { nil: undefined }),
    });
    fc.assert(
      fc.property(result, ({ status, text, ...artifacts }) => {
        const reply = fromBrek(status, artifacts, text);
        expectEveryAction(reply, render(reply));
      }),
      { seed: 20_261_204, numRuns: 150 },
    );
  });
});
