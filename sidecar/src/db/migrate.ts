import type { Logger } from '../logger';
import { migrations as allMigrations, type Migration } from './migrations';
import type { Pool } from './pool';
import type { Row } from './sql';

const expand = (sql: string, prefix: string) => sql.replace(/\{([a-z_]+)\}/g, (_m, t: string) => `\`${prefix}${t}\``);

/**
 * Applies the pending migrations in order. A named lock keeps two replicas booting together from
 * racing; each migration is recorded only after all its statements ran.
 */
export async function migrate(pool: Pool, prefix: string, log?: Logger, migrations: Migration[] = allMigrations): Promise<number[]> {
  const conn = await pool.getConnection();
  const lockName = `${prefix}retain_migrate`;
  try {
    const [lock] = await conn.query<Row[]>('SELECT GET_LOCK(?, 60) AS got', [lockName]);
    if (lock[0]?.got !== 1) throw new Error('could not take the migration lock within 60 s');
    await conn.query(
      expand(
        `CREATE TABLE IF NOT EXISTS {retain_migrations} (version INT NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, applied_at DATETIME(3) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
        prefix,
      ),
    );
    const [done] = await conn.query<Row[]>(expand('SELECT version FROM {retain_migrations}', prefix));
    const applied = new Set(done.map((r) => Number(r.version)));
    const ran: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      // DDL commits implicitly in MySQL, so a migration is not atomic; each is written so that a
      // half-applied one fails loudly on re-run rather than silently skipping.
      for (const statement of m.statements) await conn.query(expand(statement, prefix));
      await conn.query(expand('INSERT INTO {retain_migrations} (version, name, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))', prefix), [m.version, m.name]);
      log?.info({ version: m.version, name: m.name }, 'migration applied');
      ran.push(m.version);
    }
    return ran;
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => undefined);
    conn.release();
  }
}
