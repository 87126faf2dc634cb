import type { CartReader } from './carts';
import type { ShopContext } from './context';
import type { OrderReader } from './orders';
import type { SegmentMember, SegmentName, SegmentPage } from './types';
import { gmtDate, intId, money, sqlUtc } from './values';

// Segments are computed from retain_shop_customer_facts (run facts.backfill()/refresh() first).
// Counts are one indexed COUNT(*); members are keyset-paged by e-mail.

export const SEGMENTS: SegmentName[] = ['leads', 'first_time', 'repeat', 'loyal', 'lapsed', 'cart_abandoners'];

export interface SegmentReader {
  count(name: SegmentName): Promise<number>;
  members(name: SegmentName, opts?: { after?: string | null; limit?: number }): Promise<SegmentPage>;
  /** The lapse window in days (configured, or derived from the shop's median gap between orders). */
  lapsedDays(): Promise<number>;
  loyalThresholds(): Promise<{ minPaidOrders: number; lastPaidAfter: Date; minNet: string }>;
}

export function createSegmentReader(ctx: ShopContext, orders: OrderReader, carts: CartReader): SegmentReader {
  const q = ctx.q.segments;
  const opts = () => ctx.options.segments ?? {};
  let cache: { at: number; lapsed?: number; loyal?: { minPaidOrders: number; lastPaidAfter: Date; minNet: string } } = { at: 0 };

  function cached() {
    const now = ctx.clock.now().getTime();
    if (now - cache.at > (ctx.options.settingsTtlMs ?? 60_000)) cache = { at: now };
    return cache;
  }

  async function lapsedDays(): Promise<number> {
    if (opts().lapsedDays) return opts().lapsedDays!;
    const c = cached();
    if (c.lapsed !== undefined) return c.lapsed;
    const [n] = await ctx.rows(q.gapCount);
    const count = Number(n?.n ?? 0);
    let days = 90;
    if (count > 0) {
      const [m] = await ctx.rows(q.gapAt, [Math.floor((count - 1) / 2)]);
      const median = Number(m?.gap ?? 0);
      days = Math.max(30, Math.ceil(median * (opts().lapseFactor ?? 2)));
    }
    c.lapsed = days;
    return days;
  }

  async function loyalThresholds() {
    const c = cached();
    if (c.loyal) return c.loyal;
    const o = opts();
    const [paying] = await ctx.rows(q.paying);
    const n = Number(paying?.n ?? 0);
    const undated = Number(paying?.undated ?? 0);
    // NTILE(5) over n rows: the first n % 5 quintiles hold one row more. Returns the quintile's first
    // position and size, or null for "no cut" (quintile 1, unset) and for a quintile with no rows.
    const span = (quintile: number | undefined) => {
      if (!quintile || quintile <= 1) return null;
      const k = Math.min(5, quintile);
      const base = Math.floor(n / 5);
      const size = base + (k <= n % 5 ? 1 : 0);
      return size ? { start: (k - 1) * base + Math.min(k - 1, n % 5), size } : null;
    };
    const value = async (sql: string, offset: number, col: string) => (await ctx.rows(sql, [offset]))[0]?.[col] ?? null;
    // Recency: contacts without a dated paid order sort first (NULL) and do not count for MIN.
    const rq = span(o.loyalMinRecency ?? 3);
    const rAt = rq ? Math.max(rq.start, undated) : 0;
    const r = rq && rAt < rq.start + rq.size ? await value(q.recencyAt, rAt - undated, 'r') : null;
    const fq = span(o.loyalMinFrequency ?? 4);
    let f: number | null = null;
    if (fq) {
      let seen = 0;
      for (const row of await ctx.rows(q.frequencies)) {
        seen += Number(row.n);
        if (seen > fq.start) {
          f = Number(row.f);
          break;
        }
      }
    }
    const mq = span(o.loyalMinMonetary ?? 4);
    const m = mq ? await value(q.monetaryAt, mq.start, 'm') : null;
    c.loyal = {
      minPaidOrders: Math.max(o.loyalMinPaidOrders ?? 2, f === null ? 0 : Number(f)),
      lastPaidAfter: r === null ? new Date(0) : gmtDate(r) ?? new Date(0),
      minNet: m === null ? '-999999999999' : String(m),
    };
    return c.loyal;
  }

  async function lapsedBefore(): Promise<string> {
    return sqlUtc(new Date(ctx.clock.now().getTime() - (await lapsedDays()) * 86_400_000));
  }

  // Cart abandoners: a non-empty cart with an e-mail and no order in the window. Live carts are
  // bounded (sessions expire after 48 h), so this list is built in memory and paged there. The
  // window's orders are read once (date index), not one gate query per cart.
  async function abandoners(): Promise<SegmentMember[]> {
    const windowStart = new Date(ctx.clock.now().getTime() - (opts().cartWindowHours ?? 48) * 3_600_000);
    const ordered = await orders.orderedSince(windowStart);
    const seen = new Map<string, SegmentMember>();
    for (const cart of await carts.withEmail()) {
      if (!cart.email || seen.has(cart.email)) continue;
      if (ordered.emails.has(cart.email) || (cart.customerId && ordered.customerIds.has(cart.customerId))) continue;
      seen.set(cart.email, { email: cart.email, customerId: cart.customerId, paidOrders: 0, totalSpent: '0', lastPaidAt: null });
    }
    return [...seen.values()].sort((a, b) => (a.email < b.email ? -1 : 1));
  }

  async function count(name: SegmentName): Promise<number> {
    let rows;
    switch (name) {
      case 'leads': rows = await ctx.rows(q.leadsCount); break;
      case 'first_time': rows = await ctx.rows(q.firstTimeCount); break;
      case 'repeat': rows = await ctx.rows(q.repeatCount); break;
      case 'loyal': {
        const t = await loyalThresholds();
        rows = await ctx.rows(q.loyalCount, [t.minPaidOrders, sqlUtc(t.lastPaidAfter), t.minNet]);
        break;
      }
      case 'lapsed': rows = await ctx.rows(q.lapsedCount, [await lapsedBefore()]); break;
      case 'cart_abandoners': return (await abandoners()).length;
      default: throw new Error(`unknown segment ${String(name)}`);
    }
    return Number(rows[0]?.n ?? 0);
  }

  async function members(name: SegmentName, o: { after?: string | null; limit?: number } = {}): Promise<SegmentPage> {
    const after = o.after ?? '';
    const limit = Math.min(Math.max(o.limit ?? 500, 1), 5000);
    const decimals = (await ctx.settings()).decimals;
    if (name === 'cart_abandoners') {
      const all = (await abandoners()).filter((m) => m.email > after);
      const page = all.slice(0, limit);
      return { members: page, next: all.length > limit ? page[page.length - 1]!.email : null };
    }
    let rows;
    switch (name) {
      case 'leads': rows = await ctx.rows(q.leadsPage, [after, limit]); break;
      case 'first_time': rows = await ctx.rows(q.firstTimePage, [after, limit]); break;
      case 'repeat': rows = await ctx.rows(q.repeatPage, [after, limit]); break;
      case 'loyal': {
        const t = await loyalThresholds();
        rows = await ctx.rows(q.loyalPage, [t.minPaidOrders, sqlUtc(t.lastPaidAfter), t.minNet, after, limit]);
        break;
      }
      case 'lapsed': rows = await ctx.rows(q.lapsedPage, [await lapsedBefore(), after, limit]); break;
      default: throw new Error(`unknown segment ${String(name)}`);
    }
    const list: SegmentMember[] = rows.map((r) => ({ email: String(r.email), customerId: intId(r.customer_id) || null, paidOrders: Number(r.paid_orders), totalSpent: money(r.net, decimals), lastPaidAt: gmtDate(r.last_paid_at) }));
    return { members: list, next: list.length === limit ? list[list.length - 1]!.email : null };
  }

  return { count, members, lapsedDays, loyalThresholds };
}
