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
import { addDays, dueReminderCollector, GRACE_DAYS, isEmptyPlan, MAX_CYCLE_DAYS, replenishmentPlan } from './replenishment';

// Date-based flows are entered by one daily scan per shop day, itself a job in the job table
// (key `scan:<date>`), so exactly one replica runs it and a restart never runs it twice. Every
// enrollment key names the occasion (`birthday:<contact>:2026`), so even a scan run by hand
// enrolls nobody twice. Each scan is set-based and keyset-paged.

export const SCAN_JOB = 'scan';
const PAGE = 1000;

export type Ymd = { year: number; month: number; day: number };

export interface ScanResult {
  date: string;
  entered: Record<string, number>;
}

const ymd = (p: Ymd) => `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
const monthDay = (p: Ymd) => `${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * The UTC month-days on which an instant whose local month-day is one of `localDays` can fall: the
 * day itself and its neighbours (every zone is within a day of UTC), in common and leap years, so
 * 1 March's day before is 28 and 29 February.
 */
export function utcMonthDaysAround(localDays: string[]): string[] {
  const out = new Set<string>();
  for (const md of localDays) {
    const [month, dayOfMonth] = md.split('-').map(Number) as [number, number];
    for (const year of [2023, 2024]) {
      const noon = Date.UTC(year, month - 1, dayOfMonth, 12);
      if (new Date(noon).getUTCDate() !== dayOfMonth) continue; // 29 February in the common year
      for (const shift of [-1, 0, 1]) {
        const t = new Date(noon + shift * DAY);
        out.add(monthDay({ year, month: t.getUTCMonth() + 1, day: t.getUTCDate() }));
      }
    }
  }
  return [...out].sort();
}

/** One contact a scan would enter into a flow: what `run` enrolls and `simulate` only reports. */
export interface ScanCandidate {
  flow: FlowDefinition;
  contactId: number;
  key: string;
  subject: string;
  /** When the enrollment starts (default: the scan's instant); later steps count from it. */
  startAt?: Date;
  /** When the first step goes out (a local morning), or the scan's instant when that has passed. */
  firstRunAt?: Date;
}

type Emit = (c: ScanCandidate) => Promise<void>;

export function createScans(d: { pool: Pool; prefix: string; clock: Clock; log: Logger; engine: FlowEngine; shop: ShopReader; jobs: JobStore }) {
  const q = d.engine.queries;
  const enabled = (scan: ScanName): FlowDefinition | null => d.engine.flows().find((f) => f.scan === scan && f.enabled) ?? null;

  // A scan asks for the same few (zone, day, clock) instants hundreds of thousands of times, and
  // each zone conversion formats dates through Intl: remember them.
  const zoned = new Map<string, Date>();

  /** The instant the contact's own clock shows `local_time` on the day, or `at` when that has passed. */
  async function localTimeOn(day: Ymd, country: string | null, flow: FlowDefinition, at: Date): Promise<Date> {
    const shop = await d.shop.settings();
    const zone = contactZone(country, shop.timezone, shop.address.country);
    const [h, m] = parseClock(flow.settings.local_time, [9, 0]);
    const key = `${zone} ${ymd(day)} ${h}:${m}`;
    let local = zoned.get(key);
    if (!local) {
      if (zoned.size >= 10_000) zoned.clear();
      local = zonedTime(day.year, day.month, day.day, h, m, zone);
      zoned.set(key, local);
    }
    return local.getTime() < at.getTime() ? at : local;
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

  /** Month-days celebrated on `day`: 29 February joins 28 February in common years. */
  const celebratedOn = (day: Ymd) => (!isLeap(day.year) && day.month === 2 && day.day === 28 ? ['02-28', '02-29'] : [monthDay(day)]);

  /** Consented contacts (by e-mail) of shop rows, in pages of the e-mail list. */
  async function contactsOf(emails: string[]): Promise<Map<string, Row>> {
    if (emails.length === 0) return new Map();
    const [rows] = await d.pool.query<Row[]>(q.contactsByEmail, [emails]);
    return new Map(rows.map((r) => [String(r.email), r]));
  }

  // Each scan emits its candidates for one shop day, as seen at `at` (the scan's instant).
  const scans: Record<ScanName, (day: Ymd, at: Date, emit: Emit) => Promise<void>> = {
    /** Birthdays at the contact's morning; 29 February is celebrated on 28 February in other years. */
    async birthday(day, at, emit) {
      const flow = enabled('birthday');
      if (!flow) return;
      const [md, leap = md] = celebratedOn(day);
      for await (const rows of pages(q.scanBirthdays, [], [md, leap])) {
        for (const r of rows) await emit({ flow, contactId: Number(r.id), key: `birthday:${r.id}:${day.year}`, subject: `birthday:${day.year}`, firstRunAt: await localTimeOn(day, r.country, flow, at) });
      }
    },

    /**
     * The yearly anniversary: of the first paid order for contacts who have one, else of signing
     * up. One a year per contact (the key names the year), so the two never both go out. The day
     * that counts is the one the shop's calendar showed (an order at 00:30 in Berlin is 23:30 UTC
     * the day before): SQL preselects the UTC month-days around it, the shop's zone decides here.
     */
    async anniversary(day, at, emit) {
      const flow = enabled('anniversary');
      if (!flow) return;
      const zone = (await d.shop.settings()).timezone;
      const startOfDay = zonedTime(day.year, day.month, day.day, 0, 0, zone);
      const celebrated = celebratedOn(day);
      const utcDays = utcMonthDaysAround(celebrated);
      /** Whole years since `when` if its local day is celebrated today and a year has passed, else null. */
      const yearsSince = (when: Date): number | null => {
        const local = localParts(when, zone);
        return celebrated.includes(monthDay(local)) && day.year - local.year >= 1 ? day.year - local.year : null;
      };
      const occasion = (id: unknown, kind: 'first_order' | 'signup', years: number, country: string | null) =>
        localTimeOn(day, country, flow, at).then((firstRunAt) => emit({ flow, contactId: Number(id), key: `anniversary:${id}:${day.year}`, subject: `anniversary:${kind}:${years}`, firstRunAt }));

      let after: string | null = null;
      for (let guard = 0; guard < 100_000; guard++) {
        const page = await d.shop.lifecycle.firstOrderAnniversaries({ monthDays: utcDays, before: startOfDay, after, limit: PAGE });
        const today = page.flatMap((p) => {
          const years = yearsSince(p.firstPaidAt);
          return years === null ? [] : [{ email: p.email, years }];
        });
        const contacts = await contactsOf(today.map((p) => p.email));
        for (const p of today) {
          const c = contacts.get(p.email);
          if (c) await occasion(c.id, 'first_order', p.years, c.country ?? null);
        }
        // The cursor follows the page as read, not what the zone kept.
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.email;
      }
      for await (const rows of pages(q.scanSignupAnniversaries, [], [utcDays, startOfDay])) {
        const today = rows.flatMap((r) => {
          const years = yearsSince(r.created_at as Date);
          return years === null ? [] : [{ id: r.id, email: String(r.email), country: r.country ?? null, years }];
        });
        const customers = await d.shop.lifecycle.firstPaidOf(today.map((r) => r.email));
        for (const r of today) if (!customers.has(r.email)) await occasion(r.id, 'signup', r.years, r.country);
      }
    },

    /** Re-order reminders for the products the shop marked (flows/replenishment.ts decides the dates). */
    async replenishment(day, at, emit) {
      const flow = enabled('replenishment');
      if (!flow) return;
      const plan = replenishmentPlan(flow);
      if (plan.problems.length) d.log.warn({ code: 'replenishment_settings', problems: plan.problems }, 'replenishment settings partly ignored');
      if (isEmptyPlan(plan)) return;
      const bySlug = await d.shop.lifecycle.productsInCategories([...new Set([...plan.categoryCycles.keys(), ...plan.occasionCategories])]);
      const cycle = new Map<number, number | 'yearly' | null>();
      for (const p of bySlug) if (plan.categoryCycles.has(p.slug) && !cycle.has(p.id)) cycle.set(p.id, plan.categoryCycles.get(p.slug)!);
      for (const [id, days] of plan.productCycles) cycle.set(id, days);
      for (const p of bySlug) if (plan.occasionCategories.has(p.slug)) cycle.set(p.id, 'yearly');
      for (const id of plan.occasionProducts) cycle.set(id, 'yearly');
      const today = ymd(day);
      // At 1M customers the query returns about 400k histories, of which a few thousand fall due:
      // they stream through the collector rather than sit in memory.
      const collector = dueReminderCollector((id) => cycle.get(id), plan, today);
      await d.shop.lifecycle.purchaseHistory({
        productIds: [...cycle.keys()],
        // Three years of history teach a rhythm; a reminder can only fall within a year and a week of the last purchase.
        historyFrom: new Date(at.getTime() - 3 * 366 * DAY),
        until: at,
        lastFrom: addDays(today, -(MAX_CYCLE_DAYS + 1 + GRACE_DAYS)),
      }, collector.add);
      const due = collector.reminders();
      for (let i = 0; i < due.length; i += PAGE) {
        const batch = due.slice(i, i + PAGE);
        const contacts = await contactsOf([...new Set(batch.map((r) => r.email))]);
        for (const r of batch) {
          const c = contacts.get(r.email);
          if (!c) continue;
          const ids = r.productIds.join('+');
          await emit({
            flow, contactId: Number(c.id), key: `replenishment:${c.id}:${ids}:${r.dueDay}`, subject: `replenish:${r.lastDay}:${r.dueDay}:${r.productIds.join(',')}`,
            firstRunAt: await localTimeOn(day, c.country ?? null, flow, at),
          });
        }
      }
    },

    /** Customers whose last paid order was `after_days` ago (a week's grace for missed scans). */
    async win_back(_day, at, emit) {
      const flow = enabled('win_back');
      if (!flow) return;
      // Zero would enter every recent buyer: it means the default, as before.
      const afterDays = settingNumber(flow, 'after_days', 30) || 30;
      const newest = at.getTime() - afterDays * DAY;
      const oldest = newest - 7 * DAY;
      // The first_time, then the repeat segment's members in the window, read through the
      // last-paid index rather than paging both whole segments.
      for (const paidOrders of [[1, 1], [2, 2 ** 31 - 1]] as Array<[number, number]>) {
        let cursor: string | null = null;
        for (let guard = 0; guard < 100_000; guard++) {
          const page = await d.shop.lifecycle.lastPaidBetween({ paidOrders, after: new Date(oldest), upTo: new Date(newest), cursor, limit: PAGE });
          await emitMembers(flow, page.map((m) => ({ email: m.email, occasion: m.lastPaidAt.toISOString().slice(0, 10) })), emit);
          if (page.length < PAGE) break;
          cursor = page[page.length - 1]!.email;
        }
      }
    },

    /** Entering the loyal segment: once per contact. */
    async vip(_day, _at, emit) {
      const flow = enabled('vip');
      if (!flow) return;
      let after: string | null = null;
      for (let guard = 0; guard < 100_000; guard++) {
        const page = await d.shop.segments.members('loyal', { after, limit: PAGE });
        await emitMembers(flow, page.members.map((m) => ({ email: m.email, occasion: 'once' })), emit);
        if (!page.next) break;
        after = page.next;
      }
    },

    /**
     * Subscribers silent (no open, no click) for 90 days when the shop emails about weekly, else
     * 180 days. Keyed by the month, so a contact re-enters at most once a month.
     */
    async reengagement(day, at, emit) {
      const flow = enabled('reengagement');
      if (!flow) return;
      const now = at.getTime();
      const [rate] = await d.pool.query<Row[]>(q.recentSendRate, [new Date(now - 90 * DAY)]);
      const weekly = Number(rate[0]?.per_contact ?? 0) >= 90 / 7;
      const days = (weekly ? settingNumber(flow, 'silent_days_weekly', 90) : settingNumber(flow, 'silent_days', 180)) || 180;
      const since = new Date(now - days * DAY);
      const month = `${day.year}-${String(day.month).padStart(2, '0')}`;
      for await (const rows of pages(q.scanSilent, [], [since, since, since])) {
        for (const r of rows) await emit({ flow, contactId: Number(r.id), key: `reengagement:${r.id}:${month}`, subject: `silent:${days}`, firstRunAt: await localTimeOn(day, r.country, flow, at) });
      }
    },

    /** Yesterday's searches (shop time) by contacts who bought nothing since, at their 10:00. */
    async search_abandonment(day, at, emit) {
      const flow = enabled('search_abandonment');
      if (!flow) return;
      const shop = await d.shop.settings();
      const from = zonedTime(day.year, day.month, day.day - 1, 0, 0, shop.timezone);
      const to = zonedTime(day.year, day.month, day.day, 0, 0, shop.timezone);
      for await (const rows of pages(q.scanSearches, [from, to], [])) {
        for (const r of rows) {
          await emit({
            flow, contactId: Number(r.id), key: `search_abandonment:${r.id}:${ymd(day)}`, subject: `search:${ymd(day)}:${String(r.query).slice(0, 150)}`,
            startAt: r.last as Date, firstRunAt: await localTimeOn(day, r.country, flow, at),
          });
        }
      }
    },
  };

  /** Shop segment members (by e-mail) who are contacts with marketing consent. */
  async function emitMembers(flow: FlowDefinition, members: Array<{ email: string; occasion: string }>, emit: Emit): Promise<void> {
    const byEmail = await contactsOf(members.map((m) => m.email));
    for (const m of members) {
      const c = byEmail.get(m.email);
      if (c) await emit({ flow, contactId: Number(c.id), key: `${flow.id}:${c.id}:${m.occasion}`, subject: `${flow.id}:${m.occasion}` });
    }
  }

  async function today(): Promise<Ymd> {
    return localParts(d.clock.now(), (await d.shop.settings()).timezone);
  }

  return {
    /** Runs every scan for a shop day (today by default). Safe to repeat. */
    async run(day?: Ymd): Promise<ScanResult> {
      const date = day ?? (await today());
      // Fresh facts, pairs and order products first: segments, recommendations (what a contact
      // bought) and replenishment read them.
      await d.shop.facts.refresh();
      await d.shop.recommendations.minePairs();
      await d.shop.lifecycle.syncOrderProducts();
      const entered: Record<string, number> = {};
      const at = d.clock.now();
      for (const name of Object.keys(scans) as ScanName[]) {
        let n = 0;
        await scans[name](date, at, async (c) => {
          if (await d.engine.enroll(d.pool, { flow: c.flow, contactId: c.contactId, key: c.key, subject: c.subject, startAt: c.startAt, firstRunAt: c.firstRunAt })) n++;
        });
        entered[name] = n;
      }
      d.log.info({ date: ymd(date), entered }, 'daily scan done');
      return { date: ymd(date), entered };
    },

    /**
     * What the scans would enter on a shop day, seen at `at`, without writing anything (the
     * simulator). Reads the facts as of their last refresh; keys already used are the caller's to drop.
     */
    async candidates(day: Ymd, at: Date): Promise<ScanCandidate[]> {
      const out: ScanCandidate[] = [];
      for (const name of Object.keys(scans) as ScanName[]) {
        await scans[name](day, at, async (c) => {
          out.push(c);
        });
      }
      return out;
    },

    /** One scan's candidates, streamed to `emit` without writing anything (the benchmark times each scan). */
    async scan(name: ScanName, day: Ymd, at: Date, emit: (c: ScanCandidate) => Promise<void>): Promise<void> {
      await scans[name](day, at, emit);
    },

    /** The instant the day's scan job runs: just after the shop's midnight. */
    async scanTime(day: Ymd): Promise<Date> {
      return zonedTime(day.year, day.month, day.day, 0, 5, (await d.shop.settings()).timezone);
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
