import mysql from 'mysql2/promise';

export type Pool = mysql.Pool;
export type Connection = mysql.PoolConnection;
/** Anything that can run a query: the pool, or a connection inside a transaction. */
export type Db = Pool | Connection;

// Our own tables keep UTC DATETIME(3); `timezone: 'Z'` makes mysql2 read and write them as UTC.
// Money stays exact because DECIMAL arrives as a string, and big ids arrive as strings.
// `trace: false`: mysql2 otherwise captures a stack trace for every query, a twentieth of a
// send's CPU, only to decorate errors we log by code anyway.
export function createStatePool(url: string, connectionLimit = 20): Pool {
  return mysql.createPool({
    uri: url,
    connectionLimit,
    waitForConnections: true,
    timezone: 'Z',
    dateStrings: false,
    decimalNumbers: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    charset: 'utf8mb4_unicode_ci',
    enableKeepAlive: true,
    trace: false,
  });
}

// The shop's tables mix UTC (`*_gmt`) and site-local DATETIME columns and use zero dates, so
// dates come back as the exact strings WooCommerce wrote; the shop reader decides what they mean.
export function createShopPool(url: string, connectionLimit = 10): Pool {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit,
    waitForConnections: true,
    timezone: 'Z',
    dateStrings: true,
    decimalNumbers: false,
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4_unicode_ci',
    enableKeepAlive: true,
    trace: false,
  });
  // The reader's INSERT … SELECT statements read WooCommerce's tables for seconds at a time. In
  // REPEATABLE READ with the binary log on (mixed or statement format), InnoDB share-locks every row
  // they read, and a checkout updating an order waits for the whole scan. READ COMMITTED reads a snapshot.
  pool.on('connection', (conn) => {
    conn.query(SHOP_SESSION_ISOLATION);
  });
  return pool;
}

export const SHOP_SESSION_ISOLATION = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

export async function withTransaction<T>(pool: Pool, fn: (conn: Connection) => Promise<T>, opts: { readCommitted?: boolean } = {}): Promise<T> {
  const conn = await pool.getConnection();
  try {
    // READ COMMITTED takes no gap locks: a queue reader must not block the inserts at the queue's end.
    if (opts.readCommitted) await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await conn.beginTransaction();
    const result = await fn(conn);
    await conn.commit();
    return result;
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/**
 * Returns a connection whose session a job tuned (bigger sort buffers and the like) to the pool
 * with the server's defaults again; one that cannot be reset is closed instead.
 */
export async function releaseWithDefaults(conn: Connection, resetSql: string): Promise<void> {
  const reset = await conn.query(resetSql).then(() => true, () => false);
  if (reset) conn.release();
  else conn.destroy();
}

export interface ServerInfo {
  version: string;
  isMariaDb: boolean;
  /** SELECT … FOR UPDATE SKIP LOCKED: MariaDB ≥ 10.6, MySQL ≥ 8.0. */
  skipLocked: boolean;
}

export async function serverInfo(pool: Pool): Promise<ServerInfo> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
  const version = String(rows[0]?.v ?? '');
  const isMariaDb = /mariadb/i.test(version);
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  const skipLocked = isMariaDb ? major > 10 || (major === 10 && minor >= 6) : major >= 8;
  return { version, isMariaDb, skipLocked };
}

/** Waits for every statement running side by side on separate connections, then throws the first failure (none is left running). */
export async function settled<T>(work: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(work);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
