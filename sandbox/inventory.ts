// The sandbox's hotel inventory: a fixed fixture, identical on every run. Las Vegas and Seattle
// are written by hand because the API guides' examples are replayed against them; every other
// city gets 6-8 hotels generated from a name table and a small PRNG seeded by the city id.
import { CITIES, type City } from './gazetteer.ts';
import { seededRandom } from './ids.ts';

export interface Hotel {
  /** 24 lower-case hex characters, stable across runs. */
  hotelId: string;
  cityId: string;
  name: string;
  /** Guest rating out of 5. */
  rating: number;
  /** e.g. "2.7 miles from Las Vegas" (km outside the US). */
  distanceTo: string;
  /** Per room per night before tax, in the city's currency. */
  nightlyPrice: number;
  refundable: boolean;
  /** Path of the hotel's page on the sandbox portal, e.g. "/book/hotel/<hotelId>". */
  detailsPath: string;
}

/** A hand-written hotel; the id is derived from city and name unless pinned. */
interface HotelSpec {
  name: string;
  rating: number;
  distance: number;
  nightlyPrice: number;
  refundable: boolean;
  hotelId?: string;
}

const HAND_WRITTEN: Readonly<Record<string, readonly HotelSpec[]>> = {
  // Branding Iron Motel is the cheapest refundable stay (the golden path's "cheap and refundable"
  // pick); Fremont Budget Inn undercuts it but is non-refundable. Its id is the guide's detailsUrl id.
  'las-vegas': [
    { name: 'Branding Iron Motel', rating: 2, distance: 2.7, nightlyPrice: 98.11, refundable: true, hotelId: '69450b14fc4f2dc72399a9ba' },
    { name: 'Fremont Budget Inn', rating: 2.3, distance: 3.4, nightlyPrice: 74.2, refundable: false },
    { name: 'Paradise Road Inn', rating: 2.8, distance: 1.9, nightlyPrice: 104.5, refundable: false },
    { name: 'Silver Spur Casino Hotel', rating: 3.1, distance: 0.8, nightlyPrice: 119.99, refundable: true },
    { name: 'Desert Palms Suites', rating: 3.5, distance: 4.6, nightlyPrice: 142.75, refundable: false },
    { name: 'Neon Strip Resort & Casino', rating: 4.2, distance: 0.5, nightlyPrice: 189, refundable: true },
    { name: 'Bellagrande Hotel & Spa', rating: 4.6, distance: 0.3, nightlyPrice: 329.4, refundable: true },
  ],
  // Inn at the Market is the best-rated refundable stay (the quickstart's "refundable" search,
  // sorted by rating); Pike Place Waterfront Hotel rates higher but is non-refundable.
  seattle: [
    { name: 'Inn at the Market', rating: 4.8, distance: 0.4, nightlyPrice: 276.66, refundable: true },
    { name: 'Pike Place Waterfront Hotel', rating: 4.9, distance: 0.6, nightlyPrice: 412, refundable: false },
    { name: 'Belltown Lofts', rating: 4.6, distance: 0.9, nightlyPrice: 299, refundable: true },
    { name: 'Space Needle View Suites', rating: 4.5, distance: 1.2, nightlyPrice: 239, refundable: true },
    { name: 'Capitol Hill Guesthouse', rating: 4.2, distance: 1.6, nightlyPrice: 148, refundable: false },
    { name: 'Pioneer Square Hotel', rating: 3.9, distance: 0.7, nightlyPrice: 169, refundable: true },
    { name: 'Sea-Tac Airport Inn', rating: 3.2, distance: 12.8, nightlyPrice: 119, refundable: true },
  ],
  // Accents and an emoji in real-world names: they must survive every channel end to end.
  montreal: [
    { name: 'Hôtel Château Étoile ✨🏨', rating: 4.7, distance: 0.6, nightlyPrice: 289, refundable: true },
    { name: 'Auberge du Vieux-Port', rating: 4.5, distance: 0.9, nightlyPrice: 245, refundable: true },
    { name: 'Hôtel Plateau Mont-Royal', rating: 4.1, distance: 2.3, nightlyPrice: 179, refundable: false },
    { name: 'Maison Saint-Denis', rating: 3.8, distance: 1.7, nightlyPrice: 149, refundable: true },
    { name: 'Le Petit Hôtel Café ☕', rating: 4.3, distance: 0.8, nightlyPrice: 199, refundable: false },
    { name: 'Gîte Rue Sherbrooke', rating: 3.4, distance: 3.1, nightlyPrice: 112, refundable: true },
  ],
};

