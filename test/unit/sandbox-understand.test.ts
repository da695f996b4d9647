import { describe, expect, it } from 'vitest';
import {
  hasSearchContent,
  isCancel,
  isDone,
  isNo,
  isYes,
  readBookingChoice,
  readGuestName,
  readSearch,
  type ReadContext,
} from '../../sandbox/understand.ts';

/** A context whose local "today" is `day` (noon, UTC offset 0). */
const on = (day: string): ReadContext => ({ now: new Date(`${day}T12:00:00Z`), timezoneOffsetMinutes: 0 });

// The golden path ran on 2026-02-18 for a traveller at UTC-7.
const GOLDEN: ReadContext = { now: new Date('2026-02-18T23:22:33Z'), timezoneOffsetMinutes: -420 };

const stay = (text: string, ctx: ReadContext) => {
  const q = readSearch(text, ctx);
  return [q.checkIn, q.checkOut];
};

describe('readSearch: the guide phrases', () => {
  it('reads the golden-path search', () => {
    const q = readSearch('find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable', GOLDEN);
    expect({ ...q, city: q.city?.id }).toEqual({
      city: 'las-vegas',
      checkIn: '2026-05-15',
      checkOut: '2026-05-16',
      cheapest: true,
      refundableOnly: true,
    });
  });

  it('reads the quickstart search', () => {
    const q = readSearch('Seattle Mar 20-23 1 room refundable', GOLDEN);
    expect({ ...q, city: q.city?.id }).toEqual({
      city: 'seattle',
      checkIn: '2026-03-20',
      checkOut: '2026-03-23',
      rooms: 1,
      refundableOnly: true,
    });
  });

  it('reads a refundable vegas hotel without dates', () => {
    const q = readSearch('find me a refundable vegas hotel', GOLDEN);
    expect({ ...q, city: q.city?.id }).toEqual({ city: 'las-vegas', refundableOnly: true });
  });
});

