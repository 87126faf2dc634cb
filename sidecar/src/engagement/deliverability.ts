import type { Clock } from '../clock';
import type { Pool } from '../db/pool';
import type { Row } from '../db/sql';
import { badRequest } from '../errors';
import { localParts } from '../flows/local-time';
import { addDays, formatLocalDate, parseLocalDate, utcBounds, type LocalDate } from '../reports/days';
import type { StoreSettings } from '../shop/store-settings';
import { engagementQueries } from './queries';

// The daily deliverability summary: per flow and overall, what became of the messages submitted on
// a shop day (and over the 7 days ending with it), with a warning where mailbox providers start to
// block: complaints above 0.1% of delivered mail, bounces above 2% of submitted mail.

export const COMPLAINT_THRESHOLD = 0.001;
export const BOUNCE_THRESHOLD = 0.02;

export interface Counts {
  submitted: number;
  delivered: number;
  bounced: number;
  complained: number;
  unsubscribed: number;
}
/** delivered and bounced per submitted; complained and unsubscribed per delivered, as providers count spam rates. */
export interface Rates {
  delivered: number | null;
  bounced: number | null;
  complained: number | null;
  unsubscribed: number | null;
}
export interface WindowSummary {
  from: string;
  to: string;
  overall: Counts & { rates: Rates };
  flows: Array<{ flow: string } & Counts & { rates: Rates }>;
}
export interface DeliverabilityWarning {
  code: 'complaint_rate' | 'bounce_rate';
  flow: string | null;
  rate: number;
  threshold: number;
  window: 'trailing_7_days';
}
export interface DeliverabilitySummary {
  date: string;
  timezone: string;
  thresholds: { complaint_rate: number; bounce_rate: number };
  day: WindowSummary;
  trailing_7_days: WindowSummary;
  warnings: DeliverabilityWarning[];
}

/** `date` as YYYY-MM-DD (a shop day); absent means yesterday in the shop's zone. Throws 400 with a stable code. */
export function parseDeliverabilityDate(query: Record<string, unknown>): LocalDate | null {
  const raw = query.date;
  if (raw === undefined) return null;
  const parsed = typeof raw === 'string' ? parseLocalDate(raw) : null;
  if (!parsed) throw badRequest('date_invalid', 'date must be a real date as YYYY-MM-DD');
  return parsed;
}

const ratio = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 1e6) / 1e6 : null);
const withRates = <T extends Counts>(c: T): T & { rates: Rates } => ({
  ...c,
  rates: { delivered: ratio(c.delivered, c.submitted), bounced: ratio(c.bounced, c.submitted), complained: ratio(c.complained, c.delivered), unsubscribed: ratio(c.unsubscribed, c.delivered) },
});
// Compared in integers, so a rate exactly at the threshold (1 in 1000, 1 in 50) is not over it.
const complaintsOver = (c: Counts) => c.delivered > 0 && c.complained * 1000 > c.delivered;
const bouncesOver = (c: Counts) => c.submitted > 0 && c.bounced * 50 > c.submitted;

export type DeliverabilityService = ReturnType<typeof createDeliverabilityService>;

export function createDeliverabilityService(d: { pool: Pool; prefix: string; clock: Clock; settings: () => Promise<StoreSettings> }) {
  const q = engagementQueries(d.prefix);

  async function summarise(from: LocalDate, to: LocalDate, zone: string): Promise<WindowSummary> {
    const { start, end } = utcBounds(from, to, zone);
    const [rows] = await d.pool.query<Row[]>(q.deliverabilityByFlow, [start, end]);
    const overall: Counts = { submitted: 0, delivered: 0, bounced: 0, complained: 0, unsubscribed: 0 };
    const flows = rows
      .map((r) => {
        const c = { flow: String(r.flow), submitted: Number(r.submitted), delivered: Number(r.delivered), bounced: Number(r.bounced), complained: Number(r.complained), unsubscribed: Number(r.unsubscribed) };
        for (const k of ['submitted', 'delivered', 'bounced', 'complained', 'unsubscribed'] as const) overall[k] += c[k];
        return withRates(c);
      })
      .sort((a, b) => a.flow.localeCompare(b.flow));
    return { from: formatLocalDate(from), to: formatLocalDate(to), overall: withRates(overall), flows };
  }

  return {
    async build(date: LocalDate | null): Promise<DeliverabilitySummary> {
      const zone = (await d.settings()).timezone;
      const today = localParts(d.clock.now(), zone);
      const day = date ?? addDays({ year: today.year, month: today.month, day: today.day }, -1);
      const [one, seven] = await Promise.all([summarise(day, day, zone), summarise(addDays(day, -6), day, zone)]);
      // Judged over 7 days: a small shop's single day (40 emails, 1 complaint = 2.5%) is noise, and
      // providers themselves look at reputation over days, not hours.
      const warnings: DeliverabilityWarning[] = [];
      for (const s of [{ flow: null, ...seven.overall }, ...seven.flows]) {
        if (complaintsOver(s)) warnings.push({ code: 'complaint_rate', flow: s.flow, rate: s.rates.complained!, threshold: COMPLAINT_THRESHOLD, window: 'trailing_7_days' });
        if (bouncesOver(s)) warnings.push({ code: 'bounce_rate', flow: s.flow, rate: s.rates.bounced!, threshold: BOUNCE_THRESHOLD, window: 'trailing_7_days' });
      }
      return {
        date: formatLocalDate(day),
        timezone: zone,
        thresholds: { complaint_rate: COMPLAINT_THRESHOLD, bounce_rate: BOUNCE_THRESHOLD },
        day: one,
        trailing_7_days: seven,
        warnings,
      };
    },
  };
}

/** The CLI's table: one line per flow for the day and the 7 days, then the warnings. */
export function formatDeliverability(s: DeliverabilitySummary): string {
  const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(2)}%`);
  const lines = [`deliverability for ${s.date} (${s.timezone}); warnings judged over ${s.trailing_7_days.from}..${s.trailing_7_days.to}`];
  for (const [label, w] of [['day', s.day], ['7 days', s.trailing_7_days]] as const) {
    lines.push('', `${label}: flow                 submitted delivered  bounced  complained  unsubscribed`);
    for (const r of [...w.flows, { flow: 'all flows', ...w.overall }]) {
      lines.push(`  ${r.flow.padEnd(26)} ${String(r.submitted).padStart(9)} ${pct(r.rates.delivered).padStart(9)} ${pct(r.rates.bounced).padStart(8)} ${pct(r.rates.complained).padStart(11)} ${pct(r.rates.unsubscribed).padStart(13)}`);
    }
  }
  lines.push('');
  if (!s.warnings.length) lines.push('no warnings');
  for (const w of s.warnings) lines.push(`WARNING ${w.code} ${w.flow ?? 'all flows'}: ${pct(w.rate)} over ${pct(w.threshold)}`);
  return `${lines.join('\n')}\n`;
}
