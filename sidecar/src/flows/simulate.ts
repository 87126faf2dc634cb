import type { Clock } from '../clock';
import { createContactStore } from '../contacts/contacts';
import type { Pool } from '../db/pool';
import type { Row } from '../db/sql';
import { parseDayRange } from '../reports/days';
import type { ShopReader } from '../shop/reader';
import type { FlowDefinition } from './definitions';
import { contactZone, localParts, zonedTime } from './local-time';
import { flowQueries } from './queries';
import type { SendingRules } from './rules';
import type { ScanCandidate, Scans, Ymd } from './scans';

// `npx retain simulate`: who would get which email when, over a range of shop days, without
// sending or writing anything. Two sources: what the daily scans would enter on each day (keys
// already used drop out, as the real enrollment would), and the steps already in the job table,
// with the later steps of both projected from the flow's delays. The gate's outcomes that can be
// known ahead are applied: flow off, suppression, consent, unsubscribe, the sunset's unengaged
// mark, quiet hours and the frequency cap (counting what was sent and what the simulation sends).
// What cannot be known ahead (an order that ends a flow, a cart emptied) is not guessed.

export const MAX_SIMULATION_DAYS = 366;
const PAGE = 1000;

export interface SimulationRow {
  /** The contact's local date and time of the send. */
  date: string;
  time: string;
  at: Date;
  email: string;
  flow: string;
  step: number;
  /** `scan`: would be entered that day; `scheduled`: already a job; `projected`: a later step. */
  source: 'scan' | 'scheduled' | 'projected';
  /** `send`, `skip:<reason>` or `defer:<reason>` (deferred past the range or dropped when stale). */
  decision: string;
}

export interface SimulationRange {
  from: Ymd;
  to: Ymd;
}

/** --from / --to as YYYY-MM-DD, from ≤ to, at most 366 days. Errors carry stable codes. */
export function parseSimulationRange(input: { from?: string; to?: string }): SimulationRange {
  return parseDayRange(input, MAX_SIMULATION_DAYS, (name) => `--${name}`);
}

