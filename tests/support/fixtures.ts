import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import mysql from 'mysql2/promise';

// The shared WooCommerce dumps (shared/fixtures, beside the repository). They exist in CI and on
// developers' machines but not in a user's clone; tests that need them skip and say why.

export function fixturesDir(): string {
  return process.env.RETAIN_FIXTURES_DIR ?? path.resolve(__dirname, '../../../shared/fixtures');
}

export function fixturesPresent(): boolean {
  const dir = fixturesDir();
  return existsSync(path.join(dir, 'wcshop_hpos.sql.gz')) && existsSync(path.join(dir, 'wcshop_legacy.sql.gz'));
}

export type FixtureName = 'hpos' | 'legacy';

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(path.join(fixturesDir(), file), 'utf8')) as T;
}

/** Loads a dump into an existing database: statements are sent in chunks of about 4 MB, as the dump writes them. */
export async function loadFixture(name: FixtureName, url: string): Promise<void> {
  const sql = gunzipSync(readFileSync(path.join(fixturesDir(), `wcshop_${name}.sql.gz`))).toString('utf8');
  const conn = await mysql.createConnection({ uri: url, multipleStatements: true, charset: 'utf8mb4_unicode_ci' });
  try {
    let chunk: string[] = [];
    let size = 0;
    let statement = '';
    for (const line of sql.split('\n')) {
      if (!statement && (line.startsWith('--') || line.trim() === '')) continue;
      statement += `${line}\n`;
      if (!line.trimEnd().endsWith(';')) continue;
      chunk.push(statement);
      size += statement.length;
      statement = '';
      if (size > 4_000_000) {
        await conn.query(chunk.join(''));
        chunk = [];
        size = 0;
      }
    }
    if (statement.trim()) chunk.push(statement);
    if (chunk.length) await conn.query(chunk.join(''));
  } finally {
    await conn.end();
  }
}

/** A `describe` that is skipped, with the reason in its name and on the console, when the dumps are absent. */
export function describeWithFixtures(name: string, fn: () => void): void {
  if (fixturesPresent()) {
    describe(name, fn);
    return;
  }
  const reason = `skipped: ${fixturesDir()} not present (set RETAIN_FIXTURES_DIR to the shared WooCommerce dumps)`;
  // eslint-disable-next-line no-console
  console.warn(`${name} — ${reason}`);
  describe(name, () => {
    test.skip(`${name} ${reason}`, () => undefined);
  });
}
