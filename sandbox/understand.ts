// A deterministic, rule-based reader of what the traveller typed. Each function looks for one
// kind of meaning and returns undefined/false when unsure, so the assistant can ask instead of
// guessing. Nothing here reads the clock: "today" comes from the caller's ReadContext.
import { findCity, type City } from './gazetteer.ts';

export interface SearchQuery {
  city?: City;
  /** 'YYYY-MM-DD' */
  checkIn?: string;
  /** 'YYYY-MM-DD', always after checkIn */
  checkOut?: string;
  rooms?: number;
  refundableOnly?: boolean;
  cheapest?: boolean;
  /** In the city's currency. */
  maxPricePerNight?: number;
  minRating?: number;
}

/** timezoneOffsetMinutes is minutes east of UTC (the negated JS getTimezoneOffset): -420 = UTC-7. */
export interface ReadContext {
  now: Date;
  timezoneOffsetMinutes: number;
}

export type BookingChoice = { index: number } | { name: string };

// ---------------------------------------------------------------- numbers

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
};
const ORDINAL_WORDS: Readonly<Record<string, number>> = {
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9, tenth: 10,
};
const NUMBER_WORD = 'one|two|three|four|five|six|seven|eight|nine|ten';
const ORDINAL = 'first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|1st|2nd|3rd|[4-9]th|10th';

/** "3", "three", "third", "3rd" -> 3; undefined for anything else. */
function toCount(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  const w = word.toLowerCase();
  if (/^\d+$/.test(w)) return Number(w);
  if (/^\d+(st|nd|rd|th)$/.test(w)) return parseInt(w, 10);
  return NUMBER_WORDS[w] ?? ORDINAL_WORDS[w];
}

// ---------------------------------------------------------------- calendar days

// Dates are handled as day numbers (days since 1970-01-01), which makes "+ 3 nights" plain addition.
const DAY_MS = 86_400_000;

function dayOf(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const d = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls Feb 30 into March; a changed month means the date does not exist.
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return d.getTime() / DAY_MS;
}

function partsOf(dayNumber: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(dayNumber * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() };
}

const iso = (dayNumber: number) => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);

function localToday(ctx: ReadContext): number {
  return Math.floor((ctx.now.getTime() + ctx.timezoneOffsetMinutes * 60_000) / DAY_MS);
}

/** The first `month`/`day` falling on or after day `from` (Feb 29 waits for a leap year). */
function nextOccurrence(month: number, day: number, from: number): number | undefined {
  const startYear = partsOf(from).year;
  for (let year = startYear; year <= startYear + 8; year++) {
    const d = dayOf(year, month, day);
    if (d !== undefined && d >= from) return d;
  }
  return undefined;
}

// ---------------------------------------------------------------- finding dates in text

/** One date mention, in text order. */
type Mention =
  | { at: number; kind: 'date'; month: number; day: number; year?: number }
  | { at: number; kind: 'dayOnly'; day: number } // the "23" of "Mar 20-23": month comes from the start
  | { at: number; kind: 'relative'; days: number }; // today = 0, tomorrow = 1

const MONTH = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const MONTH_NUMBER: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const DAY = '(\\d{1,2})(?:st|nd|rd|th)?';
const YEAR = '(?:,?\\s*(\\d{4})\\b)?';
const RANGE = '\\s*(?:-|–|—|to|through|thru|until|till)\\s*';
// A number followed by one of these is a count, not a day ("Mar 20 - 2 rooms").
const NOT_A_COUNT = '(?!\\s*(?:rooms?|nights?|guests?|people|adults?|kids?|children|stars?)\\b)';

const monthOf = (name: string | undefined) => MONTH_NUMBER[(name ?? '').slice(0, 3)] ?? 0;
const num = (digits: string | undefined) => (digits === undefined ? undefined : Number(digits));
const fullYear = (y: number | undefined) => (y !== undefined && y < 100 ? 2000 + y : y);

interface DatePattern {
  re: RegExp;
  read: (m: RegExpExecArray, at: number) => Mention[];
}

