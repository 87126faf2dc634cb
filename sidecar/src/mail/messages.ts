import type { Clock } from '../clock';
import type { Db } from '../db/pool';
import { multiRow, type Result, type Row } from '../db/sql';
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

export interface NewMessage { jobId: number; contactId: number; flow: string; step: number; transport: string; subject: string }

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
    async create(db: Db, m: NewMessage): Promise<number> {
      const [res] = await db.query<Result>(q.create, [m.jobId, m.contactId, m.flow, m.step, m.transport, m.subject.slice(0, 500), clock.now()]);
      return res.insertId;
    },
    /**
     * Many `sending` rows in one autocommitted statement: all are written or none. Answers their
     * ids in the order given, read back by job (auto-increment ids of one statement need not be
     * consecutive).
     */
    async createMany(db: Db, ms: NewMessage[]): Promise<number[]> {
      const now = clock.now();
      await db.query(multiRow(q.create, ms.length), ms.flatMap((m) => [m.jobId, m.contactId, m.flow, m.step, m.transport, m.subject.slice(0, 500), now]));
      const [rows] = await db.query<Row[]>(q.idsByJobs, [ms.map((m) => m.jobId)]);
      const ids = new Map(rows.map((r) => [Number(r.job_id), Number(r.id)]));
      return ms.map((m) => {
        const id = ids.get(m.jobId);
        if (id === undefined) throw new Error(`message row for job ${m.jobId} not found after inserting it`);
        return id;
      });
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
