import pino from 'pino';
import type { ManualClock } from '../sidecar/src/clock';
import { createContactStore } from '../sidecar/src/contacts/contacts';
import { migrate } from '../sidecar/src/db/migrate';
import { stateMigrations } from '../sidecar/src/db/migrations';
import { createStatePool, type Pool } from '../sidecar/src/db/pool';
import type { Row } from '../sidecar/src/db/sql';
import { defaultFlows, type FlowDefinition, type ScanName } from '../sidecar/src/flows/definitions';
import { createFlowEngine } from '../sidecar/src/flows/flows';
import { createScans } from '../sidecar/src/flows/scans';
import { createJobStore } from '../sidecar/src/schedule/jobs';
import type { ShopReader } from '../sidecar/src/shop/reader';
import type { BenchRow } from './shop';

// The daily scans (flows/scans.ts) over a generated shop, each timed on its own: what the scan finds
// (its candidates), not the enrolment writes. The sidecar's own tables live in a database of their
// own (`<shop db>_state`) with what a real install would hold: one contact per shop contact (the facts
// table, so run the facts backfill first; birthdays from gen:shop's "birthday" user meta), 70 % with marketing consent, 60 % opened an email lately,
// a few thousand searches yesterday, and three products marked for replenishment.

const SCANS: ScanName[] = ['birthday', 'anniversary', 'replenishment', 'win_back', 'vip', 'search_abandonment', 'reengagement'];

export async function benchScans(o: { shopUrl: string; reader: ShopReader; shopPool: Pool; clock: ManualClock; prefix: string; say: (l: string) => void; only?: ScanName[] }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const shopDb = new URL(o.shopUrl).pathname.slice(1);
  const stateDb = `${shopDb}_state`;
  const server = o.shopUrl.replace(/\/[^/]*$/, '/');
  const admin = createStatePool(server, 1);
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${stateDb}\``);
  await admin.end();
  const pool = createStatePool(`${server}${stateDb}`, 4);
  const p = o.prefix;
  try {
    await migrate(pool, p, undefined, stateMigrations);
    const [[facts]] = await o.shopPool.query<Row[]>(`SELECT COUNT(*) AS n FROM \`${p}retain_shop_customer_facts\``);
    const [[have]] = await pool.query<Row[]>(`SELECT COUNT(*) AS n FROM \`${p}retain_contacts\``);
    let t = Date.now();
    if (Number(have?.n) !== Number(facts?.n)) {
      o.say(`seeding ${facts?.n} contacts into ${stateDb} …`);
      for (const table of ['retain_contacts', 'retain_searches', 'retain_enrollments', 'retain_jobs']) await pool.query(`TRUNCATE TABLE \`${p}${table}\``);
      const conn = await pool.getConnection();
      try {
        // Calendar-invalid birthdays (02-30) become NULL rather than failing the seed.
        await conn.query(`SET SESSION sql_mode = ''`);
        await conn.query(`INSERT IGNORE INTO \`${p}retain_contacts\` (email, customer_id, birthday, country, consent_state, consent_at, created_at, updated_at, last_open_at)
          SELECT f.email, NULLIF(f.customer_id, 0), COALESCE(f.birthday, b.meta_value), ELT(1 + CRC32(f.email) % 4, 'US', 'DE', 'GB', NULL),
            IF(CRC32(f.email) % 10 < 7, 'granted', 'unknown'), COALESCE(f.signup_at, f.first_paid_at, '2024-01-01'),
            COALESCE(f.signup_at, f.first_paid_at, '2024-01-01'), COALESCE(f.signup_at, f.first_paid_at, '2024-01-01'),
            IF(CRC32(REVERSE(f.email)) % 10 < 6, '2026-11-01', NULL)
          FROM \`${shopDb}\`.\`${p}retain_shop_customer_facts\` f
          -- The birthday the plugin would send with customer.created (gen:shop stores it as "birthday").
          LEFT JOIN \`${shopDb}\`.\`${p}usermeta\` b ON b.user_id = f.customer_id AND f.customer_id > 0 AND b.meta_key = 'birthday'
          ORDER BY f.email`);
        // Yesterday's searches (shop time) by 5,000 contacts.
        await conn.query(`INSERT INTO \`${p}retain_searches\` (contact_id, query, results, searched_at)
          SELECT id, CONCAT('tea ', id % 97), 3, '2026-11-21 15:00:00' FROM \`${p}retain_contacts\` WHERE id % 200 = 0`);
      } finally {
        conn.release();
      }
      rows.push({ name: `seed scan state: ${facts?.n} contacts (not a target)`, value: Math.round((Date.now() - t) / 10) / 100, unit: 's' });
    }
    const [popular] = await o.shopPool.query<Row[]>(`SELECT ID AS id FROM \`${p}posts\` WHERE post_type = 'product' AND post_status = 'publish' ORDER BY ID LIMIT 3`);
    const ids = popular.map((r) => Number(r.id));
    const flows: FlowDefinition[] = defaultFlows.map((f) => (f.id === 'replenishment'
      ? { ...f, enabled: true, settings: { ...f.settings, product_cycles: `${ids[0]}=30, ${ids[1]}`, occasion_products: String(ids[2]) } }
      : { ...f, enabled: true }));
    const clock = o.clock;
    const jobs = createJobStore(pool, p, clock, 'skip-locked');
    const engine = createFlowEngine({ prefix: p, clock, jobs, contacts: createContactStore(p, clock), flows: () => flows });
    const scans = createScans({ pool, prefix: p, clock, log: pino({ level: 'warn' }), engine, shop: o.reader, jobs });
    // The replenishment scan reads retain_shop_order_products: bring it up to date first (from empty
    // this walks every order's items once, like the bought-together miner), then time the scans.
    t = Date.now();
    await o.reader.lifecycle.syncOrderProducts();
    rows.push({ name: 'order products index catch-up before the scans (incremental)', value: Math.round((Date.now() - t) / 10) / 100, unit: 's' });
    o.say(`order products catch-up: ${Date.now() - t} ms`);
    const day = { year: 2026, month: 11, day: 22 };
    const at = new Date('2026-11-22T00:05:00Z');
    for (const name of o.only ?? SCANS) {
      let n = 0;
      t = Date.now();
      await scans.scan(name, day, at, async () => {
        n++;
      });
      const ms = Date.now() - t;
      o.say(`scan ${name}: ${n} candidates in ${ms} ms`);
      rows.push({ name: `scan ${name} (${n} candidates)`, value: Math.round(ms / 10) / 100, unit: 's', target: '< 60 s at 1M', pass: ms < 60_000 });
    }
  } finally {
    await pool.end();
  }
  return rows;
}

