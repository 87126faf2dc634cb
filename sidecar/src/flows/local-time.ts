// The contact's own clock: quiet hours, birthdays at 09:00 and daily scans are in local time.

/**
 * A representative time zone per billing country. Countries spanning several zones get their most
 * populous one; the shop's own zone is used instead when the contact is in the shop's country.
 */
const COUNTRY_ZONES: Record<string, string> = {
  AE: 'Asia/Dubai', AR: 'America/Argentina/Buenos_Aires', AT: 'Europe/Vienna', AU: 'Australia/Sydney', BE: 'Europe/Brussels',
  BG: 'Europe/Sofia', BR: 'America/Sao_Paulo', CA: 'America/Toronto', CH: 'Europe/Zurich', CL: 'America/Santiago',
  CN: 'Asia/Shanghai', CO: 'America/Bogota', CY: 'Asia/Nicosia', CZ: 'Europe/Prague', DE: 'Europe/Berlin', DK: 'Europe/Copenhagen',
  EE: 'Europe/Tallinn', EG: 'Africa/Cairo', ES: 'Europe/Madrid', FI: 'Europe/Helsinki', FR: 'Europe/Paris', GB: 'Europe/London',
  GR: 'Europe/Athens', HK: 'Asia/Hong_Kong', HR: 'Europe/Zagreb', HU: 'Europe/Budapest', ID: 'Asia/Jakarta', IE: 'Europe/Dublin',
  IL: 'Asia/Jerusalem', IN: 'Asia/Kolkata', IR: 'Asia/Tehran', IS: 'Atlantic/Reykjavik', IT: 'Europe/Rome', JO: 'Asia/Amman',
  JP: 'Asia/Tokyo', KE: 'Africa/Nairobi', KR: 'Asia/Seoul', KW: 'Asia/Kuwait', LB: 'Asia/Beirut', LT: 'Europe/Vilnius',
  LU: 'Europe/Luxembourg', LV: 'Europe/Riga', MA: 'Africa/Casablanca', ME: 'Europe/Podgorica', MT: 'Europe/Malta', MX: 'America/Mexico_City',
  MY: 'Asia/Kuala_Lumpur', NG: 'Africa/Lagos', NL: 'Europe/Amsterdam', NO: 'Europe/Oslo', NZ: 'Pacific/Auckland', PE: 'America/Lima',
  PH: 'Asia/Manila', PK: 'Asia/Karachi', PL: 'Europe/Warsaw', PT: 'Europe/Lisbon', QA: 'Asia/Qatar', RO: 'Europe/Bucharest',
  RS: 'Europe/Belgrade', RU: 'Europe/Moscow', SA: 'Asia/Riyadh', SE: 'Europe/Stockholm', SG: 'Asia/Singapore', SI: 'Europe/Ljubljana',
  SK: 'Europe/Bratislava', TH: 'Asia/Bangkok', TR: 'Europe/Istanbul', TW: 'Asia/Taipei', UA: 'Europe/Kyiv', US: 'America/New_York',
  VN: 'Asia/Ho_Chi_Minh', ZA: 'Africa/Johannesburg',
};

/** The contact's zone: from their billing country, else the shop's. */
export function contactZone(country: string | null | undefined, shopZone: string, shopCountry: string): string {
  if (!country || country === shopCountry) return shopZone;
  return COUNTRY_ZONES[country] ?? shopZone;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/**
 * One formatter per zone, made once: each costs ICU tens of microseconds and native memory the
 * garbage collector does not see (a scan making one per row grew the process by 100 MB). A zone
 * Intl does not know reads as UTC.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    const make = (timeZone: string) => new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    try {
      f = make(zone);
    } catch {
      f = make('UTC');
    }
    if (formatters.size < 1000) formatters.set(zone, f);
  }
  return f;
}

/** "+05:30" → minutes east of UTC; null for a named zone. */
function fixedOffsetMinutes(zone: string): number | null {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(zone);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : null;
}

/** The wall-clock date and time in a zone (an IANA name or a fixed offset such as "+02:00"). */
export function localParts(at: Date, zone: string): LocalParts {
  // WordPress leaves a fixed offset when a shop set only gmt_offset; Node 20's Intl cannot read those.
  const offset = fixedOffsetMinutes(zone);
  if (offset !== null) {
    const t = new Date(at.getTime() + offset * 60_000);
    return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: t.getUTCHours(), minute: t.getUTCMinutes() };
  }
  const parts = Object.fromEntries(formatter(zone).formatToParts(at).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

/** The instant at which a zone's clock shows the given wall time (inside a DST gap, within an hour of it). */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, zone: string): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const p = localParts(new Date(guess), zone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    const diff = wall - shown;
    if (diff === 0) break;
    guess += diff;
  }
  return new Date(guess);
}

/** "09:30" → [9, 30]. */
export function parseClock(text: string | null | undefined, fallback: [number, number]): [number, number] {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text ?? '');
  if (!m) return fallback;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h < 24 && min < 60 ? [h, min] : fallback;
}
