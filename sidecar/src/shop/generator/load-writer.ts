import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type mysql from 'mysql2/promise';
import type { Pool } from '../../db/pool';
import { ioTurns, type SqlValue } from './bulk-writer';
import { wcSchemaQueries } from './wc-schema-queries';

// Rows streamed into LOAD DATA LOCAL INFILE, one connection per table, all tables loading in
// parallel. The server parses tab-separated text far faster than INSERT … VALUES, and one statement
// carries up to `statementBytes` (a bounded transaction), so a load of 100M rows is a few hundred
// statements. Memory stays flat: text waiting for the server is capped overall (`maxQueuedBytes`)
// and per socket, and the generating loop waits in backpressure() when it is over.

export interface RowSink {
  rows: number;
  /** Rows added to one table so far. */
  rowsOf(table: string): number;
  define(table: string, columns: string[]): void;
  add(table: string, values: SqlValue[]): void;
  backpressure(): Promise<void>;
  flush(): Promise<void>;
}

const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** One field of LOAD DATA text (FIELDS TERMINATED BY '\t' ESCAPED BY '\\'); NULL is \N. */
export function tsvValue(v: SqlValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '\\N';
  // A plain scan beats a regex call on the short strings most fields are.
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13 || c === 0) return v.replace(/[\\\t\n\r\0]/g, (ch) => TSV_ESCAPES[ch]!);
  }
  return v;
}

interface TableLoad {
  name: string;
  rows: number;
  sql: string;
  buf: string;
  queue: Buffer[];
  wake: (() => void) | null;
  done: Promise<void> | null;
}

export class LoadWriter implements RowSink {
  private readonly tables = new Map<string, TableLoad>();
  private queued = 0;
  private ended = false;
  private failure: Error | null = null;
  private waiters: Array<() => void> = [];
  rows = 0;

  constructor(
    private readonly pool: Pool,
    private readonly prefix: string,
    private readonly o = { chunkBytes: 256 * 1024, statementBytes: 64 * 1024 * 1024, maxQueuedBytes: 48 * 1024 * 1024, socketBytes: 2 * 1024 * 1024, idleMs: 1000 },
  ) {}

  define(table: string, columns: string[]): void {
    this.tables.set(table, { name: table, rows: 0, sql: wcSchemaQueries.loadData(this.prefix, table, columns), buf: '', queue: [], wake: null, done: null });
  }

  add(table: string, values: SqlValue[]): void {
    const t = this.tables.get(table);
    if (!t) throw new Error(`table ${table} was not defined`);
    let line = tsvValue(values[0] ?? null);
    for (let i = 1; i < values.length; i++) line += '\t' + tsvValue(values[i]!);
    t.buf += line + '\n';
    t.rows++;
    this.rows++;
    if (t.buf.length >= this.o.chunkBytes) this.enqueue(t);
  }

  rowsOf(table: string): number {
    return this.tables.get(table)?.rows ?? 0;
  }

  async backpressure(): Promise<void> {
    if (this.failure) throw this.failure;
    await this.ioTurn();
    while (this.queued > this.o.maxQueuedBytes) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (this.failure) throw this.failure;
    }
  }

  async flush(): Promise<void> {
    for (const t of this.tables.values()) if (t.buf) this.enqueue(t);
    this.ended = true;
    for (const t of this.tables.values()) t.wake?.();
    await Promise.all([...this.tables.values()].map((t) => t.done));
    if (this.failure) throw this.failure;
  }

  /** Sockets get a turn now and then even when the server keeps up (ioTurns). */
  private readonly ioTurn = ioTurns();

  private enqueue(t: TableLoad): void {
    const chunk = Buffer.from(t.buf, 'utf8');
    t.buf = '';
    t.queue.push(chunk);
    this.queued += chunk.length;
    t.done ??= this.load(t).catch((err: Error) => {
      this.failure ??= err;
      this.release(Infinity);
    });
    t.wake?.();
  }

  private release(bytes: number): void {
    this.queued = Math.max(0, this.queued - bytes);
    if (this.queued <= this.o.maxQueuedBytes || this.failure) for (const w of this.waiters.splice(0)) w();
  }

  /** One table's loop: LOAD DATA statements of at most statementBytes until the writer is flushed. */
  private async load(t: TableLoad): Promise<void> {
    const conn = await this.pool.getConnection();
    try {
      // Session-only: WooCommerce's tables have no foreign keys and the generated keys are unique by construction; a
      // statement may wait on the generator, so the read timeout is long.
      await conn.query(wcSchemaQueries.bulkSession);
      const socket = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
      while (!this.failure && (t.queue.length || !this.ended)) {
        if (!t.queue.length) {
          await new Promise<void>((resolve) => (t.wake = resolve));
          t.wake = null;
          continue;
        }
        await conn.query({ sql: t.sql, infileStreamFactory: () => Readable.from(this.statementChunks(t, socket), { objectMode: false }) } as mysql.QueryOptions);
      }
    } finally {
      conn.release();
    }
  }

  private async *statementChunks(t: TableLoad, socket: Socket): AsyncGenerator<Buffer> {
    let sent = 0;
    while (sent < this.o.statementBytes && !this.failure) {
      const chunk = t.queue.shift();
      if (!chunk) {
        if (this.ended) return;
        // A table whose rows have paused (usermeta while orders are written) ends its statement
        // rather than hold an idle LOAD DATA open; the next chunk starts a new one.
        let timer: NodeJS.Timeout | undefined;
        const more = await new Promise<boolean>((resolve) => {
          t.wake = () => resolve(true);
          timer = setTimeout(() => resolve(false), this.o.idleMs);
        });
        clearTimeout(timer);
        t.wake = null;
        if (!more && !t.queue.length) return;
        continue;
      }
      // The driver writes to the socket without waiting; keep what the server has not taken yet small.
      while (socket.writableLength > this.o.socketBytes) await once(socket, 'drain');
      sent += chunk.length;
      this.release(chunk.length);
      yield chunk;
    }
  }
}
