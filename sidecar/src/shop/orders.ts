import { settled, type Connection } from '../db/pool';
import type { Row } from '../db/sql';
import { NOT_REAL_ORDER_STATUSES, oneAtATime, type ShopContext } from './context';
import type { ContactRef, Order, OrderLine } from './types';
import { bareStatus, gmtDate, intId, money, normaliseEmail, sqlUtc, storedStatus, unixDate } from './values';

const CATCH_UP_BATCH = 20_000;
// More orders than this behind after a full batch (a first run on a big shop): fill the rest in bulk.
// One-by-one runs at about 2,300 orders a second on a 5M-order shop; the bulk pass reads postmeta's
// three meta_key ranges once, whatever is left.
const BULK_BEHIND = 200_000;
// Indexed orders re-read or compared per statement.
const REREAD_BATCH = 2000;
// How far back each pass re-reads orders modified before it ran: a checkout's transaction can commit
// some time after WooCommerce stamped post_modified_gmt.
const MODIFIED_MARGIN_MS = 10 * 60_000;
const MODIFIED_STATE = 'order_index_modified';

export interface OrderReader {
  hasOrderSince(contact: ContactRef, since: Date, statuses?: string[] | 'any'): Promise<boolean>;
  /**
   * Everyone with a real order (any status but drafts and trash) since `since`: hasOrderSince(…, 'any')
   * for a whole list of contacts in one indexed range read. Meant for short windows (hours, days).
   */
  orderedSince(since: Date): Promise<{ emails: Set<string>; customerIds: Set<number> }>;
  get(orderId: number): Promise<Order | null>;
  getMany(orderIds: number[]): Promise<Order[]>;
  forContact(contact: ContactRef, opts?: { limit?: number }): Promise<Order[]>;
  /** Number of shop orders per status (without the wc- prefix). */
  countByStatus(): Promise<Record<string, number>>;
  /** Legacy storage: brings retain_shop_order_index up to the newest order; returns rows added. */
  syncIndex(): Promise<number>;
  /**
   * Legacy storage: syncIndex, then re-reads indexed orders modified since the last pass, drops deleted
   * ones and mirrors refunds, so the index can stand in for posts and postmeta in the facts backfill.
   */
  refreshIndex(): Promise<IndexRefresh>;
}

export interface IndexRefresh {
  added: number;
  reread: number;
  /** Orders and refunds dropped (deleted from the shop) or added (missed by the id cursor). */
  reconciled: number;
  /** New refunds mirrored. */
  refunds: number;
}