describe('readSearch: dates', () => {
  const feb18 = on('2026-02-18'); // a Wednesday

  it.each([
    ['5/15 to 5/16', '2026-05-15', '2026-05-16'],
    ['from 5/15 to 5/16', '2026-05-15', '2026-05-16'],
    ['5/15-5/16', '2026-05-15', '2026-05-16'],
    ['5/15 - 5/18', '2026-05-15', '2026-05-18'],
    ['5/15/2026 to 5/17/2026', '2026-05-15', '2026-05-17'],
    ['5/15/27 to 5/17/27', '2027-05-15', '2027-05-17'],
    ['Mar 20-23', '2026-03-20', '2026-03-23'],
    ['Mar. 20-23', '2026-03-20', '2026-03-23'],
    ['March 20 to 23', '2026-03-20', '2026-03-23'],
    ['Mar 20 - Mar 23', '2026-03-20', '2026-03-23'],
    ['March 20 to April 2', '2026-03-20', '2026-04-02'],
    ['march 20th through 23rd', '2026-03-20', '2026-03-23'],
    ['Sept 3-5', '2026-09-03', '2026-09-05'],
    ['sep. 3 to sep. 5', '2026-09-03', '2026-09-05'],
    ['Mar 20, 2027 - Mar 23, 2027', '2027-03-20', '2027-03-23'],
    ['20-23 March', '2026-03-20', '2026-03-23'],
    ['20th of March', '2026-03-20', '2026-03-21'],
    ['2026-05-15 to 2026-05-18', '2026-05-15', '2026-05-18'],
    ['tomorrow', '2026-02-19', '2026-02-20'],
    ['tonight', '2026-02-18', '2026-02-19'],
    ['today', '2026-02-18', '2026-02-19'],
    ['the day after tomorrow', '2026-02-20', '2026-02-21'],
    ['from tomorrow for 3 nights', '2026-02-19', '2026-02-22'],
    ['tonight for two nights', '2026-02-18', '2026-02-20'],
    ['Mar 20 for 2 nights', '2026-03-20', '2026-03-22'],
    ['3 nights from 5/15', '2026-05-15', '2026-05-18'],
    ['tomorrow for a week', '2026-02-19', '2026-02-26'],
    ['5/15', '2026-05-15', '2026-05-16'],
    ['Mar 20', '2026-03-20', '2026-03-21'],
    ['Seattle Mar 20 - 2 rooms', '2026-03-20', '2026-03-21'],
    ['2/18', '2026-02-18', '2026-02-19'], // today still counts as upcoming
    ['2/17', '2027-02-17', '2027-02-18'], // yesterday means next year
  ])('%j -> %s..%s', (text, checkIn, checkOut) => {
    expect(stay(text, feb18)).toEqual([checkIn, checkOut]);
  });

  it.each([
    ['2026-05-18 to 2026-05-15'], // check-out before check-in
    ['2025-05-15 to 2025-05-16'], // in the past
    ['2/30'], // no such day
    ['13/5'],
    ['for 3 nights'], // no start day
    ['Mar 2026'],
    ['a hotel in the marina district'],
    ['I may need 2 rooms'],
    ['24/7 front desk'],
  ])('%j gives no dates', (text) => {
    expect(stay(text, feb18)).toEqual([undefined, undefined]);
  });

  it("computes today in the traveller's time zone", () => {
    // 03:00 UTC on Nov 28 is still 19:00 on Nov 27 at UTC-8.
    const pacific: ReadContext = { now: new Date('2026-11-28T03:00:00Z'), timezoneOffsetMinutes: -480 };
    expect(stay('tonight', pacific)).toEqual(['2026-11-27', '2026-11-28']);
    expect(stay('tomorrow', pacific)).toEqual(['2026-11-28', '2026-11-29']);
    expect(stay('11/27', pacific)).toEqual(['2026-11-27', '2026-11-28']);
    const utc: ReadContext = { now: new Date('2026-11-28T03:00:00Z'), timezoneOffsetMinutes: 0 };
    expect(stay('tonight', utc)).toEqual(['2026-11-28', '2026-11-29']);
    expect(stay('11/27', utc)).toEqual(['2027-11-27', '2027-11-28']);
    // East of UTC: 20:00 UTC on Mar 16 is already Mar 17 at UTC+5:30.
    const india: ReadContext = { now: new Date('2026-03-16T20:00:00Z'), timezoneOffsetMinutes: 330 };
    expect(stay('today', india)).toEqual(['2026-03-17', '2026-03-18']);
  });

  it('takes the next occurrence of a yearless date', () => {
    const nov = on('2026-11-20');
    expect(stay('5/15', nov)).toEqual(['2027-05-15', '2027-05-16']);
    expect(stay('May 15 to May 18', nov)).toEqual(['2027-05-15', '2027-05-18']);
    expect(stay('Dec 1', nov)).toEqual(['2026-12-01', '2026-12-02']);
  });

  it('rolls ranges over the new year', () => {
    const dec30 = on('2026-12-30');
    expect(stay('Dec 31 to Jan 2', dec30)).toEqual(['2026-12-31', '2027-01-02']);
    expect(stay('12/31-1/3', dec30)).toEqual(['2026-12-31', '2027-01-03']);
    expect(stay('Dec 30 - 2', dec30)).toEqual(['2026-12-30', '2027-01-02']);
    expect(stay('Jan 5', dec30)).toEqual(['2027-01-05', '2027-01-06']);
    expect(stay('Dec 28', dec30)).toEqual(['2027-12-28', '2027-12-29']);
    expect(stay('tomorrow for 3 nights', dec30)).toEqual(['2026-12-31', '2027-01-03']);
  });

  it('waits for a leap year for Feb 29', () => {
    expect(stay('2/29', on('2026-03-01'))).toEqual(['2028-02-29', '2028-03-01']);
  });

  // March 2026: Mon 16, Fri 20, Sat 21, Sun 22, Fri 27, Sun 29.
  it.each([
    ['2026-03-16', 'this weekend', '2026-03-20', '2026-03-22'], // Monday
    ['2026-03-16', 'next weekend', '2026-03-27', '2026-03-29'],
    ['2026-03-19', 'the weekend', '2026-03-20', '2026-03-22'], // Thursday
    ['2026-03-20', 'this weekend', '2026-03-20', '2026-03-22'], // Friday: starts today
    ['2026-03-20', 'next weekend', '2026-03-27', '2026-03-29'],
    ['2026-03-21', 'this weekend', '2026-03-21', '2026-03-22'], // Saturday: tonight only
    ['2026-03-21', 'next weekend', '2026-03-27', '2026-03-29'],
    ['2026-03-22', 'this weekend', '2026-03-27', '2026-03-29'], // Sunday: the coming one
    ['2026-03-22', 'next weekend', '2026-03-27', '2026-03-29'],
    ['2026-03-16', 'Vegas for the weekend', '2026-03-20', '2026-03-22'],
  ])('on %s, %j is %s..%s', (today, text, checkIn, checkOut) => {
    expect(stay(text, on(today))).toEqual([checkIn, checkOut]);
  });

  it('prefers explicit dates over "weekend"', () => {
    expect(stay('Mar 25 not this weekend', on('2026-03-16'))).toEqual(['2026-03-25', '2026-03-26']);
  });
});