// Tried in order; each match is blanked out so later patterns cannot read it again.
const DATE_PATTERNS: readonly DatePattern[] = [
  {
    // 2026-05-15
    re: /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g,
    read: (m, at) => [{ at, kind: 'date', year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }],
  },
  {
    // 5/15, 5/15/2026, 5/15/26 (US order: month first)
    re: /\b(\d{1,2})\/(\d{1,2})(?:\/(\d{4}|\d{2}))?\b/g,
    read: (m, at) => [{ at, kind: 'date', month: Number(m[1]), day: Number(m[2]), year: fullYear(num(m[3])) }],
  },
  {
    // Mar 20, March 20th 2027, Mar 20-23, Mar 20 - Mar 23, March 20 to April 2
    re: new RegExp(`\\b${MONTH}\\s*${DAY}\\b${NOT_A_COUNT}${YEAR}(?:${RANGE}(?:${MONTH}\\s*)?${DAY}\\b${NOT_A_COUNT}${YEAR})?`, 'g'),
    read: (m, at) => {
      const start: Mention = { at, kind: 'date', month: monthOf(m[1]), day: Number(m[2]), year: num(m[3]) };
      if (m[5] === undefined) return [start];
      const endAt = at + m[0].length - 1;
      const end: Mention =
        m[4] === undefined
          ? { at: endAt, kind: 'dayOnly', day: Number(m[5]) }
          : { at: endAt, kind: 'date', month: monthOf(m[4]), day: Number(m[5]), year: num(m[6]) };
      return [start, end];
    },
  },
  {
    // 20-23 March, 20 to 23 Mar
    re: new RegExp(`\\b${DAY}${RANGE}${DAY}\\s*(?:of\\s+)?${MONTH}(?![a-z])${YEAR}`, 'g'),
    read: (m, at) => {
      const month = monthOf(m[3]);
      const year = num(m[4]);
      return [
        { at, kind: 'date', month, day: Number(m[1]), year },
        { at: at + 1, kind: 'date', month, day: Number(m[2]), year },
      ];
    },
  },
  {
    // 20 March, 20th of March 2027
    re: new RegExp(`\\b${DAY}\\s*(?:of\\s+)?${MONTH}(?![a-z])${YEAR}`, 'g'),
    read: (m, at) => [{ at, kind: 'date', month: monthOf(m[2]), day: Number(m[1]), year: num(m[3]) }],
  },
  { re: /\b(?:the\s+)?day\s+after\s+tomorrow\b/g, read: (_m, at) => [{ at, kind: 'relative', days: 2 }] },
  { re: /\b(?:tomorrow|tomorow|tmrw|tmr)\b/g, read: (_m, at) => [{ at, kind: 'relative', days: 1 }] },
  { re: /\b(?:today|tonight|tonite)\b/g, read: (_m, at) => [{ at, kind: 'relative', days: 0 }] },
];

function findDateMentions(text: string): Mention[] {
  let rest = text.toLowerCase();
  const found: Mention[] = [];
  for (const { re, read } of DATE_PATTERNS) {
    for (const m of rest.matchAll(re)) found.push(...read(m, m.index ?? 0));
    rest = rest.replace(re, (s) => ' '.repeat(s.length));
  }
  return found.sort((a, b) => a.at - b.at);
}

/** Day number of the check-in mention, or undefined if it is invalid or already past. */
function resolveStart(m: Mention, today: number): number | undefined {
  if (m.kind === 'relative') return today + m.days;
  if (m.kind === 'dayOnly') return undefined;
  if (m.year === undefined) return nextOccurrence(m.month, m.day, today);
  const d = dayOf(m.year, m.month, m.day);
  return d !== undefined && d >= today ? d : undefined;
}

/** Day number of the check-out mention; a yearless date is the first one after check-in. */
function resolveEnd(m: Mention, start: number, today: number): number | undefined {
  if (m.kind === 'relative') return today + m.days;
  if (m.kind === 'date') return m.year === undefined ? nextOccurrence(m.month, m.day, start + 1) : dayOf(m.year, m.month, m.day);
  // "Mar 30-2": a day before the start day means the next month.
  const s = partsOf(start);
  if (m.day > s.day) return dayOf(s.year, s.month, m.day);
  return s.month === 12 ? dayOf(s.year + 1, 1, m.day) : dayOf(s.year, s.month + 1, m.day);
}

