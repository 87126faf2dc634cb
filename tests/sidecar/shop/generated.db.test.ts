import pino from 'pino';
import { ManualClock } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { generateShop, ShopExistsError } from '../../../sidecar/src/shop/generator/generate';
import { phpSerialize } from '../../../sidecar/src/shop/php';
import { createShopReader, type ShopReader } from '../../../sidecar/src/shop/reader';
import { createTestDatabase, type TestDatabase } from '../../support/db';

// A generated shop in both storages from one seed: the reader must not be able to tell them apart.
const ANCHOR = '2026-11-22T00:00:00Z';
const log = pino({ level: 'silent' });
const gen = { customers: 120, orders: 500, products: 24, seed: 7, anchor: '2026-11-22', timezone: 'Europe/Berlin' };

describe('shop reader on a generated shop', () => {
  const dbs: Record<'hpos' | 'legacy', TestDatabase | undefined> = { hpos: undefined, legacy: undefined };
  const readers: Partial<Record<'hpos' | 'legacy', ShopReader>> = {};

  beforeAll(async () => {
    for (const storage of ['hpos', 'legacy'] as const) {
      const db = await createTestDatabase({ prefix: 'shop_', label: `gen${storage}` });
      dbs[storage] = db;
      await generateShop({ url: db.url, prefix: 'shop_', storage, ...gen });
      readers[storage] = createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log });
      await readers[storage]!.facts.backfill();
      await readers[storage]!.recommendations.minePairs();
    }
  }, 60_000);
  afterAll(async () => {
    await dbs.hpos?.drop();
    await dbs.legacy?.drop();
  });

  it('refuses to overwrite an existing shop unless asked to', async () => {
    await expect(generateShop({ url: dbs.hpos!.url, prefix: 'shop_', ...gen })).rejects.toBeInstanceOf(ShopExistsError);
  });

  it('writes the same rows through LOAD DATA and through the INSERT fallback', async () => {
    const dbA = await createTestDatabase({ prefix: 'shop_', label: 'genload', migrated: false });
    const dbB = await createTestDatabase({ prefix: 'shop_', label: 'geninsert', migrated: false });
    try {
      const small = { ...gen, customers: 40, orders: 120 };
      const a = await generateShop({ url: dbA.url, prefix: 'shop_', storage: 'legacy', method: 'load', ...small });
      const b = await generateShop({ url: dbB.url, prefix: 'shop_', storage: 'legacy', method: 'insert', ...small });
      expect({ ...a, ms: 0, method: '' }).toEqual({ ...b, ms: 0, method: '' });
      expect([a.method, b.method]).toEqual(['load', 'insert']);
      for (const t of ['posts', 'postmeta', 'users', 'usermeta', 'woocommerce_order_itemmeta', 'woocommerce_sessions', 'options']) {
        const [[x]] = (await dbA.pool.query(`CHECKSUM TABLE shop_${t}`)) as unknown as [[{ Checksum: number }]];
        const [[y]] = (await dbB.pool.query(`CHECKSUM TABLE shop_${t}`)) as unknown as [[{ Checksum: number }]];
        expect([t, x.Checksum]).toEqual([t, y.Checksum]);
      }
    } finally {
      await dbA.drop();
      await dbB.drop();
    }
  });

  it('gives identical reader results from both storages', async () => {
    const h = readers.hpos!;
    const l = readers.legacy!;
    expect(await h.storage()).toBe('hpos');
    expect(await l.storage()).toBe('legacy');
    expect((await h.settings()).timezone).toBe('Europe/Berlin');
    expect(await l.orders.countByStatus()).toEqual(await h.orders.countByStatus());
    expect(await l.facts.summary()).toEqual(await h.facts.summary());
    for (const seg of ['leads', 'first_time', 'repeat', 'loyal', 'lapsed', 'cart_abandoners'] as const) {
      expect(await l.segments.count(seg)).toBe(await h.segments.count(seg));
      expect(await l.segments.members(seg, { limit: 1000 })).toEqual(await h.segments.members(seg, { limit: 1000 }));
    }
    const [users] = await dbs.hpos!.pool.query<Row[]>('SELECT user_email FROM shop_users ORDER BY ID LIMIT 40');
    for (const { user_email: email } of users) {
      expect(await l.customers.get(String(email))).toEqual(await h.customers.get(String(email)));
      expect(await l.facts.forContact({ email: String(email) })).toEqual(await h.facts.forContact({ email: String(email) }));
      expect(await l.orders.forContact({ email: String(email) }, { limit: 50 })).toEqual(await h.orders.forContact({ email: String(email) }, { limit: 50 }));
      expect(await l.recommendations.forContact({ email: String(email) }, 4)).toEqual(await h.recommendations.forContact({ email: String(email) }, 4));
    }
  });

  it('stores order dates in UTC and site-local time consistently (legacy post_date is Berlin time)', async () => {
    const [rows] = await dbs.legacy!.shopPool.query<Row[]>("SELECT post_date, post_date_gmt FROM shop_posts WHERE post_type = 'shop_order' ORDER BY ID LIMIT 1");
    const local = new Date(`${String(rows[0]!.post_date).replace(' ', 'T')}Z`).getTime();
    const gmt = new Date(`${String(rows[0]!.post_date_gmt).replace(' ', 'T')}Z`).getTime();
    expect([3_600_000, 7_200_000]).toContain(local - gmt);
  });

  it('keeps the live facts and the stored facts in agreement, and refresh picks up a new order', async () => {
    const h = readers.hpos!;
    const [users] = await dbs.hpos!.pool.query<Row[]>('SELECT user_email FROM shop_users WHERE ID > 1 ORDER BY ID LIMIT 30');
    for (const { user_email: email } of users) expect(await h.facts.stored(String(email))).toEqual(await h.facts.forContact({ email: String(email) }));
    const email = String(users[0]!.user_email);
    const before = (await h.facts.stored(email))!;
    // A guest order with the account's e-mail in a different case, updated after the last backfill.
    await dbs.hpos!.pool.query(
      "INSERT INTO shop_wc_orders (id, status, currency, type, total_amount, customer_id, billing_email, date_created_gmt, date_updated_gmt, parent_order_id) VALUES (999999, 'wc-completed', 'EUR', 'shop_order', '10.00', 0, ?, '2026-11-21 23:00:00', '2026-11-22 00:00:00', 0)",
      [email.toUpperCase()],
    );
    const refreshed = await h.facts.refresh();
    expect(refreshed.contacts).toBeGreaterThanOrEqual(1);
    const after = (await h.facts.stored(email))!;
    expect(after.paidOrders).toBe(before.paidOrders + 1);
    expect(after.lastPaidAt).toEqual(new Date('2026-11-21T23:00:00Z'));
    expect(after).toEqual(await h.facts.forContact({ email }));
  });

  it('uses indexes for the send-time gate on both storages', async () => {
    const explain = async (db: TestDatabase, sql: string, params: unknown[]) => {
      const [rows] = await db.shopPool.query<Row[]>(`EXPLAIN ${sql}`, params);
      return rows;
    };
    const { orderQueries } = await import('../../../sidecar/src/shop/order-queries');
    const q = orderQueries('shop_');
    const since = '2026-01-01 00:00:00';
    const h1 = await explain(dbs.hpos!, q.hposHasOrderSinceByEmail, ['x@example.com', since, ['wc-completed']]);
    expect(h1[0]!.key).toMatch(/billing_email|customer_id_billing_email|type_status_date/);
    const h2 = await explain(dbs.hpos!, q.hposHasOrderSinceByCustomer, [5, since, ['wc-completed']]);
    expect(h2[0]!.key).toMatch(/customer_id_billing_email/);
    const l1 = await explain(dbs.legacy!, q.legacyHasOrderSinceByEmail, ['x@example.com', since, ['wc-completed']]);
    expect(l1.find((r) => r.table === 'i')!.key).toBe('email_created');
    expect(l1.find((r) => r.table === 'p')!.key).toBe('PRIMARY');
    const l2 = await explain(dbs.legacy!, q.legacyHasOrderSinceByCustomer, [5, since, ['wc-completed']]);
    expect(l2.find((r) => r.table === 'i')!.key).toBe('customer_created');
    for (const rows of [h1, h2, l1, l2]) for (const r of rows) expect(r.type).not.toBe('ALL');
  });

  it('uses indexes for the segment counts, stored facts and the backfill and mining joins', async () => {
    const explain = async (db: TestDatabase, sql: string, params: unknown[] = []) => {
      const [rows] = await db.shopPool.query<Row[]>(`EXPLAIN ${sql}`, params);
      return rows;
    };
    const { factsQueries, segmentQueries } = await import('../../../sidecar/src/shop/facts-queries');
    const { recommendationQueries } = await import('../../../sidecar/src/shop/recommendation-queries');
    const f = factsQueries('shop_');
    const s = segmentQueries('shop_');
    const r = recommendationQueries('shop_');
    const db = dbs.hpos!;
    // Segment counts can be answered from an index of the facts table (at this size the optimizer may
    // still prefer a scan of the few rows, so the test checks the usable key, not the choice).
    for (const [sql, params] of [
      [s.leadsCount, []], [s.firstTimeCount, []], [s.repeatCount, []], [s.lapsedCount, ['2026-01-01 00:00:00']],
      [s.loyalCount, [2, '2026-01-01 00:00:00', '100']], [s.gapAt, [0]],
    ] as Array<[string, unknown[]]>) {
      const rows = await explain(db, sql, params);
      expect(rows).toHaveLength(1);
      expect(String(rows[0]!.possible_keys ?? rows[0]!.key)).toMatch(/paid_last|last_paid|net|gap/);
    }
    const [[known]] = (await db.shopPool.query('SELECT email FROM shop_retain_shop_customer_facts LIMIT 1')) as unknown as [[{ email: string }]];
    expect((await explain(db, f.byEmail, [known.email]))[0]!.type).toBe('const');
    const flags = [['wc-completed'], ['trash']];
    // Backfill: every order is read once (a scan of wc_orders is intended); each join is a key lookup.
    const accounts = await explain(db, f.hposStageAccounts, flags);
    expect(accounts.find((x) => x.table === 'r')).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' });
    const guests = await explain(db, f.hposNextFromGuests, ['2026-11-22 00:00:00', ...flags]);
    expect(guests.find((x) => x.table === 'r')).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' });
    const users = await explain(db, f.nextFromAccounts, ['2026-11-22 00:00:00', 'birthday', 'shop_capabilities']);
    expect(users.find((x) => x.table === 'a')).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' });
    for (const x of users.filter((y) => y.table === 'shop_usermeta')) expect(x.key).toBe('meta_key');
    const legacyAccounts = await explain(dbs.legacy!, f.legacyStageAccounts, flags);
    expect(legacyAccounts.find((x) => x.table === 'p')).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' });
    expect(legacyAccounts.find((x) => x.table === 't')!.key).toMatch(/post_id|meta_key/);
    // Mining stages one id range: orders by primary key, items and their meta by their order keys.
    const stage = await explain(db, r.hposMineStage, [0, 1000, ['wc-completed']]);
    expect(stage.find((x) => x.table === 'o')!.key).toMatch(/PRIMARY|type_status_date/);
    expect(stage.find((x) => x.table === 'i')!.key).toBe('order_id');
    expect(stage.find((x) => x.table === 'm')!.key).toMatch(/order_item_id|meta_key/);
  });

  describe('bad data', () => {
    it('skips a corrupt serialized cross-sell list, counts it and carries on', async () => {
      const db = dbs.legacy!;
      const [[p]] = (await db.pool.query("SELECT ID FROM shop_posts WHERE post_type = 'product' ORDER BY ID LIMIT 1")) as unknown as [[{ ID: number }]];
      await db.pool.query("UPDATE shop_postmeta SET meta_value = 'a:2:{i:0;i:12;i:1;' WHERE post_id = ? AND meta_key = '_crosssell_ids'", [p.ID]);
      await db.pool.query("INSERT INTO shop_postmeta (post_id, meta_key, meta_value) VALUES (?, '_upsell_ids', ?)", [p.ID, 'O:8:"stdClass":1:{s:1:"a";i:3;}']);
      const reader = createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log });
      const [product] = await reader.products.get([p.ID]);
      expect(product!.crossSellIds).toEqual([]);
      expect(reader.stats().corrupt_serialized).toBe(1);
      expect(Array.isArray(product!.upsellIds)).toBe(true);
    });

    it('reads an order without e-mail, a deleted product and a zero date without crashing', async () => {
      const db = dbs.hpos!;
      const [[o]] = (await db.pool.query("SELECT id FROM shop_wc_orders WHERE type = 'shop_order' AND id < 999999 ORDER BY id DESC LIMIT 1")) as unknown as [[{ id: number }]];
      await db.pool.query("UPDATE shop_wc_orders SET billing_email = NULL, date_created_gmt = '0000-00-00 00:00:00' WHERE id = ?", [o.id]);
      const [[item]] = (await db.pool.query(
        "SELECT m.meta_value AS pid FROM shop_woocommerce_order_items i JOIN shop_woocommerce_order_itemmeta m ON m.order_item_id = i.order_item_id AND m.meta_key = '_product_id' WHERE i.order_id = ? LIMIT 1",
        [o.id],
      )) as unknown as [[{ pid: string }]];
      await db.pool.query('DELETE FROM shop_posts WHERE ID = ?', [Number(item.pid)]);
      const reader = createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log });
      const order = await reader.orders.get(o.id);
      expect(order).toMatchObject({ id: o.id, email: null, createdAt: null });
      expect(order!.items.length).toBeGreaterThan(0);
      expect(reader.stats()).toMatchObject({ order_without_email: 1, order_zero_date: 1 });
      expect(await reader.products.get([Number(item.pid)])).toEqual([]);
      await reader.facts.backfill();
      expect((await reader.recommendations.forCart([Number(item.pid)])).map((r) => r.productId)).not.toContain(Number(item.pid));
    });

    it('reads a session with a PHP object inside and a birthday that is not a date', async () => {
      const db = dbs.hpos!;
      const inner = phpSerialize({ k1: { key: 'k1', product_id: 3, variation_id: 0, quantity: 2, line_total: 10 } });
      // A WC_Shipping_Rate object at the outer level: decoded as a plain object, never instantiated.
      const value = phpSerialize({ cart: inner, customer: phpSerialize({ email: 'Zoë@Example.com' }) })
        .replace(/}$/, 's:22:"shipping_for_package_0";O:16:"WC_Shipping_Rate":1:{s:1:"x";i:1;}}')
        .replace(/^a:2:/, 'a:3:');
      await db.pool.query("INSERT INTO shop_woocommerce_sessions (session_key, session_value, session_expiry) VALUES ('t_badsession', ?, 1795400000)", [value]);
      const reader = createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log, options: { birthdayMetaKey: 'birthday' } });
      const cart = await reader.carts.session('t_badsession');
      expect(cart).toMatchObject({ email: 'zoë@example.com', items: [{ productId: 3, quantity: 2, lineTotal: '10.00' }] });
      await db.pool.query("UPDATE shop_usermeta SET meta_value = '1990-02-30' WHERE user_id = 2 AND meta_key = 'birthday'");
      await db.pool.query("INSERT INTO shop_usermeta (user_id, meta_key, meta_value) SELECT 2, 'birthday', '1990-02-30' FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM shop_usermeta WHERE user_id = 2 AND meta_key = 'birthday')");
      expect((await reader.customers.byId(2))!.birthday).toBeNull();
      expect(reader.stats().invalid_birthday).toBe(1);
    });
  });
});
