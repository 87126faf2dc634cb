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

/** Requests are combined into one INSERT up to this many rows; a full batch goes alone. */
const MAX_ROWS = 500;
/** INSERTs in flight at once: enough to keep the disk's group commit busy, few enough to batch. */
const MAX_INFLIGHT = 4;

/**
 * Stores events durably. Requests that arrive while the write slots are busy are written together
 * in the next single INSERT (group commit): one commit and one fsync for many small requests,
 * which is what lets single-event requests scale past the disk's commit rate. A request's promise resolves only
 * once its events are committed; if the write fails, every request in it fails and nothing of
 * theirs is stored, so the plugin retries them whole.
 */
export function createEventStore(pool: Pool, prefix: string, clock: Clock) {
  const q = intakeQueries(prefix);
  const waiting: Waiting[] = [];

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

  let inflight = 0;
  /** Event ids being written now: a resend of one waits for that write, so its count is exact. */
  const writing = new Set<string>();

  /** Starts writes while slots are free; each takes what has queued up since the last one. */
  function pump(): void {
    while (inflight < MAX_INFLIGHT && waiting.length > 0) {
      const batch: Waiting[] = [];
      const ids = new Set<string>();
      let rows = 0;
      for (let i = 0; i < waiting.length && (batch.length === 0 || rows < MAX_ROWS); ) {
        const w = waiting[i]!;
        const clash = w.events.some((e) => writing.has(e.id));
        if (clash || (batch.length > 0 && rows + w.events.length > MAX_ROWS)) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        batch.push(w);
        rows += w.events.length;
        for (const e of w.events) ids.add(e.id);
      }
      if (batch.length === 0) return; // everything waiting clashes with a write in flight
      for (const id of ids) writing.add(id);
      inflight++;
      // A single multi-row INSERT is atomic under autocommit: one commit, all or nothing.
      void write(batch)
        .catch((err) => batch.forEach((w) => w.reject(err)))
        .finally(() => {
          for (const id of ids) writing.delete(id);
          inflight--;
          pump();
        });
    }
  }

  return {
    queries: q,
    /** Resolves once the events are committed, with how many of them were already stored. */
    append(events: ShopEvent[]): Promise<{ accepted: number; duplicates: number }> {
      return new Promise((resolve, reject) => {
        waiting.push({ events, resolve, reject });
        pump();
      });
    },
  };
}
