import type { ShopContext } from './context';
import type { OrderReader } from './orders';
import { gmtDate, sqlUtc } from './values';

export interface LifecycleReader {
  /** Contacts whose first paid order (facts table) fell on one of these month-days ("02-28"), before `before`. */
  firstOrderAnniversaries(opts: { monthDays: string[]; before: Date; after: string | null; limit: number }): Promise<Array<{ email: string; firstPaidAt: Date }>>;
  /** The first paid order of each of these e-mails that has one. */
  firstPaidOf(emails: string[]): Promise<Map<string, Date>>;
  /** Published products in these categories (by slug), with the slug that matched. */
  productsInCategories(slugs: string[]): Promise<Array<{ id: number; slug: string }>>;
  /**
   * Per contact and product: the last paid purchase day and the median gap between purchase days,
   * over paid orders in [historyFrom, until), for contacts whose last purchase is on or after `lastFrom`.
   */
  purchaseHistory(opts: { productIds: number[]; historyFrom: Date; until: Date; lastFrom: string }): Promise<Array<{ email: string; productId: number; lastDay: string; learnedDays: number | null }>>;
}

export function createLifecycleReader(ctx: ShopContext, orders: OrderReader): LifecycleReader {
  const q = ctx.q.lifecycle;
  return {
    async firstOrderAnniversaries({ monthDays, before, after, limit }) {
      const rows = await ctx.rows(q.firstOrderAnniversaries, [after ?? '', sqlUtc(before), monthDays, limit]);
      return rows.flatMap((r) => {
        const at = gmtDate(r.first_paid_at);
        return at ? [{ email: String(r.email), firstPaidAt: at }] : [];
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

    async purchaseHistory({ productIds, historyFrom, until, lastFrom }) {
      if (!productIds.length) return [];
      const hpos = await ctx.hpos();
      if (!hpos) await orders.syncIndex();
      const rows = await ctx.rows(hpos ? q.hposPurchaseHistory : q.legacyPurchaseHistory, [
        ctx.paidStatuses, sqlUtc(historyFrom), sqlUtc(until), productIds.map(String), lastFrom,
      ]);
      return rows
        .filter((r) => r.email && String(r.email).includes('@'))
        .map((r) => ({
          email: String(r.email),
          productId: Number(r.product_id),
          lastDay: String(r.last_day).slice(0, 10),
          learnedDays: r.learned === null || r.learned === undefined ? null : Number(r.learned),
        }));
    },
  };
}
