import type { Pool } from '../db/pool';
import type { Row } from '../db/sql';
import type { FlowDefinition } from '../flows/definitions';
import type { StoreSettings } from '../shop/store-settings';
import { formatLocalDate, offsetSegments, parseDayRange, utcBounds, type LocalDate } from './days';
import { createExperimentReport, type Experiment } from './experiments';
import { formatUnits, toUnits } from './money';
import { reportQueries } from './queries';
import { createReportRollup } from './rollup';

// Per flow, step and shop-local day: what was scheduled and sent, what happened to it (by the day
// the message was submitted), and the orders it earned (by the day of the order).

export const MAX_REPORT_DAYS = 366;

const COUNTS = ['scheduled', 'submitted', 'delivered', 'opened', 'machine_opened', 'clicked', 'unsubscribed', 'bounced', 'complained', 'orders', 'recovered_carts', 'open_orders'] as const;
const MONEY = ['revenue', 'recovered_revenue', 'open_revenue'] as const;
export const METRICS = [
  'scheduled', 'submitted', 'delivered', 'opened', 'machine_opened', 'clicked', 'unsubscribed', 'bounced', 'complained',
  'orders', 'revenue', 'recovered_carts', 'recovered_revenue', 'open_orders', 'open_revenue',
] as const;

type CountName = (typeof COUNTS)[number];
type MoneyName = (typeof MONEY)[number];
export type Metrics = Record<CountName, number> & Record<MoneyName, string>;
type Tally = Record<CountName, number> & Record<MoneyName, bigint>;

export interface ReportRange {
  from: LocalDate;
  to: LocalDate;
}

export interface Report {
  from: string;
  to: string;
  timezone: string;
  currency: string;
  attribution: { model: 'last_click'; window_days: number; open_view: string };
  total: Metrics;
  days: Array<{ date: string } & Metrics>;
  steps: Array<{ flow: string; step: number; total: Metrics; days: Array<{ date: string } & Metrics> }>;
  /** A/B splits (recipients sent in the range) and holdouts (enrollments in the range). */
  experiments: Experiment[];
}

/** Validates `from` and `to` (YYYY-MM-DD, shop days, both included). Throws 400 with a stable code. */
export function parseReportRange(query: Record<string, unknown>): ReportRange {
  return parseDayRange(query, MAX_REPORT_DAYS);
}

const emptyTally = (): Tally => ({
  scheduled: 0, submitted: 0, delivered: 0, opened: 0, machine_opened: 0, clicked: 0, unsubscribed: 0, bounced: 0, complained: 0,
  orders: 0, recovered_carts: 0, open_orders: 0, revenue: 0n, recovered_revenue: 0n, open_revenue: 0n,
});

function addInto(target: Tally, source: Tally): void {
  for (const k of COUNTS) target[k] += source[k];
  for (const k of MONEY) target[k] += source[k];
}

export type ReportService = ReturnType<typeof createReportService>;