export function createOrderReader(ctx: ShopContext): OrderReader {
  const q = ctx.q.orders;

  async function syncIndexOnce(): Promise<number> {
    const batch = ctx.options.legacyIndex?.batch ?? CATCH_UP_BATCH;
    const far = ctx.options.legacyIndex?.bulkBehind ?? BULK_BEHIND;
    let added = 0;
    let cursor = await indexCursor();
    // An empty index is filled with every order as it is now: later changes are what refreshIndex re-reads.
    if (cursor === 0 && (await ctx.state(MODIFIED_STATE)) === undefined) await ctx.setState(MODIFIED_STATE, modifiedAsOf());
    for (;;) {
      const [res] = await ctx.pool.query(q.legacyIndexCatchUp, [cursor, batch]);
      const n = (res as { affectedRows: number }).affectedRows;
      added += n;
      if (n > 0) await countBadRows(cursor);
      if (n < batch) return added;
      cursor = await indexCursor();
      const [behind] = await ctx.rows(q.legacyIndexBehind, [cursor, far]);
      if (Number(behind?.n) >= far) {
        added += await fillInBulk();
        cursor = await indexCursor();
      }
    }
  }

  async function indexCursor(): Promise<number> {
    const [cur] = await ctx.rows(q.legacyIndexCursor);
    return Number(cur?.cursor_id ?? 0);
  }

  const modifiedAsOf = () => sqlUtc(new Date(ctx.clock.now().getTime() - MODIFIED_MARGIN_MS));

  async function countBadRows(after: number) {
    const [bad] = await ctx.rows(q.legacyIndexBadRows, [after]);
    if (Number(bad?.zero_dates)) ctx.stats.skip('order_zero_date', Number(bad?.zero_dates));
    if (Number(bad?.no_total)) ctx.stats.skip('order_without_total', Number(bad?.no_total));
  }

  /** Indexes every order up to the newest in a few set-based statements; returns rows added. */
  async function fillInBulk(): Promise<number> {
    const conn = await ctx.pool.getConnection();
    let side: Connection | null = null;
    let release: (() => Promise<void>) | null = null;
    try {
      // The scratch table is shared: one bulk fill at a time per shop (another process may be doing it).
      release = await ctx.holdJobLock(conn, 'retain_shop_order_index_fill', 'legacy order index fill');
      const [[cur]] = (await conn.query(q.legacyIndexCursor)) as unknown as [[{ cursor_id: number | string | null }]];
      const [[top]] = (await conn.query(q.legacyNewestOrderId)) as unknown as [[{ id: number | string }]];
      const from = Number(cur?.cursor_id ?? 0);
      // Orders placed from here on are left to the one-by-one catch-up that follows.
      const upTo = Number(top?.id ?? 0);
      if (upTo <= from) return 0;
      side = await ctx.pool.getConnection();
      await conn.query(q.legacyIndexStageClear);
      // Three meta_key ranges on two connections: the longest (e-mails) beside the other two.
      const other = side;
      await settled<unknown>([
        conn.query(q.legacyIndexStageEmails, [from, upTo]),
        (async () => {
          await other.query(q.legacyIndexStageCustomers, [from, upTo]);
          await other.query(q.legacyIndexStageTotals, [from, upTo]);
        })(),
      ]);
      const [res] = await conn.query(q.legacyIndexFromStage, [from, upTo]);
      await countBadRows(from);
      return (res as { affectedRows: number }).affectedRows;
    } finally {
      // Without the lock the scratch rows are another process's.
      if (release) await conn.query(q.legacyIndexStageClear).catch(() => undefined);
      await release?.();
      conn.release();
      side?.release();
    }
  }

  /** Re-reads indexed orders modified since the last pass; returns how many orders were re-read. */
  async function rereadModified(): Promise<number> {
    // No mark (removed by hand): every order is re-read once.
    const since = (await ctx.state(MODIFIED_STATE)) ?? '1970-01-01 00:00:00';
    const asOf = modifiedAsOf();
    let after = 0;
    let reread = 0;
    for (;;) {
      const ids = (await ctx.rows(q.legacyOrdersModifiedSince, [after, since, REREAD_BATCH])).map((r) => Number(r.id));
      if (ids.length) await ctx.pool.query(q.legacyIndexReread, [ids]);
      reread += ids.length;
      if (ids.length < REREAD_BATCH) break;
      after = ids[ids.length - 1]!;
    }
    if (asOf > since) await ctx.setState(MODIFIED_STATE, asOf);
    return reread;
  }

  /**
   * Makes a mirror hold exactly the posts it mirrors up to its cursor, when the count and sum of their
   * ids disagree: drops rows whose post is gone, adds posts the id cursor passed over. Returns the rows
   * dropped and added.
   */
  async function reconcile(mirror: 'orderIndex' | 'refundIndex', cursor: number): Promise<number> {
    const sql = (what: 'Ids' | 'PostIds' | 'Gone' | 'Forget' | 'Missing' | 'Add') => q[`${mirror}${what}`];
    const [mirrored, live] = await Promise.all([sql('Ids'), sql('PostIds')].map(async (s) => String((await ctx.rows(s, [cursor]))[0]?.ids)));
    if (mirrored === live) return 0;
    const inBatches = async (ids: number[], statement: string) => {
      for (let i = 0; i < ids.length; i += REREAD_BATCH) await ctx.pool.query(statement, [ids.slice(i, i + REREAD_BATCH)]);
    };
    const gone = (await ctx.rows(sql('Gone'))).map((r) => Number(r.id));
    await inBatches(gone, sql('Forget'));
    const missing = (await ctx.rows(sql('Missing'), [cursor])).map((r) => Number(r.id));
    await inBatches(missing, sql('Add'));
    ctx.log.info({ mirror, dropped: gone.length, added: missing.length }, 'legacy index reconciled with the shop');
    return gone.length + missing.length;
  }

  async function refreshIndexOnce(): Promise<IndexRefresh> {
    const added = await syncIndex();
    const reread = await rereadModified();
    let reconciled = await reconcile('orderIndex', await indexCursor());
    const [refundCursor] = await ctx.rows(q.refundIndexCursor);
    reconciled += await reconcile('refundIndex', Number(refundCursor?.cursor_id ?? 0));
    const [res] = await ctx.pool.query(q.refundIndexCatchUp, [Number(refundCursor?.cursor_id ?? 0)]);
    return { added, reread, reconciled, refunds: (res as { affectedRows: number }).affectedRows };
  }

  const refreshIndex = oneAtATime(refreshIndexOnce);
  const syncIndex = oneAtATime(syncIndexOnce);

  async function hasOrderSince(contact: ContactRef, since: Date, statuses: string[] | 'any' = [...ctx.paidStatuses, 'wc-on-hold']): Promise<boolean> {
    const email = normaliseEmail(contact.email);
    const customerId = intId(contact.customerId);
    if (!email && !customerId) return false;
    const hpos = await ctx.hpos();
    if (!hpos) await syncIndex();
    const any = statuses === 'any';
    const list = any ? NOT_REAL_ORDER_STATUSES : statuses.map(storedStatus);
    if (!list.length) return false;
    const at = sqlUtc(since);
    const byEmail = hpos ? (any ? q.hposHasAnyOrderSinceByEmail : q.hposHasOrderSinceByEmail) : any ? q.legacyHasAnyOrderSinceByEmail : q.legacyHasOrderSinceByEmail;
    const byCustomer = hpos ? (any ? q.hposHasAnyOrderSinceByCustomer : q.hposHasOrderSinceByCustomer) : any ? q.legacyHasAnyOrderSinceByCustomer : q.legacyHasOrderSinceByCustomer;
    if (email && (await ctx.rows(byEmail, [email, at, list])).length) return true;
    if (customerId && (await ctx.rows(byCustomer, [customerId, at, list])).length) return true;
    return false;
  }

  async function orderedSince(since: Date): Promise<{ emails: Set<string>; customerIds: Set<number> }> {
    const hpos = await ctx.hpos();
    if (!hpos) await syncIndex();
    const at = sqlUtc(since);
    // Legacy: post_date is site-local and indexed; a day wider, then the GMT date decides.
    let rows: Row[] = [];
    if (hpos) rows = await ctx.rows(q.hposOrderedSince, [at, NOT_REAL_ORDER_STATUSES]);
    else {
      const real = (await legacyOrderStatuses()).filter((s) => !NOT_REAL_ORDER_STATUSES.includes(s));
      if (real.length) rows = await ctx.rows(q.legacyOrderedSince, [real, sqlUtc(new Date(since.getTime() - 86_400_000)), at]);
    }
    const emails = new Set<string>();
    const customerIds = new Set<number>();
    for (const r of rows) {
      // The gate compares e-mails with the column's case-insensitive, trailing-space-blind collation.
      if (r.email) emails.add(String(r.email).trimEnd().toLowerCase());
      const id = intId(r.customer_id);
      if (id) customerIds.add(id);
    }
    return { emails, customerIds };
  }

  /** Every status the shop's orders have, one index seek each. */
  async function legacyOrderStatuses(): Promise<string[]> {
    const out: string[] = [];
    for (let after = ''; ; ) {
      const [row] = await ctx.rows(q.legacyNextOrderStatus, [after]);
      if (row?.status === null || row?.status === undefined) return out;
      after = String(row.status);
      out.push(after);
    }
  }

  async function lineItems(ids: number[]): Promise<Map<number, OrderLine[]>> {
    const decimals = (await ctx.settings()).decimals;
    const byItem = new Map<number, { orderId: number; line: OrderLine }>();
    for (const r of await ctx.rows(ctx.q.orders.lineItems, [ids])) {
      const itemId = Number(r.order_item_id);
      let e = byItem.get(itemId);
      if (!e) {
        e = { orderId: Number(r.order_id), line: { itemId, productId: 0, variationId: 0, name: String(r.order_item_name ?? ''), quantity: 0, subtotal: money(0, decimals), total: money(0, decimals) } };
        byItem.set(itemId, e);
      }
      const v = r.meta_value;
      if (r.meta_key === '_product_id') e.line.productId = intId(v);
      else if (r.meta_key === '_variation_id') e.line.variationId = intId(v);
      else if (r.meta_key === '_qty') e.line.quantity = Number(v) || 0;
      else if (r.meta_key === '_line_subtotal') e.line.subtotal = money(v, decimals);
      else if (r.meta_key === '_line_total') e.line.total = money(v, decimals);
    }
    const out = new Map<number, OrderLine[]>();
    for (const { orderId, line } of [...byItem.values()].sort((a, b) => a.line.itemId - b.line.itemId)) {
      const list = out.get(orderId) ?? [];
      list.push(line);
      out.set(orderId, list);
    }
    return out;
  }

  async function getMany(orderIds: number[]): Promise<Order[]> {
    const ids = [...new Set(orderIds.map(intId).filter(Boolean))];
    if (!ids.length) return [];
    const hpos = await ctx.hpos();
    const decimals = (await ctx.settings()).decimals;
    const currency = (await ctx.settings()).currency;
    const orders = new Map<number, Order>();
    if (hpos) {
      for (const r of await ctx.rows(q.hposOrders, [ids])) {
        const o: Order = {
          id: Number(r.id), status: bareStatus(r.status), currency: String(r.currency || currency), total: money(r.total, decimals), refunded: money(0, decimals),
          customerId: intId(r.customer_id), email: normaliseEmail(r.email), billing: { firstName: String(r.first_name ?? ''), lastName: String(r.last_name ?? ''), country: String(r.country ?? '') },
          paymentMethod: String(r.payment_method ?? ''), createdAt: gmtDate(r.created), paidAt: gmtDate(r.paid), completedAt: gmtDate(r.completed), items: [],
        };
        if (!o.createdAt) ctx.stats.skip('order_zero_date');
        if (!o.email) ctx.stats.skip('order_without_email');
        orders.set(o.id, o);
      }
    } else {
      const meta = new Map<number, Map<string, string>>();
      for (const r of await ctx.rows(q.legacyOrderMeta, [ids])) {
        const m = meta.get(Number(r.post_id)) ?? new Map<string, string>();
        if (!m.has(String(r.meta_key))) m.set(String(r.meta_key), String(r.meta_value ?? ''));
        meta.set(Number(r.post_id), m);
      }
      for (const r of await ctx.rows(q.legacyOrders, [ids])) {
        const m = meta.get(Number(r.id)) ?? new Map<string, string>();
        // _date_paid/_date_completed are Unix timestamps; the older _paid_date/_completed_date are site-local and ignored.
        const o: Order = {
          id: Number(r.id), status: bareStatus(r.status), currency: m.get('_order_currency') || currency, total: money(m.get('_order_total') ?? '0', decimals), refunded: money(0, decimals),
          customerId: intId(m.get('_customer_user')), email: normaliseEmail(m.get('_billing_email')),
          billing: { firstName: m.get('_billing_first_name') ?? '', lastName: m.get('_billing_last_name') ?? '', country: m.get('_billing_country') ?? '' },
          paymentMethod: m.get('_payment_method') ?? '', createdAt: gmtDate(r.created), paidAt: unixDate(m.get('_date_paid')), completedAt: unixDate(m.get('_date_completed')), items: [],
        };
        if (!o.createdAt) ctx.stats.skip('order_zero_date');
        if (!o.email) ctx.stats.skip('order_without_email');
        orders.set(o.id, o);
      }
    }
    if (!orders.size) return [];
    const found = [...orders.keys()];
    for (const r of await ctx.rows(hpos ? q.hposRefunds : q.legacyRefunds, [found])) {
      const o = orders.get(Number(r.order_id));
      if (o) o.refunded = money(r.refunded, decimals);
    }
    const items = await lineItems(found);
    for (const o of orders.values()) o.items = items.get(o.id) ?? [];
    return ids.map((id) => orders.get(id)).filter((o): o is Order => !!o);
  }

  async function forContact(contact: ContactRef, opts: { limit?: number } = {}): Promise<Order[]> {
    const email = normaliseEmail(contact.email);
    const customerId = intId(contact.customerId);
    const limit = Math.min(Math.max(opts.limit ?? 20, 1), 500);
    const hpos = await ctx.hpos();
    if (!hpos) await syncIndex();
    const rows = await ctx.rows(hpos ? q.hposOrderIdsForContact : q.legacyOrderIdsForContact, [email ?? '', customerId, limit]);
    return getMany(rows.map((r) => Number(r.id)));
  }

  async function countByStatus(): Promise<Record<string, number>> {
    const rows = await ctx.rows((await ctx.hpos()) ? q.hposCountByStatus : q.legacyCountByStatus);
    return Object.fromEntries(rows.map((r) => [bareStatus(r.status), Number(r.n)]));
  }

  return { hasOrderSince, orderedSince, countByStatus, get: async (id) => (await getMany([id]))[0] ?? null, getMany, forContact, syncIndex, refreshIndex };
}

export type { Row };
