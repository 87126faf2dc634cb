import type { Clock } from '../clock';
import { withTransaction, type Pool } from '../db/pool';
import { multiRow, type Result } from '../db/sql';
import type { ShopEvent } from './event-schemas';
import { intakeQueries } from './queries';

export type EventStore = ReturnType<typeof createEventStore>;

export function createEventStore(pool: Pool, prefix: string, clock: Clock) {
  const q = intakeQueries(prefix);
  return {
    queries: q,
    /**
     * Stores a batch durably in one transaction (one commit, one fsync) and reports how many
     * were new. Returning means the events survive a crash.
     */
    async append(events: ShopEvent[]): Promise<{ accepted: number; duplicates: number }> {
      const received = clock.now();
      const values = events.flatMap((e) => [e.id, e.type, e.occurredAt, received, JSON.stringify(e.data)]);
      const inserted = await withTransaction(pool, async (conn) => {
        const [res] = await conn.query<Result>(multiRow(q.insertEvent, events.length), values);
        return res.affectedRows;
      });
      return { accepted: events.length, duplicates: events.length - inserted };
    },
  };
}
