// Teams' inbound half of "what arrives is the platform's format, decoded" (DESIGN.md): the
// normaliser alone, no stack. Every recorded activity in ../shared/realworld/teams (read at run
// time, never copied here) against what its file says a traveller would want, then this
// project's own fixtures for each rule, which always run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeTeams } from '../../adapters/teams/normalize.ts';
import { TeamsVerifier } from '../../adapters/teams/verify.ts';
import { teamsActorId } from '../../adapters/teams/profile.ts';
import type { InboundTurn } from '../../core/inbound.ts';
import type { Normalized } from '../../core/ingress.ts';
import { packButton } from '../../core/reply.ts';
import { isObj } from '../../core/util.ts';

type Obj = Record<string, unknown>;

const APP_ID = '00000000-aaaa-4bbb-8ccc-000000000001';
const BOT = `28:${APP_ID}`;
const TENANT = '00000000-dddd-4eee-8fff-000000000002';

const normalize = (activity: Obj) => normalizeTeams(JSON.stringify(activity), { tenantId: TENANT });

function turnOf(normalized: Normalized): InboundTurn {
  expect(normalized.type, JSON.stringify(normalized)).toBe('turn');
  return (normalized as Extract<Normalized, { type: 'turn' }>).turn;
}

function brekText(normalized: Normalized): string {
  const input = turnOf(normalized).input;
  expect(input.type, JSON.stringify(input)).toBe('text');
  return (input as { text: string }).text;
}

function expectIgnored(normalized: Normalized): void {
  expect(normalized.type, JSON.stringify(normalized)).toBe('respond');
  expect((normalized as Extract<Normalized, { type: 'respond' }>).response.status).toBe(200);
}

// ---------------------------------------------------------------- recorded activities

interface Ids {
  bot?: string;
  bot2?: string;
  tenant?: string;
}

interface Step {
  name: string;
  expect: { outcome: string; brekText?: string; brekTextExcludes?: string[]; nothingStored?: boolean; allowReply?: boolean; kind?: string };
  payload: Obj;
  _ids?: Ids;
  unsigned?: boolean;
  clickOurButton?: boolean;
}

const REALWORLD = fileURLToPath(new URL('../../../shared/realworld/teams/', import.meta.url));
const haveRealworld = existsSync(REALWORLD);
const files = haveRealworld ? readdirSync(REALWORLD).filter((f) => f.endsWith('.json')).sort() : [];

/** The fixture's bot and tenant ids replaced by the running bot's, as the README says to. */
function withOurIds(payload: Obj, ids: Ids | undefined): Obj {
  let json = JSON.stringify(payload);
  for (const [from, to] of [[ids?.bot, BOT], [ids?.bot2, BOT], [ids?.tenant, TENANT]] as const) if (from) json = json.split(from).join(to);
  return JSON.parse(json) as Obj;
}

/** Our first Book action put into the recorded click envelope: as Action.Submit data, or as an Action.Execute invoke. */
function ourBookClick(payload: Obj, as: 'submit' | 'execute'): Obj {
  const from = isObj(payload.from) ? payload.from : {};
  const data = packButton({ action: 'book_option', ownerActorId: teamsActorId(TENANT, String(from.aadObjectId ?? from.id)), optionId: 'opt-1', label: 'Branding Iron Motel' });
  if (as === 'submit') return { ...payload, value: data };
  return { ...payload, type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'book_option', data }, trigger: 'manual' } };
}

function check(step: Step, normalized: Normalized): void {
  const { outcome } = step.expect;
  if (outcome === 'ignored') return expectIgnored(normalized);
  const turn = turnOf(normalized);
  if (outcome === 'greeting') return void expect(turn.input).toEqual({ type: 'welcome' });
  if (outcome === 'action') {
    expect(turn.input.type).toBe('action');
    return void expect(`action_${(turn.input as { action: string }).action}`).toBe(step.expect.kind);
  }
  expect(outcome).toBe('answered');
  const text = brekText(normalized);
  if (step.expect.brekText !== undefined) expect(text).toBe(step.expect.brekText);
  for (const excluded of step.expect.brekTextExcludes ?? []) expect(text).not.toContain(excluded);
}

