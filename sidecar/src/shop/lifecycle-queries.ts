import { defineQueries } from '../db/sql';

// What the date-based lifecycle flows read from the shop: first-order anniversaries (from the facts
// table) and each contact's purchases of the products a shop marked replenishable.

// One contact's purchase days of each marked product: the last one and, when there are at least
// three, the whole list, from which the caller takes the median gap. Set-based: the whole shop in
// one statement and one grouping in the server (window functions over the rows took four sorts of
// them; the days of one contact and product are few, so their gaps are cheap in Node).
// `p` rows: (email, product_id, day). Params of both storages: the purchases' params, then last purchase from.
const PURCHASE_HISTORY = (purchases: string) => `SELECT email, product_id, MAX(day) AS last_day,
    IF(COUNT(DISTINCT day) >= 3, GROUP_CONCAT(DISTINCT day ORDER BY day SEPARATOR ','), NULL) AS days
  FROM (${purchases}) p
  GROUP BY email, product_id
  HAVING MAX(day) >= ?
  ORDER BY email, product_id`;

const ITEM_PRODUCTS = `FROM {woocommerce_order_itemmeta} pm
    JOIN {woocommerce_order_items} i ON i.order_item_id = pm.order_item_id AND i.order_item_type = 'line_item'`;

// retain_shop_order_products holds the orders up to its cursor; newer ones are read live. Only
// canonical ids are stored, so "product_id IN (12)" there means "meta_value IN ('12')" live.
const LINE_PRODUCTS = (orders: string) => `INSERT IGNORE INTO {retain_shop_order_products} (product_id, order_id)
    SELECT CAST(m.meta_value AS UNSIGNED), i.order_id FROM {woocommerce_order_items} i
    JOIN {woocommerce_order_itemmeta} m ON m.order_item_id = i.order_item_id AND m.meta_key = '_product_id'
    WHERE ${orders} AND i.order_item_type = 'line_item' AND RTRIM(m.meta_value) REGEXP '^[1-9][0-9]{0,18}$'`;

// The stored half is driven by the products (STRAIGHT_JOIN: left alone, the optimizer walks every
// order in the period instead). Params of the stored half: paid statuses, history from, until, product ids, cursor; of the live
// half the same with the ids as strings; then last purchase from.
const HPOS_PURCHASE = `SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, o.billing_email))), 191) AS email`;
const LEGACY_PURCHASE = `SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, x.email))), 191) AS email`;

