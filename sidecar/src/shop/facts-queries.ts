import { defineQueries } from '../db/sql';

// Customer facts, set-based: one INSERT … SELECT … GROUP BY over all orders writes a row per
// contact (normalised e-mail: the account's e-mail for a registered customer's orders, the billing
// e-mail for guest orders) into retain_shop_customer_facts. Nothing streams through Node.
// Parameters of the aggregates: paid statuses, excluded statuses, refreshed_at.

const AGGREGATE = `SELECT c.email, MAX(c.customer_id), COUNT(*), SUM(c.paid),
    MIN(IF(c.paid, c.created, NULL)), MAX(IF(c.paid, c.created, NULL)),
    SUM(IF(c.paid, c.total, 0)), SUM(IF(c.paid, c.refunded, 0)), SUM(IF(c.paid, c.total - c.refunded, 0)), ?`;

const UPSERT = `ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), orders = VALUES(orders), paid_orders = VALUES(paid_orders),
    first_paid_at = VALUES(first_paid_at), last_paid_at = VALUES(last_paid_at), gross = VALUES(gross), refunded = VALUES(refunded),
    net = VALUES(net), refreshed_at = VALUES(refreshed_at)`;

const COLUMNS = `(email, customer_id, orders, paid_orders, first_paid_at, last_paid_at, gross, refunded, net, refreshed_at)`;

const HPOS_ROWS = `SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, o.billing_email))), 191) AS email, o.customer_id,
      o.status IN (?) AS paid, o.date_created_gmt AS created, o.total_amount AS total, COALESCE(r.refunded, 0) AS refunded
    FROM {wc_orders} o
    LEFT JOIN {users} u ON u.ID = o.customer_id
    LEFT JOIN (SELECT parent_order_id, SUM(-total_amount) AS refunded FROM {wc_orders} WHERE type = 'shop_order_refund' GROUP BY parent_order_id) r
      ON r.parent_order_id = o.id
    WHERE o.type = 'shop_order' AND o.status NOT IN (?)`;

const LEGACY_ROWS = `SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, i.email))), 191) AS email, i.customer_id,
      p.post_status IN (?) AS paid, i.created_gmt AS created, CAST(COALESCE(t.meta_value, '0') AS DECIMAL(26,8)) AS total, COALESCE(r.refunded, 0) AS refunded
    FROM {retain_shop_order_index} i
    JOIN {posts} p ON p.ID = i.order_id
    LEFT JOIN {postmeta} t ON t.post_id = p.ID AND t.meta_key = '_order_total'
    LEFT JOIN {users} u ON u.ID = i.customer_id
    LEFT JOIN (SELECT rp.post_parent, SUM(CAST(rm.meta_value AS DECIMAL(26,8))) AS refunded FROM {posts} rp
               JOIN {postmeta} rm ON rm.post_id = rp.ID AND rm.meta_key = '_refund_amount'
               WHERE rp.post_type = 'shop_order_refund' GROUP BY rp.post_parent) r ON r.post_parent = p.ID
    WHERE p.post_status NOT IN (?)`;