describe('readSearch: filters', () => {
  const ctx = on('2026-02-18');

  it.each([
    ['1 room', 1],
    ['2 rooms', 2],
    ['two rooms', 2],
    ['a room in Seattle', 1],
    ['single room', 1],
  ])('%j -> rooms %d', (text, rooms) => {
    expect(readSearch(text, ctx).rooms).toBe(rooms);
  });

  it.each(['20 rooms', 'roomy suite', 'showroom'])('%j has no room count', (text) => {
    expect(readSearch(text, ctx).rooms).toBeUndefined();
  });

  it.each(['refundable', 'fully refundable please', 'free cancellation', 'with free cancelation', 'flexible cancellation'])(
    '%j -> refundableOnly',
    (text) => {
      expect(readSearch(text, ctx).refundableOnly).toBe(true);
    },
  );

  it.each(['non-refundable is fine', 'nonrefundable ok', 'not refundable', 'cancel'])('%j does not ask for refundable', (text) => {
    expect(readSearch(text, ctx).refundableOnly).toBeUndefined();
  });

  it.each(['cheap', 'something cheap', 'budget hotel', 'the cheapest one', 'lowest price', 'affordable', 'low-cost', 'least expensive'])(
    '%j -> cheapest',
    (text) => {
      expect(readSearch(text, ctx).cheapest).toBe(true);
    },
  );

  it.each(['luxury', 'a nice hotel', 'cheapskate'])('%j is not cheapest', (text) => {
    expect(readSearch(text, ctx).cheapest).toBeUndefined();
  });

  it.each([
    ['under $200', 200],
    ['below 150', 150],
    ['less than $300/night', 300],
    ['less than $300 per night', 300],
    ['max $250', 250],
    ['maximum 250 a night', 250],
    ['up to $180', 180],
    ['no more than 220', 220],
    ['under $199.99', 199.99],
    ['under 1,200', 1200],
    ['$180 max', 180],
    ['$180/night or less', 180],
    ['budget of $200', 200],
  ])('%j -> maxPricePerNight %d', (text, price) => {
    expect(readSearch(text, ctx).maxPricePerNight).toBe(price);
  });

  it.each(['under 4 stars', 'under 3 nights', 'within 2 miles', 'max 2 rooms', 'cheap'])('%j has no price cap', (text) => {
    expect(readSearch(text, ctx).maxPricePerNight).toBeUndefined();
  });

  it.each([
    ['4 stars', 4],
    ['4+ stars', 4],
    ['4-star hotel', 4],
    ['5 star', 5],
    ['at least 4 stars', 4],
    ['rated 4.5 or higher', 4.5],
    ['rating of at least 4', 4],
    ['rating 4+', 4],
    ['4.5+ rating', 4.5],
  ])('%j -> minRating %d', (text, rating) => {
    expect(readSearch(text, ctx).minRating).toBe(rating);
  });

  it.each(['under 4 stars', '6 stars', '4 nights', 'under $200'])('%j has no minimum rating', (text) => {
    expect(readSearch(text, ctx).minRating).toBeUndefined();
  });

  it('reads several filters at once', () => {
    const q = readSearch('NYC this weekend, 2 rooms, 4+ stars, under $300/night, free cancellation', ctx);
    expect({ ...q, city: q.city?.id }).toEqual({
      city: 'new-york',
      checkIn: '2026-02-20',
      checkOut: '2026-02-22',
      rooms: 2,
      minRating: 4,
      maxPricePerNight: 300,
      refundableOnly: true,
    });
  });

  it.each([
    'hello',
    'can you help me book option 1',
    'the second one',
    'guest name is John Doe',
    'Done',
    'yes, use this card',
    'no',
    'book Inn at the Market',
  ])('%j has no search content', (text) => {
    const q = readSearch(text, GOLDEN);
    expect(q).toEqual({});
    expect(hasSearchContent(q)).toBe(false);
  });

  it('hasSearchContent is true when any field is set', () => {
    expect(hasSearchContent({ rooms: 1 })).toBe(true);
    expect(hasSearchContent({ cheapest: true })).toBe(true);
    expect(hasSearchContent(readSearch('Seattle', ctx))).toBe(true);
    expect(hasSearchContent({})).toBe(false);
  });

  it('is deterministic', () => {
    const text = 'find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable';
    expect(readSearch(text, GOLDEN)).toEqual(readSearch(text, GOLDEN));
  });
});

