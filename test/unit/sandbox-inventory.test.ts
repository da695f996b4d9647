import { describe, expect, it, vi } from 'vitest';
import { CITIES, findCity } from '../../sandbox/gazetteer.ts';
import { hotelsIn, totalPrice, type Hotel } from '../../sandbox/inventory.ts';

const US_CITY_IDS = [
  'new-york', 'los-angeles', 'chicago', 'san-francisco', 'las-vegas', 'seattle', 'boston', 'washington-dc',
  'miami', 'orlando', 'atlanta', 'dallas', 'houston', 'austin', 'san-antonio', 'denver', 'phoenix',
  'san-diego', 'san-jose', 'philadelphia', 'new-orleans', 'nashville', 'portland', 'honolulu',
  'salt-lake-city', 'minneapolis', 'detroit', 'kansas-city', 'st-louis',
];

const cityById = (id: string) => {
  const city = CITIES.find((c) => c.id === id);
  if (!city) throw new Error(`no city ${id}`);
  return city;
};
const hotelNamed = (cityId: string, name: string): Hotel => {
  const hotel = hotelsIn(cityId).find((h) => h.name === name);
  if (!hotel) throw new Error(`no hotel ${name} in ${cityId}`);
  return hotel;
};

describe('gazetteer', () => {
  it('has at least 30 cities with unique ids', () => {
    expect(CITIES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CITIES.map((c) => c.id)).size).toBe(CITIES.length);
  });

  it('writes aliases in lower case and never gives one alias to two cities', () => {
    const owners = new Map<string, string>();
    for (const city of CITIES) {
      for (const alias of [city.name.toLowerCase(), ...city.aliases]) {
        expect(alias).toBe(alias.toLowerCase());
        expect(owners.get(alias) ?? city.id, alias).toBe(city.id);
        owners.set(alias, city.id);
      }
    }
  });

  it('prices US cities in USD and others in their own currency', () => {
    for (const id of US_CITY_IDS) expect(cityById(id).currency, id).toBe('USD');
    expect(cityById('london').currency).toBe('GBP');
    expect(cityById('paris').currency).toBe('EUR');
    expect(cityById('tokyo').currency).toBe('JPY');
    expect(cityById('toronto').currency).toBe('CAD');
    expect(cityById('mexico-city').currency).toBe('MXN');
  });

  it("pins the tax rates that reproduce the guide's totals; others are plausible", () => {
    expect(cityById('las-vegas').taxRate).toBe(0.1238);
    expect(cityById('seattle').taxRate).toBe(0.18156);
    for (const city of CITIES) {
      expect(city.taxRate, city.id).toBeGreaterThanOrEqual(0.1);
      expect(city.taxRate, city.id).toBeLessThanOrEqual(0.2);
    }
  });

  it.each([
    ['find me a las vegas hotel from 5/15 to 5/16', 'las-vegas'],
    ['Vegas baby', 'las-vegas'],
    ['SIN CITY this weekend', 'las-vegas'],
    ['NYC, 2 rooms', 'new-york'],
    ['I love New York', 'new-york'],
    ['new york city tomorrow', 'new-york'],
    ['somewhere in Manhattan', 'new-york'],
    ['a trip to York', 'york'],
    ['L.A. next weekend', 'los-angeles'],
    ['la please', 'los-angeles'],
    ['LA', 'los-angeles'],
    ['Los Angeles', 'los-angeles'],
    ['sf', 'san-francisco'],
    ['san fran', 'san-francisco'],
    ['Frisco!', 'san-francisco'],
    ['dc', 'washington-dc'],
    ['D.C.', 'washington-dc'],
    ['Washington, D.C. on Mar 20', 'washington-dc'],
    ['washington dc', 'washington-dc'],
    ['philly cheesesteak trip', 'philadelphia'],
    ['NOLA', 'new-orleans'],
    ['New Orleans', 'new-orleans'],
    ['chi-town', 'chicago'],
    ['Chi-Town for 2 nights', 'chicago'],
    ['St. Louis', 'st-louis'],
    ['saint louis', 'st-louis'],
    ['Salt Lake City', 'salt-lake-city'],
    ['Montréal', 'montreal'],
    ['Mexico City', 'mexico-city'],
    ['CDMX', 'mexico-city'],
    ['Seattle Mar 20-23 1 room refundable', 'seattle'],
    ['London', 'london'],
    ['Tokyo', 'tokyo'],
    ['Toronto', 'toronto'],
    ['Paris', 'paris'],
    // Longest term wins even when a shorter one of another city appears first.
    ['LA or Las Vegas', 'las-vegas'],
    ['hotel de la Paix in Paris', 'paris'],
  ])('findCity(%j) is %s', (text, id) => {
    expect(findCity(text)?.id).toBe(id);
  });

  it.each([
    'parisian cafe',
    'Romeo and Juliet',
    'the atlantic coast',
    'laundry service',
    'a plaza hotel',
    'Dallasite',
    'sfo',
    'salt',
    'hello there',
    'Las',
    '',
  ])('findCity(%j) finds nothing', (text) => {
    expect(findCity(text)).toBeUndefined();
  });
});

