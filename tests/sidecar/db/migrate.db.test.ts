import { migrate } from '../../../sidecar/src/db/migrate';
import { migrations } from '../../../sidecar/src/db/migrations';
import type { Row } from '../../../sidecar/src/db/sql';
import { createTestDatabase, type TestDatabase } from '../../support/db';

describe('migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'shop7_', migrated: false, label: 'migrate' });
  });
  afterAll(() => db.drop());

  it('creates every table with the configured prefix and records each version once', async () => {
    const first = await migrate(db.pool, 'shop7_');
    expect(first).toEqual(migrations.map((m) => m.version));
    const [tables] = await db.pool.query<Row[]>('SHOW TABLES');
    const names = tables.map((r) => String(Object.values(r)[0]));
    expect(names).toEqual(expect.arrayContaining(['shop7_retain_jobs', 'shop7_retain_events', 'shop7_retain_migrations']));
    expect(names.every((n) => n.startsWith('shop7_retain_'))).toBe(true);
  });

  it('is a no-op the second time, even when two callers race', async () => {
    const again = await Promise.all([migrate(db.pool, 'shop7_'), migrate(db.pool, 'shop7_')]);
    expect(again).toEqual([[], []]);
  });
});
