import { defineQueries } from '../db/sql';

// What the date-based lifecycle flows read from the shop: first-order anniversaries (from the facts
// table) and each contact's purchases of the products a shop marked replenishable.

// One contact's purchase days of each marked product, the last one, and the median gap between
// them (the middle one or two of the ordered gaps, when there are at least 2). Set-based: the
// whole shop in one statement, grouped in the server. `p` rows: (email, product_id, day).
// Params of both storages: paid statuses, history from, until, product ids, last purchase from.
const PURCHASE_HISTORY = (purchases: string) => `WITH p AS (${purchases}),
  g AS (SELECT email, product_id, DATEDIFF(day, LAG(day) OVER (PARTITION BY email, product_id ORDER BY day)) AS gap FROM p),
  r AS (SELECT email, product_id, gap,
          ROW_NUMBER() OVER (PARTITION BY email, product_id ORDER BY gap) AS rn,
          COUNT(*) OVER (PARTITION BY email, product_id) AS n
        FROM g WHERE gap IS NOT NULL)
  SELECT l.email, l.product_id, l.last_day, m.learned FROM
    (SELECT email, product_id, MAX(day) AS last_day FROM p GROUP BY email, product_id) l
    LEFT JOIN (SELECT email, product_id, AVG(gap) AS learned FROM r
               WHERE n >= 2 AND rn IN (FLOOR((n + 1) / 2), FLOOR(n / 2) + 1) GROUP BY email, product_id) m
      ON m.email = l.email AND m.product_id = l.product_id
  WHERE l.last_day >= ?
  ORDER BY l.email, l.product_id`;

const ITEM_PRODUCTS = `FROM {woocommerce_order_itemmeta} pm
    JOIN {woocommerce_order_items} i ON i.order_item_id = pm.order_item_id AND i.order_item_type = 'line_item'`;

export const lifecycleQueries = defineQueries({
  // Keyset-paged by e-mail; DATE_FORMAT has no index, like the birthday scan: one pass a day.
  firstOrderAnniversaries: `SELECT email, first_paid_at FROM {retain_shop_customer_facts}
    WHERE email > ? AND first_paid_at IS NOT NULL AND first_paid_at < ? AND DATE_FORMAT(first_paid_at, '%m-%d') IN (?)
    ORDER BY email LIMIT ?`,
  firstPaidOf: `SELECT email, first_paid_at FROM {retain_shop_customer_facts} WHERE email IN (?) AND first_paid_at IS NOT NULL`,
  productsInCategories: `SELECT DISTINCT tr.object_id AS id, t.slug FROM {terms} t
    JOIN {term_taxonomy} tt ON tt.term_id = t.term_id AND tt.taxonomy = 'product_cat'
    JOIN {term_relationships} tr ON tr.term_taxonomy_id = tt.term_taxonomy_id
    JOIN {posts} p ON p.ID = tr.object_id AND p.post_type = 'product'
    WHERE t.slug IN (?)`,
  hposPurchaseHistory: PURCHASE_HISTORY(`SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, o.billing_email))), 191) AS email,
      CAST(pm.meta_value AS UNSIGNED) AS product_id, DATE(o.date_created_gmt) AS day
    ${ITEM_PRODUCTS}
    JOIN {wc_orders} o ON o.id = i.order_id AND o.type = 'shop_order' AND o.status IN (?) AND o.date_created_gmt >= ? AND o.date_created_gmt < ?
    LEFT JOIN {users} u ON u.ID = o.customer_id AND o.customer_id > 0
    WHERE pm.meta_key = '_product_id' AND pm.meta_value IN (?)
    GROUP BY 1, 2, 3`),
  legacyPurchaseHistory: PURCHASE_HISTORY(`SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, x.email))), 191) AS email,
      CAST(pm.meta_value AS UNSIGNED) AS product_id, DATE(x.created_gmt) AS day
    ${ITEM_PRODUCTS}
    JOIN {retain_shop_order_index} x ON x.order_id = i.order_id
    JOIN {posts} o ON o.ID = x.order_id AND o.post_status IN (?) AND x.created_gmt >= ? AND x.created_gmt < ?
    LEFT JOIN {users} u ON u.ID = x.customer_id AND x.customer_id > 0
    WHERE pm.meta_key = '_product_id' AND pm.meta_value IN (?)
    GROUP BY 1, 2, 3`),
});
