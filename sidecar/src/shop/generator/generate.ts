import mysql from 'mysql2/promise';
import type { Pool } from '../../db/pool';
import type { Row } from '../../db/sql';
import { phpSerialize, type PhpValue } from '../php';
import { BulkWriter } from './bulk-writer';
import { LoadWriter, type RowSink } from './load-writer';
import { CATEGORIES, COUNTRIES, FIRST_NAMES, LAST_NAMES, PAYMENT_METHODS, STREETS } from './names';
import { hash01, Random } from './random';
import { WC_TABLES, wcSchemaQueries } from './wc-schema-queries';

// Generates a WooCommerce shop in WooCommerce's real table layout, reproducibly from a seed.
// Everything is streamed: customers and orders are produced one at a time and written through a
// bounded bulk writer, and every trait of a customer is a pure function of (seed, index), so
// memory stays flat at any size. The random draws do not depend on the storage, so the same seed
// gives the same shop in HPOS and in legacy storage (same ids, same rows, different tables).

export type Storage = 'hpos' | 'legacy';

/** The usermeta key generated birthdays go under (Y-m-d), as in the fixture shops; readers name it as birthdayMetaKey. */
export const GENERATED_BIRTHDAY_KEY = 'birthday';

export interface GenerateShopOptions {
  /** mysql://user:pass@host:port/database — the database is created when missing. */
  url: string;
  prefix?: string;
  storage?: Storage;
  customers?: number;
  orders?: number;
  products?: number;
  seed?: number;
  currency?: string;
  timezone?: string;
  /** Y-m-d; every date lies in the three years before this day (00:00 UTC). */
  anchor?: string;
  /** Drop and recreate the tables the generator writes when they already exist. */
  replace?: boolean;
  /** Called now and then with progress, for the CLI. */
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
  /**
   * 'load': LOAD DATA LOCAL INFILE, every table in parallel (needs the server's local_infile; switched
   * on for the load when off and the account may, then restored); 'insert': multi-row INSERTs.
   * Default: 'load' when possible, else 'insert'. Both write the same rows.
   */
  method?: 'load' | 'insert';
}

export interface GeneratedShop {
  prefix: string;
  storage: Storage;
  seed: number;
  anchor: string;
  customers: number;
  guests: number;
  orders: number;
  refunds: number;
  products: number;
  variations: number;
  persistentCarts: number;
  sessions: number;
  rows: number;
  ms: number;
  method: 'load' | 'insert';
}

export class ShopExistsError extends Error {
  readonly code = 'shop_exists';
  constructor(readonly tables: string[]) {
    super(`the database already has WooCommerce tables (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}); pass --force / { replace: true } to drop and recreate them`);
  }
}

const DAY = 86_400_000;
const SPAN_DAYS = 3 * 365;

export async function generateShop(opts: GenerateShopOptions): Promise<GeneratedShop> {
  const started = Date.now();
  const o = {
    prefix: opts.prefix ?? 'wp_',
    storage: opts.storage ?? 'hpos',
    customers: opts.customers ?? 200,
    orders: opts.orders ?? 600,
    products: opts.products ?? 30,
    seed: opts.seed ?? 1,
    currency: (opts.currency ?? 'USD').toUpperCase(),
    timezone: opts.timezone ?? 'UTC',
    anchor: opts.anchor ?? '2026-11-22',
  };
  if (!/^[A-Za-z0-9_]{1,20}$/.test(o.prefix)) throw new Error('prefix: letters, digits and _ only');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.anchor)) throw new Error('anchor must be Y-m-d');
  if (!/^[A-Z]{3}$/.test(o.currency)) throw new Error('currency must be an ISO 4217 code');
  localizer(o.timezone); // throws on an unknown zone before anything is written
  const pool = await openPool(opts.url);
  let restoreLocalInfile = false;
  try {
    await prepareTables(pool, o.prefix, opts.replace === true);
    let method = opts.method;
    if (method !== 'insert') {
      const infile = await enableLocalInfile(pool);
      restoreLocalInfile = infile === 'enabled';
      if (infile === 'unavailable' && method === 'load') throw new Error('LOAD DATA LOCAL INFILE is off on the server (local_infile) and this account may not switch it on');
      method = infile === 'unavailable' ? 'insert' : 'load';
    }
    const sink: RowSink = method === 'load' ? new LoadWriter(pool, o.prefix) : new BulkWriter(pool, o.prefix);
    const ctx = new ShopBuilder(sink, o, opts.onProgress);
    const result = await ctx.build();
    // Sorted index builds after the load, two tables at a time (one per core here; the server sorts each).
    // Largest first: the item meta then builds beside all the others rather than alone at the end.
    opts.onProgress?.({ phase: 'indexes', done: 0, total: WC_TABLES.length });
    const withKeys = WC_TABLES.filter((t) => t.keys.length).sort((a, b) => sink.rowsOf(b.name) - sink.rowsOf(a.name));
    let next = 0;
    await Promise.all([0, 1].map(async () => {
      while (next < withKeys.length) await pool.query(wcSchemaQueries.addKeys(o.prefix, withKeys[next++]!));
    }));
    return { ...result, ms: Date.now() - started, method };
  } finally {
    if (restoreLocalInfile) await pool.query(wcSchemaQueries.setLocalInfile(false)).catch(() => undefined);
    await pool.end();
  }
}

/** 'on' when the server allows LOAD DATA LOCAL; 'enabled' when this call switched it on (restore it after). */
async function enableLocalInfile(pool: Pool): Promise<'on' | 'enabled' | 'unavailable'> {
  const [[row]] = (await pool.query(wcSchemaQueries.localInfile)) as unknown as [[{ on_: number | string }]];
  if (Number(row?.on_) === 1) return 'on';
  try {
    await pool.query(wcSchemaQueries.setLocalInfile(true));
    return 'enabled';
  } catch {
    return 'unavailable';
  }
}