// City-free names, so a hotel name never reads as a city mention (tested).
const GENERATED_NAMES = [
  'The Meridian Hotel',
  'Parkside Suites',
  'Grand Plaza Hotel',
  'Riverside Lodge',
  'Old Town Boutique Hotel',
  'Airport Inn & Suites',
  'The Harbor House',
  'Copper Kettle Inn',
  'Central Station Hotel',
  'The Regent Tower',
  'Lakeview Resort & Spa',
  'Maple Court Inn',
] as const;

// Rough units per US dollar, so generated prices look local.
const PER_USD: Readonly<Record<string, number>> = {
  USD: 1, GBP: 0.8, EUR: 0.92, JPY: 150, CAD: 1.36, MXN: 17, AUD: 1.5, AED: 3.67, SGD: 1.35,
};

/** FNV-1a: a string to a 32-bit seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function hexId(key: string): string {
  const next = seededRandom(hash32(key));
  let id = '';
  for (let i = 0; i < 3; i++) id += Math.floor(next() * 4294967296).toString(16).padStart(8, '0');
  return id;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100 + Number.EPSILON) / 100;

function makeHotel(city: City, spec: HotelSpec): Hotel {
  const hotelId = spec.hotelId ?? hexId(`${city.id}|${spec.name}`);
  const unit = city.currency === 'USD' ? 'miles' : 'km';
  return Object.freeze({
    hotelId,
    cityId: city.id,
    name: spec.name,
    rating: spec.rating,
    distanceTo: `${spec.distance.toFixed(1)} ${unit} from ${city.name}`,
    nightlyPrice: spec.nightlyPrice,
    refundable: spec.refundable,
    detailsPath: `/book/hotel/${hotelId}`,
  });
}

function generateSpecs(city: City): HotelSpec[] {
  const next = seededRandom(hash32(city.id));
  // Seeded Fisher-Yates shuffle, then keep the first 6-8 names.
  const names: string[] = [...GENERATED_NAMES];
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  const count = 6 + Math.floor(next() * 3);
  const perUsd = PER_USD[city.currency] ?? 1;
  return names.slice(0, count).map((name, i) => {
    const rating = round1(2.5 + next() * 2.4);
    // Better-rated hotels cost more, with some noise.
    const usd = 70 + (rating - 2.5) * 90 + next() * 60;
    const local = usd * perUsd;
    return {
      name,
      rating,
      distance: round1(0.2 + next() * 8),
      // Yen has no minor unit, so yen prices are whole.
      nightlyPrice: city.currency === 'JPY' ? Math.round(local) : round2(local),
      // The first two are always refundable so a "refundable" search finds something everywhere.
      refundable: i < 2 || next() < 0.5,
    };
  });
}

const BY_CITY: ReadonlyMap<string, readonly Hotel[]> = new Map(
  CITIES.map((city) => {
    const specs = HAND_WRITTEN[city.id] ?? generateSpecs(city);
    return [city.id, Object.freeze(specs.map((s) => makeHotel(city, s)))] as const;
  }),
);

/** The hotels of a gazetteer city (empty for an unknown id). Same objects on every call. */
export function hotelsIn(cityId: string): readonly Hotel[] {
  return BY_CITY.get(cityId) ?? [];
}

/**
 * Stay total with tax, rounded half-up to the cent. Computed in integers (cents and millionths
 * of the rate) so float artefacts like 1.005 * 100 = 100.49999 cannot flip the rounding.
 * Rates are taken to 6 decimal places.
 */
export function totalPrice(nightlyPrice: number, nights: number, taxRate: number): number {
  const subtotalCents = Math.round(nightlyPrice * 100) * nights;
  const scaled = subtotalCents * (1_000_000 + Math.round(taxRate * 1_000_000)); // cents * 1e6
  const withHalf = scaled + 500_000;
  const cents = (withHalf - (withHalf % 1_000_000)) / 1_000_000;
  return cents / 100;
}
