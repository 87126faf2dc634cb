import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { migrate } from '../../sidecar/src/db/migrate';
import { createShopPool, createStatePool, type Pool } from '../../sidecar/src/db/pool';

export function adminUrl(): string {
  const url = process.env.RETAIN_TEST_DB_ADMIN_URL;
  if (!url) throw new Error('RETAIN_TEST_DB_ADMIN_URL is unset: run the db lane through jest (globalSetup starts MariaDB)');
  return url.replace(/\/+$/, '');
}

export interface TestDatabase {
  name: string;
  url: string;
  prefix: string;
  pool: Pool;
  /** A second pool on the same database with the shop reader's options. */
  shopPool: Pool;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file, so tests never share rows. The sidecar's migrations
 * are applied unless `migrated: false`.
 */
export async function createTestDatabase(opts: { prefix?: string; migrated?: boolean; label?: string } = {}): Promise<TestDatabase> {
  const prefix = opts.prefix ?? 'wp_';
  const name = `retain_t_${(opts.label ?? 'db').replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection(adminUrl());
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = `${adminUrl()}/${name}`;
  const pool = createStatePool(url);
  const shopPool = createShopPool(url);
  if (opts.migrated !== false) await migrate(pool, prefix);
  return {
    name,
    url,
    prefix,
    pool,
    shopPool,
    async drop() {
      await pool.end();
      await shopPool.end();
      const conn = await mysql.createConnection(adminUrl());
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
