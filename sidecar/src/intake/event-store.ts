import type { Clock } from '../clock';
import type { Pool } from '../db/pool';
import { multiRow, type Result, type Row } from '../db/sql';
import type { ShopEvent } from './event-schemas';
import { intakeQueries } from './queries';

export type EventStore = ReturnType<typeof createEventStore>;

interface Waiting {
  events: ShopEvent[];
  resolve: (r: { accepted: number; duplicates: number }) => void;
  reject: (err: unknown) => void;
}

/** Rows per INSERT when concurrent requests are written together. */
const MAX_ROWS = 2000;

/**
 * Stores events durably. Requests that arrive while a write is in flight are written together in
 * the next single INSERT (group commit): one commit and one fsync for many requests, which is what
 * lets single-event requests scale past the disk's commit rate. A request's promise resolves only
 * once its events are committed; if the write fails, every request in it fails and nothing of
 * theirs is stored, so the plugin retries them whole.
 */
export function createEventStore(pool: Pool, prefix: string, clock: Clock) {
  const q = intakeQueries(prefix);
  const waiting: Waiting[] = [];
  let flushing = false;

  async function write(batch: Waiting[]): Promise<void> {
    const events = batch.flatMap((w) => w.events);
    const received = clock.now();
    // One request alone: the insert's own count says how many were new.
    if (batch.length === 1) {
      const [res] = await pool.query<Result>(multiRow(q.insertEvent, events.length), events.flatMap((e) => [e.id, e.type, e.occurredAt, received, JSON.stringify(e.data)]));
      batch[0]!.resolve({ accepted: events.length, duplicates: events.length - res.affectedRows });
      return;
    }
    // Several requests share the insert: which ids were there already tells each its duplicates.
    const [existing] = await pool.query<Row[]>(q.existingIds, [events.map((e) => e.id)]);
    const seen = new Set(existing.map((r) => String(r.event_id)));
    const counts = batch.map((w) => {
      let duplicates = 0;
      for (const e of w.events) {
        if (seen.has(e.id)) duplicates++;
        else seen.add(e.id);
      }
      return duplicates;
    });
    await pool.query<Result>(multiRow(q.insertEvent, events.length), events.flatMap((e) => [e.id, e.type, e.occurredAt, received, JSON.stringify(e.data)]));
    batch.forEach((w, i) => w.resolve({ accepted: w.events.length, duplicates: counts[i]! }));
  }

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (waiting.length > 0) {
        const batch: Waiting[] = [];
        let rows = 0;
        while (waiting.length > 0 && (batch.length === 0 || rows + waiting[0]!.events.length <= MAX_ROWS)) {
          const w = waiting.shift()!;
          rows += w.events.length;
          batch.push(w);
        }
        // A single multi-row INSERT is atomic under autocommit: one commit, all or nothing.
        await write(batch).catch((err) => batch.forEach((w) => w.reject(err)));
      }
    } finally {
      flushing = false;
    }
  }

  return {
    queries: q,
    /** Resolves once the events are committed, with how many of them were already stored. */
    append(events: ShopEvent[]): Promise<{ accepted: number; duplicates: number }> {
      return new Promise((resolve, reject) => {
        waiting.push({ events, resolve, reject });
        if (!flushing) void flush();
      });
    },
  };
}
