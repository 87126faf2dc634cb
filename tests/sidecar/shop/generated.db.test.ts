import pino from 'pino';
import { ManualClock } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { generateShop, ShopExistsError } from '../../../sidecar/src/shop/generator/generate';
import { WC_TABLES, wcSchemaQueries } from '../../../sidecar/src/shop/generator/wc-schema-queries';
import { medianGap } from '../../../sidecar/src/shop/lifecycle';
import { phpSerialize } from '../../../sidecar/src/shop/php';
import { createShopReader, type ShopReader } from '../../../sidecar/src/shop/reader';
import { gmtDate } from '../../../sidecar/src/shop/values';
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

  it('ends with WooCommerce\'s own table definitions although the keys are built after the load', async () => {
    const ref = await createTestDatabase({ prefix: 'shop_', label: 'genddl', migrated: false });
    try {
      const show = async (db: TestDatabase, table: string) => {
        const [[row]] = (await db.pool.query(`SHOW CREATE TABLE shop_${table}`)) as unknown as [[Record<string, string>]];
        return row!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, '');
      };
      for (const t of WC_TABLES) {
        await ref.pool.query(wcSchemaQueries.createWooTable('shop_', t));
        for (const storage of ['hpos', 'legacy'] as const) expect(await show(dbs[storage]!, t.name)).toBe(await show(ref, t.name));
      }
      expect(WC_TABLES.filter((t) => t.keys.length).length).toBeGreaterThan(10);
    } finally {
      await ref.drop();
    }
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
    // Guests and refunded buyers come from other steps of the backfill (binary-keyed guest scan, refunds per contact).
    const [others] = await dbs.hpos!.pool.query<Row[]>(
      `(SELECT billing_email AS email FROM shop_wc_orders WHERE customer_id = 0 AND type = 'shop_order' AND billing_email <> '' ORDER BY id LIMIT 15)
       UNION (SELECT COALESCE(u.user_email, o.billing_email) FROM shop_wc_orders r JOIN shop_wc_orders o ON o.id = r.parent_order_id
              LEFT JOIN shop_users u ON u.ID = o.customer_id WHERE r.type = 'shop_order_refund' ORDER BY r.id LIMIT 15)`,
    );
    expect(others.length).toBeGreaterThan(15);
    let refunded = 0;
    for (const { email } of others) {
      const stored = await h.facts.stored(String(email));
      expect(stored).toEqual(await h.facts.forContact({ email: String(email) }));
      if (stored!.refunded !== '0.00') refunded++;
    }
    expect(refunded).toBeGreaterThan(0);
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

  it('refreshes signup and birthday as the backfill reads them, a removed birthday included', async () => {
    const db = dbs.hpos!;
    const reader = createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log, options: { birthdayMetaKey: 'birthday' } });
    await reader.facts.backfill();
    const [[changed], [removed]] = (await Promise.all(
      ['NOT EXISTS', 'EXISTS'].map(async (has) => (await db.pool.query<Row[]>(
        `SELECT u.ID, u.user_email AS email FROM shop_users u JOIN shop_wc_orders o ON o.customer_id = u.ID AND o.type = 'shop_order'
         WHERE u.ID > 2 AND ${has} (SELECT 1 FROM shop_usermeta m WHERE m.user_id = u.ID AND m.meta_key = 'birthday') ORDER BY u.ID LIMIT 1`,
      ))[0]),
    )) as [Row[], Row[]];
    await db.pool.query("INSERT INTO shop_usermeta (user_id, meta_key, meta_value) VALUES (?, 'birthday', '1980-05-17')", [changed!.ID]);
    await db.pool.query("DELETE FROM shop_usermeta WHERE user_id = ? AND meta_key = 'birthday'", [removed!.ID]);
    // Their orders changed after the backfill's cursor, so the refresh recomputes both contacts.
    await db.pool.query("UPDATE shop_wc_orders SET date_updated_gmt = '2026-11-22 00:00:00' WHERE customer_id IN (?) AND type = 'shop_order'", [[changed!.ID, removed!.ID]]);
    await reader.facts.refresh();
    const refreshed = await Promise.all([changed, removed].map((u) => reader.facts.stored(String(u!.email))));
    expect(refreshed.map((f) => f!.birthday)).toEqual(['1980-05-17', null]);
    await reader.facts.backfill();
    expect(await Promise.all([changed, removed].map((u) => reader.facts.stored(String(u!.email))))).toEqual(refreshed);
  });

  it('reads WooCommerce\'s tables in READ COMMITTED on every connection, the backfill\'s two included', async () => {
    // REPEATABLE READ with the binary log on would share-lock every order a backfill scan reads.
    const db = dbs.hpos!;
    await readers.hpos!.facts.backfill();
    const held = await Promise.all(Array.from({ length: 10 }, () => db.shopPool.getConnection()));
    try {
      const levels = await Promise.all(held.map(async (c) => ((await c.query<Row[]>('SELECT @@tx_isolation AS level'))[0][0]!.level)));
      expect(new Set(levels)).toEqual(new Set(['READ-COMMITTED']));
    } finally {
      for (const c of held) c.release();
    }
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
      [s.loyalCount, [2, '2026-01-01 00:00:00', '100']],
    ] as Array<[string, unknown[]]>) {
      const rows = await explain(db, sql, params);
      expect(rows).toHaveLength(1);
      expect(String(rows[0]!.possible_keys ?? rows[0]!.key)).toMatch(/last_paid_orders|net_paid/);
    }
    const [[known]] = (await db.shopPool.query('SELECT email FROM shop_retain_shop_customer_facts LIMIT 1')) as unknown as [[{ email: string }]];
    expect((await explain(db, f.byEmail, [known.email]))[0]!.type).toBe('const');
    // The refresh updates its batch's rows by primary key (refreshed_at has no index).
    for (const [sql, params] of [[f.signupAndGap, [[known.email]]], [f.birthdays, ['birthday', [known.email]]]] as Array<[string, unknown[]]>) {
      expect((await explain(db, sql, params)).find((x) => x.table === 'f')).toMatchObject({ key: 'PRIMARY' });
    }
    const flags = [['wc-completed'], ['trash']];
    // Backfill: every order is read once by one of two scans (a scan of wc_orders is intended), with
    // no per-order lookup; users, usermeta and refunds' parents come through keys.
    const paid4 = [['wc-completed'], ['wc-completed'], ['wc-completed'], ['wc-completed'], ['trash']];
    const accounts = await explain(db, f.hposStageAccounts, paid4);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ table: 'o', type: 'ALL' });
    const guests = await explain(db, f.hposStageGuests, paid4);
    expect(guests).toHaveLength(1);
    expect(guests[0]).toMatchObject({ table: 'o', type: 'ALL' });
    const users = await explain(db, f.stageUsers, ['shop_capabilities', 'birthday', ['shop_capabilities', 'birthday']]);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ table: 'shop_usermeta', key: 'meta_key' });
    const accountRows = await explain(db, f.nextFromAccounts, ['2026-11-22 00:00:00', '', null, null]);
    for (const t of ['a', 'm']) expect(accountRows.find((x) => x.table === t)).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' });
    const refunds = await explain(db, f.hposStageRefunds, [['wc-completed']]);
    expect(refunds.find((x) => x.table === 'r')!.key).toBe('type_status_date');
    expect(refunds.find((x) => x.table === 'o')).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' });
    const merged = await explain(db, f.nextRefunds, ['', null, null]);
    expect(merged.filter((x) => x.type === 'eq_ref' && x.key === 'PRIMARY')).toHaveLength(1);
    // Legacy: the order index alone, as wc_orders in HPOS; refunds from their mirror, orders by key.
    const legacyAccounts = await explain(dbs.legacy!, f.legacyStageAccounts, paid4);
    expect(legacyAccounts).toHaveLength(1);
    expect(legacyAccounts[0]).toMatchObject({ table: 'i', type: 'ALL' });
    const legacyRefunds = await explain(dbs.legacy!, f.legacyStageRefunds, [['wc-completed']]);
    expect(legacyRefunds.find((x) => x.table === 'i')).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' });
    // Keeping the index current: counts from type_status_date alone, re-reads by key.
    const o = (await import('../../../sidecar/src/shop/order-queries')).orderQueries('shop_');
    for (const sql of [o.orderIndexPostIds, o.refundIndexPostIds]) expect(await explain(dbs.legacy!, sql, [1000])).toMatchObject([{ key: 'type_status_date', Extra: expect.stringContaining('Using index') }]);
    const reread = await explain(dbs.legacy!, o.legacyIndexReread, [[1, 2]]);
    expect(reread.find((x) => x.table === 'i')!.key).toBe('PRIMARY');
    for (const x of reread.filter((x) => x.table !== 'i')) expect(x.key).toMatch(/^(PRIMARY|post_id)$/);
    // Mining stages one id range: orders by primary key, items and their meta by their order keys.
    const stage = await explain(db, r.hposMineStage, [0, 1000, ['wc-completed']]);
    expect(stage.find((x) => x.table === 'o')!.key).toMatch(/PRIMARY|type_status_date/);
    expect(stage.find((x) => x.table === 'i')!.key).toBe('order_id');
    expect(stage.find((x) => x.table === 'm')!.key).toMatch(/order_item_id|meta_key/);
  });

  it('reads the RFM cut points as order statistics that match NTILE(5), and the new queries use their indexes', async () => {
    for (const storage of ['hpos', 'legacy'] as const) {
      const db = dbs[storage]!;
      const reader = createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log, options: { segments: { loyalMinRecency: 2, loyalMinFrequency: 5, loyalMinMonetary: 3 } } });
      // The definition: the lowest value of each quintile among paying contacts (the former statement).
      const [rows] = await db.shopPool.query<Row[]>(`SELECT q, MIN(r) AS r_min, MIN(f) AS f_min, MIN(m) AS m_min FROM (
          SELECT NTILE(5) OVER (ORDER BY last_paid_at) AS q, last_paid_at AS r, NULL AS f, NULL AS m FROM shop_retain_shop_customer_facts WHERE paid_orders > 0
          UNION ALL SELECT NTILE(5) OVER (ORDER BY paid_orders), NULL, paid_orders, NULL FROM shop_retain_shop_customer_facts WHERE paid_orders > 0
          UNION ALL SELECT NTILE(5) OVER (ORDER BY net), NULL, NULL, net FROM shop_retain_shop_customer_facts WHERE paid_orders > 0
        ) t GROUP BY q ORDER BY q`);
      const at = (q: number) => rows.find((r) => Number(r.q) === q)!;
      const t = await reader.segments.loyalThresholds();
      expect(t.lastPaidAfter.getTime()).toBe(gmtDate(at(2).r_min)!.getTime());
      expect(t.minPaidOrders).toBe(Math.max(2, Number(at(5).f_min)));
      expect(Number(t.minNet)).toBe(Number(at(3).m_min));
    }
    const { segmentQueries } = await import('../../../sidecar/src/shop/facts-queries');
    const { lifecycleQueries } = await import('../../../sidecar/src/shop/lifecycle-queries');
    const { orderQueries } = await import('../../../sidecar/src/shop/order-queries');
    const db = dbs.hpos!;
    const explain = async (sql: string, params: unknown[]) => (await db.shopPool.query<Row[]>(`EXPLAIN ${sql}`, params))[0];
    const s = segmentQueries('shop_');
    for (const [sql, key] of [[s.recencyAt, 'last_paid_orders'], [s.monetaryAt, 'net_paid']] as const) {
      const [row] = await explain(sql, [3]);
      expect(row).toMatchObject({ key });
      expect(String(row!.Extra)).toMatch(/Using index/);
    }
    const [freq] = await explain(s.frequencies, []);
    expect(String(freq!.Extra)).toMatch(/Using index/);
    const [win] = await explain(lifecycleQueries('shop_').lastPaidBetween, [1, 1, '2026-10-01 00:00:00', '2026-10-08 00:00:00', '', 1000]);
    expect(String(win!.possible_keys)).toMatch(/last_paid_orders|paid_last/);
    const [recent] = await explain(orderQueries('shop_').hposOrderedSince, ['2026-11-20 00:00:00', ['trash']]);
    expect(String(recent!.possible_keys)).toMatch(/date_created|type_status_date/);
    const [legacyRecent] = await dbs.legacy!.shopPool.query<Row[]>(`EXPLAIN ${orderQueries('shop_').legacyOrderedSince}`,
      [['wc-completed', 'wc-pending'], '2026-11-20 00:00:00', '2026-11-20 00:00:00']);
    expect(legacyRecent.find((x) => x.table === 'p')).toMatchObject({ key: 'type_status_date', type: 'range' });
  });

  it('finds the same cart abandoners as asking the send-time gate cart by cart', async () => {
    for (const storage of ['hpos', 'legacy'] as const) {
      const reader = readers[storage]!;
      // A wide window, so that some carts have an order in it and some do not.
      const wide = createShopReader({ pool: dbs[storage]!.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log, options: { segments: { cartWindowHours: 24 * 60 } } });
      for (const r of [reader, wide]) {
        const windowStart = new Date(new Date(ANCHOR).getTime() - (r === wide ? 24 * 60 : 48) * 3_600_000);
        const expected = new Set<string>();
        for (const cart of await r.carts.withEmail()) {
          if (cart.email && !(await r.orders.hasOrderSince({ email: cart.email, customerId: cart.customerId }, windowStart, 'any'))) expected.add(cart.email);
        }
        const page = await r.segments.members('cart_abandoners', { limit: 5000 });
        expect(page.members.map((m) => m.email)).toEqual([...expected].sort());
        expect(await r.segments.count('cart_abandoners')).toBe(expected.size);
      }
      const all = new Set((await wide.carts.withEmail()).map((c) => c.email));
      expect((await wide.segments.count('cart_abandoners')) < all.size).toBe(true);
    }
  });

  it('recommends the same whether a contact\'s purchases are read live or from retain_shop_order_products', async () => {
    for (const storage of ['hpos', 'legacy'] as const) {
      const db = dbs[storage]!;
      const reader = readers[storage]!;
      // Buyers with several orders, so exclusion by what they bought matters.
      const [buyers] = await db.shopPool.query<Row[]>('SELECT email, customer_id FROM shop_retain_shop_customer_facts WHERE paid_orders >= 2 ORDER BY email LIMIT 25');
      expect(buyers.length).toBe(25);
      const recs = async () => {
        const out: unknown[] = [];
        for (const b of buyers) out.push(await reader.recommendations.forContact({ email: String(b.email), customerId: Number(b.customer_id) || null }, 6));
        return out;
      };
      await db.shopPool.query(`DELETE FROM shop_retain_shop_state WHERE name LIKE 'order_products_%'`);
      await db.shopPool.query('TRUNCATE TABLE shop_retain_shop_order_products');
      const live = await recs();
      expect(await reader.lifecycle.syncOrderProducts()).toBeGreaterThan(0);
      expect(await recs()).toEqual(live);
    }
  });

  it('reads purchase histories from retain_shop_order_products exactly as from the item meta, and re-reads edited orders', async () => {
    const { lifecycleQueries } = await import('../../../sidecar/src/shop/lifecycle-queries');
    const q = lifecycleQueries('shop_');
    for (const storage of ['hpos', 'legacy'] as const) {
      const db = dbs[storage]!;
      const reader = readers[storage]!;
      const cursor = await reader.lifecycle.syncOrderProducts();
      expect(cursor).toBeGreaterThan(0);
      const [top] = await db.shopPool.query<Row[]>(`SELECT product_id, COUNT(*) AS n FROM shop_retain_shop_order_products GROUP BY product_id ORDER BY n DESC, product_id LIMIT 3`);
      const ids = top.map((r) => Number(r.product_id));
      const history = async (upTo: number) => {
        const period = [['wc-processing', 'wc-completed'], '2023-01-01 00:00:00', '2026-11-22 00:00:00'];
        const [rows] = await db.shopPool.query<Row[]>(storage === 'hpos' ? q.hposPurchaseHistory : q.legacyPurchaseHistory, [...period, ids, upTo, ...period, ids.map(String), upTo, '2000-01-01']);
        return rows.map((r) => `${r.email} ${r.product_id} ${String(r.last_day).slice(0, 10)} ${medianGap(r.days)}`);
      };
      const live = await history(0);
      expect(live.length).toBeGreaterThan(10);
      if (storage === 'hpos') {
        // A statement of its own (window functions: gaps, then ranked): the same histories and medians.
        const [old] = await db.shopPool.query<Row[]>(`WITH p AS (SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, o.billing_email))), 191) AS email,
              CAST(pm.meta_value AS UNSIGNED) AS product_id, DATE(o.date_created_gmt) AS day
            FROM shop_woocommerce_order_itemmeta pm
            JOIN shop_woocommerce_order_items i ON i.order_item_id = pm.order_item_id AND i.order_item_type = 'line_item'
            JOIN shop_wc_orders o ON o.id = i.order_id AND o.type = 'shop_order' AND o.status IN (?) AND o.date_created_gmt >= ? AND o.date_created_gmt < ?
            LEFT JOIN shop_users u ON u.ID = o.customer_id AND o.customer_id > 0
            WHERE pm.meta_key = '_product_id' AND pm.meta_value IN (?) GROUP BY 1, 2, 3),
          g AS (SELECT email, product_id, DATEDIFF(day, LAG(day) OVER (PARTITION BY email, product_id ORDER BY day)) AS gap FROM p),
          r AS (SELECT email, product_id, gap, ROW_NUMBER() OVER (PARTITION BY email, product_id ORDER BY gap) AS rn, COUNT(*) OVER (PARTITION BY email, product_id) AS n
                FROM g WHERE gap IS NOT NULL)
          SELECT l.email, l.product_id, l.last_day, m.learned FROM
            (SELECT email, product_id, MAX(day) AS last_day FROM p GROUP BY email, product_id) l
            LEFT JOIN (SELECT email, product_id, AVG(gap) AS learned FROM r WHERE n >= 2 AND rn IN (FLOOR((n + 1) / 2), FLOOR(n / 2) + 1) GROUP BY email, product_id) m
              ON m.email = l.email AND m.product_id = l.product_id
          WHERE l.last_day >= ? ORDER BY l.email, l.product_id`, [['wc-processing', 'wc-completed'], '2023-01-01 00:00:00', '2026-11-22 00:00:00', ids.map(String), '2000-01-01']);
        expect(old.map((r) => `${r.email} ${r.product_id} ${String(r.last_day).slice(0, 10)} ${r.learned === null ? null : Number(r.learned)}`)).toEqual(live);
        expect(live.some((r) => !r.endsWith(' null'))).toBe(true);
      }
      expect(await history(cursor)).toEqual(live);
      expect((await db.shopPool.query<Row[]>(`EXPLAIN ${storage === 'hpos' ? q.hposOrdersChangedSince : q.legacyOrdersChangedSince}`, ['2026-11-01 00:00:00', cursor]))[0][0]!.type).not.toBe('ALL');

      // An admin removes a line item from an indexed order: the order's products are re-read.
      const [[line]] = await db.shopPool.query<Row[]>(`SELECT l.order_id, l.product_id, i.order_item_id FROM shop_retain_shop_order_products l
        JOIN shop_woocommerce_order_items i ON i.order_id = l.order_id AND i.order_item_type = 'line_item'
        JOIN shop_woocommerce_order_itemmeta m ON m.order_item_id = i.order_item_id AND m.meta_key = '_product_id' AND m.meta_value = l.product_id
        WHERE l.product_id = ? ORDER BY l.order_id LIMIT 1`, [ids[0]]);
      await db.pool.query('DELETE FROM shop_woocommerce_order_items WHERE order_item_id = ?', [line!.order_item_id]);
      await db.pool.query('DELETE FROM shop_woocommerce_order_itemmeta WHERE order_item_id = ?', [line!.order_item_id]);
      await db.pool.query(storage === 'hpos' ? "UPDATE shop_wc_orders SET date_updated_gmt = '2026-11-22 00:00:00' WHERE id = ?" : "UPDATE shop_posts SET post_modified_gmt = '2026-11-22 00:00:00' WHERE ID = ?", [line!.order_id]);
      await reader.lifecycle.syncOrderProducts();
      const [gone] = await db.shopPool.query<Row[]>('SELECT COUNT(*) AS n FROM shop_retain_shop_order_products WHERE order_id = ? AND product_id = ?', [line!.order_id, line!.product_id]);
      expect(Number(gone[0]!.n)).toBe(0);
      expect(await history(cursor)).toEqual(await history(0));
    }
  });

  it('keeps the legacy order index current with the shop, so the backfill matches one from an empty index', async () => {
    const db = dbs.legacy!;
    const one = async <T extends Row>(sql: string, params: unknown[] = []) => (await db.pool.query<T[]>(sql, params))[0][0]!;
    const paid = (n: number) => one(`SELECT p.ID FROM shop_posts p JOIN shop_retain_shop_order_index i ON i.order_id = p.ID
      WHERE p.post_type = 'shop_order' AND p.post_status = 'wc-completed' AND i.customer_id > 0 ORDER BY p.ID LIMIT 1 OFFSET ${n}`);
    const [cancelled, repriced, deleted, refundedLater, passedOver] = await Promise.all([10, 20, 30, 40, 50].map(paid));
    const { ID: oldRefund } = await one("SELECT ID FROM shop_posts WHERE post_type = 'shop_order_refund' ORDER BY ID LIMIT 1");
    const touch = (id: unknown) => db.pool.query("UPDATE shop_posts SET post_modified_gmt = '2026-11-22 00:00:00' WHERE ID = ?", [id]);
    // An admin cancels one order and edits another's total; both saves stamp post_modified_gmt.
    await db.pool.query("UPDATE shop_posts SET post_status = 'wc-cancelled' WHERE ID = ?", [cancelled!.ID]);
    await touch(cancelled!.ID);
    await db.pool.query("UPDATE shop_postmeta SET meta_value = '1234.56' WHERE post_id = ? AND meta_key = '_order_total'", [repriced!.ID]);
    await touch(repriced!.ID);
    // An order and a refund deleted for good (no trace in posts), a new refund of another order.
    for (const id of [deleted!.ID, oldRefund]) {
      await db.pool.query('DELETE FROM shop_posts WHERE ID = ?', [id]);
      await db.pool.query('DELETE FROM shop_postmeta WHERE post_id = ?', [id]);
    }
    const { id: refundId } = await one('SELECT MAX(ID) + 1 AS id FROM shop_posts');
    await db.pool.query(`INSERT INTO shop_posts (ID, post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name, to_ping, pinged,
        post_modified, post_modified_gmt, post_content_filtered, post_parent, guid, post_type)
      VALUES (?, 1, '2026-11-21 12:00:00', '2026-11-21 11:00:00', '', 'Refund', '', 'wc-completed', '', '', '', '2026-11-21 12:00:00', '2026-11-21 11:00:00', '', ?, '', 'shop_order_refund')`,
    [refundId, refundedLater!.ID]);
    await db.pool.query("INSERT INTO shop_postmeta (post_id, meta_key, meta_value) VALUES (?, '_refund_amount', '7.50')", [refundId]);
    await touch(refundedLater!.ID); // wc_create_refund saves the order with a new modified date
    // An order committed after a higher id had been indexed: the id cursor passed over it.
    await db.pool.query('DELETE FROM shop_retain_shop_order_index WHERE order_id = ?', [passedOver!.ID]);

    const reader = createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log });
    const refreshed = await reader.orders.refreshIndex();
    expect(refreshed).toMatchObject({ added: 0, reconciled: 3, refunds: 1 });
    expect(refreshed.reread).toBeGreaterThanOrEqual(3);
    // The refresh recomputes the changed contacts from the index as the live path reads the shop.
    const changedEmails = await Promise.all([cancelled, repriced, refundedLater].map(async (o) => String((await one(
      'SELECT u.user_email AS email FROM shop_retain_shop_order_index i JOIN shop_users u ON u.ID = i.customer_id WHERE i.order_id = ?', [o!.ID])).email)));
    const before = await Promise.all(changedEmails.map((email) => reader.facts.stored(email)));
    await reader.facts.refresh();
    for (const [n, email] of changedEmails.entries()) {
      const stored = await reader.facts.stored(email);
      expect(stored).toEqual(await reader.facts.forContact({ email }));
      expect(stored).not.toEqual(before[n]);
    }
    const snapshot = async () => Promise.all(['shop_retain_shop_order_index ORDER BY order_id', 'shop_retain_shop_refund_index ORDER BY refund_id',
      'shop_retain_shop_customer_facts ORDER BY email'].map(async (t) => (await db.pool.query<Row[]>(`SELECT * FROM ${t}`))[0].map(({ refreshed_at: _, ...r }) => r)));
    await reader.facts.backfill();
    const kept = await snapshot();
    // From nothing: both mirrors emptied and filled again from the shop as it is now.
    await db.pool.query('TRUNCATE TABLE shop_retain_shop_order_index');
    await db.pool.query('TRUNCATE TABLE shop_retain_shop_refund_index');
    await createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log }).facts.backfill();
    expect(kept).toEqual(await snapshot());
    const index = kept[0]!;
    const row = (id: unknown) => index.find((r) => r.order_id === id);
    expect(row(cancelled!.ID)!.status).toBe('wc-cancelled');
    expect(row(repriced!.ID)!.total).toBe('1234.56000000');
    expect(row(deleted!.ID)).toBeUndefined();
    expect(row(passedOver!.ID)).toBeDefined();
    expect(kept[1]!.find((r) => r.refund_id === refundId)).toMatchObject({ order_id: refundedLater!.ID, amount: '7.50000000' });
    for (const email of changedEmails) expect(await reader.facts.stored(email)).toEqual(await reader.facts.forContact({ email }));
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

    it('fills the legacy order index in bulk with the same rows as one order at a time, bad orders included', async () => {
      const db = dbs.legacy!;
      const ids = async (n: number) => ((await db.pool.query<Row[]>("SELECT ID FROM shop_posts WHERE post_type = 'shop_order' ORDER BY ID LIMIT ?", [n]))[0]).map((r) => Number(r.ID));
      const [noEmail, zeroDate, twoEmails, noCustomer, badTotal, badCustomer] = (await ids(400)).slice(-6) as [number, number, number, number, number, number];
      // Not numbers: in strict mode a CAST of these inside INSERT … SELECT would fail the whole fill.
      await db.pool.query("UPDATE shop_postmeta SET meta_value = 'n/a' WHERE post_id = ? AND meta_key = '_order_total'", [badTotal]);
      await db.pool.query("UPDATE shop_postmeta SET meta_value = 'guest' WHERE post_id = ? AND meta_key = '_customer_user'", [badCustomer]);
      await db.pool.query("DELETE FROM shop_postmeta WHERE post_id = ? AND meta_key = '_billing_email'", [noEmail]);
      await db.pool.query("UPDATE shop_posts SET post_date_gmt = '0000-00-00 00:00:00' WHERE ID = ?", [zeroDate]);
      // A second e-mail added later: the first one written still wins.
      await db.pool.query("INSERT INTO shop_postmeta (post_id, meta_key, meta_value) VALUES (?, '_billing_email', 'Later@Example.com')", [twoEmails]);
      await db.pool.query("DELETE FROM shop_postmeta WHERE post_id = ? AND meta_key = '_customer_user'", [noCustomer]);
      const lines: string[] = [];
      const captured = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
      const indexed = async (options: Parameters<typeof createShopReader>[0]['options']) => {
        await db.pool.query('TRUNCATE TABLE shop_retain_shop_order_index');
        const reader = createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log: captured, options });
        const connections = jest.spyOn(db.shopPool, 'getConnection');
        const added = await reader.orders.syncIndex();
        const bulk = connections.mock.calls.length > 0;
        connections.mockRestore();
        const [rows] = await db.pool.query<Row[]>('SELECT * FROM shop_retain_shop_order_index ORDER BY order_id');
        return { added, bulk, rows, zeroDates: reader.stats().order_zero_date, noTotal: reader.stats().order_without_total };
      };
      const oneByOne = await indexed({});
      // At boot the sidecar warms the reader up: on legacy storage that fills the index.
      await db.pool.query('TRUNCATE TABLE shop_retain_shop_order_index');
      expect(await createShopReader({ pool: db.shopPool, prefix: 'shop_', clock: new ManualClock(ANCHOR), log }).warmUp()).toBe(oneByOne.rows.length);
      // 500 orders: one batch of 50, then more than 100 still behind, so the rest goes in one pass.
      const bulk = await indexed({ legacyIndex: { batch: 50, bulkBehind: 100 } });
      expect([oneByOne.bulk, bulk.bulk]).toEqual([false, true]);
      expect(bulk.rows).toEqual(oneByOne.rows);
      expect(bulk.added).toBe(oneByOne.rows.length);
      expect([bulk.zeroDates, bulk.noTotal, oneByOne.noTotal]).toEqual([1, 1, 1]);
      // Each kind is logged once per reader, without the shop's data.
      const logged = lines.map((l) => JSON.parse(l) as { code?: string; reason?: string }).filter((l) => l.code === 'shop_bad_data');
      expect(logged.map((l) => l.reason).sort()).toEqual(['order_without_total', 'order_without_total', 'order_zero_date', 'order_zero_date']);
      expect(lines.join('')).not.toMatch(/@/);
      const row = (id: number) => oneByOne.rows.find((r) => Number(r.order_id) === id)!;
      expect(row(noEmail).email).toBeNull();
      expect(row(zeroDate).created_gmt).toBeNull();
      expect(row(twoEmails).email).not.toBe('later@example.com');
      expect(Number(row(noCustomer).customer_id)).toBe(0);
      expect(row(badTotal).total).toBeNull();
      expect(Number(row(badCustomer).customer_id)).toBe(0);
      expect(row(badCustomer).total).toMatch(/^\d+\.\d{8}$/);
      const [[stage]] = (await db.pool.query('SELECT COUNT(*) AS n FROM shop_retain_shop_order_index_stage')) as unknown as [[{ n: number }]];
      expect(Number(stage.n)).toBe(0);
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
