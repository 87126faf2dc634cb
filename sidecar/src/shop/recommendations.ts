import type { ShopContext } from './context';
import type { OrderReader } from './orders';
import type { ProductReader } from './products';
import type { ContactRef, Product, Recommendation } from './types';
import { intId, normaliseEmail, sqlUtc } from './values';

// Order of preference: the shop owner's own cross-sells and up-sells of what is in context, then
// products bought together with it (mined from paid orders), then 30-day best-sellers, then new
// arrivals. Never: what is in the cart, what the contact already bought (unless replenishable),
// anything out of stock, unpublished or deleted.

// Order ids per mining transaction (about 3 staged rows each).
const MINE_CHUNK = 100_000;

export interface RecommendationContext {
  contact?: ContactRef;
  /** Product or variation ids in the cart. */
  cart?: number[];
  orderId?: number;
  limit?: number;
}

export interface RecommendationReader {
  recommend(input: RecommendationContext): Promise<Recommendation[]>;
  forContact(contact: ContactRef, limit?: number): Promise<Recommendation[]>;
  forCart(cart: number[], contact?: ContactRef, limit?: number): Promise<Recommendation[]>;
  forOrder(orderId: number, limit?: number): Promise<Recommendation[]>;
  /** Folds paid orders older than the settle time into the pair counts; returns orders mined. */
  minePairs(): Promise<number>;
  /** Loads the cached best-seller and new-arrival lists. */
  warm(): Promise<void>;
}

