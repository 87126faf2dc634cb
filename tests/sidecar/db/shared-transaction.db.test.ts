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

  it('lets the other pieces of a failed batch end before the rollback, so none writes outside it', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const insert = sharedTransactions(db.pool, async (conn, id: number) => {
      if (id === 5) throw new Error('piece 5 failed');
      await conn.query('INSERT INTO t (id, v) VALUES (?, ?)', [id, 'first']);
      // Still writing after piece 5 failed: this row must go with the rollback too.
      await sleep(100);
      await conn.query('INSERT INTO t (id, v) VALUES (?, ?)', [id + 100, 'late']);
      return id;
    }, { maxInFlight: 1 });
    const first = insert(1);
    const batch = [5, 6].map((id) => insert(id));
    const settled = await Promise.allSettled([first, ...batch]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await ids()).toEqual([1, 101]);
  });

  it('after a deadlock, writes nothing outside the transaction: the replay finds a clean table', async () => {
    await db.pool.query('CREATE TABLE IF NOT EXISTS heavy (id INT PRIMARY KEY) ENGINE=InnoDB');
    await db.pool.query('DELETE FROM heavy');
    await db.pool.query("INSERT INTO t (id, v) VALUES (1, 'seed'), (2, 'seed')");
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let aRuns = 0;
    let secondQueued!: () => void;
    const aQueuedItsSecondUpdate = new Promise<void>((r) => (secondQueued = r));
    const work = sharedTransactions(db.pool, async (conn, piece: 'first' | 'a' | 'b') => {
      if (piece === 'first') {
        await conn.query('SELECT 1');
      } else if (piece === 'a') {
        aRuns++;
        await conn.query("UPDATE t SET v = 'a' WHERE id = 1");
        const second = conn.query("UPDATE t SET v = 'a' WHERE id = 2");
        secondQueued();
        await second;
      } else {
        await aQueuedItsSecondUpdate;
        // Queued behind a's update, which the deadlock will end: it must not commit on its own.
        await conn.query("INSERT INTO t (id, v) VALUES (50, 'b')");
      }
      return piece;
    }, { maxInFlight: 1 });

    // Another transaction, heavier (so the server picks ours as the deadlock's victim), holds row 2.
    const other = await db.pool.getConnection();
    try {
      await other.beginTransaction();
      await other.query(`INSERT INTO heavy (id) VALUES ${Array.from({ length: 200 }, (_, i) => `(${i + 1})`).join(', ')}`);
      await other.query("UPDATE t SET v = 'other' WHERE id = 2");
      // The first piece takes the only slot alone, so a and b share the next transaction.
      const done = Promise.allSettled([work('first'), work('a'), work('b')]);
      await aQueuedItsSecondUpdate;
      await sleep(300);
      await other.query("UPDATE t SET v = 'other' WHERE id = 1"); // closes the cycle
      await other.commit();
      const settled = await done;
      // Replayed once after the deadlock, and the replay's insert found no leftover row 50.
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(aRuns).toBe(2);
    } finally {
      other.release();
    }
    expect(await ids()).toEqual([1, 2, 50]);
  });

  it('runs the pieces of one transaction together, not one after another', async () => {
    let active = 0;
    let mostActive = 0;
    const insert = sharedTransactions(db.pool, async (conn, id: number) => {
      mostActive = Math.max(mostActive, ++active);
      try {
        await conn.query('INSERT INTO t (id, v) VALUES (?, ?)', [id, 'x']);
        await conn.query('UPDATE t SET v = ? WHERE id = ?', ['y', id]);
        return id;
      } finally {
        active--;
      }
    }, { maxInFlight: 1 });
    expect(await Promise.all([1, 2, 3, 4, 5, 6].map((id) => insert(id)))).toEqual([1, 2, 3, 4, 5, 6]);
    // The first piece alone, then the five that queued meanwhile, all in flight at once.
    expect(mostActive).toBe(5);
    expect(await ids()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
