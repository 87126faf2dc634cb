import { defineQueries } from '../db/sql';

// Bought-together mining is incremental: paid orders with id in (cursor, upTo] are staged once as
// (order, product) rows into retain_shop_mine_chunk, and the per-product and per-pair order counts
// are folded from there. Variations count as their parent product.
const stage = (orders: string) => `INSERT IGNORE INTO {retain_shop_mine_chunk} (order_id, product_id)
  SELECT i.order_id, CAST(m.meta_value AS UNSIGNED)
  FROM ${orders}
  JOIN {woocommerce_order_itemmeta} m ON m.order_item_id = i.order_item_id AND m.meta_key = '_product_id'`;

export const recommendationQueries = defineQueries({
  // Orders created before the settle time are final enough to mine (status rarely changes after).
  hposMineUpTo: `SELECT COALESCE(MAX(id), 0) AS up_to FROM {wc_orders} WHERE type = 'shop_order' AND date_created_gmt < ? AND id <= ?`,
  hposMaxOrderId: `SELECT COALESCE(MAX(id), 0) AS max_id FROM {wc_orders} WHERE type = 'shop_order' AND date_created_gmt < ?`,
  legacyMaxOrderId: `SELECT COALESCE(MAX(order_id), 0) AS max_id FROM {retain_shop_order_index} WHERE created_gmt < ?`,
  mineClear: `TRUNCATE TABLE {retain_shop_mine_chunk}`,
  hposMineStage: stage(`{wc_orders} o
  JOIN {woocommerce_order_items} i ON i.order_id = o.id AND i.order_item_type = 'line_item'`) + `
  WHERE o.id > ? AND o.id <= ? AND o.type = 'shop_order' AND o.status IN (?)`,
  legacyMineStage: stage(`{posts} o
  JOIN {woocommerce_order_items} i ON i.order_id = o.ID AND i.order_item_type = 'line_item'`) + `
  WHERE o.ID > ? AND o.ID <= ? AND o.post_type = 'shop_order' AND o.post_status IN (?)`,
  minePairs: `INSERT INTO {retain_shop_product_pairs} (product_a, product_b, orders)
    SELECT a.product_id, b.product_id, COUNT(*) FROM {retain_shop_mine_chunk} a
    JOIN {retain_shop_mine_chunk} b ON b.order_id = a.order_id AND b.product_id <> a.product_id
    WHERE a.product_id > 0 AND b.product_id > 0 GROUP BY a.product_id, b.product_id
    ON DUPLICATE KEY UPDATE orders = orders + VALUES(orders)`,
  mineSingles: `INSERT INTO {retain_shop_product_orders} (product_id, orders)
    SELECT product_id, COUNT(*) FROM {retain_shop_mine_chunk} WHERE product_id > 0 GROUP BY product_id
    ON DUPLICATE KEY UPDATE orders = orders + VALUES(orders)`,
  mineCount: `SELECT COUNT(DISTINCT order_id) AS n FROM {retain_shop_mine_chunk}`,

  // Ties broken by id: which pairs make the LIMIT, and their order, must not depend on the plan.
  pairsFor: `SELECT p.product_a, p.product_b, p.orders AS together, a.orders AS orders_a, b.orders AS orders_b
    FROM {retain_shop_product_pairs} p
    JOIN {retain_shop_product_orders} a ON a.product_id = p.product_a
    JOIN {retain_shop_product_orders} b ON b.product_id = p.product_b
    WHERE p.product_a IN (?) AND p.orders >= ? ORDER BY p.orders DESC, p.product_b, p.product_a LIMIT ?`,

  hposBestSellers: `SELECT CAST(m.meta_value AS UNSIGNED) AS pid, COUNT(DISTINCT o.id) AS orders
    FROM {wc_orders} o
    JOIN {woocommerce_order_items} i ON i.order_id = o.id AND i.order_item_type = 'line_item'
    JOIN {woocommerce_order_itemmeta} m ON m.order_item_id = i.order_item_id AND m.meta_key = '_product_id'
    WHERE o.type = 'shop_order' AND o.status IN (?) AND o.date_created_gmt >= ?
    GROUP BY pid ORDER BY orders DESC, pid LIMIT ?`,
  // post_date is site-local and indexed; the caller widens the bound by a day and post_date_gmt decides.
  legacyBestSellers: `SELECT CAST(m.meta_value AS UNSIGNED) AS pid, COUNT(DISTINCT o.ID) AS orders
    FROM {posts} o
    JOIN {woocommerce_order_items} i ON i.order_id = o.ID AND i.order_item_type = 'line_item'
    JOIN {woocommerce_order_itemmeta} m ON m.order_item_id = i.order_item_id AND m.meta_key = '_product_id'
    WHERE o.post_type = 'shop_order' AND o.post_status IN (?) AND o.post_date >= ? AND o.post_date_gmt >= ?
    GROUP BY pid ORDER BY orders DESC, pid LIMIT ?`,

  // Products a contact has bought, with the newest order of each: their paid orders first (e-mail and
  // account indexes), then those orders' products from retain_shop_order_products up to its cursor,
  // live from the item meta above it (see lifecycle-queries.ts). Parents only, as stored there: the
  // exclusion compares parents, and a variation seeds as its parent.
  hposPaidOrderIds: `SELECT id FROM {wc_orders} WHERE billing_email = ? AND type = 'shop_order' AND status IN (?)
    UNION SELECT id FROM {wc_orders} WHERE customer_id = ? AND customer_id > 0 AND type = 'shop_order' AND status IN (?)`,
  legacyPaidOrderIds: `SELECT x.order_id AS id FROM (
      SELECT order_id FROM {retain_shop_order_index} WHERE email = ?
      UNION SELECT order_id FROM {retain_shop_order_index} WHERE customer_id = ? AND customer_id > 0
    ) x JOIN {posts} o ON o.ID = x.order_id AND o.post_status IN (?)`,
  storedOrderProducts: `SELECT product_id AS pid, MAX(order_id) AS newest FROM {retain_shop_order_products} WHERE order_id IN (?) GROUP BY product_id`,
  liveOrderProducts: `SELECT CAST(m.meta_value AS UNSIGNED) AS pid, MAX(i.order_id) AS newest FROM {woocommerce_order_items} i
    JOIN {woocommerce_order_itemmeta} m ON m.order_item_id = i.order_item_id AND m.meta_key = '_product_id'
    WHERE i.order_id IN (?) AND i.order_item_type = 'line_item' GROUP BY pid`,
  orderProducts: `SELECT DISTINCT CAST(m.meta_value AS UNSIGNED) AS pid, m.meta_key FROM {woocommerce_order_items} i
    JOIN {woocommerce_order_itemmeta} m ON m.order_item_id = i.order_item_id AND m.meta_key IN ('_product_id', '_variation_id')
    WHERE i.order_id = ? AND i.order_item_type = 'line_item'`,
});