function readNights(text: string): number | undefined {
  if (/\b(?:a|one|1)\s+week\b/.test(text)) return 7;
  const m = new RegExp(`\\b(\\d{1,2}|${NUMBER_WORD})\\s+nights?\\b`).exec(text);
  const n = toCount(m?.[1]);
  return n !== undefined && n >= 1 && n <= 30 ? n : undefined;
}

/**
 * "this weekend" is the coming Friday -> Sunday (today counts if it is Friday); on a Saturday
 * it is tonight only (Sat -> Sun); on a Sunday the weekend is over, so it is the coming one.
 * "next weekend" is the one after that, except on Sunday where it equals "this weekend".
 */
function readWeekend(text: string, today: number): [number, number] | undefined {
  const m = /\b(?:(this|next|the|coming)\s+)?weekend\b/.exec(text);
  if (!m) return undefined;
  const weekday = partsOf(today).weekday; // 0 = Sunday
  const next = m[1] === 'next';
  if (weekday === 6 && !next) return [today, today + 1];
  let friday: number;
  if (weekday === 0) friday = today + 5;
  else if (weekday === 6) friday = today + 6;
  else friday = today + (5 - weekday) + (next ? 7 : 0);
  return [friday, friday + 2];
}

/** Check-in/check-out as day numbers, or undefined when the text gives no usable stay. */
function readStay(text: string, today: number): [number, number] | undefined {
  const [first, second] = findDateMentions(text);
  if (!first) return readWeekend(text, today);
  const start = resolveStart(first, today);
  if (start === undefined) return undefined;
  const end = second ? resolveEnd(second, start, today) : start + (readNights(text) ?? 1);
  // A check-out on or before check-in is contradictory: drop both rather than guess.
  return end !== undefined && end > start ? [start, end] : undefined;
}

// ---------------------------------------------------------------- search

const MONEY = '(?:[$£€¥]|usd\\s*|eur\\s*|gbp\\s*)?\\s*(\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.(\\d{1,2}))?';
// A price cap never ends in a unit like stars or nights ("under 4 stars" is not a price).
const NOT_A_PRICE = '(?!\\d|[.,]\\d|\\s*\\+|\\s*-?\\s*(?:stars?|nights?|rooms?|guests?|people|miles?|mi|km|minutes?|mins?|blocks?)\\b)';
const PRICE_BEFORE = new RegExp(`\\b(?:under|below|less than|max(?:imum)?|up to|no more than|at most|cheaper than|budget(?: of| is)?)\\s*:?\\s*${MONEY}${NOT_A_PRICE}`);
const PRICE_AFTER = new RegExp(`[$£€¥]\\s*(\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.(\\d{1,2}))?\\s*(?:/\\s*night|per night|a night)?\\s*(?:max(?:imum)?|or less|or under|tops|or cheaper)\\b`);

function readMaxPrice(text: string): number | undefined {
  const m = PRICE_BEFORE.exec(text) ?? PRICE_AFTER.exec(text);
  if (!m?.[1]) return undefined;
  const value = Number(`${m[1].replace(/,/g, '')}.${m[2] ?? '0'}`);
  return value > 0 ? value : undefined;
}

const RATING = '(\\d(?:\\.\\d)?)';
const RATING_PATTERNS: readonly RegExp[] = [
  // "rated 4.5 or higher", "rating of at least 4", "rating 4+"
  new RegExp(`\\brat(?:ed|ing)\\s*(?:of\\s*|is\\s*)?(?:at least\\s*|above\\s*|over\\s*|>=?\\s*|min(?:imum)?\\s*)?${RATING}(?!\\d|\\.\\d)`),
  // "4.5+ rating", "4 or higher rated"
  new RegExp(`\\b${RATING}\\s*\\+?\\s*(?:or (?:higher|better|more|above)\\s*)?(?:rating|rated)\\b`),
];
// "4 stars", "4+ stars", "4-star", "at least 4 stars"; the prefix group catches caps like "under 4 stars".
const STARS = new RegExp(`\\b(under\\s+|below\\s+|less than\\s+|up to\\s+|max\\s+)?${RATING}\\s*\\+?\\s*-?\\s*stars?\\b`);