export function createReportService(d: {
  pool: Pool; prefix: string; settings: () => Promise<StoreSettings>; windowMs: number; paidStatuses: readonly string[]; sendJobKind: string;
  flows: () => FlowDefinition[];
}) {
  const q = reportQueries(d.prefix);
  const experiments = createExperimentReport({ pool: d.pool, prefix: d.prefix, windowMs: d.windowMs, flows: d.flows });
  const rollup = createReportRollup({ pool: d.pool, prefix: d.prefix, sendJobKind: d.sendJobKind });
  // Orders in a paid status count; `refunded` ones count as orders with their (zero) net revenue.
  const counted = [...new Set([...d.paidStatuses, 'refunded'])];

  return {
    async build(range: ReportRange): Promise<Report> {
      const settings = await d.settings();
      const zone = settings.timezone;
      const { start, end } = utcBounds(range.from, range.to, zone);
      const cells = new Map<string, { flow: string; step: number; day: string; tally: Tally }>();
      const cell = (flow: string, step: number, day: unknown) => {
        const date = day instanceof Date ? day.toISOString().slice(0, 10) : String(day).slice(0, 10);
        const key = `${flow}\u0000${step}\u0000${date}`;
        let c = cells.get(key);
        if (!c) cells.set(key, (c = { flow, step, day: date, tally: emptyTally() }));
        return c.tally;
      };

      // Scheduled and message figures from the per-day rollup, brought up to date first.
      await rollup.refresh(zone);
      for (const r of await rollup.days(range.from, range.to)) {
        const t = cell(r.flow, Number(r.step), r.day);
        for (const k of ['scheduled', 'submitted', 'delivered', 'opened', 'machine_opened', 'clicked', 'unsubscribed', 'bounced', 'complained'] as const) t[k] += Number(r[k]);
      }
      // Orders change for weeks (refunds, late statuses) and are few: counted live.
      for (const seg of offsetSegments(start, end, zone)) {
        const [[clicks], [opens], [carts]] = await Promise.all([
          d.pool.query<Row[]>(q.clickOrdersByDay, [seg.offsetMinutes, settings.currency, seg.from, seg.to, counted]),
          d.pool.query<Row[]>(q.openOrdersByDay, [seg.offsetMinutes, settings.currency, seg.from, seg.to, counted]),
          d.pool.query<Row[]>(q.cartOrdersByDay, [seg.offsetMinutes, settings.currency, seg.from, seg.to, counted]),
        ]);
        for (const r of clicks) {
          const t = cell(r.flow, Number(r.step), r.day);
          t.orders += Number(r.orders);
          t.revenue += toUnits(r.revenue);
        }
        for (const r of opens) {
          const t = cell(r.flow, Number(r.step), r.day);
          t.open_orders += Number(r.orders);
          t.open_revenue += toUnits(r.revenue);
        }
        for (const r of carts) {
          const t = cell(r.flow, Number(r.step), r.day);
          t.recovered_carts += Number(r.orders);
          t.recovered_revenue += toUnits(r.revenue);
        }
      }

      const show = (t: Tally): Metrics => {
        const out = {} as Record<string, number | string>;
        for (const k of METRICS) out[k] = typeof t[k] === 'bigint' ? formatUnits(t[k] as bigint, settings.decimals) : (t[k] as number);
        return out as Metrics;
      };

      const total = emptyTally();
      const byDay = new Map<string, Tally>();
      const bySteps = new Map<string, { flow: string; step: number; total: Tally; days: Map<string, Tally> }>();
      for (const c of cells.values()) {
        addInto(total, c.tally);
        if (!byDay.has(c.day)) byDay.set(c.day, emptyTally());
        addInto(byDay.get(c.day)!, c.tally);
        const key = `${c.flow}\u0000${c.step}`;
        if (!bySteps.has(key)) bySteps.set(key, { flow: c.flow, step: c.step, total: emptyTally(), days: new Map() });
        const s = bySteps.get(key)!;
        addInto(s.total, c.tally);
        s.days.set(c.day, c.tally);
      }
      const tested = await experiments({ currency: settings.currency, decimals: settings.decimals, counted, start, end });
      const datedRows = (m: Map<string, Tally>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, t]) => ({ date, ...show(t) }));

      return {
        from: formatLocalDate(range.from),
        to: formatLocalDate(range.to),
        timezone: zone,
        currency: settings.currency,
        attribution: {
          model: 'last_click',
          window_days: d.windowMs / 86_400_000,
          open_view: 'open_orders and open_revenue: orders after a human open of the step within the window; shown for comparison, not credited',
        },
        total: show(total),
        days: datedRows(byDay),
        steps: [...bySteps.values()]
          .sort((a, b) => a.flow.localeCompare(b.flow) || a.step - b.step)
          .map((s) => ({ flow: s.flow, step: s.step, total: show(s.total), days: datedRows(s.days) })),
        experiments: tested,
      };
    },
  };
}

