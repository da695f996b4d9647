// The traveller's time zone from their number's country calling code, read before the number is
// hashed and never kept: a country (code) with a single IANA zone gives it; anything else
// (+1's many zones, Spain's Canaries, Australia…) gives undefined, and replies say times in UTC.
// Codes shared by several countries with one clock each (+7, +1) count as several zones.

/** Calling code → the one IANA zone of the country it belongs to (only single-zone countries). */
const SINGLE_ZONE: Record<string, string> = {
  '20': 'Africa/Cairo',
  '27': 'Africa/Johannesburg',
  '30': 'Europe/Athens',
  '31': 'Europe/Amsterdam',
  '32': 'Europe/Brussels',
  '33': 'Europe/Paris',
  '36': 'Europe/Budapest',
  '39': 'Europe/Rome',
  '40': 'Europe/Bucharest',
  '41': 'Europe/Zurich',
  '43': 'Europe/Vienna',
  '44': 'Europe/London',
  '45': 'Europe/Copenhagen',
  '46': 'Europe/Stockholm',
  '47': 'Europe/Oslo',
  '48': 'Europe/Warsaw',
  '49': 'Europe/Berlin',
  '51': 'America/Lima',
  '53': 'America/Havana',
  '54': 'America/Argentina/Buenos_Aires',
  '57': 'America/Bogota',
  '58': 'America/Caracas',
  '60': 'Asia/Kuala_Lumpur',
  '63': 'Asia/Manila',
  '65': 'Asia/Singapore',
  '66': 'Asia/Bangkok',
  '81': 'Asia/Tokyo',
  '82': 'Asia/Seoul',
  '84': 'Asia/Ho_Chi_Minh',
  '86': 'Asia/Shanghai',
  '90': 'Europe/Istanbul',
  '91': 'Asia/Kolkata',
  '92': 'Asia/Karachi',
  '94': 'Asia/Colombo',
  '212': 'Africa/Casablanca',
  '216': 'Africa/Tunis',
  '233': 'Africa/Accra',
  '234': 'Africa/Lagos',
  '254': 'Africa/Nairobi',
  '255': 'Africa/Dar_es_Salaam',
  '256': 'Africa/Kampala',
  '353': 'Europe/Dublin',
  '354': 'Atlantic/Reykjavik',
  '358': 'Europe/Helsinki',
  '420': 'Europe/Prague',
  '852': 'Asia/Hong_Kong',
  '880': 'Asia/Dhaka',
  '886': 'Asia/Taipei',
  '961': 'Asia/Beirut',
  '962': 'Asia/Amman',
  '965': 'Asia/Kuwait',
  '966': 'Asia/Riyadh',
  '971': 'Asia/Dubai',
  '972': 'Asia/Jerusalem',
  '974': 'Asia/Qatar',
};

/** The zone of `whatsapp:+<digits>` when its country has only one; undefined otherwise. */
export function timeZoneOfNumber(address: string): string | undefined {
  const digits = /^(?:whatsapp:)?\+(\d{6,15})$/.exec(address)?.[1];
  if (!digits) return undefined;
  // Calling codes are prefix-free: at most one of the 1-, 2- and 3-digit prefixes is a code.
  for (const length of [1, 2, 3]) {
    const zone = SINGLE_ZONE[digits.slice(0, length)];
    if (zone) return zone;
  }
  return undefined;
}