async function openPool(url: string): Promise<Pool> {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new Error('the --db URL must name a database, e.g. mysql://user:pass@127.0.0.1:3306/shop');
  const admin = await mysql.createConnection({ uri: `${u.protocol}//${u.username}:${u.password}@${u.host}/` });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database.replace(/`/g, '')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`);
  } finally {
    await admin.end();
  }
  return mysql.createPool({ uri: url, connectionLimit: WC_TABLES.length + 4, charset: 'utf8mb4_unicode_520_ci', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
}

async function prepareTables(pool: Pool, prefix: string, replace: boolean): Promise<void> {
  const names = WC_TABLES.map((t) => `${prefix}${t.name}`);
  const [rows] = await pool.query<Row[]>(wcSchemaQueries.existingTables, [names]);
  const existing = rows.map((r) => String(r.name));
  if (existing.length && !replace) throw new ShopExistsError(existing);
  for (const t of WC_TABLES) {
    await pool.query(wcSchemaQueries.dropTable(prefix, t));
    await pool.query(wcSchemaQueries.createTable(prefix, t));
  }
}

/** UTC ms → 'Y-m-d H:i:s' in a zone; the offset is cached per hour because orders come in time order. */
export function localizer(timezone: string): (utcMs: number) => string {
  const fixed = /^([+-])(\d{2}):(\d{2})$/.exec(timezone);
  if (timezone === 'UTC' || fixed) {
    const offset = fixed ? (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000 : 0;
    return (ms) => mysqlDate(ms + offset);
  }
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const cache = new Map<number, number>();
  return (ms) => {
    const hour = Math.floor(ms / 3_600_000);
    let offset = cache.get(hour);
    if (offset === undefined) {
      const p = Object.fromEntries(fmt.formatToParts(new Date(hour * 3_600_000)).map((x) => [x.type, x.value]));
      offset = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - hour * 3_600_000;
      if (cache.size > 50_000) cache.clear();
      cache.set(hour, offset);
    }
    return mysqlDate(ms + offset);
  };
}

// Dates repeat across rows (an order's created, paid and completed days), so day texts are kept by day number.
const dayTexts = new Map<number, string>();
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => (n < 10 ? `0${n}` : String(n)));

/** UTC ms → 'Y-m-d H:i:s'. */
export function mysqlDate(ms: number): string {
  const day = Math.floor(ms / DAY);
  let text = dayTexts.get(day);
  if (text === undefined) {
    if (dayTexts.size > 100_000) dayTexts.clear();
    text = new Date(day * DAY).toISOString().slice(0, 11).replace('T', ' ');
    dayTexts.set(day, text);
  }
  const s = Math.floor((ms - day * DAY) / 1000);
  return `${text}${TWO_DIGITS[Math.floor(s / 3600)]}:${TWO_DIGITS[Math.floor(s / 60) % 60]}:${TWO_DIGITS[s % 60]}`;
}

const slugify = (s: string) =>
  s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/&amp;|&/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
// Names come from short lists, so each e-mail local part is worked out once.
const asciiLocals = new Map<string, string>();
const asciiLocal = (s: string) => {
  let a = asciiLocals.get(s);
  if (a === undefined) {
    a = s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ł/g, 'l').replace(/Ł/g, 'L').toLowerCase().replace(/[^a-z]/g, '');
    asciiLocals.set(s, a);
  }
  return a;
};
const money = (n: number) => (Math.round(n * 100) / 100).toFixed(2);

interface Product {
  id: number;
  name: string;
  slug: string;
  category: number;
  price: number;
  regular: number;
  sale: number | null;
  variations: Array<{ id: number; attr: string; value: string; price: number; regular: number; sale: number | null }>;
  thumbnailId: number | null;
  inStock: boolean;
  launchedMs: number;
  crossSells: number[];
  upsells: number[];
}

interface Options {
  prefix: string;
  storage: Storage;
  customers: number;
  orders: number;
  products: number;
  seed: number;
  currency: string;
  timezone: string;
  anchor: string;
}

class ShopBuilder {
  private readonly w: RowSink;
  private readonly anchorMs: number;
  private readonly startMs: number;
  private readonly local: (ms: number) => string;
  private readonly home = 'http://shop.example.test';
  private readonly products: Product[] = [];
  private readonly popularity: number[] = [];
  private nextPostId = 1;
  private nextItemId = 1;
  private readonly guests: number;

  constructor(
    sink: RowSink,
    private readonly o: Options,
    private readonly progress?: (p: { phase: string; done: number; total: number }) => void,
  ) {
    this.w = sink;
    this.anchorMs = Date.parse(`${o.anchor}T00:00:00Z`);
    this.startMs = this.anchorMs - SPAN_DAYS * DAY;
    this.local = localizer(o.timezone);
    this.guests = Math.max(5, Math.round(o.customers * 0.4));
    const w = this.w;
    w.define('options', ['option_name', 'option_value', 'autoload']);
    w.define('users', ['ID', 'user_login', 'user_pass', 'user_nicename', 'user_email', 'user_url', 'user_registered', 'user_activation_key', 'user_status', 'display_name']);
    w.define('usermeta', ['user_id', 'meta_key', 'meta_value']);
    w.define('posts', ['ID', 'post_author', 'post_date', 'post_date_gmt', 'post_content', 'post_title', 'post_excerpt', 'post_status', 'comment_status', 'ping_status', 'post_password', 'post_name', 'to_ping', 'pinged', 'post_modified', 'post_modified_gmt', 'post_content_filtered', 'post_parent', 'guid', 'menu_order', 'post_type', 'post_mime_type', 'comment_count']);
    w.define('postmeta', ['post_id', 'meta_key', 'meta_value']);
    w.define('terms', ['term_id', 'name', 'slug', 'term_group']);
    w.define('term_taxonomy', ['term_taxonomy_id', 'term_id', 'taxonomy', 'description', 'parent', 'count']);
    w.define('term_relationships', ['object_id', 'term_taxonomy_id', 'term_order']);
    w.define('woocommerce_order_items', ['order_item_id', 'order_item_name', 'order_item_type', 'order_id']);
    w.define('woocommerce_order_itemmeta', ['order_item_id', 'meta_key', 'meta_value']);
    w.define('wc_orders', ['id', 'status', 'currency', 'type', 'tax_amount', 'total_amount', 'customer_id', 'billing_email', 'date_created_gmt', 'date_updated_gmt', 'parent_order_id', 'payment_method', 'payment_method_title', 'transaction_id', 'ip_address', 'user_agent', 'customer_note']);
    w.define('wc_order_addresses', ['order_id', 'address_type', 'first_name', 'last_name', 'company', 'address_1', 'address_2', 'city', 'state', 'postcode', 'country', 'email', 'phone']);
    w.define('wc_order_operational_data', ['order_id', 'created_via', 'woocommerce_version', 'prices_include_tax', 'coupon_usages_are_counted', 'download_permission_granted', 'cart_hash', 'new_order_email_sent', 'order_key', 'order_stock_reduced', 'date_paid_gmt', 'date_completed_gmt', 'shipping_tax_amount', 'shipping_total_amount', 'discount_tax_amount', 'discount_total_amount', 'recorded_sales']);
    w.define('wc_orders_meta', ['order_id', 'meta_key', 'meta_value']);
    w.define('woocommerce_sessions', ['session_key', 'session_value', 'session_expiry']);
    w.define('wc_product_meta_lookup', ['product_id', 'sku', 'min_price', 'max_price', 'onsale', 'stock_quantity', 'stock_status', 'total_sales']);
  }

