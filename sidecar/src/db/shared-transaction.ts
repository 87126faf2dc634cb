import { groupQueue, type Waiting } from './group-queue';
import type { Connection, Pool } from './pool';

/**
 * Runs each piece of work in a transaction shared with the work that arrived while the others were
 * committing (group commit): one connection, one BEGIN and one COMMIT (one fsync) for many small
 * writes. Up to `maxInFlight` such transactions run at once, so the pieces' round trips in one
 * overlap another's; with a slot free, a piece starts at once.
 * The pieces of one transaction run concurrently on its connection (their statements interleave);
 * they stand or fall together; a piece must be safe to run again, as every caller's retry path
 * already makes it. A deadlock replays the whole transaction once.
 */
export function sharedTransactions<I, R>(pool: Pool, work: (conn: Connection, item: I) => Promise<R>, opts: { maxBatch?: number; maxInFlight?: number } = {}): (item: I) => Promise<R> {
  type Group = Array<Waiting<I, R>>;

  async function runBatch(batch: Group): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inOneTransaction(batch);
      } catch (err) {
        if (attempt === 1 && (err as { code?: string }).code === 'ER_LOCK_DEADLOCK') continue;
        throw err;
      }
    }
  }

  async function inOneTransaction(batch: Group): Promise<R[]> {
    const conn = await pool.getConnection();
    try {
      // Autocommit off rather than START TRANSACTION: when the server ends the transaction itself
      // (a deadlock) while other pieces' statements are still queued, those run in a new
      // transaction that the rollback below discards, instead of each committing on its own.
      await conn.query('SET autocommit = 0');
      // All pieces at once: the connection queues their statements and sends each the moment the
      // one before it is answered, so a busy event loop adds no wait between them. Every piece
      // ends before the commit or the rollback.
      const settled = await Promise.allSettled(batch.map((w) => work(conn, w.item)));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await conn.commit();
      return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      // Queued ahead of anything the connection's next user sends: it goes back as it came.
      conn.query('SET autocommit = 1').catch(() => undefined);
      conn.release();
    }
  }

  return groupQueue<I, R>(
    (batch) =>
      runBatch(batch).then(
        (results) => batch.forEach((w, i) => w.resolve(results[i]!)),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      ),
    { maxBatch: opts.maxBatch ?? 32, maxInFlight: opts.maxInFlight ?? 4 },
  );
}