// Standalone, on a shop whose facts are already built (by bench/shop.ts or a running sidecar):
//   npx tsx bench/scans.ts --db gen_1m [--only win_back,vip]
if (require.main === module) {
  void (async () => {
    const { parseArgs } = await import('node:util');
    const { ManualClock } = await import('../sidecar/src/clock');
    const { createShopPool } = await import('../sidecar/src/db/pool');
    const { shopMigrations } = await import('../sidecar/src/db/migrations');
    const { createShopReader } = await import('../sidecar/src/shop/reader');
    const { GENERATED_BIRTHDAY_KEY } = await import('../sidecar/src/shop/generator/generate');
    const { values } = parseArgs({ options: { db: { type: 'string' }, only: { type: 'string' } } });
    const admin = (process.env.RETAIN_TEST_DB_ADMIN_URL ?? 'mysql://retain:retain@127.0.0.1:3407').replace(/\/+$/, '');
    const db = values.db ?? 'gen_1m';
    const url = db.includes('://') ? db : `${admin}/${db}`;
    const shopPool = createShopPool(url, 4);
    await migrate(shopPool, 'wp_', undefined, shopMigrations);
    const clock = new ManualClock('2026-11-22T00:00:00Z');
    const reader = createShopReader({ pool: shopPool, prefix: 'wp_', clock, log: pino({ level: 'warn' }), options: { birthdayMetaKey: GENERATED_BIRTHDAY_KEY } });
    const rows = await benchScans({ shopUrl: url, reader, shopPool, clock, prefix: 'wp_', say: (l) => console.error(l), only: values.only?.split(',') as ScanName[] | undefined });
    for (const r of rows) console.log(`${r.name.padEnd(72)} ${String(r.value).padStart(10)} ${r.unit.padEnd(3)}${r.target ? `  target ${r.target}: ${r.pass ? 'pass' : 'FAIL'}` : ''}`);
    console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
    await shopPool.end();
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
