import { parseArgs } from 'node:util';
import pino from 'pino';
import { ManualClock } from '../sidecar/src/clock';
import { migrate } from '../sidecar/src/db/migrate';
import { createShopPool, createStatePool } from '../sidecar/src/db/pool';
import type { Row } from '../sidecar/src/db/sql';
import { GENERATED_BIRTHDAY_KEY, generateShop, type Storage } from '../sidecar/src/shop/generator/generate';
import { phpUnserialize } from '../sidecar/src/shop/php';
import { createShopReader } from '../sidecar/src/shop/reader';
import { SEGMENTS } from '../sidecar/src/shop/segments';
import { benchScans } from './scans';

// Shop-reader benchmark on a generated shop: whole-shop facts, each segment count, one contact's
// recommendations and the send-time gate (p50/p99), the full derived-table backfill, each daily
// scan of flows/scans.ts (bench/scans.ts; --skip-scans leaves them out), peak RSS.
//   npx tsx bench/shop.ts --customers 100000 --orders 500000 [--storage hpos|legacy] [--db mysql://…/db]
//   npx tsx bench/shop.ts --db gen_1m        (reuse a shop made by `npm run gen:shop`; sizes read from it)
//   npx tsx bench/shop.ts --db gen_1m --facts-runs 5 --skip-scans   (the facts row as a median of five backfills)
// Environment (also for `npm run bench`): BENCH_SHOP_DB (database name or URL to reuse),
// BENCH_SHOP_CUSTOMERS, BENCH_SHOP_ORDERS, BENCH_SHOP_STORAGE.

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: string;
  pass?: boolean;
}