describe.skipIf(!haveRealworld)(`recorded Teams activities${haveRealworld ? '' : ' (skipped: ../shared/realworld/teams is absent)'}`, () => {
  for (const file of files) {
    const recorded = JSON.parse(readFileSync(`${REALWORLD}${file}`, 'utf8')) as { _ids?: Ids; steps: Step[] };
    describe(file, () => {
      for (const step of recorded.steps) {
        const payload = withOurIds(step.payload, step._ids ?? recorded._ids);
        it(`${step.name} → ${step.expect.outcome}`, async () => {
          if (step.unsigned || step.expect.outcome === 'status') {
            const verifier = new TeamsVerifier({ appId: APP_ID, tenantId: TENANT, openIdMetadataUrl: 'http://127.0.0.1:9/v1/.well-known/openidconfiguration' });
            const verdict = await verifier.verify({ method: 'POST', path: '/teams/messages', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(payload)) }, Date.now());
            expect(verdict.ok).toBe(false);
            return;
          }
          if (step.clickOurButton) {
            check(step, normalize(ourBookClick(payload, 'submit')));
            check(step, normalize(ourBookClick(payload, 'execute')));
            return;
          }
          check(step, normalize(payload));
        });
      }
    });
  }
});

// ---------------------------------------------------------------- the project's own fixtures

