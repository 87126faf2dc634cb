import type { Connection as CoreConnection } from 'mysql2';
import { DAY } from '../clock';
import { releaseWithDefaults, withTransaction } from '../db/pool';
import type { Row } from '../db/sql';
import { oneAtATime, type ShopContext } from './context';
import type { OrderReader } from './orders';
import { gmtDate, sqlUtc } from './values';

export interface LifecycleReader {
  /** Contacts whose first paid order (facts table) fell on one of these UTC month-days ("02-28"), before `before`; the caller keeps those on its local day. */
  firstOrderAnniversaries(opts: { monthDays: string[]; before: Date; after: string | null; limit: number }): Promise<Array<{ email: string; firstPaidAt: Date }>>;
  /**
   * Contacts with `paidOrders` (a [min, max] range) paid orders whose last one fell in (after, upTo],
   * keyset-paged by e-mail: the first_time / repeat segment members a win-back window holds.
   */
  lastPaidBetween(opts: { paidOrders: [number, number]; after: Date; upTo: Date; cursor: string | null; limit: number }): Promise<Array<{ email: string; lastPaidAt: Date }>>;
  /** The first paid order of each of these e-mails that has one. */
  firstPaidOf(emails: string[]): Promise<Map<string, Date>>;
  /** Published products in these categories (by slug), with the slug that matched. */
  productsInCategories(slugs: string[]): Promise<Array<{ id: number; slug: string }>>;
  /**
   * Per contact and product: the last paid purchase day and the median gap between purchase days,
   * over paid orders in [historyFrom, until), for contacts whose last purchase is on or after `lastFrom`.
   */
  purchaseHistory(
    opts: { productIds: number[]; historyFrom: Date; until: Date; lastFrom: string },
    each: (h: { email: string; productId: number; lastDay: string; learnedDays: number | null }) => void,
  ): Promise<number>;
  /**
   * Brings retain_shop_order_products up to the orders older than the settle time and re-reads the
   * orders changed since the last call; returns its cursor (newer orders are read live).
   */
  syncOrderProducts(): Promise<number>;
}

// Order ids per catch-up statement (about 2.5 line items each).
const CATCH_UP_CHUNK = 100_000;
// Changed orders re-read per statement.
const REREAD_BATCH = 1000;

export function createLifecycleReader(ctx: ShopContext, orders: OrderReader): LifecycleReader {
  const q = ctx.q.lifecycle;

  async function syncOnce(): Promise<number> {
    const hpos = await ctx.hpos();
    if (!hpos) await orders.syncIndex();
    // Orders settle like the bought-together miner's: items rarely change after the first days.
    const now = ctx.clock.now().getTime();
    const settle = sqlUtc(new Date(now - (ctx.options.recommendations?.settleHours ?? 48) * 3_600_000));
    const [mx] = await ctx.rows(hpos ? ctx.q.recs.hposMaxOrderId : ctx.q.recs.legacyMaxOrderId, [settle]);
    const maxId = Number(mx?.max_id ?? 0);
    let cursor = Number((await ctx.state('order_products_cursor')) ?? 0);
    const changedSince = await ctx.state('order_products_changed');
    const asOf = sqlUtc(new Date(now - 1000));
    // Orders already indexed that changed since (an admin editing the items): forget and re-read them.
    if (changedSince !== undefined && cursor > 0) {
      const ids = (await ctx.rows(hpos ? q.hposOrdersChangedSince : q.legacyOrdersChangedSince, [changedSince, cursor])).map((r) => Number(r.id));
      for (let i = 0; i < ids.length; i += REREAD_BATCH) {
        const batch = ids.slice(i, i + REREAD_BATCH);
        await withTransaction(ctx.pool, async (conn) => {
          await conn.query(q.orderProductsForget, [batch]);
          await conn.query(q.orderProductsReread, [batch]);
        });
      }
    }
    while (cursor < maxId) {
      const upTo = Math.min(maxId, cursor + CATCH_UP_CHUNK);
      await ctx.pool.query(q.orderProductsCatchUp, [cursor, upTo]);
      await ctx.setState('order_products_cursor', String(upTo));
      cursor = upTo;
    }
    await ctx.setState('order_products_changed', asOf);
    return cursor;
  }

  // One catch-up at a time in this process; concurrent callers share it (the writes are idempotent).
  const syncOrderProducts = oneAtATime(syncOnce);

  return {
    syncOrderProducts,

    async firstOrderAnniversaries({ monthDays, before, after, limit }) {
      const rows = await ctx.rows(q.firstOrderAnniversaries, [after ?? '', sqlUtc(before), monthDays, limit]);
      return rows.flatMap((r) => {
        const at = gmtDate(r.first_paid_at);
        return at ? [{ email: String(r.email), firstPaidAt: at }] : [];
      });
    },

    async lastPaidBetween({ paidOrders, after, upTo, cursor, limit }) {
      // Stored times are whole seconds, so truncating the bounds to seconds changes no comparison.
      const rows = await ctx.rows(q.lastPaidBetween, [paidOrders[0], paidOrders[1], sqlUtc(after), sqlUtc(upTo), cursor ?? '', limit]);
      return rows.flatMap((r) => {
        const at = gmtDate(r.last_paid_at);
        return at ? [{ email: String(r.email), lastPaidAt: at }] : [];
      });
    },

    async firstPaidOf(emails) {
      const out = new Map<string, Date>();
      if (!emails.length) return out;
      for (const r of await ctx.rows(q.firstPaidOf, [emails])) {
        const at = gmtDate(r.first_paid_at);
        if (at) out.set(String(r.email), at);
      }
      return out;
    },

    async productsInCategories(slugs) {
      if (!slugs.length) return [];
      return (await ctx.rows(q.productsInCategories, [slugs])).map((r) => ({ id: Number(r.id), slug: String(r.slug) }));
    },

    async purchaseHistory({ productIds, historyFrom, until, lastFrom }, each) {
      if (!productIds.length) return 0;
      const hpos = await ctx.hpos();
      const cursor = await syncOrderProducts();
      const period = [ctx.paidStatuses, sqlUtc(historyFrom), sqlUtc(until)];
      const conn = await ctx.pool.getConnection();
      let n = 0;
      try {
        await conn.query(q.historySession);
        // Streamed: hundreds of thousands of rows at 1M customers, each handed on as it arrives.
        const core = conn.connection as unknown as CoreConnection;
        const rows = core.query(hpos ? q.hposPurchaseHistory : q.legacyPurchaseHistory, [
          ...period, productIds, cursor, ...period, productIds.map(String), cursor, lastFrom,
        ]).stream();
        for await (const r of rows as AsyncIterable<Row>) {
          if (!r.email || !String(r.email).includes('@')) continue;
          n++;
          each({
            email: String(r.email),
            productId: Number(r.product_id),
            lastDay: String(r.last_day).slice(0, 10),
            learnedDays: medianGap(r.days),
          });
        }
      } finally {
        await releaseWithDefaults(conn, q.historySessionReset);
      }
      return n;
    },
  };
}

/**
 * The median of the gaps in days between purchase days ("2026-01-05,2026-02-04,…", sorted,
 * distinct); null below three days, where one gap is a coincidence, not a rhythm.
 */
export function medianGap(days: unknown): number | null {
  if (typeof days !== 'string' && !Buffer.isBuffer(days)) return null;
  const times = String(days).split(',').map((d) => Date.parse(`${d}T00:00:00Z`));
  if (times.length < 3 || times.some((t) => Number.isNaN(t))) return null;
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push(Math.round((times[i]! - times[i - 1]!) / DAY));
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}