export const factsQueries = defineQueries({
  hposAll: `INSERT INTO {retain_shop_customer_facts} ${COLUMNS} ${AGGREGATE} FROM (${HPOS_ROWS}) c
    WHERE c.email IS NOT NULL AND c.email <> '' GROUP BY c.email ${UPSERT}`,
  hposForEmails: `INSERT INTO {retain_shop_customer_facts} ${COLUMNS} ${AGGREGATE} FROM (${HPOS_ROWS}
      AND o.id IN (SELECT id FROM {wc_orders} WHERE billing_email IN (?) UNION SELECT o2.id FROM {wc_orders} o2 JOIN {users} u2 ON u2.ID = o2.customer_id WHERE u2.user_email IN (?))) c
    WHERE c.email IS NOT NULL AND c.email <> '' GROUP BY c.email ${UPSERT}`,
  hposChangedContacts: `SELECT DISTINCT LEFT(LOWER(TRIM(COALESCE(u.user_email, o.billing_email, po.billing_email))), 191) AS email
    FROM {wc_orders} o
    LEFT JOIN {wc_orders} po ON po.id = o.parent_order_id AND o.type = 'shop_order_refund'
    LEFT JOIN {users} u ON u.ID = COALESCE(po.customer_id, o.customer_id)
    WHERE o.date_updated_gmt >= ?`,
  legacyAll: `INSERT INTO {retain_shop_customer_facts} ${COLUMNS} ${AGGREGATE} FROM (${LEGACY_ROWS}) c
    WHERE c.email IS NOT NULL AND c.email <> '' GROUP BY c.email ${UPSERT}`,
  legacyForEmails: `INSERT INTO {retain_shop_customer_facts} ${COLUMNS} ${AGGREGATE} FROM (${LEGACY_ROWS}
      AND i.order_id IN (SELECT order_id FROM {retain_shop_order_index} WHERE email IN (?) UNION SELECT i2.order_id FROM {retain_shop_order_index} i2 JOIN {users} u2 ON u2.ID = i2.customer_id WHERE u2.user_email IN (?))) c
    WHERE c.email IS NOT NULL AND c.email <> '' GROUP BY c.email ${UPSERT}`,
  // post_modified_gmt has no index: this walks the shop_order rows of type_status_date. Used only by
  // the periodic refresh, never at send time.
  legacyChangedContacts: `SELECT DISTINCT LEFT(LOWER(TRIM(COALESCE(u.user_email, i.email))), 191) AS email
    FROM {posts} p
    JOIN {retain_shop_order_index} i ON i.order_id = IF(p.post_type = 'shop_order_refund', p.post_parent, p.ID)
    LEFT JOIN {users} u ON u.ID = i.customer_id
    WHERE p.post_type IN ('shop_order', 'shop_order_refund') AND p.post_modified_gmt >= ?`,

  // Registered customers (role customer or any order) — adds those who never ordered, then signup and birthday.
  registered: `INSERT INTO {retain_shop_customer_facts} (email, customer_id, refreshed_at)
    SELECT LEFT(LOWER(TRIM(u.user_email)), 191), u.ID, ? FROM {users} u
    JOIN {usermeta} m ON m.user_id = u.ID AND m.meta_key = ? AND m.meta_value LIKE '%"customer"%'
    WHERE u.user_email <> ''
    ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), refreshed_at = VALUES(refreshed_at)`,
  registeredForEmails: `INSERT INTO {retain_shop_customer_facts} (email, customer_id, refreshed_at)
    SELECT LEFT(LOWER(TRIM(u.user_email)), 191), u.ID, ? FROM {users} u
    JOIN {usermeta} m ON m.user_id = u.ID AND m.meta_key = ? AND m.meta_value LIKE '%"customer"%'
    WHERE u.user_email IN (?)
    ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), refreshed_at = VALUES(refreshed_at)`,
  newUsers: `SELECT LEFT(LOWER(TRIM(user_email)), 191) AS email FROM {users} WHERE user_registered >= ?`,
  signupAndGap: `UPDATE {retain_shop_customer_facts} f LEFT JOIN {users} u ON u.ID = f.customer_id AND f.customer_id > 0
    SET f.signup_at = IF(u.user_registered IS NULL OR u.user_registered < '1971-01-01', NULL, u.user_registered),
        f.typical_gap_days = IF(f.paid_orders > 1, TIMESTAMPDIFF(SECOND, f.first_paid_at, f.last_paid_at) / 86400 / (f.paid_orders - 1), NULL)
    WHERE f.refreshed_at = ?`,
  // Stored only when it looks like Y-m-d; the reader validates the calendar day (no 02-30).
  birthdays: `UPDATE {retain_shop_customer_facts} f JOIN {usermeta} m ON m.user_id = f.customer_id AND m.meta_key = ?
    SET f.birthday = IF(m.meta_value REGEXP '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', m.meta_value, NULL)
    WHERE f.customer_id > 0 AND f.refreshed_at = ?`,
  removeStale: `DELETE FROM {retain_shop_customer_facts} WHERE refreshed_at < ? LIMIT 10000`,
  removeEmails: `DELETE FROM {retain_shop_customer_facts} WHERE email IN (?) AND refreshed_at < ?`,

  stateGet: `SELECT value FROM {retain_shop_state} WHERE name = ?`,
  stateSet: `INSERT INTO {retain_shop_state} (name, value, updated_at) VALUES (?, ?, UTC_TIMESTAMP())
    ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at)`,
  count: `SELECT COUNT(*) AS n FROM {retain_shop_customer_facts}`,
  summary: `SELECT COUNT(*) AS contacts, SUM(customer_id > 0) AS registered, SUM(customer_id = 0) AS guests, SUM(birthday IS NOT NULL) AS birthdays,
      SUM(orders) AS orders, SUM(paid_orders) AS paid_orders, SUM(gross) AS gross, SUM(refunded) AS refunded, SUM(net) AS net
    FROM {retain_shop_customer_facts}`,
  byEmail: `SELECT * FROM {retain_shop_customer_facts} WHERE email = ?`,
});