describe('inventory', () => {
  it('includes the golden-path Las Vegas motel exactly', () => {
    expect(hotelNamed('las-vegas', 'Branding Iron Motel')).toEqual({
      hotelId: '69450b14fc4f2dc72399a9ba',
      cityId: 'las-vegas',
      name: 'Branding Iron Motel',
      rating: 2,
      distanceTo: '2.7 miles from Las Vegas',
      nightlyPrice: 98.11,
      refundable: true,
      detailsPath: '/book/hotel/69450b14fc4f2dc72399a9ba',
    });
  });

  it('makes Branding Iron Motel the cheapest refundable hotel in Las Vegas', () => {
    const refundable = hotelsIn('las-vegas').filter((h) => h.refundable);
    const cheapest = [...refundable].sort((a, b) => a.nightlyPrice - b.nightlyPrice);
    expect(cheapest[0]?.name).toBe('Branding Iron Motel');
    for (const h of refundable.slice(1)) expect(h.nightlyPrice).toBeGreaterThan(98.11);
  });

  it('includes the quickstart Seattle inn exactly', () => {
    const inn = hotelNamed('seattle', 'Inn at the Market');
    expect(inn).toMatchObject({ cityId: 'seattle', rating: 4.8, nightlyPrice: 276.66, refundable: true });
    expect(inn.distanceTo).toMatch(/^\d+\.\d miles from Seattle$/);
  });

  it('makes Inn at the Market the strictly highest-rated refundable hotel in Seattle', () => {
    const others = hotelsIn('seattle').filter((h) => h.refundable && h.name !== 'Inn at the Market');
    expect(others.length).toBeGreaterThan(0);
    for (const h of others) expect(h.rating).toBeLessThan(4.8);
  });

  it('reproduces the guide totals', () => {
    expect(totalPrice(98.11, 1, 0.1238)).toBe(110.26);
    expect(totalPrice(276.66, 3, 0.18156)).toBe(980.67);
  });

  it('rounds half-up on cents without float artefacts', () => {
    // 10.00 * 1.0005 = 10.005 exactly, but 10 * 1.0005 * 100 is 1000.4999... in floats.
    expect(totalPrice(10, 1, 0.0005)).toBe(10.01);
    expect(totalPrice(0.01, 1, 0.5)).toBe(0.02);
    expect(totalPrice(100, 2, 0)).toBe(200);
    expect(totalPrice(99.99, 7, 0.15)).toBe(804.92); // 699.93 * 1.15 = 804.9195
  });

  it('gives every city 6-8 well-formed hotels', () => {
    const allIds = new Set<string>();
    for (const city of CITIES) {
      const hotels = hotelsIn(city.id);
      expect(hotels.length, city.id).toBeGreaterThanOrEqual(6);
      expect(hotels.length, city.id).toBeLessThanOrEqual(8);
      expect(new Set(hotels.map((h) => h.name)).size, city.id).toBe(hotels.length);
      expect(hotels.some((h) => h.refundable), city.id).toBe(true);
      const unit = city.currency === 'USD' ? 'miles' : 'km';
      for (const h of hotels) {
        expect(h.hotelId).toMatch(/^[0-9a-f]{24}$/);
        allIds.add(h.hotelId);
        expect(h.cityId).toBe(city.id);
        expect(h.detailsPath).toBe(`/book/hotel/${h.hotelId}`);
        expect(h.distanceTo).toBe(`${h.distanceTo.split(' ')[0]} ${unit} from ${city.name}`);
        expect(h.distanceTo).toMatch(/^\d+\.\d /);
        expect(h.nightlyPrice).toBeGreaterThan(0);
        expect(Math.round(h.nightlyPrice * 100) / 100).toBe(h.nightlyPrice);
        expect(h.rating).toBeGreaterThanOrEqual(1);
        expect(h.rating).toBeLessThanOrEqual(5);
        // A hotel name must never read as a city, or "book <name>" would look like a search.
        expect(findCity(h.name), h.name).toBeUndefined();
      }
    }
    expect(allIds.size).toBe(CITIES.reduce((n, c) => n + hotelsIn(c.id).length, 0));
  });

  it('prices yen in whole units', () => {
    for (const h of hotelsIn('tokyo')) expect(Number.isInteger(h.nightlyPrice)).toBe(true);
  });

  it('returns nothing for an unknown city', () => {
    expect(hotelsIn('atlantis')).toEqual([]);
  });

  it('is deterministic across calls and fresh module loads', async () => {
    expect(hotelsIn('new-york')).toBe(hotelsIn('new-york'));
    const before = CITIES.map((c) => hotelsIn(c.id));
    vi.resetModules();
    const fresh = await import('../../sandbox/inventory.ts');
    expect(CITIES.map((c) => fresh.hotelsIn(c.id))).toEqual(before);
  });

  it('keeps generated ids stable between versions', () => {
    // Pinned so a change to the generator (which would break stored bookings' links) is noticed.
    const first = hotelsIn('new-york')[0];
    expect(first && { name: first.name, hotelId: first.hotelId }).toEqual(PINNED_NEW_YORK_FIRST);
  });
});

const PINNED_NEW_YORK_FIRST = { name: 'Old Town Boutique Hotel', hotelId: 'ed5b6c97e13d308df4b52e72' };