describe('readBookingChoice', () => {
  it.each([
    ['book option 1', 1],
    ['can you help me book option 1', 1],
    ['option 2', 2],
    ['Option #2', 2],
    ['option two', 2],
    ['the second one', 2],
    ["I'll take the first", 1],
    ['I’ll take the first one', 1],
    ['#3', 3],
    ['book #3 please', 3],
    ['book number 2', 2],
    ['no. 4', 4],
    ['the 2nd one', 2],
    ['third option', 3],
    ['book the tenth', 10],
    ['2', 2],
    ['book one', 1],
    ['second please', 2],
    ['choice 5', 5],
  ])('%j -> index %d', (text, index) => {
    expect(readBookingChoice(text)).toEqual({ index });
  });

  it.each([
    ['book Inn at the Market', 'Inn at the Market'],
    ['book the Inn at the Market', 'Inn at the Market'],
    ['reserve Branding Iron Motel please', 'Branding Iron Motel'],
    ["I'll take the Belltown Lofts.", 'Belltown Lofts'],
    ['please book "Hotel Zetta"', 'Hotel Zetta'],
  ])('%j -> name %j', (text, name) => {
    expect(readBookingChoice(text)).toEqual({ name });
  });

  it.each([
    'book a hotel in Seattle',
    'book a room',
    'book me something cheap',
    'book hotels in vegas',
    'book Seattle',
    'book it',
    'book Mar 20-23',
    'book 2 rooms',
    'find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable',
    'Seattle Mar 20-23 1 room refundable',
    'find hotel 5/15',
    'first name is John',
    'Seattle the first weekend of April',
    'I need a hotel in Miami from the 5th to the 8th',
    'from the 5th to the 8th',
    'the first hotel in Boston', // a city makes it a search
    'book it under John Doe',
    'I want 2 nights',
    'option 11',
    'option 0',
    'hello',
    'guest name is John Doe',
    'yes',
    '',
  ])('%j is not a choice', (text) => {
    expect(readBookingChoice(text)).toBeUndefined();
  });
});

