import pino from 'pino';
import { ManualClock } from '../../../sidecar/src/clock';
import { createShopReader, type ShopReader } from '../../../sidecar/src/shop/reader';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { describeWithFixtures, loadFixture, readJson, type FixtureName } from '../../support/fixtures';

// The two real WooCommerce dumps of the same shop (HPOS and legacy storage) against the facts the
// fixture generator computed independently. "Now" is the fixture anchor.

interface Facts {
  orders: { by_status: Record<string, number>; gross_paid_total_usd: number; distinct_guest_emails: number; guest_emails_that_also_have_an_account: number; total: number };
  customers: {
    registered: number; with_birthday_meta: number; never_ordered: number; loyal_10plus_paid_orders: number; lapsed_one_time_buyers_365d: number;
    no_paid_order_in_180d: number; no_paid_order_in_365d: number; high_value_net_1000usd_plus: number;
    top5_net_spend: Array<{ email: string; net_usd: number; paid_orders: number }>;
  };
  carts: { persistent_cart_usermeta: number; sessions_total: number; sessions_guests: number; guest_sessions_with_email: number };
  catalogue: { products_published: number; variable_products: number; variations: number; out_of_stock: string[]; categories: Record<string, number>; products_with_cross_sells: number; products_with_upsells: number };
}
interface Manifest {
  guest_emails: Array<{ email: string; order_ids: number[] }>;
  segments: Record<string, Array<{ user_id: number; email: string; orders: number; birthday: string | null }>>;
  guest_sessions: Array<{ session_key: string; email: string | null; items: number }>;
  persistent_carts: Array<{ user_id: number; email: string; items: number }>;
  products: Record<string, { id: number; name: string; category: string; variations: number[] }>;
}

const ANCHOR = '2026-11-22T00:00:00Z';
const DAY = 86_400_000;
const log = pino({ level: 'silent' });
// The fixture's facts count refunded orders as paid (they were paid, then refunded) and store birthdays under `birthday`.
const options = { extraPaidStatuses: ['refunded'], birthdayMetaKey: 'birthday' };

