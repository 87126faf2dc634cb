import { defineQueries } from '../db/sql';

// Orders in both storages. HPOS: wc_orders (+ addresses, operational data); legacy: posts of type
// shop_order with postmeta. Line items live in woocommerce_order_items(+meta) for both.
// Legacy postmeta has no index on meta_value, so "orders of this e-mail" goes through our own
// retain_shop_order_index (order id → e-mail, customer, created, status, total), caught up by id
// cursor and re-read for orders modified since; refunds are mirrored in retain_shop_refund_index.

const PAID_LINE_META = `'_product_id','_variation_id','_qty','_line_subtotal','_line_total'`;

/**
 * A postmeta amount as DECIMAL(26,8), or NULL when it is not a number: in strict mode a bad CAST
 * inside INSERT … SELECT fails the whole statement.
 */
const decimalOrNull = (v: string) => `IF(${v} REGEXP '^[[:space:]]*[-+]?[0-9]{1,18}([.][0-9]*)?[[:space:]]*$', CAST(${v} AS DECIMAL(26,8)), NULL)`;
const customerId = (v: string) => `IF(${v} REGEXP '^[0-9]{1,19}$', CAST(${v} AS UNSIGNED), 0)`;

// Index rows for the orders of a derived table of posts (ID, post_date_gmt, post_status), each
// order's meta looked up through post_id. INSERT IGNORE keeps the first row per order, which
// carries the lowest meta_id of each key.
const INDEX_ROWS = (orders: string) => `INSERT IGNORE INTO {retain_shop_order_index} (order_id, email, customer_id, created_gmt, status, total)
    SELECT p.ID, LEFT(LOWER(TRIM(em.meta_value)), 191), ${customerId('cu.meta_value')}, NULLIF(p.post_date_gmt, '0000-00-00 00:00:00'),
      p.post_status, ${decimalOrNull('t.meta_value')}
    FROM (${orders}) p
    LEFT JOIN {postmeta} em ON em.post_id = p.ID AND em.meta_key = '_billing_email'
    LEFT JOIN {postmeta} cu ON cu.post_id = p.ID AND cu.meta_key = '_customer_user'
    LEFT JOIN {postmeta} t ON t.post_id = p.ID AND t.meta_key = '_order_total'`;
// Refund rows for the refunds of a derived table of posts (ID, post_parent).
const REFUND_ROWS = (refunds: string) => `INSERT IGNORE INTO {retain_shop_refund_index} (refund_id, order_id, amount)
    SELECT r.ID, r.post_parent, ${decimalOrNull('a.meta_value')}
    FROM (${refunds}) r
    LEFT JOIN {postmeta} a ON a.post_id = r.ID AND a.meta_key = '_refund_amount'`;
// The first value of one meta key of the index row's order (an UPDATE's subquery).
const FIRST_META = (key: string) => `(SELECT m.meta_value FROM {postmeta} m WHERE m.post_id = i.order_id AND m.meta_key = '${key}' ORDER BY m.meta_id LIMIT 1)`;

// A table mirroring the posts of one type up to its id cursor (the order index, the refund mirror).
// Deleted posts, and posts committed after a higher id was mirrored, make the two disagree on the
// count and sum of the ids up to the cursor (the posts side reads type_status_date alone); only then
// are they compared row by row (see orders.ts: reconcile). `add` inserts the mirror rows of posts by id.
const MIRROR = <N extends string>(name: N, table: string, id: string, postType: string, add: string) => ({
  [`${name}Ids`]: `SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(${id}), 0)) AS ids FROM ${table} WHERE ${id} <= ?`,
  [`${name}PostIds`]: `SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(ID), 0)) AS ids FROM {posts} WHERE post_type = '${postType}' AND ID <= ?`,
  [`${name}Gone`]: `SELECT m.${id} AS id FROM ${table} m LEFT JOIN {posts} p ON p.ID = m.${id} AND p.post_type = '${postType}' WHERE p.ID IS NULL`,
  [`${name}Forget`]: `DELETE FROM ${table} WHERE ${id} IN (?)`,
  [`${name}Missing`]: `SELECT p.ID AS id FROM {posts} p LEFT JOIN ${table} m ON m.${id} = p.ID
    WHERE p.post_type = '${postType}' AND p.ID <= ? AND m.${id} IS NULL`,
  [`${name}Add`]: add,
}) as Record<`${N}${'Ids' | 'PostIds' | 'Gone' | 'Forget' | 'Missing' | 'Add'}`, string>;