describe('readGuestName', () => {
  it.each([
    ['guest name is John Doe', 'John', 'Doe'],
    ['guest name is Jane Doe', 'Jane', 'Doe'],
    ['the guest is Jane Q. Smith', 'Jane', 'Q. Smith'],
    ["name: Mary-Ann O'Neil", 'Mary-Ann', "O'Neil"],
    ['John Doe', 'John', 'Doe'],
    ['john doe', 'john', 'doe'],
    ["it's for John Doe", 'John', 'Doe'],
    ['my name is John Doe', 'John', 'Doe'],
    ['Guest name: José García', 'José', 'García'],
    ['Maria de la Cruz', 'Maria', 'de la Cruz'],
    ['John Doe.', 'John', 'Doe'],
    ['John Doe please', 'John', 'Doe'],
    ['Forrest Gump', 'Forrest', 'Gump'],
    ['guest name is Paris Hilton', 'Paris', 'Hilton'], // a prefix makes a city-like name fine
  ])('%j -> %s / %s', (text, firstName, lastName) => {
    expect(readGuestName(text)).toEqual({ firstName, lastName });
  });

  it.each([
    'John',
    'guest name is John',
    'yes',
    'done',
    'no',
    'book option 1',
    'option 2',
    'cancel',
    'cancel it',
    'yes please',
    'no thanks',
    'not sure',
    'all set',
    'go ahead',
    'card added',
    "I'm done",
    'the second one',
    'Inn at the Market',
    'John Doe 2',
    'J0hn Doe',
    'Las Vegas',
    'New York',
    'Paris Hilton', // bare: read as a place first
    'Seattle Mar 20-23 1 room refundable',
    'find me a las vegas hotel from 5/15 to 5/16 that is cheap and refundable',
    'My name is John Doe and I would like a room with a view of the sea',
    'John Jacob Jingleheimer Schmidt Smith',
    'john@example.com doe',
  ])('%j is not a guest name', (text) => {
    expect(readGuestName(text)).toBeUndefined();
  });
});

describe('short answers', () => {
  it.each(['done', 'Done', 'done!', "I'm done", 'I’m done', 'finished', 'all set', 'I added the card', 'card added', 'ok done', 'Done, thanks'])(
    'isDone(%j)',
    (text) => {
      expect(isDone(text)).toBe(true);
    },
  );

  it.each(['not done yet', "I'm not done", 'almost done', "haven't finished", 'no', 'yes', 'hello', 'the card', ''])('not isDone(%j)', (text) => {
    expect(isDone(text)).toBe(false);
  });

  it.each(['yes', 'Yes', 'y', 'yes, use this card', 'yep', 'yeah', 'sure', 'confirm', 'go ahead', 'ok', 'Okay!', 'yes please', 'use this card'])(
    'isYes(%j)',
    (text) => {
      expect(isYes(text)).toBe(true);
    },
  );

  it.each(['no', 'not sure', 'nope', "yes but don't charge", 'yesterday', 'cancel', 'hello', 'n', ''])('not isYes(%j)', (text) => {
    expect(isYes(text)).toBe(false);
  });

  it.each(['no', 'No.', 'n', 'nope', 'no thanks', "don't", 'dont', 'do not charge', 'do not charge this card', 'nah'])('isNo(%j)', (text) => {
    expect(isNo(text)).toBe(true);
  });

  // "not sure" is neither yes nor no; "cancel" belongs to isCancel.
  it.each(['not sure', 'cancel it', 'cancel', 'yes', 'nothing', 'none', 'nice', 'y', ''])('not isNo(%j)', (text) => {
    expect(isNo(text)).toBe(false);
  });

  it.each(['cancel', 'Cancel.', 'cancel my booking', 'cancel the booking', 'cancel reservation', 'please cancel', 'I want to cancel my booking', "I'd like to cancel", 'cancel it', 'no, cancel it'])(
    'isCancel(%j)',
    (text) => {
      expect(isCancel(text)).toBe(true);
    },
  );

  it.each(['free cancellation', 'refundable with free cancellation', "don't cancel", 'can I cancel later?', 'cancellation policy', 'no', ''])(
    'not isCancel(%j)',
    (text) => {
      expect(isCancel(text)).toBe(false);
    },
  );
});
