import type { Clock } from '../clock';
import type { Db } from '../db/pool';
import type { Result, Row } from '../db/sql';
import { messageQueries } from './queries';

export type MessageStatus = 'sending' | 'submitted' | 'delivered' | 'failed';

export interface MessageRecord {
  id: number;
  jobId: number;
  contactId: number;
  status: MessageStatus;
  providerId: string | null;
  createdAt: Date;
}

const toMessage = (r: Row): MessageRecord => ({
  id: Number(r.id),
  jobId: Number(r.job_id),
  contactId: Number(r.contact_id),
  status: r.status,
  providerId: r.provider_id,
  createdAt: r.created_at,
});

export type MessageStore = ReturnType<typeof createMessageStore>;

/**
 * One message row per send job (unique job_id). Its status is the send's source of truth:
 * `sending` is written before the provider is called, `submitted` with the provider's id after.
 */
export function createMessageStore(prefix: string, clock: Clock) {
  const q = messageQueries(prefix);
  return {
    queries: q,
    async byJob(db: Db, jobId: number): Promise<MessageRecord | null> {
      const [rows] = await db.query<Row[]>(q.byJob, [jobId]);
      return rows[0] ? toMessage(rows[0]) : null;
    },
    async byJobs(db: Db, jobIds: number[]): Promise<Map<number, MessageRecord>> {
      const [rows] = await db.query<Row[]>(q.byJobs, [jobIds]);
      return new Map(rows.map((r) => [Number(r.job_id), toMessage(r)]));
    },
    async create(db: Db, m: { jobId: number; contactId: number; flow: string; step: number; transport: string; subject: string }): Promise<number> {
      const [res] = await db.query<Result>(q.create, [m.jobId, m.contactId, m.flow, m.step, m.transport, m.subject.slice(0, 500), clock.now()]);
      return res.insertId;
    },
    async markSending(db: Db, id: number, subject: string, transport: string): Promise<void> {
      await db.query(q.markSending, [subject.slice(0, 500), transport, id]);
    },
    /** `subject`: what was sent, when this attempt rendered it (null keeps what the row has). */
    async markSubmitted(db: Db, id: number, providerId: string, subject: string | null = null): Promise<void> {
      await db.query(q.markSubmitted, [providerId, clock.now(), subject?.slice(0, 500) ?? null, id]);
    },
    async discard(db: Db, id: number): Promise<void> {
      await db.query(q.discard, [id]);
    },
    async markFailed(db: Db, id: number, error: string, subject: string | null = null): Promise<void> {
      await db.query(q.markFailed, [error.slice(0, 2000), subject?.slice(0, 500) ?? null, id]);
    },
    async counts(db: Db): Promise<Record<string, number>> {
      const [rows] = await db.query<Row[]>(q.countsByStatus);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
}