export const lifecycleQueries = defineQueries({
  // Keyset-paged by e-mail; DATE_FORMAT has no index, like the birthday scan: one pass a day.
  // The month-days are UTC ones around the shop's day: the scan keeps the rows on it in the shop's zone.
  firstOrderAnniversaries: `SELECT email, first_paid_at FROM {retain_shop_customer_facts}
    WHERE email > ? AND first_paid_at IS NOT NULL AND first_paid_at < ? AND DATE_FORMAT(first_paid_at, '%m-%d') IN (?)
    ORDER BY email LIMIT ?`,
  // Win-back: paying contacts whose last paid order fell in a window (a week), through the
  // last_paid_orders index; keyset-paged by e-mail. Params: min paid orders, max, after, up to, cursor, limit.
  lastPaidBetween: `SELECT email, last_paid_at FROM {retain_shop_customer_facts}
    WHERE paid_orders BETWEEN ? AND ? AND last_paid_at > ? AND last_paid_at <= ? AND email > ?
    ORDER BY email LIMIT ?`,
  firstPaidOf: `SELECT email, first_paid_at FROM {retain_shop_customer_facts} WHERE email IN (?) AND first_paid_at IS NOT NULL`,
  productsInCategories: `SELECT DISTINCT tr.object_id AS id, t.slug FROM {terms} t
    JOIN {term_taxonomy} tt ON tt.term_id = t.term_id AND tt.taxonomy = 'product_cat'
    JOIN {term_relationships} tr ON tr.term_taxonomy_id = tt.term_taxonomy_id
    JOIN {posts} p ON p.ID = tr.object_id AND p.post_type = 'product'
    WHERE t.slug IN (?)`,
  hposPurchaseHistory: PURCHASE_HISTORY(`
      ${HPOS_PURCHASE}, l.product_id, DATE(o.date_created_gmt) AS day
      FROM {retain_shop_order_products} l
      STRAIGHT_JOIN {wc_orders} o ON o.id = l.order_id AND o.type = 'shop_order' AND o.status IN (?) AND o.date_created_gmt >= ? AND o.date_created_gmt < ?
      LEFT JOIN {users} u ON u.ID = o.customer_id AND o.customer_id > 0
      WHERE l.product_id IN (?) AND l.order_id <= ?
    UNION ALL
      ${HPOS_PURCHASE}, CAST(pm.meta_value AS UNSIGNED), DATE(o.date_created_gmt)
      ${ITEM_PRODUCTS}
      JOIN {wc_orders} o ON o.id = i.order_id AND o.type = 'shop_order' AND o.status IN (?) AND o.date_created_gmt >= ? AND o.date_created_gmt < ?
      LEFT JOIN {users} u ON u.ID = o.customer_id AND o.customer_id > 0
      WHERE pm.meta_key = '_product_id' AND pm.meta_value IN (?) AND i.order_id > ?`),
  legacyPurchaseHistory: PURCHASE_HISTORY(`
      ${LEGACY_PURCHASE}, l.product_id, DATE(x.created_gmt) AS day
      FROM {retain_shop_order_products} l
      STRAIGHT_JOIN {retain_shop_order_index} x ON x.order_id = l.order_id
      JOIN {posts} o ON o.ID = x.order_id AND o.post_status IN (?) AND x.created_gmt >= ? AND x.created_gmt < ?
      LEFT JOIN {users} u ON u.ID = x.customer_id AND x.customer_id > 0
      WHERE l.product_id IN (?) AND l.order_id <= ?
    UNION ALL
      ${LEGACY_PURCHASE}, CAST(pm.meta_value AS UNSIGNED), DATE(x.created_gmt)
      ${ITEM_PRODUCTS}
      JOIN {retain_shop_order_index} x ON x.order_id = i.order_id
      JOIN {posts} o ON o.ID = x.order_id AND o.post_status IN (?) AND x.created_gmt >= ? AND x.created_gmt < ?
      LEFT JOIN {users} u ON u.ID = x.customer_id AND x.customer_id > 0
      WHERE pm.meta_key = '_product_id' AND pm.meta_value IN (?) AND i.order_id > ?`),

  // Batched key access for the history: the stored half's order ids are sorted before the order
  // lookups, so the orders table is read in key order (about a third faster at 1M customers). The
  // grouping's sort keeps whole rows in a 64 MB buffer instead of re-reading each row by position
  // from the temporary table afterwards.
  historySession: `SET SESSION join_cache_level = 6, optimizer_switch = 'mrr=on,mrr_sort_keys=on,join_cache_bka=on',
    join_buffer_size = 67108864, mrr_buffer_size = 67108864, sort_buffer_size = 67108864, max_length_for_sort_data = 8192,
    tmp_table_size = 268435456, max_heap_table_size = 268435456`,
  historySessionReset: `SET SESSION join_cache_level = DEFAULT, optimizer_switch = DEFAULT, join_buffer_size = DEFAULT, mrr_buffer_size = DEFAULT,
    sort_buffer_size = DEFAULT, max_length_for_sort_data = DEFAULT, tmp_table_size = DEFAULT, max_heap_table_size = DEFAULT`,
  // retain_shop_order_products upkeep: orders in (cursor, upTo] by the items' order index; then the
  // orders up to the cursor changed since the last catch-up, re-read whole.
  orderProductsCatchUp: LINE_PRODUCTS('i.order_id > ? AND i.order_id <= ?'),
  hposOrdersChangedSince: `SELECT id FROM {wc_orders} WHERE date_updated_gmt >= ? AND id <= ? AND type = 'shop_order'`,
  // post_modified_gmt has no index: a walk of the shop_order rows of type_status_date, as the facts refresh does.
  legacyOrdersChangedSince: `SELECT ID AS id FROM {posts} WHERE post_type = 'shop_order' AND post_modified_gmt >= ? AND ID <= ?`,
  orderProductsForget: `DELETE FROM {retain_shop_order_products} WHERE order_id IN (?)`,
  orderProductsReread: LINE_PRODUCTS('i.order_id IN (?)'),
});