describeWithFixtures('shop reader on the WooCommerce fixture dumps', () => {
  const shops: Partial<Record<FixtureName, { db: TestDatabase; reader: ShopReader; facts: Facts; manifest: Manifest }>> = {};

  beforeAll(async () => {
    for (const name of ['hpos', 'legacy'] as const) {
      const db = await createTestDatabase({ label: `fx${name}` });
      await loadFixture(name, db.url);
      const reader = createShopReader({ pool: db.shopPool, prefix: 'wp_', clock: new ManualClock(ANCHOR), log, options });
      await reader.verify();
      await reader.facts.backfill();
      shops[name] = { db, reader, facts: readJson<Facts>(`wcshop_${name}.facts.json`), manifest: readJson<Manifest>(`wcshop_${name}.manifest.json`) };
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of Object.values(shops)) await s?.db.drop();
  });

  describe.each(['hpos', 'legacy'] as const)('%s storage', (name) => {
    const shop = () => shops[name]!;

    it('detects the storage and reads the store settings', async () => {
      expect(await shop().reader.storage()).toBe(name);
      const s = await shop().reader.settings();
      expect(s).toMatchObject({ name: 'Brew & Leaf Co.', currency: 'USD', timezone: 'UTC', url: 'http://127.0.0.1:8080', hpos: name === 'hpos' });
    });

    it('counts orders by status as the facts file does', async () => {
      expect(await shop().reader.orders.countByStatus()).toEqual(shop().facts.orders.by_status);
    });

    it('sums the gross of paid orders and counts registered customers, guests and birthdays', async () => {
      const sum = await shop().reader.facts.summary();
      expect(sum.gross).toBe(shop().facts.orders.gross_paid_total_usd.toFixed(2));
      expect(sum.orders).toBe(shop().facts.orders.total);
      expect(sum.registered).toBe(shop().facts.customers.registered);
      expect(sum.birthdays).toBe(shop().facts.customers.with_birthday_meta);
      // Guest e-mails that later got an account merge into that account's contact.
      expect(sum.guests).toBe(shop().facts.orders.distinct_guest_emails - shop().facts.orders.guest_emails_that_also_have_an_account);
    });

    it('merges guest orders into the account with the same e-mail', async () => {
      let registered = 0;
      for (const g of shop().manifest.guest_emails) {
        const c = await shop().reader.customers.get(g.email.toUpperCase());
        expect(c).not.toBeNull();
        expect(c!.guestOrders).toBe(g.order_ids.length);
        if (c!.customerId) registered++;
      }
      expect(shop().manifest.guest_emails).toHaveLength(shop().facts.orders.distinct_guest_emails);
      expect(registered).toBe(shop().facts.orders.guest_emails_that_also_have_an_account);
    });

    it('finds the top spenders with their net spend and paid orders', async () => {
      for (const t of shop().facts.customers.top5_net_spend) {
        const live = await shop().reader.facts.forContact({ email: t.email });
        const stored = await shop().reader.facts.stored(t.email);
        expect(live).toMatchObject({ totalSpent: t.net_usd.toFixed(2), paidOrders: t.paid_orders });
        expect(stored).toEqual(live);
      }
    });

    it('reads birthdays and customers from usermeta', async () => {
      const arjun = await shop().reader.customers.get('arjun.thomas@example.com');
      expect(arjun).toMatchObject({ firstName: 'Arjun', lastName: 'Thomas', country: 'US', birthday: '1980-11-22', roles: ['customer'] });
      expect(arjun!.signupAt).toEqual(new Date('2023-12-05T12:30:39Z'));
    });

    it('computes the loyal segment (10+ paid orders) and keyset-pages its members', async () => {
      const reader = createShopReader({ pool: shop().db.shopPool, prefix: 'wp_', clock: new ManualClock(ANCHOR), log, options: { ...options, segments: { loyalMinPaidOrders: 10, loyalMinRecency: 0, loyalMinFrequency: 0, loyalMinMonetary: 0 } } });
      expect(await reader.segments.count('loyal')).toBe(shop().facts.customers.loyal_10plus_paid_orders);
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof reader.segments.members>> = await reader.segments.members('loyal', { after, limit: 4 });
        seen.push(...page.members.map((m) => m.email));
        after = page.next;
      } while (after);
      expect(seen).toHaveLength(shop().facts.customers.loyal_10plus_paid_orders);
      expect([...seen].sort()).toEqual(seen);
    });

    it('finds lapsed one-time buyers and never-ordered registered customers', async () => {
      const r = shop().reader;
      const oneTime: string[] = [];
      let after: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof r.segments.members>> = await r.segments.members('first_time', { after, limit: 100 });
        for (const m of page.members) {
          if (!m.customerId || m.lastPaidAt! >= new Date(Date.parse(ANCHOR) - 365 * DAY)) continue;
          const f = await r.facts.stored(m.email);
          if (f!.orders === 1) oneTime.push(m.email);
        }
        after = page.next;
      } while (after);
      expect(oneTime).toHaveLength(shop().facts.customers.lapsed_one_time_buyers_365d);

      let never = 0;
      after = null;
      do {
        const page: Awaited<ReturnType<typeof r.segments.members>> = await r.segments.members('leads', { after, limit: 100 });
        for (const m of page.members) if (m.customerId && (await r.facts.stored(m.email))!.orders === 0) never++;
        after = page.next;
      } while (after);
      expect(never).toBe(shop().facts.customers.never_ordered);
    });

    it.each([
      [180, 'no_paid_order_in_180d'],
      [365, 'no_paid_order_in_365d'],
    ] as const)('finds contacts lapsed for %i days', async (days, key) => {
      const r = createShopReader({ pool: shop().db.shopPool, prefix: 'wp_', clock: new ManualClock(ANCHOR), log, options: { ...options, segments: { lapsedDays: days } } });
      const paid = new Set(['completed', 'processing', 'refunded']);
      let byAccount = 0;
      let onlyAsGuest = 0;
      let after: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof r.segments.members>> = await r.segments.members('lapsed', { after, limit: 50 });
        for (const m of page.members) {
          if (!m.customerId) continue;
          // The facts file counts by account (customer_id); a contact is its e-mail, so an account
          // whose only paid orders were placed as a guest before signing up is lapsed here too.
          const orders = await r.orders.forContact({ customerId: m.customerId, email: m.email }, { limit: 100 });
          if (orders.some((o) => o.customerId === m.customerId && paid.has(o.status))) byAccount++;
          else onlyAsGuest++;
        }
        after = page.next;
      } while (after);
      expect(byAccount).toBe(shop().facts.customers[key]);
      expect(onlyAsGuest).toBeLessThanOrEqual(shop().facts.orders.guest_emails_that_also_have_an_account);
    });

    it('recommends cross-sells first, never what is in the cart, bought, or out of stock', async () => {
      const r = shop().reader;
      await r.recommendations.minePairs();
      const specs = Object.values(shop().manifest.products);
      const oolong = specs.find((p) => p.name === 'Jin Xuan Milk Oolong')!;
      const yirg = specs.find((p) => p.name === 'Ethiopia Yirgacheffe')!;
      const [product] = await r.products.get([yirg.id]);
      const recs = await r.recommendations.forCart([yirg.variations[0]!], undefined, 8);
      expect(recs.length).toBe(8);
      expect(recs[0]!.reason).toBe('cross_sell');
      expect(product!.crossSellIds).toContain(recs[0]!.productId);
      expect(recs.map((x) => x.productId)).not.toContain(yirg.id);
      expect(recs.map((x) => x.productId)).not.toContain(oolong.id);
      expect(recs.map((x) => x.reason)).toContain('bought_together');

      const email = shop().facts.customers.top5_net_spend[0]!.email;
      const bought = new Set((await r.orders.forContact({ email }, { limit: 200 })).filter((o) => ['completed', 'processing', 'refunded'].includes(o.status)).flatMap((o) => o.items.map((i) => i.productId)));
      const forContact = await r.recommendations.forContact({ email }, 6);
      expect(forContact.length).toBeGreaterThan(0);
      for (const rec of forContact) {
        expect(bought.has(rec.productId)).toBe(false);
        expect(rec.product.stockStatus).not.toBe('outofstock');
      }
    });

    it('reads persistent carts and double-serialized sessions', async () => {
      const r = shop().reader;
      for (const c of shop().manifest.persistent_carts) {
        const cart = await r.carts.persistent(c.user_id);
        expect(cart?.items).toHaveLength(c.items);
      }
      for (const s of shop().manifest.guest_sessions) {
        const cart = await r.carts.session(s.session_key);
        expect(cart).not.toBeNull();
        expect(cart!.email).toBe(s.email ? s.email.toLowerCase() : null);
        expect(cart!.items).toHaveLength(s.items);
        expect(cart!.expiresAt!.getTime()).toBeGreaterThan(Date.parse(ANCHOR));
      }
      const all = await r.carts.withEmail();
      expect(all.filter((c) => c.source === 'persistent')).toHaveLength(shop().facts.carts.persistent_cart_usermeta);
      expect(all.filter((c) => c.sessionKey?.startsWith('t_'))).toHaveLength(shop().facts.carts.guest_sessions_with_email);
    });

    it('reads the catalogue: titles, prices, categories, stock, cross-sells', async () => {
      const r = shop().reader;
      const specs = Object.values(shop().manifest.products);
      const parents = await r.products.get(specs.map((p) => p.id));
      expect(parents.filter((p) => p.status === 'publish')).toHaveLength(shop().facts.catalogue.products_published);
      const variations = await r.products.get(specs.flatMap((p) => p.variations));
      expect(variations).toHaveLength(shop().facts.catalogue.variations);
      expect(new Set(variations.map((v) => v.parentId)).size).toBe(shop().facts.catalogue.variable_products);
      expect(parents.filter((p) => p.stockStatus === 'outofstock').map((p) => p.title)).toEqual(shop().facts.catalogue.out_of_stock);
      expect(parents.filter((p) => p.crossSellIds.length)).toHaveLength(shop().facts.catalogue.products_with_cross_sells);
      expect(parents.filter((p) => p.upsellIds.length)).toHaveLength(shop().facts.catalogue.products_with_upsells);
      const byCat: Record<string, number> = {};
      for (const p of parents) for (const c of p.categories) byCat[c.name] = (byCat[c.name] ?? 0) + 1;
      expect(byCat).toEqual(Object.fromEntries(Object.entries(shop().facts.catalogue.categories).map(([k, v]) => [k.replace(/&amp;/g, '&'), v])));
      const yirg = specs.find((p) => p.name === 'Ethiopia Yirgacheffe')!;
      const [product] = await r.products.get([yirg.id]);
      expect(product).toMatchObject({ permalink: 'http://127.0.0.1:8080/product/ethiopia-yirgacheffe/', price: '16.00', type: 'product' });
      expect(product!.imageUrl).toBeNull();
    });

    it('answers the send-time gate on both e-mail and account', async () => {
      const r = shop().reader;
      const orders = await r.orders.forContact({ email: 'arjun.thomas@example.com' }, { limit: 50 });
      expect(orders.length).toBeGreaterThan(20);
      const latest = orders[0]!;
      expect(latest.items.length).toBeGreaterThan(0);
      expect(latest.status).not.toMatch(/^wc-/);
      const justBefore = new Date(latest.createdAt!.getTime() - 1000);
      expect(await r.orders.hasOrderSince({ email: 'ARJUN.THOMAS@example.com ' }, justBefore, 'any')).toBe(true);
      expect(await r.orders.hasOrderSince({ customerId: latest.customerId }, justBefore, 'any')).toBe(true);
      expect(await r.orders.hasOrderSince({ email: 'arjun.thomas@example.com' }, new Date(latest.createdAt!.getTime() + 1000), 'any')).toBe(false);
      expect(await r.orders.hasOrderSince({ email: 'arjun.thomas@example.com' }, justBefore, [latest.status])).toBe(true);
      expect(await r.orders.hasOrderSince({ email: 'arjun.thomas@example.com' }, justBefore, ['wc-failed'].filter((s) => s !== `wc-${latest.status}`))).toBe(false);
    });
  });

  it('returns the same customers, orders, facts and segments from either storage', async () => {
    const h = shops.hpos!.reader;
    const l = shops.legacy!.reader;
    const emails = [...shops.hpos!.facts.customers.top5_net_spend.map((t) => t.email), ...shops.hpos!.manifest.guest_emails.slice(0, 20).map((g) => g.email)];
    for (const email of emails) {
      expect(await l.customers.get(email)).toEqual(await h.customers.get(email));
      expect(await l.facts.forContact({ email })).toEqual(await h.facts.forContact({ email }));
      const strip = (os: Awaited<ReturnType<typeof h.orders.forContact>>) => os.map((o) => ({ ...o, id: 0, customerId: o.customerId > 0, items: o.items.map((i) => ({ ...i, itemId: 0, productId: 0, variationId: 0 })) }));
      expect(strip(await l.orders.forContact({ email }, { limit: 100 }))).toEqual(strip(await h.orders.forContact({ email }, { limit: 100 })));
    }
    for (const seg of ['leads', 'first_time', 'repeat', 'loyal', 'lapsed', 'cart_abandoners'] as const) {
      expect(await l.segments.count(seg)).toBe(await h.segments.count(seg));
    }
    expect(await l.facts.summary()).toEqual(await h.facts.summary());
  });
});