  async build(): Promise<Omit<GeneratedShop, 'ms' | 'method'>> {
    const rnd = new Random(this.o.seed);
    this.writeOptions();
    this.writeAdmin();
    this.buildCatalogue(rnd.fork(1));
    await this.writeCustomers();
    const { orders, refunds } = await this.writeOrders(rnd.fork(2));
    const carts = await this.writeCarts(rnd.fork(3));
    await this.w.flush();
    return {
      prefix: this.o.prefix,
      storage: this.o.storage,
      seed: this.o.seed,
      anchor: this.o.anchor,
      customers: this.o.customers,
      guests: this.guests,
      orders,
      refunds,
      products: this.products.length,
      variations: this.products.reduce((n, p) => n + p.variations.length, 0),
      persistentCarts: carts.persistent,
      sessions: carts.sessions,
      rows: this.w.rows,
    };
  }

  // ---------------------------------------------------------------- options, admin

  private writeOptions(): void {
    const o = this.o;
    const zone = o.timezone;
    const fixed = /^([+-])(\d{2}):(\d{2})$/.exec(zone);
    const gmtOffset = fixed ? String((fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) + Number(fixed[3]) / 60)) : '0';
    const options: Array<[string, string]> = [
      ['siteurl', this.home], ['home', this.home], ['blogname', 'Brew &amp; Leaf Co.'], ['blogdescription', 'Coffee and tea, roasted to order'],
      ['admin_email', 'admin@shop.example.test'], ['permalink_structure', '/%postname%/'], ['WPLANG', ''],
      ['timezone_string', fixed || zone === 'UTC' ? (zone === 'UTC' ? 'UTC' : '') : zone], ['gmt_offset', gmtOffset],
      ['date_format', 'F j, Y'], ['time_format', 'g:i a'], ['db_version', '60421'],
      ['woocommerce_version', '10.0.2'], ['woocommerce_db_version', '10.0.2'],
      ['woocommerce_currency', o.currency], ['woocommerce_currency_pos', o.currency === 'EUR' ? 'right_space' : 'left'],
      ['woocommerce_price_num_decimals', o.currency === 'JPY' ? '0' : '2'],
      ['woocommerce_price_thousand_sep', o.currency === 'EUR' ? '.' : ','], ['woocommerce_price_decimal_sep', o.currency === 'EUR' ? ',' : '.'],
      ['woocommerce_store_address', '1200 Roaster Row'], ['woocommerce_store_address_2', ''], ['woocommerce_store_city', 'Portland'],
      ['woocommerce_store_postcode', '97209'], ['woocommerce_default_country', 'US:OR'], ['woocommerce_calc_taxes', 'no'],
      ['woocommerce_custom_orders_table_enabled', o.storage === 'hpos' ? 'yes' : 'no'],
      ['woocommerce_custom_orders_table_data_sync_enabled', 'no'],
      ['woocommerce_permalinks', phpSerialize({ product_base: 'product', category_base: 'product-category', tag_base: 'product-tag', attribute_base: '', use_verbose_page_rules: false })],
      ['retain_generated_shop', phpSerialize({ seed: o.seed, anchor: o.anchor, storage: o.storage, customers: o.customers, orders: o.orders, generator: 'retain gen:shop' })],
    ];
    for (const [name, value] of options) this.w.add('options', [name, value, 'yes']);
  }

  private writeAdmin(): void {
    const registered = mysqlDate(this.startMs - 30 * DAY);
    this.w.add('users', [1, 'admin', '$wp$2y$10$generatedgeneratedgeneratedgeneratedgenerated', 'admin', 'admin@shop.example.test', '', registered, '', 0, 'admin']);
    this.w.add('usermeta', [1, `${this.o.prefix}capabilities`, phpSerialize({ administrator: true })]);
    this.w.add('usermeta', [1, `${this.o.prefix}user_level`, '10']);
  }

  // ---------------------------------------------------------------- catalogue

  private post(p: { id: number; dateMs: number; title: string; name: string; type: string; status?: string; parent?: number; guid: string; excerpt?: string; password?: string; mime?: string; author?: number; modifiedMs?: number }): void {
    const mod = p.modifiedMs ?? p.dateMs;
    this.w.add('posts', [
      p.id, p.author ?? 1, this.local(p.dateMs), mysqlDate(p.dateMs), '', p.title, p.excerpt ?? '', p.status ?? 'publish', 'closed', 'closed',
      p.password ?? '', p.name, '', '', this.local(mod), mysqlDate(mod), '', p.parent ?? 0, p.guid, 0, p.type, p.mime ?? '', 0,
    ]);
  }

  private buildCatalogue(rnd: Random): void {
    const n = Math.max(5, this.o.products);
    // Taxonomy: product types, the outofstock visibility term, one product_cat per category.
    let termId = 1;
    const typeTerm = { simple: termId++, variable: termId++ };
    const outOfStockTerm = termId++;
    const catTerms = CATEGORIES.map(() => termId++);
    const terms: Array<[number, string, string, string]> = [
      [typeTerm.simple, 'simple', 'simple', 'product_type'], [typeTerm.variable, 'variable', 'variable', 'product_type'],
      [outOfStockTerm, 'outofstock', 'outofstock', 'product_visibility'],
      ...CATEGORIES.map((c, i) => [catTerms[i]!, c.name, c.slug, 'product_cat'] as [number, string, string, string]),
    ];
    const counts = new Map<number, number>();
    const relate = (objectId: number, term: number) => {
      this.w.add('term_relationships', [objectId, term, 0]);
      counts.set(term, (counts.get(term) ?? 0) + 1);
    };

    const outOfStockIndex = Math.min(n - 1, 16);
    for (let i = 0; i < n; i++) {
      const category = i % CATEGORIES.length;
      const spec = CATEGORIES[category]!;
      const round = Math.floor(i / CATEGORIES.length);
      const base = spec.products[round % spec.products.length]!;
      const name = round < spec.products.length ? base : `${base} No. ${Math.floor(round / spec.products.length) + 1}`;
      const id = this.nextPostId++;
      const [lo, hi] = spec.price;
      const regular = Math.round((lo + rnd.next() ** 2 * (hi - lo)) * 2) / 2 - 0.01 + (rnd.chance(0.5) ? 0.01 : 0);
      const onSale = rnd.chance(0.15);
      const sale = onSale ? Math.round(regular * 80) / 100 : null;
      // Most of the range existed at the start; one in eight is a new arrival within the last 60 days.
      const launchedMs = i % 8 === 7 ? this.anchorMs - rnd.int(2, 60) * DAY - rnd.int(0, 86_399) * 1000 : this.startMs - rnd.int(1, 20) * DAY;
      const variable = i % 6 === 0;
      const p: Product = {
        id, name, slug: slugify(name), category, price: sale ?? regular, regular, sale, variations: [], thumbnailId: null,
        inStock: i !== outOfStockIndex && !(n > 40 && rnd.chance(0.03)), launchedMs, crossSells: [], upsells: [],
      };
      if (variable) {
        const [attr, values] = spec.attribute;
        values.forEach((value, k) => {
          const vRegular = Math.round(regular * (1 + k * 0.6) * 100) / 100;
          p.variations.push({ id: this.nextPostId++, attr, value, price: vRegular, regular: vRegular, sale: null });
        });
        p.price = p.variations[0]!.price;
      }
      if (rnd.chance(0.9)) p.thumbnailId = this.nextPostId++;
      this.products.push(p);
    }
    // Cross-sells point to other categories (beans → gear, mugs), up-sells to dearer items of the same one.
    for (const p of this.products) {
      const others = this.products.filter((q) => q.category !== p.category);
      const k = rnd.int(1, 3);
      for (let j = 0; j < k && others.length; j++) {
        const q = others[Math.floor(rnd.next() * others.length)]!;
        if (!p.crossSells.includes(q.id)) p.crossSells.push(q.id);
      }
      if (rnd.chance(0.65)) {
        const dearer = this.products.filter((q) => q.category === p.category && q.id !== p.id && q.regular > p.regular);
        for (const q of dearer.slice(0, 2)) p.upsells.push(q.id);
      }
    }
    // Popularity: a Zipf-like weight on a shuffled rank, cumulative for a binary search.
    const ranks = this.products.map((_, i) => i).sort(() => rnd.next() - 0.5);
    let acc = 0;
    ranks.forEach((rank) => {
      acc += 1 / (rank + 1) ** 0.9;
      this.popularity.push(acc);
    });

    for (const p of this.products) {
      const author = 1;
      this.post({ id: p.id, dateMs: p.launchedMs, title: p.name, name: p.slug, type: 'product', guid: `${this.home}/product/${p.slug}/`, author });
      const meta: Array<[string, string]> = [
        ['_sku', `RT-${1000 + p.id}`], ['_tax_status', 'taxable'], ['_tax_class', ''], ['_manage_stock', p.inStock ? 'no' : 'yes'],
        ['_backorders', 'no'], ['_sold_individually', 'no'], ['_virtual', 'no'], ['_downloadable', 'no'],
        ['_stock', p.inStock ? 'NULL' : '0'], ['_stock_status', p.inStock ? 'instock' : 'outofstock'],
        ['_crosssell_ids', phpSerialize(p.crossSells)], ['_product_version', '10.0.2'], ['total_sales', '0'],
      ];
      if (p.upsells.length) meta.push(['_upsell_ids', phpSerialize(p.upsells)]);
      if (p.thumbnailId) meta.push(['_thumbnail_id', String(p.thumbnailId)]);
      if (p.variations.length) {
        // Variable parents carry one _price row per distinct child price (WooCommerce's sync_price()).
        for (const price of [...new Set(p.variations.map((v) => v.price))]) meta.push(['_price', money(price)]);
        meta.push(['_product_attributes', phpSerialize({ [p.variations[0]!.attr]: { name: p.variations[0]!.attr, value: '', position: 0, is_visible: 1, is_variation: 1, is_taxonomy: 1 } })]);
      } else {
        meta.push(['_regular_price', money(p.regular)], ['_price', money(p.price)]);
        if (p.sale !== null) meta.push(['_sale_price', money(p.sale)]);
      }
      for (const [k, v] of meta) this.w.add('postmeta', [p.id, k, v]);
      relate(p.id, p.variations.length ? typeTerm.variable : typeTerm.simple);
      relate(p.id, catTerms[p.category]!);
      if (!p.inStock) relate(p.id, outOfStockTerm);
      const prices = p.variations.length ? p.variations.map((v) => v.price) : [p.price];
      this.w.add('wc_product_meta_lookup', [p.id, `RT-${1000 + p.id}`, Math.min(...prices), Math.max(...prices), p.sale !== null ? 1 : 0, p.inStock ? null : 0, p.inStock ? 'instock' : 'outofstock', 0]);
      for (const v of p.variations) {
        const title = `${p.name} - ${v.value}`;
        this.post({ id: v.id, dateMs: p.launchedMs, title, name: slugify(title), type: 'product_variation', parent: p.id, guid: `${this.home}/?post_type=product_variation&p=${v.id}` });
        const vm: Array<[string, string]> = [
          ['_sku', `RT-${1000 + p.id}-${v.value}`], ['_regular_price', money(v.regular)], ['_price', money(v.price)],
          ['_stock_status', p.inStock ? 'instock' : 'outofstock'], ['_manage_stock', 'no'], ['_tax_class', 'parent'],
          [`attribute_${v.attr}`, v.value], ['_variation_description', ''],
        ];
        for (const [k, val] of vm) this.w.add('postmeta', [v.id, k, val]);
        this.w.add('wc_product_meta_lookup', [v.id, `RT-${1000 + p.id}-${v.value}`, v.price, v.price, 0, null, p.inStock ? 'instock' : 'outofstock', 0]);
      }
      if (p.thumbnailId) {
        const file = `${p.slug}.webp`;
        this.post({ id: p.thumbnailId, dateMs: p.launchedMs, title: p.name, name: p.slug, type: 'attachment', status: 'inherit', parent: p.id, guid: `${this.home}/wp-content/uploads/2026/11/${file}`, mime: 'image/webp' });
        this.w.add('postmeta', [p.thumbnailId, '_wp_attached_file', `2026/11/${file}`]);
      }
    }
    for (const [id, name, slug, taxonomy] of terms) {
      this.w.add('terms', [id, name, slug, 0]);
      this.w.add('term_taxonomy', [id, id, taxonomy, '', 0, counts.get(id) ?? 0]);
    }
  }

  private pickProduct(rnd: Random, atMs: number): Product {
    for (let attempt = 0; attempt < 4; attempt++) {
      const r = rnd.next() * this.popularity[this.popularity.length - 1]!;
      let lo = 0;
      let hi = this.popularity.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.popularity[mid]! < r) lo = mid + 1;
        else hi = mid;
      }
      const p = this.products[lo]!;
      if (p.launchedMs <= atMs) return p;
    }
    return this.products.find((p) => p.launchedMs <= atMs) ?? this.products[0]!;
  }

  // ---------------------------------------------------------------- customers

  /** Signups get denser towards the anchor; a pure function of the index, increasing with it. */
  private signupMs(c: number): number {
    const k = 1.6;
    const frac = (c + 0.5 * hash01(this.o.seed, c, 1)) / this.o.customers;
    const g = Math.log(1 + frac * (Math.exp(k) - 1)) / k;
    return Math.floor(this.startMs + 3 * DAY + g * (SPAN_DAYS - 3.5) * DAY);
  }

  /** How many customers had signed up by a time (inverse of signupMs, ± one). */
  private signedUpBy(ms: number): number {
    const k = 1.6;
    const g = (ms - this.startMs - 3 * DAY) / ((SPAN_DAYS - 3.5) * DAY);
    if (g <= 0) return 0;
    const frac = (Math.exp(g * k) - 1) / (Math.exp(k) - 1);
    return Math.min(this.o.customers, Math.floor(frac * this.o.customers));
  }

  /** A customer who never orders; and one who orders often. Asked before a draw builds the customer. */
  neverBuys(c: number): boolean {
    return hash01(this.o.seed, c, 7) < 0.13;
  }
  isLoyal(c: number): boolean {
    return hash01(this.o.seed, c, 9) < 0.05;
  }

  customer(c: number) {
    const s = this.o.seed;
    const first = FIRST_NAMES[Math.floor(hash01(s, c, 2) * FIRST_NAMES.length)]!;
    const last = LAST_NAMES[Math.floor(hash01(s, c, 3) * LAST_NAMES.length)]!;
    const country = pickWeighted(COUNTRIES, hash01(s, c, 4));
    const domain = ['example.com', 'example.org', 'example.net'][Math.floor(hash01(s, c, 5) * 3)]!;
    const email = `${asciiLocal(first)}.${asciiLocal(last)}${c + 2}@${domain}`;
    return {
      id: c + 2, first, last, email, country,
      login: `${asciiLocal(first)}.${asciiLocal(last)}${c + 2}`,
      street: `${1 + Math.floor(hash01(s, c, 10) * 900)} ${STREETS[Math.floor(hash01(s, c, 11) * STREETS.length)]}`,
    };
  }

  guest(g: number) {
    const s = this.o.seed;
    const first = FIRST_NAMES[Math.floor(hash01(s, g, 21) * FIRST_NAMES.length)]!;
    const last = LAST_NAMES[Math.floor(hash01(s, g, 22) * LAST_NAMES.length)]!;
    const country = pickWeighted(COUNTRIES, hash01(s, g, 23));
    return { id: 0, first, last, email: `${asciiLocal(first)}.${asciiLocal(last)}.g${g + 1}@example.net`, country, street: `${1 + Math.floor(hash01(s, g, 24) * 900)} ${STREETS[Math.floor(hash01(s, g, 25) * STREETS.length)]}` };
  }

  private async writeCustomers(): Promise<void> {
    const p = this.o.prefix;
    const caps = phpSerialize({ customer: true });
    for (let c = 0; c < this.o.customers; c++) {
      const u = this.customer(c);
      const signup = this.signupMs(c);
      this.w.add('users', [u.id, u.login, '$wp$2y$10$generatedgeneratedgeneratedgeneratedgenerated', u.login.replace(/\./g, '-'), u.email, '', mysqlDate(signup), '', 0, `${u.first} ${u.last}`]);
      const locale = hash01(this.o.seed, c, 12) < 0.5 ? '' : u.country.locale;
      const meta: Array<[string, string]> = [
        ['nickname', u.login], ['first_name', u.first], ['last_name', u.last], ['locale', locale],
        [`${p}capabilities`, caps], [`${p}user_level`, '0'],
        ['billing_first_name', u.first], ['billing_last_name', u.last], ['billing_email', u.email], ['billing_country', u.country.code],
        ['billing_city', u.country.city], ['billing_postcode', u.country.postcode], ['billing_address_1', u.street],
        ['shipping_country', u.country.code], ['last_update', String(Math.floor(signup / 1000))],
      ];
      if (hash01(this.o.seed, c, 13) < 0.6) meta.push([GENERATED_BIRTHDAY_KEY, this.birthday(c)]);
      for (const [k, v] of meta) this.w.add('usermeta', [u.id, k, v]);
      if ((c & 1023) === 0) {
        await this.w.backpressure();
        this.progress?.({ phase: 'customers', done: c, total: this.o.customers });
      }
    }
  }

  private birthday(c: number): string {
    const s = this.o.seed;
    const year = 1950 + Math.floor(hash01(s, c, 14) * 57);
    if (hash01(s, c, 15) < 0.01) return `${year - (year % 4)}-02-29`;
    // One in twenty birthdays falls within a week of the anchor, so the birthday flow has work.
    const anchor = new Date(this.anchorMs);
    const day = hash01(s, c, 16) < 0.05 ? new Date(Date.UTC(year, anchor.getUTCMonth(), anchor.getUTCDate() + Math.floor(hash01(s, c, 17) * 8))) : new Date(Date.UTC(year, 0, 1 + Math.floor(hash01(s, c, 17) * 365)));
    return day.toISOString().slice(0, 10);
  }

  // ---------------------------------------------------------------- orders

  private orderMs(i: number, rnd: Random): number {
    // Order volume grows over the three years; i-th order time is increasing in i.
    const k = 1.2;
    const frac = (i + rnd.next()) / this.o.orders;
    const g = Math.log(1 + frac * (Math.exp(k) - 1)) / k;
    return Math.min(this.anchorMs - 60_000, Math.floor(this.startMs + 5 * DAY + g * (SPAN_DAYS - 5) * DAY));
  }

  private pickBuyer(rnd: Random, atMs: number) {
    const eligible = this.signedUpBy(atMs);
    if (eligible > 0 && rnd.chance(0.78)) {
      const wantLoyal = rnd.chance(0.35);
      for (let attempt = 0; attempt < 12; attempt++) {
        const c = Math.floor(rnd.next() * eligible);
        if (this.neverBuys(c) || this.signupMs(c) > atMs) continue;
        if (wantLoyal && !this.isLoyal(c) && attempt < 11) continue;
        const u = this.customer(c);
        return { ...u, customerId: u.id };
      }
    }
    // A guest; now and then a future customer buying as a guest before signing up.
    if (eligible < this.o.customers && rnd.chance(0.06)) {
      const c = eligible + Math.floor(rnd.next() * (this.o.customers - eligible));
      const u = this.customer(c);
      if (this.signupMs(c) > atMs) return { ...u, customerId: 0 };
    }
    return { ...this.guest(Math.floor(rnd.next() ** 1.3 * this.guests)), customerId: 0 };
  }

  private status(rnd: Random, ageDays: number): string {
    if (ageDays < 2) return rnd.weighted([['processing', 45], ['pending', 20], ['on-hold', 10], ['completed', 20], ['failed', 5]]);
    if (ageDays < 14) return rnd.weighted([['completed', 70], ['processing', 15], ['on-hold', 3], ['cancelled', 4], ['failed', 4], ['pending', 4]]);
    return rnd.weighted([['completed', 86], ['refunded', 4], ['cancelled', 4], ['failed', 4], ['pending', 2]]);
  }

  private async writeOrders(rnd: Random): Promise<{ orders: number; refunds: number }> {
    const hpos = this.o.storage === 'hpos';
    let refunds = 0;
    for (let i = 0; i < this.o.orders; i++) {
      const created = this.orderMs(i, rnd);
      const buyer = this.pickBuyer(rnd, created);
      const id = this.nextPostId++;
      const status = this.status(rnd, (this.anchorMs - created) / DAY);
      const paid = status === 'processing' || status === 'completed' || status === 'refunded';
      const paidMs = paid ? Math.min(this.anchorMs - 1000, created + rnd.int(30, 1800) * 1000) : null;
      const completedMs = status === 'completed' || status === 'refunded' ? Math.min(this.anchorMs - 1000, created + rnd.int(1, 5) * DAY + rnd.int(0, 3600) * 1000) : null;
      const [method, methodTitle] = rnd.weighted(PAYMENT_METHODS);
      const ua = rnd.pick(['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148']);
      const ip = `192.0.2.${rnd.int(1, 254)}`;
      const orderKey = `wc_order_${rnd.hex(13)}`;

      // Line items: a popular first product, then often one of its cross-sells (bought-together signal).
      const count = rnd.weighted([[1, 55], [2, 28], [3, 12], [4, 5]] as const);
      const chosen: Product[] = [];
      for (let k = 0; k < count; k++) {
        let p: Product | undefined;
        const firstChosen = chosen[0];
        if (firstChosen && firstChosen.crossSells.length && rnd.chance(0.5)) {
          const wanted = rnd.pick(firstChosen.crossSells);
          p = this.products.find((q) => q.id === wanted && q.launchedMs <= created);
        }
        p ??= this.pickProduct(rnd, created);
        if (!chosen.includes(p)) chosen.push(p);
      }
      let subtotal = 0;
      for (const p of chosen) {
        const v = p.variations.length ? rnd.pick(p.variations) : null;
        const qty = rnd.weighted([[1, 80], [2, 15], [3, 5]] as const);
        const line = Math.round((v ? v.price : p.price) * qty * 100) / 100;
        subtotal += line;
        const itemId = this.nextItemId++;
        this.w.add('woocommerce_order_items', [itemId, v ? `${p.name} - ${v.value}` : p.name, 'line_item', id]);
        const meta: Array<[string, string]> = [
          ['_product_id', String(p.id)], ['_variation_id', String(v ? v.id : 0)], ['_qty', String(qty)], ['_tax_class', ''],
          ['_line_subtotal', money(line)], ['_line_subtotal_tax', '0'], ['_line_total', money(line)], ['_line_tax', '0'],
          ['_line_tax_data', 'a:2:{s:8:"subtotal";a:0:{}s:5:"total";a:0:{}}'],
        ];
        if (v) meta.push([v.attr, v.value]);
        for (const [k, val] of meta) this.w.add('woocommerce_order_itemmeta', [itemId, k, val]);
      }
      subtotal = Math.round(subtotal * 100) / 100;
      const us = buyer.country.code === 'US';
      const shipping = us ? (subtotal >= 50 ? 0 : 5) : 15;
      const shipItem = this.nextItemId++;
      this.w.add('woocommerce_order_items', [shipItem, shipping === 0 ? 'Free shipping' : 'Flat rate', 'shipping', id]);
      this.w.add('woocommerce_order_itemmeta', [shipItem, 'method_id', shipping === 0 ? 'free_shipping' : 'flat_rate']);
      this.w.add('woocommerce_order_itemmeta', [shipItem, 'cost', money(shipping)]);
      this.w.add('woocommerce_order_itemmeta', [shipItem, 'total_tax', '0']);
      const total = money(subtotal + shipping);
      const updatedMs = Math.max(created, completedMs ?? 0, paidMs ?? 0);
      const attribution = rnd.chance(0.75) ? rnd.weighted([['typein', 40], ['organic', 25], ['utm', 25], ['referral', 10]]) : null;

      // Refunds: every refunded order is fully refunded; a few completed ones partially.
      let refund: { id: number; amount: string; atMs: number } | null = null;
      if (status === 'refunded' || (status === 'completed' && rnd.chance(0.025))) {
        const amount = status === 'refunded' ? total : money(Math.min(Number(total), Math.round(subtotal * 40) / 100));
        refund = { id: this.nextPostId++, amount, atMs: Math.min(this.anchorMs - 1000, (completedMs ?? created) + rnd.int(1, 10) * DAY) };
        refunds++;
      }

      if (hpos) {
        this.writeHposOrder({ id, status, buyer, created, updatedMs, method, methodTitle, ip, ua, total, orderKey, paidMs, completedMs, shipping, attribution });
        if (refund) {
          this.post({ id: refund.id, dateMs: refund.atMs, title: '', name: '', type: 'shop_order_placehold', status: 'draft', parent: id, guid: '' });
          this.w.add('wc_orders', [refund.id, 'wc-completed', this.o.currency, 'shop_order_refund', '0', `-${refund.amount}`, null, null, mysqlDate(refund.atMs), mysqlDate(refund.atMs), id, null, null, null, null, null, null]);
          this.w.add('wc_orders_meta', [refund.id, '_refund_amount', refund.amount]);
          this.w.add('wc_orders_meta', [refund.id, '_refund_reason', 'Customer changed their mind']);
        }
      } else {
        this.writeLegacyOrder({ id, status, buyer, created, updatedMs, method, methodTitle, ip, ua, total, orderKey, paidMs, completedMs, shipping, attribution });
        if (refund) {
          this.post({ id: refund.id, dateMs: refund.atMs, title: `Refund &ndash; ${this.local(refund.atMs)}`, name: `refund-${refund.id}`, type: 'shop_order_refund', status: 'wc-completed', parent: id, guid: `${this.home}/?post_type=shop_order_refund&p=${refund.id}` });
          for (const [k, v] of [['_order_currency', this.o.currency], ['_order_total', `-${refund.amount}`], ['_refund_amount', refund.amount], ['_refund_reason', 'Customer changed their mind'], ['_refunded_by', '1']] as const) {
            this.w.add('postmeta', [refund.id, k, v]);
          }
        }
      }
      if ((i & 1023) === 0) {
        await this.w.backpressure();
        this.progress?.({ phase: 'orders', done: i, total: this.o.orders });
      }
    }
    return { orders: this.o.orders, refunds };
  }

  private writeHposOrder(x: OrderRow): void {
    const b = x.buyer;
    this.post({ id: x.id, dateMs: x.created, title: '', name: '', type: 'shop_order_placehold', status: 'draft', guid: '' });
    this.w.add('wc_orders', [x.id, `wc-${x.status}`, this.o.currency, 'shop_order', '0', x.total, b.customerId, b.email, mysqlDate(x.created), mysqlDate(x.updatedMs), 0, x.method, x.methodTitle, x.paidMs ? `ch_${x.orderKey.slice(9)}` : '', x.ip, x.ua, '']);
    this.w.add('wc_order_addresses', [x.id, 'billing', b.first, b.last, null, b.street, null, b.country.city, b.country.state, b.country.postcode, b.country.code, b.email, '+1 555-0100']);
    this.w.add('wc_order_addresses', [x.id, 'shipping', b.first, b.last, null, b.street, null, b.country.city, b.country.state, b.country.postcode, b.country.code, null, null]);
    this.w.add('wc_order_operational_data', [x.id, 'checkout', '10.0.2', 0, 1, x.paidMs ? 1 : 0, '', 0, x.orderKey, x.paidMs ? 1 : 0, x.paidMs ? mysqlDate(x.paidMs) : null, x.completedMs ? mysqlDate(x.completedMs) : null, '0', money(x.shipping), '0', '0', x.paidMs ? 1 : 0]);
    if (x.attribution) this.w.add('wc_orders_meta', [x.id, '_wc_order_attribution_source_type', x.attribution]);
    if (x.attribution === 'utm') this.w.add('wc_orders_meta', [x.id, '_wc_order_attribution_utm_source', 'newsletter']);
  }

  private writeLegacyOrder(x: OrderRow): void {
    const b = x.buyer;
    const title = `Order &ndash; ${this.local(x.created)}`;
    this.post({ id: x.id, dateMs: x.created, modifiedMs: x.updatedMs, title, name: `order-${x.id}`, type: 'shop_order', status: `wc-${x.status}`, guid: `${this.home}/?post_type=shop_order&#038;p=${x.id}`, password: x.orderKey });
    const meta: Array<[string, string]> = [
      ['_order_key', x.orderKey], ['_customer_user', String(b.customerId)], ['_payment_method', x.method], ['_payment_method_title', x.methodTitle],
      ['_customer_ip_address', x.ip], ['_customer_user_agent', x.ua], ['_created_via', 'checkout'],
      ['_billing_first_name', b.first], ['_billing_last_name', b.last], ['_billing_address_1', b.street], ['_billing_city', b.country.city],
      ['_billing_state', b.country.state], ['_billing_postcode', b.country.postcode], ['_billing_country', b.country.code], ['_billing_email', b.email],
      ['_billing_phone', '+1 555-0100'], ['_shipping_first_name', b.first], ['_shipping_last_name', b.last], ['_shipping_address_1', b.street],
      ['_shipping_city', b.country.city], ['_shipping_country', b.country.code], ['_order_currency', this.o.currency],
      ['_cart_discount', '0'], ['_cart_discount_tax', '0'], ['_order_shipping', String(x.shipping)], ['_order_shipping_tax', '0'], ['_order_tax', '0'],
      ['_order_total', x.total], ['_order_version', '10.0.2'], ['_prices_include_tax', 'no'],
    ];
    if (x.paidMs) meta.push(['_transaction_id', `ch_${x.orderKey.slice(9)}`], ['_date_paid', String(Math.floor(x.paidMs / 1000))], ['_paid_date', this.local(x.paidMs)], ['_recorded_sales', 'yes']);
    if (x.completedMs) meta.push(['_date_completed', String(Math.floor(x.completedMs / 1000))], ['_completed_date', this.local(x.completedMs)]);
    if (x.attribution) meta.push(['_wc_order_attribution_source_type', x.attribution]);
    if (x.attribution === 'utm') meta.push(['_wc_order_attribution_utm_source', 'newsletter']);
    for (const [k, v] of meta) this.w.add('postmeta', [x.id, k, v]);
  }

  // ---------------------------------------------------------------- carts and sessions

  private cartItems(rnd: Random): { cart: Record<string, PhpValue>; subtotal: number } {
    const cart: Record<string, PhpValue> = {};
    let subtotal = 0;
    const n = rnd.int(1, 3);
    for (let k = 0; k < n; k++) {
      const p = this.pickProduct(rnd, this.anchorMs);
      const v = p.variations.length ? rnd.pick(p.variations) : null;
      const qty = rnd.int(1, 2);
      const line = (v ? v.price : p.price) * qty;
      subtotal += line;
      const key = rnd.hex(32);
      cart[key] = {
        key, product_id: p.id, variation_id: v ? v.id : 0, variation: v ? { [`attribute_${v.attr}`]: v.value } : [], quantity: qty, data_hash: rnd.hex(32),
        line_tax_data: { subtotal: [], total: [] }, line_subtotal: line, line_subtotal_tax: 0, line_total: line, line_tax: 0,
      };
    }
    return { cart, subtotal: Math.round(subtotal * 100) / 100 };
  }

  private sessionValue(cart: Record<string, PhpValue>, subtotal: number, customer: { id: number; first: string; last: string; email: string; country: string }): string {
    const totals = { subtotal: String(subtotal), subtotal_tax: 0, shipping_total: '5', shipping_tax: 0, discount_total: 0, discount_tax: 0, cart_contents_total: String(subtotal), cart_contents_tax: 0, fee_total: '0', fee_tax: 0, total: String(subtotal + 5), total_tax: 0 };
    const cust = { id: String(customer.id), date_modified: '', first_name: customer.first, last_name: customer.last, company: '', phone: '', email: customer.email, address: '', address_1: '', address_2: '', city: '', state: '', postcode: '', country: customer.country, shipping_country: customer.country, is_vat_exempt: '', calculated_shipping: '' };
    // Each value is serialized on its own first (WC_Session::set), then the whole array again.
    return phpSerialize({ cart: phpSerialize(cart), cart_totals: phpSerialize(totals), customer: phpSerialize(cust) });
  }

  private async writeCarts(rnd: Random): Promise<{ persistent: number; sessions: number }> {
    const expiryBase = Math.floor(this.anchorMs / 1000) + 4 * 3600;
    let persistent = 0;
    let sessions = 0;
    const share = Math.min(0.1, Math.max(30 / this.o.customers, 0.005));
    for (let c = 0; c < this.o.customers; c++) {
      if (hash01(this.o.seed, c, 30) >= share) continue;
      const u = this.customer(c);
      const { cart, subtotal } = this.cartItems(rnd);
      this.w.add('usermeta', [u.id, '_woocommerce_persistent_cart_1', phpSerialize({ cart })]);
      persistent++;
      if (rnd.chance(0.6)) {
        this.w.add('woocommerce_sessions', [String(u.id), this.sessionValue(cart, subtotal, { id: u.id, first: u.first, last: u.last, email: u.email, country: u.country.code }), expiryBase + rnd.int(0, 42 * 3600)]);
        sessions++;
      }
      if ((persistent & 1023) === 0) await this.w.backpressure();
    }
    const guestSessions = Math.max(10, Math.round(persistent * 0.8));
    for (let s = 0; s < guestSessions; s++) {
      const g = this.guest(Math.floor(rnd.next() * this.guests));
      const withEmail = rnd.chance(0.6);
      const { cart, subtotal } = this.cartItems(rnd);
      const key = `t_${rnd.hex(30)}`;
      this.w.add('woocommerce_sessions', [key, this.sessionValue(cart, subtotal, { id: 0, first: withEmail ? g.first : '', last: withEmail ? g.last : '', email: withEmail ? g.email : '', country: g.country.code }), expiryBase + rnd.int(0, 42 * 3600)]);
      sessions++;
      if ((s & 1023) === 0) await this.w.backpressure();
    }
    return { persistent, sessions };
  }
}

interface OrderRow {
  id: number;
  status: string;
  buyer: { customerId: number; first: string; last: string; email: string; street: string; country: { code: string; city: string; state: string; postcode: string } };
  created: number;
  updatedMs: number;
  method: string;
  methodTitle: string;
  ip: string;
  ua: string;
  total: string;
  orderKey: string;
  paidMs: number | null;
  completedMs: number | null;
  shipping: number;
  attribution: string | null;
}

function pickWeighted<T>(items: ReadonlyArray<readonly [T, number]>, u: number): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let r = u * total;
  for (const [v, w] of items) {
    r -= w;
    if (r < 0) return v;
  }
  return items[items.length - 1]![0];
}