function readMinRating(text: string): number | undefined {
  let value: number | undefined;
  for (const re of RATING_PATTERNS) {
    const m = re.exec(text);
    if (m?.[1]) {
      value = Number(m[1]);
      break;
    }
  }
  if (value === undefined) {
    const m = STARS.exec(text);
    if (m?.[2] && m[1] === undefined) value = Number(m[2]);
  }
  return value !== undefined && value >= 1 && value <= 5 ? value : undefined;
}

function readRooms(text: string): number | undefined {
  const m = new RegExp(`\\b(\\d{1,2}|${NUMBER_WORD}|a|single)\\s+rooms?\\b`).exec(text);
  if (!m?.[1]) return undefined;
  const n = m[1] === 'a' || m[1] === 'single' ? 1 : toCount(m[1]);
  return n !== undefined && n >= 1 && n <= 9 ? n : undefined;
}

function readRefundable(text: string): boolean {
  // "non-refundable is fine" must not switch the filter on.
  const rest = text.replace(/\b(?:non|not|no)[\s-]*refundable\b/g, ' ');
  return /\b(?:refundable|free\s+cancell?ation|flexible\s+cancell?ation|cancell?able)\b/.test(rest);
}

const CHEAP = /\b(?:cheap|cheaper|cheapest|budget|inexpensive|affordable|low[\s-]cost|lowest[\s-]prices?d?|least expensive|economical|bargain)\b/;

/** Every search detail found in `text`; fields not mentioned are absent. */
export function readSearch(text: string, ctx: ReadContext): SearchQuery {
  const lower = text.toLowerCase().replace(/[’]/g, "'");
  const q: SearchQuery = {};
  const city = findCity(text);
  if (city) q.city = city;
  const stay = readStay(lower, localToday(ctx));
  if (stay) {
    q.checkIn = iso(stay[0]);
    q.checkOut = iso(stay[1]);
  }
  const rooms = readRooms(lower);
  if (rooms !== undefined) q.rooms = rooms;
  if (readRefundable(lower)) q.refundableOnly = true;
  if (CHEAP.test(lower)) q.cheapest = true;
  const maxPrice = readMaxPrice(lower);
  if (maxPrice !== undefined) q.maxPricePerNight = maxPrice;
  const minRating = readMinRating(lower);
  if (minRating !== undefined) q.minRating = minRating;
  return q;
}

export function hasSearchContent(q: SearchQuery): boolean {
  return Object.values(q).some((v) => v !== undefined);
}

// ---------------------------------------------------------------- booking choice

const INDEX = `(\\d{1,2}|${NUMBER_WORD}|${ORDINAL})`;
const CHOOSE = '(?:book|take|reserve|choose|pick|select|want|go with|go for)';
// Words after an ordinal that make it something else: "first name", "the second night", "the 5th to the 8th".
const NOT_A_CHOICE =
  '(?!\\s+(?:name|names|night|nights|time|floor|day|days|week|weekend|of|thing|to|through|thru|until|till)\\b)(?!\\s*[/-]\\s*\\d)';
// An ordinal right after these is a day of the month: "from the 5th", "until the 8th".
const NOT_A_DAY = '(?<!\\b(?:from|to|on|until|till|through|thru|by|since)\\s+)';

// Explicit markers ("#3", "option 2", "number 2", "no. 2", "choice 1") count even in a search-like text.
const MARKED_INDEX = new RegExp(`(?:#|\\b(?:option|number|no\\.|choice)\\s*#?)\\s*${INDEX}\\b${NOT_A_CHOICE}`);
// Looser forms, ignored when the text names a city (then it is a search).
const LOOSE_INDEX: readonly RegExp[] = [
  // "the second one", "I'll take the first"
  new RegExp(`\\b${NOT_A_DAY}the\\s+(${ORDINAL})\\b${NOT_A_CHOICE}`),
  // "second option", "3rd one"
  new RegExp(`\\b(${ORDINAL})\\s+(?:one|option|hotel|choice)\\b`),
  // "book second", "take 3rd"
  new RegExp(`\\b${CHOOSE}\\s+(${ORDINAL})\\b${NOT_A_CHOICE}`),
  // The whole message is a number or ordinal, optionally after a verb: "2", "book one", "second please"
  new RegExp(`^(?:(?:i'?ll |i will |let'?s |please )?${CHOOSE}\\s+)?${INDEX}(?:\\s+please)?[.!]*$`),
];

