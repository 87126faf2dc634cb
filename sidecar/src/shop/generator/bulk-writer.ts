import type { Pool } from '../../db/pool';
import { wcSchemaQueries } from './wc-schema-queries';

/**
 * What both writers' backpressure() awaits first: a turn of the event loop when 50 ms have passed
 * since the last. A loop that only awaits settled promises never lets I/O run, and a table's
 * connection opened meanwhile missed the server's 10-second connect_timeout (ECONNRESET a few
 * minutes into a 1M-customer load).
 */
export function ioTurns(everyMs = 50): () => Promise<void> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last < everyMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = Date.now();
  };
}

// Multi-row INSERTs built as text: one statement per ~1 MB, at most one statement in flight per
// table and a small cap overall, so memory stays flat however many rows are generated.

const ESCAPES: Record<string, string> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\b': '\\b', '\t': '\\t', '\x1a': '\\Z', '\\': '\\\\', "'": "\\'", '"': '\\"' };

export type SqlValue = string | number | null;

export function sqlValue(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NULL';
  return `'${v.replace(/[\0\n\r\b\t\x1a\\'"]/g, (c) => ESCAPES[c]!)}'`;
}

interface Buffer {
  head: string;
  rows: number;
  parts: string[];
  bytes: number;
  chain: Promise<void>;
}

export class BulkWriter {
  private readonly buffers = new Map<string, Buffer>();
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private failure: Error | null = null;
  rows = 0;

  constructor(
    private readonly pool: Pool,
    private readonly prefix: string,
    private readonly maxBytes = 1_000_000,
    private readonly maxInFlight = 4,
  ) {}

  define(table: string, columns: string[]): void {
    this.buffers.set(table, { head: wcSchemaQueries.insertPrefix(this.prefix, table, columns), rows: 0, parts: [], bytes: 0, chain: Promise.resolve() });
  }

  add(table: string, values: SqlValue[]): void {
    const b = this.buffers.get(table);
    if (!b) throw new Error(`table ${table} was not defined`);
    let tuple = '(';
    for (let i = 0; i < values.length; i++) tuple += (i ? ',' : '') + sqlValue(values[i]!);
    tuple += ')';
    b.parts.push(tuple);
    b.bytes += tuple.length + 1;
    b.rows++;
    this.rows++;
    if (b.bytes >= this.maxBytes) this.dispatch(b);
  }

  rowsOf(table: string): number {
    return this.buffers.get(table)?.rows ?? 0;
  }

  private readonly ioTurn = ioTurns();

  /** Waits while too many statements are in flight, and gives sockets a turn now and then (ioTurns). */
  async backpressure(): Promise<void> {
    if (this.failure) throw this.failure;
    await this.ioTurn();
    while (this.inFlight >= this.maxInFlight) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (this.failure) throw this.failure;
    }
  }

  async flush(): Promise<void> {
    for (const b of this.buffers.values()) if (b.parts.length) this.dispatch(b);
    await Promise.all([...this.buffers.values()].map((b) => b.chain));
    if (this.failure) throw this.failure;
  }

  private dispatch(b: Buffer): void {
    const sql = b.head + b.parts.join(',');
    b.parts = [];
    b.bytes = 0;
    this.inFlight++;
    b.chain = b.chain
      .then(() => (this.failure ? undefined : this.pool.query(sql).then(() => undefined)))
      .catch((err: Error) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.inFlight--;
        this.waiters.shift()?.();
      });
  }
}
