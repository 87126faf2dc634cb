import type { Row } from '../../../sidecar/src/db/sql';
import { sharedTransactions } from '../../../sidecar/src/db/shared-transaction';
import { createTestDatabase, type TestDatabase } from '../../support/db';

describe('shared transactions (group commit)', () => {
  let db: TestDatabase;
  let transactions = 0;
  beforeAll(async () => {
    db = await createTestDatabase({ label: 'shared_tx', migrated: false });
    await db.pool.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB');
    // Each transaction takes one connection: counting them counts transactions.
    const get = db.pool.getConnection.bind(db.pool);
    db.pool.getConnection = (async () => {
      transactions++;
      return get();
    }) as typeof db.pool.getConnection;
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    transactions = 0;
    await db.pool.query('DELETE FROM t');
  });
  const ids = async () => ((await db.pool.query<Row[]>('SELECT id FROM t ORDER BY id'))[0]).map((r) => Number(r.id));

  it('commits work that arrives together in far fewer transactions, each piece getting its own answer', async () => {
    const insert = sharedTransactions(db.pool, async (conn, id: number) => {
      await conn.query('INSERT INTO t (id, v) VALUES (?, ?)', [id, `v${id}`]);
      return id * 2;
    });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => insert(i + 1)));
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => (i + 1) * 2));
    expect(await ids()).toHaveLength(40);
    // The first four start at once, each alone; the 36 that came meanwhile share the next few (at most 32 a batch).
    expect(transactions).toBeLessThanOrEqual(6);
  });

  it('rolls back and fails the whole batch a failing piece is in, and goes on with the next', async () => {
    // One transaction at a time, so the five pieces after the first are sure to share one.
    const insert = sharedTransactions(db.pool, async (conn, id: number) => {
      await conn.query('INSERT INTO t (id, v) VALUES (?, ?)', [id, 'x']);
      if (id === 5) throw new Error('piece 5 failed');
      return id;
    }, { maxInFlight: 1 });
    const first = insert(1);
    const batch = [2, 3, 4, 5, 6].map((id) => insert(id));
    const settled = await Promise.allSettled([first, ...batch]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(await insert(7)).toBe(7);
    expect(await ids()).toEqual([1, 7]);
  });
});