// Words that mean "some hotel", i.e. the traveller is searching, not naming one.
const GENERIC_TARGET = /^(?:(?:a|an|some|any|another|something|anything|me|us|my|our|it|them)\b|(?:hotels?|rooms?|stay|place)\s*(?:$|in\b|at\b|for\b|near\b))|^(?:it|that|this|that one|this one|one|them|now|please)$/i;
const BOOK_BY_NAME = /\b(?:book|reserve|i'?ll take|i will take|go with)\s+(.+)$/i;

/** Which shortlist option the traveller picked: a 1-based index, or a hotel name after "book". */
export function readBookingChoice(text: string): BookingChoice | undefined {
  const lower = text.toLowerCase().replace(/[’]/g, "'").trim();
  const patterns = findCity(text) ? [MARKED_INDEX] : [MARKED_INDEX, ...LOOSE_INDEX];
  for (const re of patterns) {
    const index = toCount(re.exec(lower)?.[1]);
    if (index !== undefined && index >= 1 && index <= 10) return { index };
  }

  const m = BOOK_BY_NAME.exec(text.replace(/[’]/g, "'").trim());
  if (!m?.[1]) return undefined;
  const name = m[1]
    .replace(/(?:[\s,]+(?:please|pls|thanks|thank you|for me))+[\s.!?]*$/i, '')
    .replace(/^[\s"'“]+|[\s"'”.!?,;:]+$/g, '')
    .replace(/^the\s+/i, '');
  if (name.length === 0 || name.length > 80) return undefined;
  if (GENERIC_TARGET.test(name) || /\bhotels?\s+in\b/i.test(name) || /\b(?:rooms?|nights?)\b/i.test(name)) return undefined;
  if (findCity(name) || findDateMentions(name).length > 0) return undefined;
  return { name };
}

// ---------------------------------------------------------------- guest name

const NAME_PREFIX =
  /^(?:(?:the\s+)?guest(?:'s)?\s+(?:full\s+)?name(?:\s+is)?|(?:the\s+)?guest(?:\s+is|\s+will\s+be)?|(?:my\s+)?(?:full\s+)?name(?:\s+is)?|(?:(?:it's|it is|this is|booking is|book it|put it)\s+)?(?:for|under)|i'm|i am)(?:\s*[:=-]\s*|\s+)/i;
// A name word: letters, with inner apostrophes, hyphens and dots ("O'Neil", "Mary-Ann", "Q.").
const NAME_WORD = /^\p{L}(?:[\p{L}'.-]*[\p{L}.])?$/u;
// Everyday words that show the text is a sentence, not a name ("all set", "not sure", "go ahead").
const NOT_NAME_WORDS = new Set([
  'yes', 'yeah', 'yep', 'no', 'nope', 'not', 'ok', 'okay', 'sure', 'done', 'finished', 'confirm', 'cancel',
  'book', 'booking', 'option', 'number', 'hotel', 'hotels', 'room', 'rooms', 'card', 'added', 'all', 'set',
  'go', 'ahead', 'please', 'thanks', 'thank', 'you', 'use', 'this', 'that', 'it', 'the', 'a', 'an', 'and',
  'or', 'of', 'in', 'at', 'for', 'to', 'from', 'with', 'my', 'your', 'me', 'i', "i'm", 'is', 'are', 'am',
  'help', 'need', 'want', 'find', 'search', 'show', 'cheap', 'cheapest', 'refundable', 'today', 'tonight',
  'tomorrow', 'weekend', 'night', 'nights', 'first', 'second', 'third', 'one', 'two', 'three', 'last',
  'hi', 'hello', 'hey', 'what', 'how', 'why', 'where', 'when', 'can', 'could', 'would', 'should', 'just',
  'guest', 'name', 'again', 'later', 'now', 'stop', 'wait', 'do', "don't", 'did', 'have', 'got',
]);
// Lower-case name particles, ignored when checking a bare name for a city ("Maria de la Cruz" is not LA).
const PARTICLES = /\s(?:de|la|le|du|da|del|della|di|van|von|der|den|bin|al)(?=\s)/g;

/** First and last name from "guest name is John Doe", "it's for John Doe" or a bare "John Doe". */
export function readGuestName(text: string): { firstName: string; lastName: string } | undefined {
  const trimmed = text.replace(/[’]/g, "'").trim();
  if (trimmed.length > 60) return undefined;
  const withoutPrefix = trimmed.replace(NAME_PREFIX, '');
  const prefixed = withoutPrefix !== trimmed;
  const core = withoutPrefix
    .replace(/(?:[\s,]+(?:please|thanks|thank you))+[\s.!]*$/i, '')
    .replace(/[\s!,;]+$/, '')
    .replace(/(\p{L}{2,})\.$/u, '$1'); // a sentence's full stop, not an initial's dot
  const parts = core.split(/\s+/).filter((w) => w.length > 0);
  if (parts.length < 2 || parts.length > 4) return undefined;
  if (!parts.every((w) => NAME_WORD.test(w) && !NOT_NAME_WORDS.has(w.toLowerCase()))) return undefined;
  // Without "name is"/"for", "Las Vegas" or "Paris Hilton" reads as a place first.
  if (!prefixed && findCity(` ${core} `.replace(PARTICLES, ' '))) return undefined;
  const [firstName, ...rest] = parts;
  if (firstName === undefined) return undefined;
  return { firstName, lastName: rest.join(' ') };
}

// ---------------------------------------------------------------- short answers

/** Lower case, curly quotes straightened, punctuation to spaces: "Yes, use this card!" -> "yes use this card". */
function simplify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/[^a-z0-9' ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const NEGATION = /\b(?:no|not|nope|nah|never|yet|almost|nearly|still|cancel|stop|don't|dont|didn't|didnt|haven't|havent|can't|cant|won't|isn't|wasn't)\b/;

/** "Done", "I'm done", "all set", "card added": the traveller finished the payment setup. */
export function isDone(text: string): boolean {
  const s = simplify(text);
  if (s.length === 0 || s.length > 80 || NEGATION.test(s)) return false;
  return (
    /\b(?:done|finished|completed?|all set|did it)\b/.test(s) ||
    /\bcard\b.*\b(?:added|attached|saved|set up|setup|entered|updated|linked)\b/.test(s) ||
    /\b(?:added|attached|saved|set up|entered|updated|linked)\b.*\bcard\b/.test(s)
  );
}

const YES_START =
  /^(?:yes|y|yeah|yea|ya|yep|yup|sure|ok|okay|k|kk|confirm|confirmed|go ahead|go for it|do it|please do|proceed|please proceed|correct|absolutely|definitely|of course|sounds good|that works|fine|affirmative|use (?:this|that|it|the|my) card|book it|let's do it|lets do it)\b/;

/** Consent: "yes", "yes, use this card", "sure", "go ahead". Any negation word makes it false. */
export function isYes(text: string): boolean {
  const s = simplify(text);
  return YES_START.test(s) && !NEGATION.test(s);
}

const NO_START =
  /^(?:no|n|nope|nah|negative|don't|dont|do not|not now|not this|not that|not this card|never ?mind|stop|decline|declined|wrong card|different card)\b/;

/**
 * Refusal: "no", "nope", "no thanks", "don't", "do not charge". "cancel" is isCancel's, and an
 * unsure "not sure" is neither yes nor no.
 */
export function isNo(text: string): boolean {
  return NO_START.test(simplify(text));
}

const CANCEL =
  /^(?:(?:ok|okay|please|pls|no|actually|yes)\s+)*(?:(?:i\s+(?:want|need|would like)|i'd like|can you|could you|let's|lets)\s+(?:to\s+)?)?(?:please\s+)?cancel\b/;

/** "cancel", "cancel my booking", "please cancel the reservation"; not "free cancellation". */
export function isCancel(text: string): boolean {
  return CANCEL.test(simplify(text));
}
