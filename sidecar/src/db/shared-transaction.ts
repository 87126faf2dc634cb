import { withTransaction, type Connection, type Pool } from './pool';

/**
 * Runs each piece of work in a transaction shared with the work that arrived while the previous
 * one was committing (group commit): one connection, one BEGIN and one COMMIT (one fsync) for
 * many small writes. With nothing else waiting, a piece runs in a transaction of its own at once.
 * The pieces of one transaction stand or fall together; a piece must be safe to run again, as
 * every caller's retry path already makes it. A deadlock replays the whole transaction once.
 */
export function sharedTransactions<I, R>(pool: Pool, work: (conn: Connection, item: I) => Promise<R>, maxBatch = 32): (item: I) => Promise<R> {
  type Waiting = { item: I; resolve: (r: R) => void; reject: (err: unknown) => void };
  let queue: Waiting[] = [];
  let running = false;

  async function runBatch(batch: Waiting[]): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTransaction(pool, async (conn) => {
          const results: R[] = [];
          for (const w of batch) results.push(await work(conn, w.item));
          return results;
        });
      } catch (err) {
        if (attempt === 1 && (err as { code?: string }).code === 'ER_LOCK_DEADLOCK') continue;
        throw err;
      }
    }
  }

  async function drain(): Promise<void> {
    running = true;
    while (queue.length) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        const results = await runBatch(batch);
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    running = false;
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!running) void drain();
    });
}
