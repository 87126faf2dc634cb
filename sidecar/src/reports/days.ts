import { badRequest } from '../errors';
import { localParts, zonedTime } from '../flows/local-time';

// Reports count per day of the shop's time zone. The database keeps UTC; rather than rely on the
// server's time-zone tables, a range is cut where the zone's offset changes, and each piece is
// queried with its one fixed offset.

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

export interface OffsetSegment {
  from: Date;
  to: Date;
  /** Minutes east of UTC throughout [from, to). */
  offsetMinutes: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function parseLocalDate(text: string): LocalDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { year, month, day };
}

/**
 * `from` and `to` as YYYY-MM-DD (both included, from ≤ to, at most `maxDays`), for the reports API,
 * the report CLI and the simulator; `label` names a field as its caller's user types it. Throws 400
 * date_missing, date_invalid, range_invalid or range_too_long.
 */
export function parseDayRange(input: Record<string, unknown>, maxDays: number, label: (name: 'from' | 'to') => string = (n) => n): { from: LocalDate; to: LocalDate } {
  const read = (name: 'from' | 'to') => {
    const raw = input[name];
    if (raw === undefined || raw === '') throw badRequest('date_missing', `${label(name)} is required (YYYY-MM-DD)`);
    const parsed = typeof raw === 'string' ? parseLocalDate(raw) : null;
    if (!parsed) throw badRequest('date_invalid', `${label(name)} must be a real date as YYYY-MM-DD`);
    return parsed;
  };
  const from = read('from');
  const to = read('to');
  const span = daysBetween(from, to) + 1;
  if (span < 1) throw badRequest('range_invalid', `${label('from')} must not be after ${label('to')}`);
  if (span > maxDays) throw badRequest('range_too_long', `at most ${maxDays} days at once`);
  return { from, to };
}

export const formatLocalDate = (d: LocalDate) => `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

export function addDays(d: LocalDate, n: number): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / (24 * HOUR));
}

/** Minutes east of UTC in `zone` at `at`. */
export function offsetAt(at: Date, zone: string): number {
  const p = localParts(at, zone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return Math.round((wall - Math.floor(at.getTime() / MINUTE) * MINUTE) / MINUTE);
}

/** The UTC instants of local midnight starting `from` and the midnight after `to`. */
export function utcBounds(from: LocalDate, to: LocalDate, zone: string): { start: Date; end: Date } {
  const next = addDays(to, 1);
  return { start: zonedTime(from.year, from.month, from.day, 0, 0, zone), end: zonedTime(next.year, next.month, next.day, 0, 0, zone) };
}

/** Splits [start, end) wherever the zone's offset changes (found to the minute). */
export function offsetSegments(start: Date, end: Date, zone: string): OffsetSegment[] {
  const out: OffsetSegment[] = [];
  let segStart = start.getTime();
  let offset = offsetAt(start, zone);
  // Offsets change at most a few times a year and never twice within six hours.
  for (let t = segStart; t < end.getTime(); ) {
    const probe = Math.min(t + 6 * HOUR, end.getTime());
    const next = offsetAt(new Date(probe), zone);
    if (next !== offset && probe > t) {
      let lo = t;
      let hi = probe; // offset(lo) = offset, offset(hi) ≠ offset
      while (hi - lo > MINUTE) {
        const mid = lo + Math.max(1, Math.floor((hi - lo) / 2 / MINUTE)) * MINUTE;
        if (offsetAt(new Date(mid), zone) === offset) lo = mid;
        else hi = mid;
      }
      out.push({ from: new Date(segStart), to: new Date(hi), offsetMinutes: offset });
      segStart = hi;
      offset = offsetAt(new Date(hi), zone);
      t = hi;
      continue;
    }
    t = probe;
  }
  out.push({ from: new Date(segStart), to: end, offsetMinutes: offset });
  return out;
}
