import type mysql from 'mysql2/promise';
import type { Pool } from './pool';

// All SQL lives in each capability's `queries.ts` as named statements. Table names are written
// `{name}` and get the shop's table prefix here, so nothing assumes `wp_`. At boot every statement
// is prepared against the server, so a broken query stops start-up instead of a send at 3 a.m.

export type QueryText = string & { readonly __sql: unique symbol };
export type QuerySet<K extends string> = Readonly<Record<K, QueryText>>;

export function defineQueries<K extends string>(templates: Record<K, string>) {
  return (prefix: string): QuerySet<K> => {
    const out = {} as Record<K, QueryText>;
    for (const name of Object.keys(templates) as K[]) {
      out[name] = templates[name].replace(/\{([a-z_]+)\}/g, (_m, table: string) => `\`${prefix}${table}\``) as QueryText;
    }
    return Object.freeze(out);
  };
}

/** Expands a single-row `VALUES (?, …)` statement to n rows, so batches stay one prepared shape. */
export function multiRow(sql: QueryText, rows: number): string {
  const match = /VALUES\s*(\([^)]*\))/i.exec(sql);
  if (!match) throw new Error('multiRow needs a VALUES (…) clause');
  const tuple = match[1]!;
  return sql.replace(tuple, Array.from({ length: rows }, () => tuple).join(', '));
}

/** DDL for one of our tables: InnoDB, full UTF-8. */
export const innodbTable = (body: string) => `${body} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

export async function verifyQueries(pool: Pool, sets: Record<string, QuerySet<string>>): Promise<void> {
  const conn = await pool.getConnection();
  try {
    for (const [setName, set] of Object.entries(sets)) {
      for (const [name, sql] of Object.entries(set)) {
        try {
          const stmt = await (conn as unknown as mysql.Connection).prepare(sql);
          stmt.close();
        } catch (err) {
          throw new Error(`query ${setName}.${name} does not prepare: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    conn.release();
  }
}

export type Row = mysql.RowDataPacket;
export type Result = mysql.ResultSetHeader;