export const orderQueries = defineQueries({
  hposTablesPresent: `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`,

  // -- HPOS
  hposHasOrderSinceByEmail: `SELECT id FROM {wc_orders} WHERE billing_email = ? AND type = 'shop_order' AND date_created_gmt >= ? AND status IN (?) LIMIT 1`,
  hposHasOrderSinceByCustomer: `SELECT id FROM {wc_orders} WHERE customer_id = ? AND type = 'shop_order' AND date_created_gmt >= ? AND status IN (?) LIMIT 1`,
  hposHasAnyOrderSinceByEmail: `SELECT id FROM {wc_orders} WHERE billing_email = ? AND type = 'shop_order' AND date_created_gmt >= ? AND status NOT IN (?) LIMIT 1`,
  hposHasAnyOrderSinceByCustomer: `SELECT id FROM {wc_orders} WHERE customer_id = ? AND type = 'shop_order' AND date_created_gmt >= ? AND status NOT IN (?) LIMIT 1`,
  // Cart abandoners: every contact with a real order in the window, through the date index.
  hposOrderedSince: `SELECT DISTINCT billing_email AS email, customer_id FROM {wc_orders}
    WHERE date_created_gmt >= ? AND type = 'shop_order' AND status NOT IN (?)`,
  hposOrderIdsForContact: `SELECT id, date_created_gmt FROM (
      (SELECT id, date_created_gmt FROM {wc_orders} WHERE billing_email = ? AND type = 'shop_order')
      UNION
      (SELECT id, date_created_gmt FROM {wc_orders} WHERE customer_id = ? AND customer_id > 0 AND type = 'shop_order')
    ) o ORDER BY date_created_gmt DESC, id DESC LIMIT ?`,
  hposOrders: `SELECT o.id, o.status, o.currency, o.total_amount AS total, o.customer_id, o.billing_email AS email, o.payment_method,
      o.date_created_gmt AS created, od.date_paid_gmt AS paid, od.date_completed_gmt AS completed,
      a.first_name, a.last_name, a.country
    FROM {wc_orders} o
    LEFT JOIN {wc_order_operational_data} od ON od.order_id = o.id
    LEFT JOIN {wc_order_addresses} a ON a.order_id = o.id AND a.address_type = 'billing'
    WHERE o.id IN (?) AND o.type = 'shop_order'`,
  hposRefunds: `SELECT parent_order_id AS order_id, SUM(-total_amount) AS refunded FROM {wc_orders}
    WHERE parent_order_id IN (?) AND type = 'shop_order_refund' GROUP BY parent_order_id`,
  hposPaidOrdersForContact: `SELECT o.id, o.date_created_gmt AS created, o.total_amount AS total, o.status, o.customer_id FROM (
      (SELECT id FROM {wc_orders} WHERE billing_email = ? AND type = 'shop_order')
      UNION
      (SELECT id FROM {wc_orders} WHERE customer_id = ? AND customer_id > 0 AND type = 'shop_order')
    ) ids JOIN {wc_orders} o ON o.id = ids.id`,

  // -- legacy (posts + postmeta)
  legacyIndexCursor: `SELECT COALESCE(MAX(order_id), 0) AS cursor_id FROM {retain_shop_order_index}`,
  legacyIndexCatchUp: INDEX_ROWS(`SELECT ID, post_date_gmt, post_status FROM {posts} WHERE ID > ? AND post_type = 'shop_order' ORDER BY ID LIMIT ?`),
  // Far behind (a first run on a big shop), each order's own postmeta lookups cost about 36 rows
  // through the post_id index, three times. Instead the three keys are read once each through the meta_key
  // index into a scratch table, then joined to the orders by primary key (see orders.ts: fillInBulk).
  // How far behind: a walk of the primary key from the cursor (type_status_date would read every order,
  // then sort). Params: cursor, how many orders ahead counts as far.
  legacyIndexBehind: `SELECT COUNT(*) AS n FROM (SELECT ID FROM {posts} FORCE INDEX (PRIMARY) WHERE ID > ? AND post_type = 'shop_order' ORDER BY ID LIMIT ?) x`,
  legacyNewestOrderId: `SELECT COALESCE(MAX(ID), 0) AS id FROM {posts} WHERE post_type = 'shop_order'`,
  legacyIndexStageClear: `TRUNCATE TABLE {retain_shop_order_index_stage}`,
  // The first value per order wins (the lowest meta_id, as in the one-by-one catch-up). Params: cursor, last id.
  legacyIndexStageEmails: `INSERT IGNORE INTO {retain_shop_order_index_stage} (order_id, meta, value)
    SELECT post_id, 1, LEFT(LOWER(TRIM(meta_value)), 191) FROM {postmeta} FORCE INDEX (meta_key)
    WHERE meta_key = '_billing_email' AND post_id > ? AND post_id <= ?`,
  legacyIndexStageCustomers: `INSERT IGNORE INTO {retain_shop_order_index_stage} (order_id, meta, value)
    SELECT post_id, 2, LEFT(meta_value, 191) FROM {postmeta} FORCE INDEX (meta_key)
    WHERE meta_key = '_customer_user' AND post_id > ? AND post_id <= ?`,
  legacyIndexStageTotals: `INSERT IGNORE INTO {retain_shop_order_index_stage} (order_id, meta, value)
    SELECT post_id, 3, LEFT(meta_value, 191) FROM {postmeta} FORCE INDEX (meta_key)
    WHERE meta_key = '_order_total' AND post_id > ? AND post_id <= ?`,
  legacyIndexFromStage: `INSERT IGNORE INTO {retain_shop_order_index} (order_id, email, customer_id, created_gmt, status, total)
    SELECT p.ID, e.value, ${customerId('c.value')}, NULLIF(p.post_date_gmt, '0000-00-00 00:00:00'), p.post_status, ${decimalOrNull('t.value')}
    FROM {posts} p
    LEFT JOIN {retain_shop_order_index_stage} e ON e.order_id = p.ID AND e.meta = 1
    LEFT JOIN {retain_shop_order_index_stage} c ON c.order_id = p.ID AND c.meta = 2
    LEFT JOIN {retain_shop_order_index_stage} t ON t.order_id = p.ID AND t.meta = 3
    WHERE p.ID > ? AND p.ID <= ? AND p.post_type = 'shop_order'
    ORDER BY p.ID`,
  // Orders just indexed that a reader will skip or count as 0: a zero date, no usable total.
  legacyIndexBadRows: `SELECT COALESCE(SUM(created_gmt IS NULL), 0) AS zero_dates, COALESCE(SUM(total IS NULL), 0) AS no_total
    FROM {retain_shop_order_index} WHERE order_id > ?`,

  // Keeping indexed orders current (see orders.ts: refreshIndex). post_modified_gmt has no index: one
  // pass over posts, in id order from a cursor so that a batch is a continuation, not a new scan.
  // Params: after id, modified since, batch.
  legacyOrdersModifiedSince: `SELECT ID AS id FROM {posts} FORCE INDEX (PRIMARY)
    WHERE ID > ? AND post_type = 'shop_order' AND post_modified_gmt >= ? ORDER BY ID LIMIT ?`,
  // Subqueries, not joins: a multi-table UPDATE share-locks the WooCommerce rows it reads.
  legacyIndexReread: `UPDATE {retain_shop_order_index} i SET
      i.status = COALESCE((SELECT p.post_status FROM {posts} p WHERE p.ID = i.order_id), i.status),
      i.created_gmt = (SELECT NULLIF(p.post_date_gmt, '0000-00-00 00:00:00') FROM {posts} p WHERE p.ID = i.order_id),
      i.email = LEFT(LOWER(TRIM(${FIRST_META('_billing_email')})), 191),
      i.customer_id = COALESCE(${customerId(FIRST_META('_customer_user'))}, 0),
      i.total = ${decimalOrNull(FIRST_META('_order_total'))}
    WHERE i.order_id IN (?)`,
  ...MIRROR('orderIndex', '{retain_shop_order_index}', 'order_id', 'shop_order',
    INDEX_ROWS(`SELECT ID, post_date_gmt, post_status FROM {posts} WHERE ID IN (?) AND post_type = 'shop_order'`)),
  // Refunds by refund id cursor (amounts never change once written), all at once: they are a few
  // percent of the orders, found through type_status_date.
  refundIndexCursor: `SELECT COALESCE(MAX(refund_id), 0) AS cursor_id FROM {retain_shop_refund_index}`,
  refundIndexCatchUp: REFUND_ROWS(`SELECT ID, post_parent FROM {posts} WHERE ID > ? AND post_type = 'shop_order_refund'`),
  ...MIRROR('refundIndex', '{retain_shop_refund_index}', 'refund_id', 'shop_order_refund',
    REFUND_ROWS(`SELECT ID, post_parent FROM {posts} WHERE ID IN (?) AND post_type = 'shop_order_refund'`)),
  legacyHasOrderSinceByEmail: `SELECT i.order_id AS id FROM {retain_shop_order_index} i JOIN {posts} p ON p.ID = i.order_id
    WHERE i.email = ? AND i.created_gmt >= ? AND p.post_status IN (?) LIMIT 1`,
  legacyHasOrderSinceByCustomer: `SELECT i.order_id AS id FROM {retain_shop_order_index} i JOIN {posts} p ON p.ID = i.order_id
    WHERE i.customer_id = ? AND i.created_gmt >= ? AND p.post_status IN (?) LIMIT 1`,
  legacyHasAnyOrderSinceByEmail: `SELECT i.order_id AS id FROM {retain_shop_order_index} i JOIN {posts} p ON p.ID = i.order_id
    WHERE i.email = ? AND i.created_gmt >= ? AND p.post_status NOT IN (?) LIMIT 1`,
  legacyHasAnyOrderSinceByCustomer: `SELECT i.order_id AS id FROM {retain_shop_order_index} i JOIN {posts} p ON p.ID = i.order_id
    WHERE i.customer_id = ? AND i.created_gmt >= ? AND p.post_status NOT IN (?) LIMIT 1`,
  // type_status_date puts the status before the date: with a list of statuses the date bounds one range
  // per status, where NOT IN read every order's entry (3 s at 5M). The shop's statuses come from a walk
  // of the same key, one seek each. Params: statuses, site-local date, GMT date.
  legacyOrderedSince: `SELECT DISTINCT i.email, i.customer_id FROM {posts} p JOIN {retain_shop_order_index} i ON i.order_id = p.ID
    WHERE p.post_type = 'shop_order' AND p.post_status IN (?) AND p.post_date >= ? AND i.created_gmt >= ?`,
  legacyNextOrderStatus: `SELECT MIN(post_status) AS status FROM {posts} WHERE post_type = 'shop_order' AND post_status > ?`,
  legacyOrderIdsForContact: `SELECT order_id AS id, created_gmt FROM (
      (SELECT order_id, created_gmt FROM {retain_shop_order_index} WHERE email = ?)
      UNION
      (SELECT order_id, created_gmt FROM {retain_shop_order_index} WHERE customer_id = ? AND customer_id > 0)
    ) o ORDER BY created_gmt DESC, order_id DESC LIMIT ?`,
  legacyOrders: `SELECT ID AS id, post_status AS status, post_date_gmt AS created FROM {posts} WHERE ID IN (?) AND post_type = 'shop_order'`,
  legacyOrderMeta: `SELECT post_id, meta_key, meta_value FROM {postmeta} WHERE post_id IN (?) AND meta_key IN
    ('_order_currency','_order_total','_customer_user','_billing_email','_billing_first_name','_billing_last_name','_billing_country',
     '_payment_method','_date_paid','_date_completed','_paid_date','_completed_date')`,
  legacyRefunds: `SELECT p.post_parent AS order_id, SUM(CAST(pm.meta_value AS DECIMAL(26,8))) AS refunded
    FROM {posts} p JOIN {postmeta} pm ON pm.post_id = p.ID AND pm.meta_key = '_refund_amount'
    WHERE p.post_parent IN (?) AND p.post_type = 'shop_order_refund' GROUP BY p.post_parent`,
  legacyPaidOrdersForContact: `SELECT p.ID AS id, p.post_date_gmt AS created, p.post_status AS status, i.customer_id,
      (SELECT meta_value FROM {postmeta} t WHERE t.post_id = p.ID AND t.meta_key = '_order_total' LIMIT 1) AS total
    FROM (
      (SELECT order_id FROM {retain_shop_order_index} WHERE email = ?)
      UNION
      (SELECT order_id FROM {retain_shop_order_index} WHERE customer_id = ? AND customer_id > 0)
    ) ids JOIN {retain_shop_order_index} i ON i.order_id = ids.order_id JOIN {posts} p ON p.ID = ids.order_id`,

  hposCountByStatus: `SELECT status, COUNT(*) AS n FROM {wc_orders} WHERE type = 'shop_order' GROUP BY status`,
  legacyCountByStatus: `SELECT post_status AS status, COUNT(*) AS n FROM {posts} WHERE post_type = 'shop_order' GROUP BY post_status`,

  // -- both
  lineItems: `SELECT i.order_id, i.order_item_id, i.order_item_name, m.meta_key, m.meta_value
    FROM {woocommerce_order_items} i
    JOIN {woocommerce_order_itemmeta} m ON m.order_item_id = i.order_item_id AND m.meta_key IN (${PAID_LINE_META})
    WHERE i.order_id IN (?) AND i.order_item_type = 'line_item'`,
});