// Segments read the facts table only; members are keyset-paged by e-mail (never OFFSET).
const MEMBER = `SELECT email, customer_id, paid_orders, net, last_paid_at FROM {retain_shop_customer_facts}`;
export const segmentQueries = defineQueries({
  leadsCount: `SELECT COUNT(*) AS n FROM {retain_shop_customer_facts} WHERE paid_orders = 0`,
  leadsPage: `${MEMBER} WHERE paid_orders = 0 AND email > ? ORDER BY email LIMIT ?`,
  firstTimeCount: `SELECT COUNT(*) AS n FROM {retain_shop_customer_facts} WHERE paid_orders = 1`,
  firstTimePage: `${MEMBER} WHERE paid_orders = 1 AND email > ? ORDER BY email LIMIT ?`,
  repeatCount: `SELECT COUNT(*) AS n FROM {retain_shop_customer_facts} WHERE paid_orders >= 2`,
  repeatPage: `${MEMBER} WHERE paid_orders >= 2 AND email > ? ORDER BY email LIMIT ?`,
  loyalCount: `SELECT COUNT(*) AS n FROM {retain_shop_customer_facts} WHERE paid_orders >= ? AND last_paid_at >= ? AND net >= ?`,
  loyalPage: `${MEMBER} WHERE paid_orders >= ? AND last_paid_at >= ? AND net >= ? AND email > ? ORDER BY email LIMIT ?`,
  lapsedCount: `SELECT COUNT(*) AS n FROM {retain_shop_customer_facts} WHERE paid_orders >= 1 AND last_paid_at < ?`,
  lapsedPage: `${MEMBER} WHERE paid_orders >= 1 AND last_paid_at < ? AND email > ? ORDER BY email LIMIT ?`,
  // RFM cut points: the lowest value of each quintile among paying contacts.
  quintiles: `SELECT q, MIN(r) AS r_min, MIN(f) AS f_min, MIN(m) AS m_min FROM (
      SELECT NTILE(5) OVER (ORDER BY last_paid_at) AS q, last_paid_at AS r, NULL AS f, NULL AS m FROM {retain_shop_customer_facts} WHERE paid_orders > 0
      UNION ALL SELECT NTILE(5) OVER (ORDER BY paid_orders), NULL, paid_orders, NULL FROM {retain_shop_customer_facts} WHERE paid_orders > 0
      UNION ALL SELECT NTILE(5) OVER (ORDER BY net), NULL, NULL, net FROM {retain_shop_customer_facts} WHERE paid_orders > 0
    ) t GROUP BY q ORDER BY q`,
  gapCount: `SELECT COUNT(*) AS n FROM {retain_shop_customer_facts} WHERE typical_gap_days IS NOT NULL`,
  // One index walk to the middle of the gap index: a single order statistic, not pagination.
  gapAt: `SELECT typical_gap_days AS gap FROM {retain_shop_customer_facts} WHERE typical_gap_days IS NOT NULL ORDER BY typical_gap_days LIMIT 1 OFFSET ?`,
});
