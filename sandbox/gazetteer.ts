// The sandbox's fixed list of cities and a matcher that finds one mentioned in free text.
// Tax rates are flat "all taxes and fees" rates applied to the room subtotal; Las Vegas and
// Seattle are pinned so the API guides' example totals (110.26, 980.67) come out exactly.

export interface City {
  /** Stable slug, e.g. "las-vegas"; keys the hotel inventory. */
  id: string;
  /** Display name, e.g. "Las Vegas". Always matched, so it is not repeated in `aliases`. */
  name: string;
  /** Other lower-case ways travellers write the city ("vegas", "nyc", "l.a."). */
  aliases: string[];
  /** ISO 4217 code of the prices quoted in this city. */
  currency: string;
  /** Combined tax rate on the room subtotal, e.g. 0.1238 for 12.38%. */
  taxRate: number;
}

export const CITIES: readonly City[] = [
  // United States
  { id: 'new-york', name: 'New York', aliases: ['new york city', 'nyc', 'manhattan', 'brooklyn', 'big apple'], currency: 'USD', taxRate: 0.14875 },
  { id: 'los-angeles', name: 'Los Angeles', aliases: ['la', 'l.a.', 'hollywood', 'city of angels'], currency: 'USD', taxRate: 0.155 },
  { id: 'chicago', name: 'Chicago', aliases: ['chi-town', 'chitown', 'windy city'], currency: 'USD', taxRate: 0.174 },
  { id: 'san-francisco', name: 'San Francisco', aliases: ['sf', 'san fran', 'frisco', 'bay area'], currency: 'USD', taxRate: 0.16 },
  { id: 'las-vegas', name: 'Las Vegas', aliases: ['vegas', 'sin city'], currency: 'USD', taxRate: 0.1238 },
  { id: 'seattle', name: 'Seattle', aliases: ['emerald city'], currency: 'USD', taxRate: 0.18156 },
  { id: 'boston', name: 'Boston', aliases: ['beantown'], currency: 'USD', taxRate: 0.1495 },
  { id: 'washington-dc', name: 'Washington, D.C.', aliases: ['washington dc', 'washington', 'dc', 'd.c.'], currency: 'USD', taxRate: 0.1495 },
  { id: 'miami', name: 'Miami', aliases: ['south beach'], currency: 'USD', taxRate: 0.13 },
  { id: 'orlando', name: 'Orlando', aliases: ['walt disney world'], currency: 'USD', taxRate: 0.125 },
  { id: 'atlanta', name: 'Atlanta', aliases: ['atl', 'hotlanta'], currency: 'USD', taxRate: 0.169 },
  { id: 'dallas', name: 'Dallas', aliases: ['dfw'], currency: 'USD', taxRate: 0.15 },
  { id: 'houston', name: 'Houston', aliases: ['h-town'], currency: 'USD', taxRate: 0.17 },
  { id: 'austin', name: 'Austin', aliases: ['atx'], currency: 'USD', taxRate: 0.17 },
  { id: 'san-antonio', name: 'San Antonio', aliases: ['satx'], currency: 'USD', taxRate: 0.1675 },
  { id: 'denver', name: 'Denver', aliases: ['mile high city'], currency: 'USD', taxRate: 0.1475 },
  { id: 'phoenix', name: 'Phoenix', aliases: ['phx'], currency: 'USD', taxRate: 0.1327 },
  { id: 'san-diego', name: 'San Diego', aliases: [], currency: 'USD', taxRate: 0.125 },
  { id: 'san-jose', name: 'San Jose', aliases: [], currency: 'USD', taxRate: 0.14 },
  { id: 'philadelphia', name: 'Philadelphia', aliases: ['philly'], currency: 'USD', taxRate: 0.155 },
  { id: 'new-orleans', name: 'New Orleans', aliases: ['nola', 'big easy'], currency: 'USD', taxRate: 0.1575 },
  { id: 'nashville', name: 'Nashville', aliases: ['music city'], currency: 'USD', taxRate: 0.16 },
  { id: 'portland', name: 'Portland', aliases: ['pdx'], currency: 'USD', taxRate: 0.155 },
  { id: 'honolulu', name: 'Honolulu', aliases: ['waikiki'], currency: 'USD', taxRate: 0.18 },
  { id: 'salt-lake-city', name: 'Salt Lake City', aliases: ['salt lake', 'slc'], currency: 'USD', taxRate: 0.1307 },
  { id: 'minneapolis', name: 'Minneapolis', aliases: ['mpls', 'twin cities'], currency: 'USD', taxRate: 0.1338 },
  { id: 'detroit', name: 'Detroit', aliases: ['motor city'], currency: 'USD', taxRate: 0.15 },
  { id: 'kansas-city', name: 'Kansas City', aliases: ['kc', 'kcmo'], currency: 'USD', taxRate: 0.1685 },
  { id: 'st-louis', name: 'St. Louis', aliases: ['st louis', 'saint louis', 'stl'], currency: 'USD', taxRate: 0.1742 },
  // International
  { id: 'london', name: 'London', aliases: ['ldn'], currency: 'GBP', taxRate: 0.2 },
  { id: 'york', name: 'York', aliases: [], currency: 'GBP', taxRate: 0.2 },
  { id: 'paris', name: 'Paris', aliases: ['city of light'], currency: 'EUR', taxRate: 0.1 },
  { id: 'rome', name: 'Rome', aliases: ['roma'], currency: 'EUR', taxRate: 0.1 },
  { id: 'barcelona', name: 'Barcelona', aliases: ['bcn'], currency: 'EUR', taxRate: 0.1 },
  { id: 'amsterdam', name: 'Amsterdam', aliases: [], currency: 'EUR', taxRate: 0.125 },
  { id: 'berlin', name: 'Berlin', aliases: [], currency: 'EUR', taxRate: 0.145 },
  { id: 'tokyo', name: 'Tokyo', aliases: [], currency: 'JPY', taxRate: 0.1 },
  { id: 'toronto', name: 'Toronto', aliases: [], currency: 'CAD', taxRate: 0.17 },
  { id: 'vancouver', name: 'Vancouver', aliases: [], currency: 'CAD', taxRate: 0.16 },
  { id: 'montreal', name: 'Montreal', aliases: ['mtl'], currency: 'CAD', taxRate: 0.17 },
  { id: 'mexico-city', name: 'Mexico City', aliases: ['cdmx', 'ciudad de mexico'], currency: 'MXN', taxRate: 0.19 },
  { id: 'cancun', name: 'Cancun', aliases: [], currency: 'MXN', taxRate: 0.19 },
  { id: 'sydney', name: 'Sydney', aliases: [], currency: 'AUD', taxRate: 0.1 },
  { id: 'dubai', name: 'Dubai', aliases: [], currency: 'AED', taxRate: 0.2 },
  { id: 'singapore', name: 'Singapore', aliases: [], currency: 'SGD', taxRate: 0.19 },
];

