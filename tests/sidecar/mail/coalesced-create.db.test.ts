import { ManualClock } from '../../../sidecar/src/clock';
import { coalescedWrites } from '../../../sidecar/src/db/coalesced-writes';
import type { Row } from '../../../sidecar/src/db/sql';
import { createMessageStore, type NewMessage } from '../../../sidecar/src/mail/messages';
import { createTestDatabase, type TestDatabase } from '../../support/db';

// The `sending` rows of sends that pass the gate together go in as one INSERT. Each send must still
// get its own row id, and a row the group cannot take must fail only its own send.
describe('coalesced `sending` rows', () => {
  let db: TestDatabase;
  const messages = createMessageStore('wp_', new ManualClock('2026-11-22T10:00:00Z'));
  let statements: string[] = [];
  beforeAll(async () => {
    db = await createTestDatabase({ label: 'coalesce' });
    // Counting the statements the pool runs (the real server still runs each of them).
    const query = db.pool.query.bind(db.pool);
    db.pool.query = ((sql: string, ...rest: unknown[]) => {
      statements.push(String(sql));
      return (query as (...a: unknown[]) => unknown)(sql, ...rest);
    }) as typeof db.pool.query;
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    await db.pool.query(`DELETE FROM wp_retain_messages`);
    statements = [];
  });
  const create = () => coalescedWrites((ms: NewMessage[]) => messages.createMany(db.pool, ms), (m) => messages.create(db.pool, m));
  const msg = (jobId: number): NewMessage => ({ jobId, contactId: 7, flow: 'welcome', step: 1, transport: 'mailgun', subject: '' });
  const rows = async () => (await db.pool.query<Row[]>('SELECT id, job_id, status FROM wp_retain_messages ORDER BY job_id'))[0].map((r) => ({ id: Number(r.id), job: Number(r.job_id), status: r.status }));

  it('writes the rows asked for in one turn with one INSERT, each caller getting its own row id', async () => {
    const createMessage = create();
    const ids = await Promise.all([101, 102, 103, 104, 105].map((j) => createMessage(msg(j))));
    const stored = await rows();
    expect(stored.map((r) => r.job)).toEqual([101, 102, 103, 104, 105]);
    expect(stored.every((r) => r.status === 'sending')).toBe(true);
    expect(ids).toEqual(stored.map((r) => r.id));
    expect(statements.filter((s) => /^INSERT/.test(s.trim()))).toHaveLength(1);
  });

  it('fails only the row the group cannot take (a message already there for its job); the others are written', async () => {
    const createMessage = create();
    const earlier = await messages.create(db.pool, msg(202));
    statements = [];
    const settled = await Promise.allSettled([201, 202, 203].map((j) => createMessage(msg(j))));
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((settled[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe('ER_DUP_ENTRY');
    const stored = await rows();
    expect(stored.map((r) => r.job)).toEqual([201, 202, 203]);
    // The row that was there is untouched; the other two callers got the ids of their own rows.
    expect(stored[1]!.id).toBe(earlier);
    expect((settled[0] as PromiseFulfilledResult<number>).value).toBe(stored[0]!.id);
    expect((settled[2] as PromiseFulfilledResult<number>).value).toBe(stored[2]!.id);
  });

  it('writes a lone row with the single-row statement, and goes on after a failed group', async () => {
    const createMessage = create();
    await messages.create(db.pool, msg(302));
    await Promise.allSettled([301, 302].map((j) => createMessage(msg(j))));
    statements = [];
    const id = await createMessage(msg(303));
    expect(statements.filter((s) => /^SELECT/.test(s.trim()))).toHaveLength(0);
    expect((await rows()).find((r) => r.job === 303)?.id).toBe(id);
  });
});