export function createRecommendationReader(ctx: ShopContext, orders: OrderReader, products: ProductReader): RecommendationReader {
  const q = ctx.q.recs;
  const o = () => ctx.options.recommendations ?? {};
  let lists: { at: number; best: number[]; fresh: number[] } | null = null;

  async function fallbackLists() {
    const now = ctx.clock.now().getTime();
    if (lists && now - lists.at < (o().cacheTtlMs ?? 600_000)) return lists;
    const days = o().bestSellerDays ?? 30;
    const since = new Date(now - days * 86_400_000);
    const hpos = await ctx.hpos();
    const best = hpos
      ? await ctx.rows(q.hposBestSellers, [ctx.paidStatuses, sqlUtc(since), 50])
      : await ctx.rows(q.legacyBestSellers, [ctx.paidStatuses, sqlUtc(new Date(since.getTime() - 86_400_000)), sqlUtc(since), 50]);
    const fresh = await products.newArrivals(o().newArrivalDays ?? 60, 50);
    lists = { at: now, best: best.map((r) => intId(r.pid)).filter(Boolean), fresh };
    return lists;
  }

  /** Parent products of the contact's paid orders, most recently bought first. */
  async function purchased(contact: ContactRef): Promise<Set<number>> {
    const email = normaliseEmail(contact.email) ?? '';
    const customerId = intId(contact.customerId);
    if (!email && !customerId) return new Set();
    const hpos = await ctx.hpos();
    if (!hpos) await orders.syncIndex();
    // Independent reads go out together: a lookup's time is its chain of round trips.
    const [orderRows, cur] = await Promise.all([
      hpos
        ? ctx.rows(q.hposPaidOrderIds, [email, ctx.paidStatuses, customerId, ctx.paidStatuses])
        : ctx.rows(q.legacyPaidOrderIds, [email, customerId, ctx.paidStatuses]),
      ctx.state('order_products_cursor'),
    ]);
    const ids = orderRows.map((r) => Number(r.id));
    if (!ids.length) return new Set();
    const cursor = Number(cur ?? 0);
    const stored = ids.filter((id) => id <= cursor);
    const live = ids.filter((id) => id > cursor);
    const newest = new Map<number, number>();
    const [storedRows, liveRows] = await Promise.all([
      stored.length ? ctx.rows(q.storedOrderProducts, [stored]) : [],
      live.length ? ctx.rows(q.liveOrderProducts, [live]) : [],
    ]);
    for (const r of [...storedRows, ...liveRows]) {
      const pid = intId(r.pid);
      if (pid) newest.set(pid, Math.max(newest.get(pid) ?? 0, Number(r.newest)));
    }
    // Most recently bought first: when they seed the recommendations, the latest purchase leads.
    return new Set([...newest].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([pid]) => pid));
  }

  function replenishable(p: Product): boolean {
    const ids = o().replenishableProductIds ?? [];
    const cats = o().replenishableCategories ?? [];
    return ids.includes(p.id) || (p.parentId !== null && ids.includes(p.parentId)) || p.categories.some((c) => cats.includes(c.slug));
  }

  async function recommend(input: RecommendationContext): Promise<Recommendation[]> {
    const limit = Math.min(Math.max(input.limit ?? 4, 1), 24);
    const cartIds = (input.cart ?? []).map(intId).filter(Boolean);
    let seeds: number[] = [...cartIds];
    let contact = input.contact;
    const inOrder: number[] = [];
    if (input.orderId) {
      for (const r of await ctx.rows(q.orderProducts, [intId(input.orderId)])) inOrder.push(intId(r.pid));
      seeds.push(...inOrder);
      if (!contact) {
        const order = await orders.get(intId(input.orderId));
        if (order) contact = { email: order.email, customerId: order.customerId };
      }
    }
    const fallbacks = fallbackLists(); // the same for every contact: read beside the contact's own
    fallbacks.catch(() => undefined); // awaited below; a failure before then is not unhandled
    const bought = contact ? await purchased(contact) : new Set<number>();
    if (!seeds.length && bought.size) seeds = [...bought];
    // Variations count as their parent for seeding and for exclusion.
    const seedProducts = await products.get(seeds);
    const seedParents = [...new Set(seedProducts.map((p) => p.parentId ?? p.id))];
    const excludedIds = new Set<number>([...cartIds, ...seedProducts.filter((p) => cartIds.includes(p.id)).map((p) => p.parentId ?? p.id)]);

    const candidates: Array<{ id: number; reason: Recommendation['reason']; score: number }> = [];
    const parents = await products.get(seedParents);
    for (const p of parents) for (const id of p.crossSellIds) candidates.push({ id, reason: 'cross_sell', score: 1 });
    for (const p of parents) for (const id of p.upsellIds) candidates.push({ id, reason: 'upsell', score: 0.9 });
    if (seedParents.length) {
      const [tot, pairs] = await Promise.all([ctx.state('pairs_orders'), ctx.rows(q.pairsFor, [seedParents, o().minPairOrders ?? 2, 50])]);
      const total = Math.max(1, Number(tot ?? 0));
      for (const r of pairs) {
        const together = Number(r.together);
        const confidence = together / Math.max(1, Number(r.orders_a));
        const lift = confidence / Math.max(1e-9, Number(r.orders_b) / total);
        if (lift > 1) candidates.push({ id: Number(r.product_b), reason: 'bought_together', score: Math.min(0.89, 0.5 + confidence / 2) });
      }
    }
    const lists2 = await fallbacks;
    lists2.best.forEach((id, i) => candidates.push({ id, reason: 'best_seller', score: 0.4 - i / 1000 }));
    lists2.fresh.forEach((id, i) => candidates.push({ id, reason: 'new_arrival', score: 0.3 - i / 1000 }));

    const ordered = candidates.filter((c) => !excludedIds.has(c.id));
    const seen = new Set<number>();
    const unique = ordered.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
    const out: Recommendation[] = [];
    // Load in small batches so a typical call reads one or two product batches (cached anyway).
    for (let i = 0; i < unique.length && out.length < limit; i += limit * 3) {
      const batch = unique.slice(i, i + limit * 3);
      const found = new Map((await products.get(batch.map((c) => c.id))).map((p) => [p.id, p]));
      for (const c of batch) {
        const p = found.get(c.id);
        if (!p || p.status !== 'publish' || p.type !== 'product') continue;
        if (p.stockStatus === 'outofstock') continue;
        if ((bought.has(p.id) || inOrder.includes(p.id) || seedParents.includes(p.id)) && !replenishable(p)) continue;
        if (out.some((r) => r.productId === p.id)) continue;
        out.push({ productId: p.id, reason: c.reason, score: Math.round(c.score * 1000) / 1000, product: p });
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  async function minePairs(): Promise<number> {
    const hpos = await ctx.hpos();
    if (!hpos) await orders.syncIndex();
    const settle = sqlUtc(new Date(ctx.clock.now().getTime() - (o().settleHours ?? 48) * 3_600_000));
    const conn = await ctx.pool.getConnection();
    let release: (() => Promise<void>) | null = null;
    let mined = 0;
    try {
      // The staging table is shared: one miner at a time per shop; the cursor is read under the lock.
      release = await ctx.holdJobLock(conn, 'retain_shop_mine_pairs', 'bought-together mining run');
      const state = async (name: string) => Number(((await conn.query(ctx.q.facts.stateGet, [name])) as unknown as [Array<{ value: string }>])[0][0]?.value ?? 0);
      let cursor = await state('pairs_cursor');
      let total = await state('pairs_orders');
      const [[mx]] = (await conn.query(hpos ? q.hposMaxOrderId : q.legacyMaxOrderId, [settle])) as unknown as [[{ max_id: number | string }]];
      const maxId = Number(mx?.max_id ?? 0);
      while (cursor < maxId) {
        const upTo = Math.min(maxId, cursor + MINE_CHUNK);
        // TRUNCATE commits, so it runs before the chunk's transaction; the chunk is staged, folded
        // and the cursor moved in one transaction.
        await conn.query(q.mineClear);
        await conn.beginTransaction();
        try {
          await conn.query(hpos ? q.hposMineStage : q.legacyMineStage, [cursor, upTo, ctx.paidStatuses]);
          await conn.query(q.minePairs);
          await conn.query(q.mineSingles);
          const [[c]] = (await conn.query(q.mineCount)) as unknown as [[{ n: number }]];
          mined += Number(c?.n ?? 0);
          total += Number(c?.n ?? 0);
          await conn.query(ctx.q.facts.stateSet, ['pairs_cursor', String(upTo)]);
          await conn.query(ctx.q.facts.stateSet, ['pairs_orders', String(total)]);
          await conn.commit();
        } catch (err) {
          await conn.rollback().catch(() => undefined);
          throw err;
        }
        cursor = upTo;
      }
      await conn.query(q.mineClear);
    } finally {
      await release?.();
      conn.release();
    }
    return mined;
  }

  return {
    recommend,
    forContact: (contact, limit) => recommend({ contact, limit }),
    forCart: (cart, contact, limit) => recommend({ cart, contact, limit }),
    forOrder: (orderId, limit) => recommend({ orderId, limit }),
    minePairs,
    async warm() {
      await fallbackLists();
    },
  };
}