let ids = 0;
/** A message to the bot (named "Brek") in a channel thread of our tenant. */
function message(text: string | null, extra: Obj = {}): Obj {
  return {
    type: 'message',
    id: `1${++ids}`,
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    from: { id: '29:traveller', aadObjectId: 'aad-traveller', name: 'Rui Costa' },
    recipient: { id: BOT, name: 'Brek' },
    conversation: { id: '19:room@thread.tacv2;messageid=1', conversationType: 'channel', isGroup: true, tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
    ...(text === null ? {} : { text, textFormat: 'plain' }),
    ...extra,
  };
}
const botMention = { type: 'mention', text: '<at>Brek</at>', mentioned: { id: BOT, name: 'Brek' } };
const anaMention = { type: 'mention', text: '<at>Ana Lima</at>', mentioned: { id: '29:ana', name: 'Ana Lima' } };

describe('Teams mentions', () => {
  it('the bot’s own mention is removed wherever it stands', () => {
    expect(brekText(normalize(message('<at>Brek</at> porto friday', { entities: [botMention] })))).toBe('porto friday');
    expect(brekText(normalize(message('<at>Brek</at>, porto friday', { entities: [botMention] })))).toBe('porto friday');
    expect(brekText(normalize(message('porto <at>Brek</at> friday', { entities: [botMention] })))).toBe('porto friday');
    expect(brekText(normalize(message('porto friday, <at>Brek</at>?', { entities: [botMention] })))).toBe('porto friday?');
  });

  it('the bot is known by the entity’s id even under another display name; by name where the entity has no text', () => {
    const renamed = { type: 'mention', text: '<at>Brek Travel</at>', mentioned: { id: BOT, name: 'Brek Travel' } };
    expect(brekText(normalize(message('<at>Brek Travel</at> porto', { entities: [renamed] })))).toBe('porto');
    const untagged = { type: 'mention', mentioned: { id: BOT, name: 'Brek' } };
    expect(brekText(normalize(message('<at>Brek</at> porto', { entities: [untagged] })))).toBe('porto');
  });

  it('other people’s mentions become @Name', () => {
    expect(brekText(normalize(message('<at>Brek</at> rooms for me and <at>Ana Lima</at>', { entities: [botMention, anaMention] })))).toBe('rooms for me and @Ana Lima');
  });

  it('only the mention: the usual "help" answer', () => {
    expect(brekText(normalize(message('<at>Brek</at>', { entities: [botMention] })))).toBe('help');
  });
});

describe('Teams HTML reduced to text', () => {
  it('paragraphs and <br> become line breaks, tags are dropped, entities decoded', () => {
    expect(brekText(normalize(message('<p>Two rooms&nbsp;in <strong>Porto</strong></p><p>Friday &amp; Saturday</p>')))).toBe('Two rooms in Porto\nFriday & Saturday');
    expect(brekText(normalize(message('<div>first line<br>second line<br/></div>')))).toBe('first line\nsecond line');
    expect(brekText(normalize(message('budget &#43;20 &quot;max&quot; &#x1F600;')))).toBe('budget +20 "max" 😀');
  });

  it('what only looks like HTML stays text: a typed "&lt;b&gt;", "<3", the traveller’s own line breaks', () => {
    expect(brekText(normalize(message('I wrote &lt;b&gt; on purpose')))).toBe('I wrote <b> on purpose');
    expect(brekText(normalize(message('porto <3 lisbon')))).toBe('porto <3 lisbon');
    expect(brekText(normalize(message('line one\n\nline two')))).toBe('line one\n\nline two');
  });

  it('emoji as their characters, links as "label (url)"', () => {
    expect(brekText(normalize(message('great <emoji id="smile" alt="😄" title="Smile"></emoji>')))).toBe('great 😄');
    expect(brekText(normalize(message('like <a href="https://hotel.test/x">this one</a> or <a href="https://hotel.test/y">https://hotel.test/y</a>')))).toBe(
      'like this one (https://hotel.test/x) or https://hotel.test/y',
    );
  });
});

describe('Teams activities that are not a traveller’s message', () => {
  it('another card’s Action.Submit is acknowledged and ignored: no "help", no turn', () => {
    expectIgnored(normalize(message(null, { value: { actionId: 'channel-post' }, replyToId: '1700' })));
    expectIgnored(normalize(message(null, { value: { a: 'book_option', o: 'someone' }, replyToId: '1700' })));
  });

  it('our own packed button as Action.Submit is a turn', () => {
    const data = packButton({ action: 'book_option', ownerActorId: teamsActorId(TENANT, 'aad-traveller'), optionId: 'opt-3' });
    expect(turnOf(normalize(message(null, { value: data, replyToId: '1700' }))).input).toEqual({ type: 'action', action: 'book_option', optionId: 'opt-3', ownerActorId: teamsActorId(TENANT, 'aad-traveller') });
  });

  it('reactions, edits, deletions, installation updates and other types: 200, even when they carry little', () => {
    for (const type of ['messageReaction', 'messageUpdate', 'messageDelete', 'installationUpdate', 'typing', 'event', 'endOfConversation', 'somethingNew']) {
      expectIgnored(normalize(message('x', { type })));
      expectIgnored(normalizeTeams(JSON.stringify({ type })));
    }
  });
});

describe('issue 21: the zone, tapped suggestions, card refreshes', () => {
  const owner = teamsActorId(TENANT, 'aad-traveller');
  const personal = { conversation: { id: 'a:traveller', conversationType: 'personal', tenantId: TENANT } };

  it('the IANA zone from localTimezone beside the offset from localTimestamp; a zone Intl does not know is left out', () => {
    const turn = turnOf(normalize(message('hi', { localTimestamp: '2026-05-14T18:00:00.000-07:00', localTimezone: 'America/Los_Angeles' })));
    expect(turn).toMatchObject({ timezoneOffsetMinutes: -420, timeZone: 'America/Los_Angeles' });
    for (const localTimezone of ['Mars/Olympus', '', 42, 'x'.repeat(80)]) expect(turnOf(normalize(message('hi', { localTimezone }))).timeZone).toBeUndefined();
  });

  it('a messageBack suggestion is the action it packs, marked so no card is retired; someone else’s goes to core to refuse', () => {
    const value = { ...packButton({ action: 'say', ownerActorId: owner, text: 'Done', label: 'Done' }), via: 'suggested' };
    const turn = turnOf(normalize(message('Done', { ...personal, value, replyToId: '1700' })));
    expect(turn.input).toEqual({ type: 'action', action: 'say', text: 'Done', ownerActorId: owner });
    expect(turn.reference).toMatchObject({ suggested: true });
    const foreign = { ...packButton({ action: 'decline_payment', ownerActorId: teamsActorId(TENANT, 'aad-other') }), via: 'suggested' };
    expect(turnOf(normalize(message('no', { ...personal, value: foreign }))).input).toMatchObject({ action: 'decline_payment', ownerActorId: teamsActorId(TENANT, 'aad-other') });
    // An imBack is text, as typed.
    expect(brekText(normalize(message('Seattle Mar 20-23, 1 room', personal)))).toBe('Seattle Mar 20-23, 1 room');
  });

  const refresh = (data: unknown, extra: Obj = {}) =>
    normalize(message(null, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'refresh', data }, trigger: 'automatic' }, ...extra }));

  it('a refresh is a read of the owner’s thread in this conversation, answered with the card as it stands', () => {
    const data = { a: 'refresh', o: owner, r: JSON.stringify({ status: 'booked', messageText: 'Booked.', artifacts: { booking: { bookingId: 'B-9', hotelName: 'Inn' } } }) };
    const normalized = refresh(data);
    expect(normalized.type).toBe('thread_state');
    const asked = normalized as Extract<Normalized, { type: 'thread_state' }>;
    expect(asked.thread).toEqual({ actorId: owner, conversationId: '19:room@thread.tacv2;messageid=1' });
    const answer = JSON.parse(String(asked.answer({ cancelledBookings: ['B-9'] } as Parameters<typeof asked.answer>[0]).body)) as { statusCode: number; type: string; value: unknown };
    expect(answer).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(JSON.stringify(answer.value)).toContain('was cancelled');
  });

  it('a refresh that is not ours, or names an owner of another tenant, reads nothing', () => {
    for (const data of [{ a: 'refresh', o: owner }, { a: 'refresh', o: 'teams:other-tenant:aad-x', r: '{"status":"booked","messageText":"x"}' }, 'junk']) {
      const normalized = refresh(data);
      expect(normalized.type).toBe('respond');
    }
  });
});