const ymd = (p: Ymd) => `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
const nextDay = (p: Ymd): Ymd => {
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
};

interface Planned {
  at: Date;
  /** When the step was meant to go, for freshness (deferrals count from it). */
  planned: Date;
  contactId: number;
  flow: FlowDefinition | null;
  flowId: string;
  step: number;
  source: SimulationRow['source'];
}

export function createSimulator(d: { pool: Pool; prefix: string; clock: Clock; shop: ShopReader; scans: Scans; flows: () => FlowDefinition[]; rules: SendingRules }) {
  const q = flowQueries(d.prefix);
  const contacts = createContactStore(d.prefix, d.clock);
  const flowById = (id: string) => d.flows().find((f) => f.id === id) ?? null;

  /** A step and the later steps of its flow that still fall before `end`. */
  function withLaterSteps(first: Planned, startedAt: Date, end: Date, floor: Date): Planned[] {
    const out = [first];
    const flow = first.flow;
    if (!flow) return out;
    for (let step = first.step + 1; step <= flow.steps.length; step++) {
      const planned = new Date(Math.max(startedAt.getTime() + flow.steps[step - 1]!.delayMs, floor.getTime()));
      if (planned >= end) break;
      out.push({ ...first, at: planned, planned, step, source: 'projected' });
    }
    return out;
  }

  async function scheduled(start: Date, end: Date): Promise<Planned[]> {
    const out: Planned[] = [];
    let cursor = { at: start, id: 0 };
    for (let guard = 0; guard < 100_000; guard++) {
      const [rows] = await d.pool.query<Row[]>(q.scheduledSends, [end, cursor.at, cursor.at, cursor.id, PAGE]);
      for (const r of rows) {
        const at = r.run_at as Date;
        const payload = typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : ((r.payload ?? {}) as Record<string, unknown>);
        const planned = typeof payload.planned_at === 'string' ? new Date(payload.planned_at) : at;
        const first: Planned = { at, planned, contactId: Number(r.contact_id), flow: flowById(String(r.flow)), flowId: String(r.flow), step: Number(r.step ?? 1), source: 'scheduled' };
        out.push(...(r.started_at ? withLaterSteps(first, r.started_at as Date, end, at) : [first]));
      }
      if (rows.length < PAGE) break;
      const last = rows[rows.length - 1]!;
      cursor = { at: last.run_at as Date, id: Number(last.id) };
    }
    return out;
  }

  /** The scans' candidates for each day, minus keys already used (in the table or earlier in the range). */
  async function entering(range: SimulationRange, end: Date): Promise<Planned[]> {
    const out: Planned[] = [];
    const seen = new Set<string>();
    const now = d.clock.now();
    const today = ymd(localParts(now, (await d.shop.settings()).timezone));
    for (let day = range.from, n = 0; n < MAX_SIMULATION_DAYS && ymd(day) <= ymd(range.to); day = nextDay(day), n++) {
      const scanAt = await d.scans.scanTime(day);
      // Today's scan, run now, sees now; a coming day is seen at its own scan time.
      const at = ymd(day) === today && scanAt < now ? now : scanAt;
      const fresh: ScanCandidate[] = [];
      for (const c of await d.scans.candidates(day, at)) {
        if (seen.has(c.key)) continue;
        seen.add(c.key);
        fresh.push(c);
      }
      const taken = new Set<string>();
      for (let i = 0; i < fresh.length; i += PAGE) {
        const keys = fresh.slice(i, i + PAGE).map((c) => c.key);
        const [rows] = await d.pool.query<Row[]>(q.enrollmentKeysTaken, [keys]);
        for (const r of rows) taken.add(String(r.enrollment_key));
      }
      for (const c of fresh) {
        if (taken.has(c.key)) continue;
        const startedAt = c.startAt ?? at;
        const first = c.firstRunAt ?? new Date(startedAt.getTime() + (c.flow.steps[0]?.delayMs ?? 0));
        const runAt = new Date(Math.max(first.getTime(), at.getTime()));
        if (runAt >= end) continue;
        out.push(...withLaterSteps({ at: runAt, planned: runAt, contactId: c.contactId, flow: c.flow, flowId: c.flow.id, step: 1, source: 'scan' }, startedAt, end, at));
      }
    }
    return out;
  }

  return {
    async simulate(range: SimulationRange): Promise<SimulationRow[]> {
      const shop = await d.shop.settings();
      const start = zonedTime(range.from.year, range.from.month, range.from.day, 0, 0, shop.timezone);
      const afterTo = nextDay(range.to);
      const end = zonedTime(afterTo.year, afterTo.month, afterTo.day, 0, 0, shop.timezone);
      const plan = [...(await scheduled(start, end)), ...(await entering(range, end))].filter((p) => p.at >= start);
      plan.sort((a, b) => a.at.getTime() - b.at.getTime() || a.contactId - b.contactId);

      const ids = [...new Set(plan.map((p) => p.contactId))];
      const people = new Map<number, Row>();
      for (let i = 0; i < ids.length; i += PAGE) {
        const [rows] = await d.pool.query<Row[]>(q.contactsById, [ids.slice(i, i + PAGE)]);
        for (const r of rows) people.set(Number(r.id), r);
      }
      const suppressed = new Map<number, string | null>();
      const sends = new Map<number, number[]>();
      const longest = Math.max(0, ...d.rules.caps.map((c) => c.windowMs));

      async function sentBefore(contactId: number): Promise<number[]> {
        let list = sends.get(contactId);
        if (!list) {
          const [rows] = await d.pool.query<Row[]>(q.sentSince, [contactId, new Date(start.getTime() - longest), 0]);
          list = rows.filter((r) => flowById(String(r.flow))?.purpose === 'marketing').map((r) => (r.created_at as Date).getTime());
          sends.set(contactId, list);
        }
        return list;
      }

      const rows: SimulationRow[] = [];
      for (const p of plan) {
        const c = people.get(p.contactId);
        const zone = contactZone(c?.country ?? null, shop.timezone, shop.address.country);
        let at = p.at;
        let decision = 'send';
        const flow = p.flow;
        if (!c) decision = 'skip:contact_missing';
        else if (!flow) decision = 'skip:flow_removed';
        else if (!flow.enabled) decision = 'skip:flow_disabled';
        else {
          if (!suppressed.has(p.contactId)) suppressed.set(p.contactId, await contacts.suppressionReason(d.pool, String(c.email)));
          const reason = suppressed.get(p.contactId);
          const marketing = flow.purpose === 'marketing';
          if (reason) decision = `skip:suppressed_${reason}`;
          else if (marketing && c.unsubscribed_at) decision = 'skip:unsubscribed';
          else if (marketing && c.consent_state !== 'granted') decision = 'skip:no_marketing_consent';
          else if (marketing && c.unengaged_at && flow.onComplete !== 'mark_unengaged') decision = 'skip:unengaged';
          else if (marketing) {
            const quiet = d.rules.quietHours;
            const local = localParts(at, zone);
            if (quiet && (quiet[0] > quiet[1] ? local.hour >= quiet[0] || local.hour < quiet[1] : local.hour >= quiet[0] && local.hour < quiet[1])) {
              const morning = zonedTime(local.year, local.month, local.day, quiet[1], 0, zone);
              at = morning > at ? morning : zonedTime(local.year, local.month, local.day + 1, quiet[1], 0, zone);
              if (at.getTime() - p.planned.getTime() > flow.freshnessMs) decision = 'skip:quiet_hours_stale';
            }
            if (decision === 'send') {
              const times = await sentBefore(p.contactId);
              const full = d.rules.caps.some((cap) => times.filter((t) => t > at.getTime() - cap.windowMs && t <= at.getTime()).length >= cap.count);
              if (full) decision = 'defer:frequency_cap';
              else times.push(at.getTime());
            }
            if (decision === 'send' && at >= end) decision = 'defer:quiet_hours';
          }
        }
        const local = localParts(at, zone);
        rows.push({
          date: ymd(local), time: `${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`, at,
          email: c ? String(c.email) : `#${p.contactId}`, flow: p.flowId, step: p.step, source: p.source, decision,
        });
      }
      return rows.sort((a, b) => a.at.getTime() - b.at.getTime() || a.email.localeCompare(b.email));
    },
  };
}

export type Simulator = ReturnType<typeof createSimulator>;

const COLUMNS = ['date', 'time', 'email', 'flow', 'step', 'source', 'decision'] as const;
const cells = (r: SimulationRow) => [r.date, r.time, r.email, r.flow, String(r.step), r.source, r.decision];
const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function simulationTable(rows: SimulationRow[]): string {
  const all = [[...COLUMNS] as string[], ...rows.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const body = all.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
  return `${body}\n${rows.length} email(s); times are each contact's own; nothing was sent or written\n`;
}

export function simulationCsv(rows: SimulationRow[]): string {
  return [['at', ...COLUMNS].join(','), ...rows.map((r) => [r.at.toISOString(), ...cells(r)].map(csvCell).join(','))].join('\r\n') + '\r\n';
}

export function simulationJson(rows: SimulationRow[]): string {
  return `${JSON.stringify(rows.map((r) => ({ ...r, at: r.at.toISOString() })), null, 2)}\n`;
}
