import type { Clock } from '../clock';
import { DAY } from '../clock';
import type { Pool } from '../db/pool';
import type { Row } from '../db/sql';
import type { Logger } from '../logger';
import type { JobStore } from '../schedule/jobs';
import type { JobOutcome } from '../schedule/outcome';
import type { ShopReader } from '../shop/reader';
import type { FlowDefinition, ScanName } from './definitions';
import { settingNumber, type FlowEngine } from './flows';
import { contactZone, localParts, parseClock, zonedTime } from './local-time';

// Date-based flows are entered by one daily scan per shop day, itself a job in the job table
// (key `scan:<date>`), so exactly one replica runs it and a restart never runs it twice. Every
// enrollment key names the occasion (`birthday:<contact>:2026`), so even a scan run by hand
// enrolls nobody twice. Each scan is set-based and keyset-paged.

export const SCAN_JOB = 'scan';
const PAGE = 1000;

export interface ScanResult {
  date: string;
  entered: Record<string, number>;
}

type Ymd = { year: number; month: number; day: number };
const ymd = (p: Ymd) => `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
const monthDay = (p: Ymd) => `${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export function createScans(d: { pool: Pool; prefix: string; clock: Clock; log: Logger; engine: FlowEngine; shop: ShopReader; jobs: JobStore }) {
  const q = d.engine.queries;
  const enabled = (scan: ScanName): FlowDefinition | null => d.engine.flows().find((f) => f.scan === scan && f.enabled) ?? null;

  /** The instant the contact's own clock shows `local_time` on the day, or now when that has passed. */
  async function localTimeOn(day: Ymd, country: string | null, flow: FlowDefinition): Promise<Date> {
    const shop = await d.shop.settings();
    const zone = contactZone(country, shop.timezone, shop.address.country);
    const [h, m] = parseClock(flow.settings.local_time, [9, 0]);
    const at = zonedTime(day.year, day.month, day.day, h, m, zone);
    return at.getTime() < d.clock.now().getTime() ? d.clock.now() : at;
  }

  async function enroll(flow: FlowDefinition, contactId: number, key: string, subject: string, firstRunAt?: Date): Promise<boolean> {
    return (await d.engine.enroll(d.pool, { flow, contactId, key, subject, firstRunAt })) !== null;
  }

  /** Pages through rows of `sql` (whose first parameter after the fixed ones is the id cursor). */
  async function* pages(sql: string, before: unknown[], after: unknown[]): AsyncGenerator<Row[]> {
    let cursor = 0;
    for (let guard = 0; guard < 100_000; guard++) {
      const [rows] = await d.pool.query<Row[]>(sql, [...before, cursor, ...after, PAGE]);
      if (rows.length === 0) return;
      yield rows;
      cursor = Number(rows[rows.length - 1]!.id);
      if (rows.length < PAGE) return;
    }
  }

  const scans: Record<ScanName, (day: Ymd) => Promise<number>> = {
    /** Birthdays at the contact's morning; 29 February is celebrated on 28 February in other years. */
    async birthday(day) {
      const flow = enabled('birthday');
      if (!flow) return 0;
      const leapDayToo = !isLeap(day.year) && day.month === 2 && day.day === 28;
      let n = 0;
      for await (const rows of pages(q.scanBirthdays, [], [monthDay(day), leapDayToo ? '02-29' : monthDay(day)])) {
        for (const r of rows) if (await enroll(flow, Number(r.id), `birthday:${r.id}:${day.year}`, `birthday:${day.year}`, await localTimeOn(day, r.country, flow))) n++;
      }
      return n;
    },

    /** The yearly anniversary of signing up with the shop. */
    async anniversary(day) {
      const flow = enabled('anniversary');
      if (!flow) return 0;
      const startOfDay = new Date(`${ymd(day)}T00:00:00Z`);
      let n = 0;
      const rowsOf = pages(q.scanSignupAnniversaries, [startOfDay], [monthDay(day), startOfDay]);
      for await (const rows of rowsOf) {
        for (const r of rows) {
          const years = Number(r.years);
          if (years < 1) continue;
          if (await enroll(flow, Number(r.id), `anniversary:${r.id}:signup:${day.year}`, `anniversary:signup:${years}`, await localTimeOn(day, r.country, flow))) n++;
        }
      }
      return n;
    },

    /** Customers whose last paid order was `after_days` ago (a week's grace for missed scans). */
    async win_back() {
      const flow = enabled('win_back');
      if (!flow) return 0;
      // Zero would enter every recent buyer: it means the default, as before.
      const afterDays = settingNumber(flow, 'after_days', 30) || 30;
      const now = d.clock.now().getTime();
      const newest = now - afterDays * DAY;
      const oldest = newest - 7 * DAY;
      let n = 0;
      for (const segment of ['first_time', 'repeat'] as const) {
        let after: string | null = null;
        for (let guard = 0; guard < 100_000; guard++) {
          const page = await d.shop.segments.members(segment, { after, limit: PAGE });
          const lapsed = page.members.filter((m) => m.lastPaidAt && m.lastPaidAt.getTime() <= newest && m.lastPaidAt.getTime() > oldest);
          n += await enrollMembers(flow, lapsed.map((m) => ({ email: m.email, occasion: m.lastPaidAt!.toISOString().slice(0, 10) })));
          if (!page.next) break;
          after = page.next;
        }
      }
      return n;
    },

    /** Entering the loyal segment: once per contact. */
    async vip() {
      const flow = enabled('vip');
      if (!flow) return 0;
      let n = 0;
      let after: string | null = null;
      for (let guard = 0; guard < 100_000; guard++) {
        const page = await d.shop.segments.members('loyal', { after, limit: PAGE });
        n += await enrollMembers(flow, page.members.map((m) => ({ email: m.email, occasion: 'once' })));
        if (!page.next) break;
        after = page.next;
      }
      return n;
    },

    /**
     * Subscribers silent (no open, no click) for 90 days when the shop emails about weekly, else
     * 180 days. Keyed by the month, so a contact re-enters at most once a month.
     */
    async reengagement(day) {
      const flow = enabled('reengagement');
      if (!flow) return 0;
      const now = d.clock.now().getTime();
      const [rate] = await d.pool.query<Row[]>(q.recentSendRate, [new Date(now - 90 * DAY)]);
      const weekly = Number(rate[0]?.per_contact ?? 0) >= 90 / 7;
      const days = (weekly ? settingNumber(flow, 'silent_days_weekly', 90) : settingNumber(flow, 'silent_days', 180)) || 180;
      const since = new Date(now - days * DAY);
      const month = `${day.year}-${String(day.month).padStart(2, '0')}`;
      let n = 0;
      for await (const rows of pages(q.scanSilent, [], [since, since, since])) {
        for (const r of rows) if (await enroll(flow, Number(r.id), `reengagement:${r.id}:${month}`, `silent:${days}`, await localTimeOn(day, r.country, flow))) n++;
      }
      return n;
    },

    /** Yesterday's searches (shop time) by contacts who bought nothing since, at their 10:00. */
    async search_abandonment(day) {
      const flow = enabled('search_abandonment');
      if (!flow) return 0;
      const shop = await d.shop.settings();
      const from = zonedTime(day.year, day.month, day.day - 1, 0, 0, shop.timezone);
      const to = zonedTime(day.year, day.month, day.day, 0, 0, shop.timezone);
      let n = 0;
      for await (const rows of pages(q.scanSearches, [from, to], [])) {
        for (const r of rows) {
          const key = `search_abandonment:${r.id}:${ymd(day)}`;
          const entered = await d.engine.enroll(d.pool, {
            flow, contactId: Number(r.id), key, subject: `search:${ymd(day)}:${String(r.query).slice(0, 150)}`,
            startAt: r.last as Date, firstRunAt: await localTimeOn(day, r.country, flow),
          });
          if (entered) n++;
        }
      }
      return n;
    },
  };

  /** Shop segment members (by e-mail) who are contacts with marketing consent. */
  async function enrollMembers(flow: FlowDefinition, members: Array<{ email: string; occasion: string }>): Promise<number> {
    if (members.length === 0) return 0;
    const [rows] = await d.pool.query<Row[]>(q.contactsByEmail, [members.map((m) => m.email)]);
    const byEmail = new Map(rows.map((r) => [String(r.email), r]));
    let n = 0;
    for (const m of members) {
      const c = byEmail.get(m.email);
      if (c && (await enroll(flow, Number(c.id), `${flow.id}:${c.id}:${m.occasion}`, `${flow.id}:${m.occasion}`))) n++;
    }
    return n;
  }

  async function today(): Promise<Ymd> {
    return localParts(d.clock.now(), (await d.shop.settings()).timezone);
  }

  return {
    /** Runs every scan for a shop day (today by default). Safe to repeat. */
    async run(day?: Ymd): Promise<ScanResult> {
      const date = day ?? (await today());
      // Fresh facts and pairs first: segments and recommendations read them.
      await d.shop.facts.refresh();
      await d.shop.recommendations.minePairs();
      const entered: Record<string, number> = {};
      for (const name of Object.keys(scans) as ScanName[]) entered[name] = await scans[name](date);
      d.log.info({ date: ymd(date), entered }, 'daily scan done');
      return { date: ymd(date), entered };
    },

    /** Makes sure today's scan job exists (at boot and after each scan). */
    async schedule(): Promise<void> {
      const date = await today();
      const shop = await d.shop.settings();
      // Just after the shop's midnight; the birthday and search emails then wait for local mornings.
      const at = zonedTime(date.year, date.month, date.day, 0, 5, shop.timezone);
      await d.jobs.enqueue(d.pool, { key: `${SCAN_JOB}:${ymd(date)}`, kind: SCAN_JOB, runAt: at, payload: { date: ymd(date) }, maxAttempts: 5 });
      const tomorrow = zonedTime(date.year, date.month, date.day + 1, 0, 5, shop.timezone);
      const next = localParts(tomorrow, shop.timezone);
      await d.jobs.enqueue(d.pool, { key: `${SCAN_JOB}:${ymd(next)}`, kind: SCAN_JOB, runAt: tomorrow, payload: { date: ymd(next) }, maxAttempts: 5 });
    },
  };
}

export type Scans = ReturnType<typeof createScans>;

/** The job handler: run the day's scans, then make sure the next day's job exists. */
export function scanJobHandler(scans: Scans) {
  return async (job: { payload: Record<string, unknown> }): Promise<JobOutcome> => {
    const [year, month, day] = String(job.payload.date ?? '').split('-').map(Number);
    if (!year || !month || !day) return { status: 'failed', error: 'scan job without a date' };
    await scans.run({ year, month, day });
    await scans.schedule();
    return { status: 'completed' };
  };
}