/**
 * Lower-case words of `text`, with accents folded ("Montréal" -> montreal), dotted initials
 * joined ("L.A." -> la, "D.C." -> dc) and every other punctuation mark treated as a word break,
 * so matching whole words is comparing array elements.
 */
function words(text: string): string[] {
  const folded = text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\b([a-z])\.(?=[a-z]\b)/g, '$1')
    .replace(/['’]/g, '');
  return folded.split(/[^a-z0-9]+/).filter((w) => w.length > 0);
}

interface Term {
  city: City;
  words: string[];
  length: number;
}

// Every name and alias as a word list, built once.
const TERMS: readonly Term[] = CITIES.flatMap((city) =>
  [city.name, ...city.aliases].map((term) => {
    const w = words(term);
    return { city, words: w, length: w.join(' ').length };
  }),
);

function indexOfRun(haystack: string[], needle: string[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/**
 * The city mentioned in `text`, matching names and aliases as whole words. When several match,
 * the longest term wins ("new york" over "york"), then the earliest in the text.
 */
export function findCity(text: string): City | undefined {
  const textWords = words(text);
  let best: { term: Term; at: number } | undefined;
  for (const term of TERMS) {
    const at = indexOfRun(textWords, term.words);
    if (at < 0) continue;
    if (!best || term.length > best.term.length || (term.length === best.term.length && at < best.at)) {
      best = { term, at };
    }
  }
  return best?.term.city;
}
