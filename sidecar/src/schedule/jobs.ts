import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import { withTransaction, type Db, type Pool } from '../db/pool';
import type { Result, Row } from '../db/sql';
import { jobQueries } from './queries';

export type JobStatus = 'pending' | 'running' | 'completed' | 'skipped' | 'failed';

export interface Job {
  id: number;
  key: string;
  kind: string;
  contactId: number | null;
  enrollmentId: number | null;
  flow: string | null;
  step: number | null;
  payload: Record<string, unknown>;
  runAt: Date;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  /** The claim token: only the holder may finish the job. */
  lockedBy: string | null;
  lockedAt: Date | null;
}

export interface NewJob {
  key: string;
  kind: string;
  runAt: Date;
  contactId?: number | null;
  enrollmentId?: number | null;
  flow?: string | null;
  step?: number | null;
  payload?: Record<string, unknown>;
  maxAttempts?: number;
}

function toJob(r: Row): Job {
  return {
    id: Number(r.id),
    key: r.job_key,
    kind: r.kind,
    contactId: r.contact_id == null ? null : Number(r.contact_id),
    enrollmentId: r.enrollment_id == null ? null : Number(r.enrollment_id),
    flow: r.flow,
    step: r.step == null ? null : Number(r.step),
    payload: r.payload ? JSON.parse(r.payload) : {},
    runAt: r.run_at,
    status: r.status,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    lockedBy: r.locked_by,
    lockedAt: r.locked_at,
  };
}

/** Exponential back-off with full jitter in its upper half: 5 s, 10 s, 20 s … capped at an hour. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(5000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
  return Math.round(base / 2 + (base / 2) * random());
}

export type ClaimMode = 'skip-locked' | 'update';
export type JobStore = ReturnType<typeof createJobStore>;

export function createJobStore(pool: Pool, prefix: string, clock: Clock, claimMode: ClaimMode) {
  const q = jobQueries(prefix);
  let claims = 0;

  return {
    queries: q,
    claimMode,

    /** Inserts the job unless its key exists. Returns true when this call created it. */
    async enqueue(db: Db, job: NewJob): Promise<boolean> {
      const now = clock.now();
      const [res] = await db.query<Result>(q.enqueue, [
        job.key, job.kind, job.contactId ?? null, job.enrollmentId ?? null, job.flow ?? null, job.step ?? null,
        JSON.stringify(job.payload ?? {}), job.runAt, job.maxAttempts ?? 8, now, now,
      ]);
      return res.affectedRows === 1;
    },

    async byKey(key: string): Promise<Job | null> {
      const [rows] = await pool.query<Row[]>(q.byKey, [key]);
      return rows[0] ? toJob(rows[0]) : null;
    },

    async byId(id: number): Promise<Job | null> {
      const [rows] = await pool.query<Row[]>(q.byId, [id]);
      return rows[0] ? toJob(rows[0]) : null;
    },

    /** Atomically takes up to `limit` due jobs for this worker. */
    async claim(workerId: string, limit: number): Promise<Job[]> {
      const now = clock.now();
      const token = `${workerId}:${++claims}:${randomBytes(3).toString('hex')}`;
      if (claimMode === 'skip-locked') {
        return withTransaction(pool, async (conn) => {
          const [due] = await conn.query<Row[]>(q.dueForUpdateSkipLocked, [now, limit]);
          if (due.length === 0) return [];
          await conn.query(q.markClaimed, [token, now, now, due.map((r) => r.id)]);
          // The rows as markClaimed left them, without reading them back.
          return due.map((r) => toJob({ ...r, status: 'running', locked_by: token, locked_at: now, attempts: Number(r.attempts) + 1, updated_at: now }));
        });
      }
      const [res] = await pool.query<Result>(q.claimByUpdate, [token, now, now, now, limit]);
      if (res.affectedRows === 0) return [];
      const [rows] = await pool.query<Row[]>(q.claimedBy, [token]);
      return rows.map(toJob);
    },

    /** Ends a claimed job. False when the claim was lost (swept as stale and taken by another). */
    async finish(job: Job, status: 'completed' | 'skipped' | 'failed', reason: string | null, error: string | null = null, db: Db = pool): Promise<boolean> {
      const [res] = await db.query<Result>(q.finish, [status, reason?.slice(0, 255) ?? null, error, clock.now(), job.id, job.lockedBy]);
      return res.affectedRows === 1;
    },

    async retryLater(job: Job, runAt: Date, error: string): Promise<boolean> {
      const [res] = await pool.query<Result>(q.retryLater, [runAt, error, clock.now(), job.id, job.lockedBy]);
      return res.affectedRows === 1;
    },

    async defer(job: Job, until: Date, reason: string): Promise<boolean> {
      const [res] = await pool.query<Result>(q.defer, [until, reason.slice(0, 255), clock.now(), job.id, job.lockedBy]);
      return res.affectedRows === 1;
    },

    /** Frees claims older than the timeout, so a crashed runner's jobs run again. */
    async releaseStale(timeoutMs: number): Promise<number> {
      const now = clock.now();
      const [res] = await pool.query<Result>(q.releaseStale, [now, new Date(now.getTime() - timeoutMs)]);
      return res.affectedRows;
    },

    async counts(): Promise<Record<JobStatus, number>> {
      const [rows] = await pool.query<Row[]>(q.countsByStatus);
      const out = { pending: 0, running: 0, completed: 0, skipped: 0, failed: 0 };
      for (const r of rows) out[r.status as JobStatus] = Number(r.n);
      return out;
    },
  };
}
