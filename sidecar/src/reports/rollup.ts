import type { Pool, Connection } from '../db/pool';
import { multiRow, type Row } from '../db/sql';
import { localParts } from '../flows/local-time';
import { daysBetween, formatLocalDate, offsetSegments, parseLocalDate, utcBounds, type LocalDate } from './days';
import { reportQueries } from './queries';

// The scheduled and message figures per shop day, flow and step, kept in `retain_report_days` so
// a year's report reads a few thousand rows instead of grouping millions. Each refresh recomputes,
// from the source rows, exactly the days that changed since the last one:
//  - a message changed (submitted, delivered, opened… or anonymised): the server stamps
//    `changed_at`, and the days of the messages stamped since the last refresh are redone;
//  - a send job appeared: the days of jobs with a higher id than last time are redone;
//  - a send job disappeared (an erasure): the count of jobs no longer matches the rollup's, and the
//    scheduled figures are redone in full.
// A redone day is deleted and filled again from the same grouped queries the live report ran, in
// one transaction (its snapshot is the one the watermarks were read in), so a report never sees
// half a day and the figures stay exact.

/** Ids below the last refresh's highest that are looked at again: a transaction may take an id and commit later. */
const JOB_ID_OVERLAP = 10_000;
const BATCH = 1000;
const MESSAGE_FIGURES = ['submitted', 'delivered', 'opened', 'machine_opened', 'clicked', 'unsubscribed', 'bounced', 'complained'] as const;
const LOCK_SECONDS = 60;

export type ReportRollup = ReturnType<typeof createReportRollup>;

export function createReportRollup(d: { pool: Pool; prefix: string; sendJobKind: string }) {
  const q = reportQueries(d.prefix);
  const lockName = `${d.prefix}retain_report_rollup`.slice(0, 64);

  const dayOf = (at: Date, zone: string): string => {
    const p = localParts(at, zone);
    return formatLocalDate({ year: p.year, month: p.month, day: p.day });
  };

  /** Deletes and refills the days from..to (inclusive) for the jobs up to `maxJob` and all messages. */
  async function redo(conn: Connection, from: LocalDate, to: LocalDate, zone: string, maxJob: number, what: 'all' | 'scheduled'): Promise<void> {
    const { start, end } = utcBounds(from, to, zone);
    const cells = new Map<string, number[]>();
    const add = (r: Row, values: number[], at: number) => {
      const day = r.day instanceof Date ? r.day.toISOString().slice(0, 10) : String(r.day).slice(0, 10);
      const key = `${day}\u0000${r.flow}\u0000${r.step}`;
      let c = cells.get(key);
      if (!c) cells.set(key, (c = [0, 0, 0, 0, 0, 0, 0, 0, 0]));
      values.forEach((v, i) => (c![at + i]! += v));
    };
    for (const seg of offsetSegments(start, end, zone)) {
      const [jobs] = await conn.query<Row[]>(q.rollupScheduled, [seg.offsetMinutes, d.sendJobKind, seg.from, seg.to, maxJob]);
      for (const r of jobs) add(r, [Number(r.scheduled)], 0);
      if (what === 'all') {
        const [messages] = await conn.query<Row[]>(q.messagesByDay, [seg.offsetMinutes, seg.from, seg.to]);
        for (const r of messages) add(r, MESSAGE_FIGURES.map((k) => Number(r[k])), 1);
      }
    }
    if (what === 'all') await conn.query(q.clearDays, [formatLocalDate(from), formatLocalDate(to)]);
    const rows = [...cells.entries()].map(([key, values]) => {
      const [day, flow, step] = key.split('\u0000');
      return [day, flow, Number(step), ...values];
    });
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      await conn.query(multiRow(q.upsertDay, batch.length), batch.flat());
    }
  }

  /** Contiguous runs of days: a week of changed days is one refill, not seven. */
  function runs(days: Set<string>): Array<[LocalDate, LocalDate]> {
    const sorted = [...days].sort().map((t) => parseLocalDate(t)!);
    const out: Array<[LocalDate, LocalDate]> = [];
    for (const day of sorted) {
      const last = out.at(-1);
      if (last && daysBetween(last[1], day) === 1) last[1] = day;
      else out.push([day, day]);
    }
    return out;
  }

  async function span(conn: Connection, zone: string, maxJob: number): Promise<[LocalDate, LocalDate] | null> {
    const [[jobs]] = await conn.query<Row[]>(q.jobsSpan, [d.sendJobKind, maxJob]);
    const [[messages]] = await conn.query<Row[]>(q.messagesSpan);
    const instants = [jobs?.first, jobs?.last, messages?.first, messages?.last].filter((v): v is Date => v instanceof Date);
    if (!instants.length) return null;
    const first = new Date(Math.min(...instants.map((t) => t.getTime())));
    const last = new Date(Math.max(...instants.map((t) => t.getTime())));
    return [parseLocalDate(dayOf(first, zone))!, parseLocalDate(dayOf(last, zone))!];
  }

  async function refreshIn(conn: Connection, zone: string): Promise<void> {
    const [[now]] = await conn.query<Row[]>(q.rollupNow);
    const seenAt: Date = now!.now;
    const maxJob = Number(now!.max_job);
    const [[state]] = await conn.query<Row[]>(q.rollupState);

    if (!state || state.zone !== zone) {
      await conn.query(q.clearAllDays);
      const all = await span(conn, zone, maxJob);
      if (all) await redo(conn, all[0], all[1], zone, maxJob, 'all');
    } else {
      const dirty = new Set<string>();
      const [messages] = await conn.query<Row[]>(q.changedMessageQuarters, [state.messages_seen]);
      for (const r of messages) dirty.add(dayOf(r.at, zone));
      const [jobs] = await conn.query<Row[]>(q.newJobQuarters, [Math.max(0, Number(state.jobs_seen) - JOB_ID_OVERLAP), maxJob, d.sendJobKind]);
      for (const r of jobs) dirty.add(dayOf(r.at, zone));
      for (const [from, to] of runs(dirty)) await redo(conn, from, to, zone, maxJob, 'all');

      const [[counted]] = await conn.query<Row[]>(q.jobsCounted, [d.sendJobKind, maxJob]);
      const [[rolled]] = await conn.query<Row[]>(q.rollupScheduledTotal);
      if (Number(counted!.n) !== Number(rolled!.n)) {
        await conn.query(q.clearScheduled);
        const all = await span(conn, zone, maxJob);
        if (all) await redo(conn, all[0], all[1], zone, maxJob, 'scheduled');
      }
    }
    await conn.query(q.rollupSave, [zone, seenAt, maxJob]);
  }

  return {
    /** Brings the rollup up to date for the shop's zone; concurrent callers wait for one another. */
    async refresh(zone: string): Promise<void> {
      const conn = await d.pool.getConnection();
      try {
        const [[lock]] = await conn.query<Row[]>(q.rollupLock, [lockName, LOCK_SECONDS]);
        if (Number(lock?.ok) !== 1) throw new Error('report rollup is busy');
        try {
          await conn.beginTransaction();
          await refreshIn(conn, zone);
          await conn.commit();
        } catch (err) {
          await conn.rollback().catch(() => undefined);
          throw err;
        } finally {
          await conn.query(q.rollupUnlock, [lockName]);
        }
      } finally {
        conn.release();
      }
    },

    /** The rolled-up cells of the days from..to (inclusive). */
    async days(from: LocalDate, to: LocalDate): Promise<Row[]> {
      const [rows] = await d.pool.query<Row[]>(q.rollupDays, [formatLocalDate(from), formatLocalDate(to)]);
      return rows;
    },
  };
}