export interface BenchShopOptions {
  /**
   * A database (URL, or a name on RETAIN_TEST_DB_ADMIN_URL) holding a shop made by gen:shop: reused
   * as it is, sizes and storage read from it. Default: BENCH_SHOP_DB, else a database named after the
   * size, generated when missing.
   */
  url?: string;
  customers?: number;
  orders?: number;
  storage?: Storage;
  seed?: number;
  samples?: number;
  /** Backfill the customer facts this many times and report the median (this VM varies ±15 % run to run). Default 1. */
  factsRuns?: number;
  /** Leave out the daily scans (they seed a state database `<shop db>_state` first). */
  skipScans?: boolean;
  log?: (line: string) => void;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const round = (n: number) => Math.round(n * 100) / 100;

export async function benchShop(opts: BenchShopOptions = {}): Promise<BenchRow[]> {
  const env = (k: string) => (process.env[k] ? process.env[k] : undefined);
  const admin = (process.env.RETAIN_TEST_DB_ADMIN_URL ?? 'mysql://retain:retain@127.0.0.1:3407').replace(/\/+$/, '');
  const reuse = opts.url ?? env('BENCH_SHOP_DB');
  const reuseUrl = reuse ? (reuse.includes('://') ? reuse : `${admin}/${reuse}`) : undefined;
  let customers = opts.customers ?? Number(env('BENCH_SHOP_CUSTOMERS') ?? 10_000);
  let orders = opts.orders ?? Number(env('BENCH_SHOP_ORDERS') ?? 50_000);
  let storage = opts.storage ?? (env('BENCH_SHOP_STORAGE') as Storage | undefined) ?? 'hpos';
  const seed = opts.seed ?? 1;
  const say = opts.log ?? (() => undefined);
  const url = reuseUrl ?? `${admin}/retain_bench_${storage}_${customers}_${orders}`;
  const prefix = 'wp_';
  const rows: BenchRow[] = [];
  const anchor = '2026-11-22';
  const seconds = (ms: number) => round(ms / 1000);

  // Reuse a shop generated earlier with the same parameters (or the one named); otherwise generate it.
  const state = createStatePool(url.replace(/\/[^/]*$/, '/'), 2);
  const dbName = new URL(url).pathname.slice(1);
  await state.query(`CREATE DATABASE IF NOT EXISTS \`${dbName}\``);
  await state.end();
  const shopPool = createShopPool(url, 8);
  const [existing] = await shopPool.query<Row[]>("SELECT option_value FROM information_schema.TABLES t JOIN `wp_options` o ON o.option_name = 'retain_generated_shop' WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = 'wp_options'").catch(() => [[] as Row[]]);
  const meta = existing[0] ? phpUnserialize(String(existing[0].option_value)) : null;
  const m = meta?.ok ? (meta.value as Record<string, unknown>) : null;
  if (reuseUrl) {
    if (!m) throw new Error(`${dbName} holds no shop made by gen:shop (no retain_generated_shop option)`);
    customers = Number(m.customers);
    orders = Number(m.orders);
    storage = m.storage as Storage;
    say(`reusing ${dbName}: ${customers} customers / ${orders} orders (${storage})`);
  } else if (!m || m.customers !== customers || m.orders !== orders || m.storage !== storage || m.seed !== seed) {
    say(`generating ${customers} customers / ${orders} orders (${storage}) …`);
    const g = await generateShop({ url, prefix, storage, customers, orders, seed, anchor, replace: true });
    rows.push({ name: `generate ${customers} customers / ${orders} orders (${storage}, ${g.method})`, value: seconds(g.ms), unit: 's' });
  }
  const statePool = createStatePool(url, 2);
  await migrate(statePool, prefix);
  // A fresh run: derived tables start empty, so the backfill below is a full one. The order-products
  // index is kept with its cursor (from empty it walks every order's item meta once: 11 min at 1M/5M,
  // once per install); it is caught up below, as the daily scan does.
  const derived = ['retain_shop_order_index', 'retain_shop_refund_index', 'retain_shop_customer_facts', 'retain_shop_customer_facts_next', 'retain_shop_product_orders', 'retain_shop_product_pairs'];
  for (const t of derived) await statePool.query(`TRUNCATE TABLE \`${prefix}${t}\``);
  await statePool.query(`DELETE FROM \`${prefix}retain_shop_state\` WHERE name NOT LIKE 'order_products%'`);
  await statePool.end();
  const size = `${customers}/${orders} ${storage}`;

  const clock = new ManualClock(`${anchor}T00:00:00Z`);
  const reader = createShopReader({ pool: shopPool, prefix, clock, log: pino({ level: 'warn' }), options: { birthdayMetaKey: GENERATED_BIRTHDAY_KEY } });
  const full = Date.now();
  let t = Date.now();
  if (storage === 'legacy') {
    await reader.orders.refreshIndex();
    rows.push({ name: `legacy order and refund index backfill (${size})`, value: seconds(Date.now() - t), unit: 's' });
  }
  t = Date.now();
  const facts = await reader.facts.backfill();
  const factsTimes = [Date.now() - t];
  t = Date.now();
  for (let i = 1; i < (opts.factsRuns ?? 1); i++) factsTimes.push((await reader.facts.backfill()).ms);
  // The full backfill below counts the first run only.
  const repeatsMs = Date.now() - t;
  const factsMs = pct(factsTimes, 50);
  const runs = factsTimes.length > 1 ? `, median of ${factsTimes.length}: ${factsTimes.map(seconds).join(' / ')} s` : '';
  rows.push({ name: `customer facts, whole shop (${size}, ${facts.contacts} contacts${runs})`, value: seconds(factsMs), unit: 's', target: '≤ 60 s at 1M/5M', pass: factsMs <= 60_000 });
  t = Date.now();
  const mined = await reader.recommendations.minePairs();
  rows.push({ name: `bought-together mining (${mined} orders)`, value: seconds(Date.now() - t), unit: 's' });
  rows.push({ name: `full backfill: ${storage === 'legacy' ? 'order and refund index + ' : ''}facts + pairs, from empty`, value: seconds(Date.now() - full - repeatsMs), unit: 's' });
  t = Date.now();
  await reader.facts.refresh();
  rows.push({ name: 'facts refresh with nothing changed', value: seconds(Date.now() - t), unit: 's' });
  t = Date.now();
  await reader.recommendations.minePairs();
  rows.push({ name: 'bought-together mining with nothing new', value: seconds(Date.now() - t), unit: 's' });

  // The first count of a segment also derives its thresholds (lapse window, RFM cut points), cached
  // for settingsTtlMs; the target holds for that first call.
  for (const seg of SEGMENTS) {
    t = Date.now();
    const n = await reader.segments.count(seg);
    const cold = Date.now() - t;
    t = Date.now();
    await reader.segments.count(seg);
    const warm = Date.now() - t;
    rows.push({ name: `segment count ${seg} (${n}; first call, thresholds derived)`, value: seconds(cold), unit: 's', target: '≤ 5 s', pass: cold <= 5000 });
    rows.push({ name: `segment count ${seg}, thresholds cached`, value: seconds(warm), unit: 's' });
  }
  t = Date.now();
  let page = await reader.segments.members('repeat', { limit: 5000 });
  let pages = 1;
  while (page.next && pages < 400) {
    page = await reader.segments.members('repeat', { after: page.next, limit: 5000 });
    pages++;
  }
  rows.push({ name: `segment members repeat, keyset pages of 5000 (${pages} pages)`, value: round((Date.now() - t) / 1000), unit: 's' });

  t = Date.now();
  await reader.lifecycle.syncOrderProducts();
  rows.push({ name: 'order-products index catch-up (kept between runs)', value: seconds(Date.now() - t), unit: 's' });

  const samples = opts.samples ?? 300;
  const [emails] = await shopPool.query<Row[]>('SELECT email, customer_id FROM `wp_retain_shop_customer_facts` WHERE email > ? ORDER BY email LIMIT ?', ['m', samples]);
  await reader.recommendations.warm();
  const recTimes: number[] = [];
  const gateTimes: number[] = [];
  const factTimes: number[] = [];
  for (const r of emails) {
    const contact = { email: String(r.email), customerId: Number(r.customer_id) || null };
    let s = performance.now();
    await reader.recommendations.forContact(contact, 4);
    recTimes.push(performance.now() - s);
    s = performance.now();
    await reader.orders.hasOrderSince(contact, new Date('2026-11-01T00:00:00Z'));
    gateTimes.push(performance.now() - s);
    s = performance.now();
    await reader.facts.forContact(contact);
    factTimes.push(performance.now() - s);
  }
  rows.push({ name: 'recommendations for one contact p50', value: round(pct(recTimes, 50)), unit: 'ms' });
  rows.push({ name: 'recommendations for one contact p99', value: round(pct(recTimes, 99)), unit: 'ms', target: '< 20 ms', pass: pct(recTimes, 99) < 20 });
  rows.push({ name: 'send-time gate hasOrderSince p50', value: round(pct(gateTimes, 50)), unit: 'ms' });
  rows.push({ name: 'send-time gate hasOrderSince p99', value: round(pct(gateTimes, 99)), unit: 'ms' });
  rows.push({ name: 'live facts for one contact p99', value: round(pct(factTimes, 99)), unit: 'ms' });
  if (!opts.skipScans) rows.push(...(await benchScans({ shopUrl: url, reader, shopPool, clock, prefix, say })));
  const rss = process.resourceUsage().maxRSS / 1024;
  rows.push({ name: 'peak RSS (this Node process)', value: round(rss), unit: 'MB', target: '< 300 MB', pass: rss < 300 });
  await shopPool.end();
  return rows;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { customers: { type: 'string' }, orders: { type: 'string' }, storage: { type: 'string' }, db: { type: 'string' }, samples: { type: 'string' }, 'skip-scans': { type: 'boolean' }, 'facts-runs': { type: 'string' } } });
  benchShop({
    url: values.db,
    customers: values.customers ? Number(values.customers) : undefined,
    orders: values.orders ? Number(values.orders) : undefined,
    storage: values.storage as Storage | undefined,
    samples: values.samples ? Number(values.samples) : undefined,
    skipScans: values['skip-scans'],
    factsRuns: values['facts-runs'] ? Number(values['facts-runs']) : undefined,
    log: (l) => console.error(l),
  }).then(
    (rows) => {
      for (const r of rows) console.log(`${r.name.padEnd(72)} ${String(r.value).padStart(10)} ${r.unit.padEnd(3)}${r.target ? `  target ${r.target}: ${r.pass ? 'pass' : 'FAIL'}` : ''}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
