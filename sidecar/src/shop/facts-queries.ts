import { defineQueries } from '../db/sql';
import { SHOP_TABLES_COLLATION } from './migrations';

// Customer facts, set-based: nothing streams through Node.
// The backfill builds a fresh table and swaps it in with one RENAME TABLE (readers see the old
// generation or the new one, never half). Two connections work side by side:
//   main: orders of accounts aggregated per customer id (retain_shop_facts_accounts), then one row per
//         account (customers by role, or with orders) with signup, birthday and gap, keyed by the
//         account's normalised e-mail, for the lower half of the e-mails; then refunds of paid orders
//         per contact;
//   side: the accounts' role and birthday from usermeta (retain_shop_facts_users), then guest orders
//         per billing e-mail (retain_shop_facts_guests), then the account rows of the upper half.
// Then orders of deleted accounts and of guests merge into the same rows (a guest order placed before
// signing up counts for the account) and refunds are subtracted, each half on its own connection;
// last, the secondary keys are built.
// The incremental refresh recomputes a batch of e-mails in place with the *ForEmails statements.
// Parameters of the aggregates: refreshed_at, paid statuses, excluded statuses.

const AGGREGATE = `SELECT c.email, MAX(c.customer_id), COUNT(*), SUM(c.paid),
    MIN(IF(c.paid, c.created, NULL)), MAX(IF(c.paid, c.created, NULL)),
    SUM(IF(c.paid, c.total, 0)), SUM(IF(c.paid, c.refunded, 0)), SUM(IF(c.paid, c.total - c.refunded, 0)), ?`;

const UPSERT = `ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), orders = VALUES(orders), paid_orders = VALUES(paid_orders),
    first_paid_at = VALUES(first_paid_at), last_paid_at = VALUES(last_paid_at), gross = VALUES(gross), refunded = VALUES(refunded),
    net = VALUES(net), refreshed_at = VALUES(refreshed_at)`;

const COLUMNS = `(email, customer_id, orders, paid_orders, first_paid_at, last_paid_at, gross, refunded, net, refreshed_at)`;

// Refresh: the orders of a batch of e-mails, found through the e-mail and customer indexes (the
// batch is the driving table), each order's refunds through the parent-order index.
// Params: paid statuses, billing e-mails, account e-mails, excluded statuses.
const HPOS_ROWS_FOR_EMAILS = `SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, o.billing_email))), 191) AS email, o.customer_id,
      o.status IN (?) AS paid, o.date_created_gmt AS created, o.total_amount AS total,
      COALESCE((SELECT SUM(-rr.total_amount) FROM {wc_orders} rr WHERE rr.parent_order_id = o.id AND rr.type = 'shop_order_refund'), 0) AS refunded
    FROM (SELECT id FROM {wc_orders} WHERE billing_email IN (?)
          UNION SELECT o2.id FROM {wc_orders} o2 JOIN {users} u2 ON u2.ID = o2.customer_id WHERE u2.user_email IN (?)) ids
    JOIN {wc_orders} o ON o.id = ids.id
    LEFT JOIN {users} u ON u.ID = o.customer_id
    WHERE o.type = 'shop_order' AND o.status NOT IN (?)`;

// Legacy: the order index and the refund mirror, brought up to date just before (orders.ts: refreshIndex).
const LEGACY_ROWS_FOR_EMAILS = `SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, i.email))), 191) AS email, i.customer_id,
      i.status IN (?) AS paid, i.created_gmt AS created, COALESCE(i.total, 0) AS total,
      COALESCE((SELECT SUM(x.amount) FROM {retain_shop_refund_index} x WHERE x.order_id = i.order_id), 0) AS refunded
    FROM (SELECT order_id FROM {retain_shop_order_index} WHERE email IN (?)
          UNION SELECT i2.order_id FROM {retain_shop_order_index} i2 JOIN {users} u2 ON u2.ID = i2.customer_id WHERE u2.user_email IN (?)) ids
    JOIN {retain_shop_order_index} i ON i.order_id = ids.order_id
    LEFT JOIN {users} u ON u.ID = i.customer_id
    WHERE i.status NOT IN (?)`;

// Merging a partial aggregate into an existing row (target columns qualified: the SELECT joins tables
// with the same column names). Assignments run left to right, so the gap uses the merged values.
const N = '{retain_shop_customer_facts_next}';
const MERGE = `ON DUPLICATE KEY UPDATE ${N}.customer_id = GREATEST(${N}.customer_id, VALUES(customer_id)),
    ${N}.orders = ${N}.orders + VALUES(orders), ${N}.paid_orders = ${N}.paid_orders + VALUES(paid_orders),
    ${N}.first_paid_at = IF(${N}.first_paid_at IS NULL OR VALUES(first_paid_at) < ${N}.first_paid_at, VALUES(first_paid_at), ${N}.first_paid_at),
    ${N}.last_paid_at = IF(${N}.last_paid_at IS NULL OR VALUES(last_paid_at) > ${N}.last_paid_at, VALUES(last_paid_at), ${N}.last_paid_at),
    ${N}.gross = ${N}.gross + VALUES(gross), ${N}.refunded = ${N}.refunded + VALUES(refunded), ${N}.net = ${N}.net + VALUES(net),
    ${N}.typical_gap_days = IF(${N}.paid_orders > 1, TIMESTAMPDIFF(SECOND, ${N}.first_paid_at, ${N}.last_paid_at) / 86400 / (${N}.paid_orders - 1), NULL),
    ${N}.signup_at = COALESCE(${N}.signup_at, VALUES(signup_at)), ${N}.birthday = COALESCE(${N}.birthday, VALUES(birthday))`;

// One half of the contacts by e-mail, so the two connections write disjoint parts of the next
// generation's primary key. Compared in the key's own collation (the users' e-mail column and the
// guests' bytes order some addresses differently), so no row of one half falls in the other's range.
// Params: from (inclusive), to (exclusive; null = no end), to again.
const IN_HALF = (email: string) => {
  const key = `CONVERT(${email} USING utf8mb4) COLLATE ${SHOP_TABLES_COLLATION}`;
  return `${key} >= ? AND (? IS NULL OR ${key} < ?)`;
};
const GAP = (paid: string, first: string, last: string) => `IF(${paid} > 1, TIMESTAMPDIFF(SECOND, ${first}, ${last}) / 86400 / (${paid} - 1), NULL)`;

// The backfill reads each order once, in one of two sequential scans (accounts, guests) that run side
// by side on two connections, with no per-order join: the aggregates are written straight over the
// order columns (a derived table or a per-order refunds lookup tripled a scan's cost at 5M orders).
// Refunds, few, are summed per contact on the side.
interface OrderSource {
  /** FROM and the joins that give one row per real order. */
  from: string;
  status: string;
  created: string;
  total: string;
  customer: string;
  /** The billing e-mail, normalised as everywhere else. */
  email: string;
  /** Real orders: not trashed or drafted (param: excluded statuses). */
  real: string;
}
const HPOS_ORDERS: OrderSource = {
  // One sequential scan beats an index range plus a random primary-key lookup per order
  // (type = 'shop_order' matches nearly all rows anyway).
  from: '{wc_orders} o USE INDEX ()',
  status: 'o.status', created: 'o.date_created_gmt', total: 'o.total_amount', customer: 'o.customer_id',
  email: 'LEFT(LOWER(TRIM(o.billing_email)), 191)',
  real: "o.type = 'shop_order' AND o.status NOT IN (?)",
};
const LEGACY_ORDERS: OrderSource = {
  // The order index alone, brought up to date just before (orders.ts: refreshIndex): joining posts
  // and postmeta per order cost minutes at 5M orders, mostly disk reads of postmeta.
  from: '{retain_shop_order_index} i',
  status: 'i.status', created: 'i.created_gmt', total: 'i.total', customer: 'i.customer_id',
  email: 'i.email',
  real: 'i.status NOT IN (?)',
};
// Per group: orders, paid orders, first and last paid date, paid gross. Params: paid statuses ×4.
const ORDER_AGGREGATES = (s: OrderSource) => `COUNT(*) AS orders, SUM(${s.status} IN (?)) AS paid_orders,
    MIN(IF(${s.status} IN (?), ${s.created}, NULL)) AS first_paid_at, MAX(IF(${s.status} IN (?), ${s.created}, NULL)) AS last_paid_at,
    SUM(IF(${s.status} IN (?), ${s.total}, 0)) AS gross`;
// Accounts group by customer id, by sorting (SQL_BIG_RESULT): a million groups in a temporary table
// took a fifth longer at 5M orders. Params: paid ×4, excluded.
const STAGE_ACCOUNTS = (s: OrderSource) => `INSERT INTO {retain_shop_facts_accounts} (customer_id, orders, paid_orders, first_paid_at, last_paid_at, gross)
    SELECT SQL_BIG_RESULT ${s.customer}, ${ORDER_AGGREGATES(s)} FROM ${s.from} WHERE ${s.real} AND ${s.customer} > 0 GROUP BY ${s.customer} ORDER BY NULL`;
// Guests (and deleted accounts' orders, which keep their old customer id) are staged per billing
// e-mail's bytes: it is already lower-cased, and a binary key groups several times faster than the
// collation's; sorting (SQL_BIG_RESULT) keeps the server's memory bounded however many guests there
// are. Rows the collation deems equal meet again in the facts' primary key and merge.
// Params: paid ×4, excluded.
const STAGE_GUESTS = (s: OrderSource, which: string) => `INSERT INTO {retain_shop_facts_guests} (email, customer_id, orders, paid_orders, first_paid_at, last_paid_at, gross)
    SELECT SQL_BIG_RESULT CAST(${s.email} AS BINARY), COALESCE(MAX(${s.customer}), 0), ${ORDER_AGGREGATES(s)} FROM ${s.from}
    WHERE ${s.real} AND ${which} AND ${s.email} <> '' GROUP BY 1
    ON DUPLICATE KEY UPDATE customer_id = GREATEST(customer_id, VALUES(customer_id)), orders = orders + VALUES(orders),
      paid_orders = paid_orders + VALUES(paid_orders), first_paid_at = LEAST(COALESCE(first_paid_at, VALUES(first_paid_at)), COALESCE(VALUES(first_paid_at), first_paid_at)),
      last_paid_at = GREATEST(COALESCE(last_paid_at, VALUES(last_paid_at)), COALESCE(VALUES(last_paid_at), last_paid_at)), gross = gross + VALUES(gross)`;
// Accounts with orders but no users row (deleted): usually none, so the caller counts them first.
const ORPHANS = `(SELECT a.customer_id FROM {retain_shop_facts_accounts} a LEFT JOIN {users} u ON u.ID = a.customer_id WHERE u.ID IS NULL)`;
// Refunds of paid orders per contact, keyed as the order was: the account's e-mail while the account
// exists, else the billing e-mail. Params: paid statuses.
const HPOS_REFUNDS = `SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, o.billing_email))), 191) AS email, SUM(-r.total_amount) AS refunded
    FROM {wc_orders} r JOIN {wc_orders} o ON o.id = r.parent_order_id LEFT JOIN {users} u ON u.ID = o.customer_id AND o.customer_id > 0
    WHERE r.type = 'shop_order_refund' AND o.type = 'shop_order' AND o.status IN (?)
    GROUP BY 1 ORDER BY NULL`;
const LEGACY_REFUNDS = `SELECT LEFT(LOWER(TRIM(COALESCE(u.user_email, i.email))), 191) AS email, SUM(x.amount) AS refunded
    FROM {retain_shop_refund_index} x JOIN {retain_shop_order_index} i ON i.order_id = x.order_id
    LEFT JOIN {users} u ON u.ID = i.customer_id AND i.customer_id > 0
    WHERE i.status IN (?)
    GROUP BY 1 ORDER BY NULL`;
const NEXT = 'retain_shop_customer_facts_next';

const backfillQueries = {
  // The users' usermeta groups in an in-memory temporary table; the accounts', guests' and account rows'
  // sorts keep whole rows in a 64 MB buffer. This session only (reset before the connection goes back).
  backfillSession: `SET SESSION tmp_table_size = 268435456, SESSION max_heap_table_size = 268435456, SESSION sort_buffer_size = 67108864,
    SESSION max_length_for_sort_data = 8192`,
  backfillSessionReset: `SET SESSION tmp_table_size = DEFAULT, SESSION max_heap_table_size = DEFAULT, SESSION sort_buffer_size = DEFAULT,
    SESSION max_length_for_sort_data = DEFAULT`,
  // The next generation starts as an empty copy of the live table (so it has every migration's
  // columns and keys), loses its secondary keys while it fills, and gets them back sorted at the end:
  // a million rows go in about five times faster when only the primary key is kept up.
  dropNext: `DROP TABLE IF EXISTS {${NEXT}}`,
  createNext: `CREATE TABLE {${NEXT}} LIKE {retain_shop_customer_facts}`,
  nextKeys: `SELECT INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS col, SUB_PART AS sub_part
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = CONCAT(?, '${NEXT}') AND INDEX_NAME <> 'PRIMARY'
    ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
  clearAccounts: `TRUNCATE TABLE {retain_shop_facts_accounts}`,
  clearGuests: `TRUNCATE TABLE {retain_shop_facts_guests}`,
  clearRefunds: `TRUNCATE TABLE {retain_shop_facts_refunds}`,
  clearUsers: `TRUNCATE TABLE {retain_shop_facts_users}`,
  hposStageAccounts: STAGE_ACCOUNTS(HPOS_ORDERS),
  legacyStageAccounts: STAGE_ACCOUNTS(LEGACY_ORDERS),
  // The two usermeta keys the account rows need, one row per user: the role (customer or not) and the
  // birthday, read through the meta_key index once, beside the order scans. LEFT(…, 11) keeps the grouping
  // in memory (meta_value is LONGTEXT, and a BLOB column sends a temporary table to disk) and still fails
  // the Y-m-d check for any longer value. Params: capabilities key, birthday key, both keys.
  stageUsers: `INSERT INTO {retain_shop_facts_users} (user_id, customer, birthday)
    SELECT user_id, MAX(meta_key = ? AND meta_value LIKE '%"customer"%'), MIN(IF(meta_key = ?, LEFT(meta_value, 11), NULL))
    FROM {usermeta} FORCE INDEX (meta_key) WHERE meta_key IN (?) GROUP BY user_id`,
  // Accounts: customers by role, and every account with orders, in e-mail order (appended to the
  // primary key rather than scattered through it). Params: refreshed_at, a half.
  nextFromAccounts: `INSERT INTO {retain_shop_customer_facts_next}
      (email, customer_id, orders, paid_orders, first_paid_at, last_paid_at, gross, refunded, net, typical_gap_days, signup_at, birthday, refreshed_at)
    SELECT LEFT(LOWER(TRIM(u.user_email)), 191), u.ID, COALESCE(a.orders, 0), COALESCE(a.paid_orders, 0), a.first_paid_at, a.last_paid_at,
      COALESCE(a.gross, 0), 0, COALESCE(a.gross, 0), ${GAP('a.paid_orders', 'a.first_paid_at', 'a.last_paid_at')},
      IF(u.user_registered IS NULL OR u.user_registered < '1971-01-01', NULL, u.user_registered),
      IF(m.birthday REGEXP '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', m.birthday, NULL),
      ?
    FROM {users} u
    LEFT JOIN {retain_shop_facts_accounts} a ON a.customer_id = u.ID
    LEFT JOIN {retain_shop_facts_users} m ON m.user_id = u.ID
    WHERE u.user_email <> '' AND (a.customer_id IS NOT NULL OR m.customer = 1) AND ${IN_HALF('LEFT(LOWER(TRIM(u.user_email)), 191)')}
    ORDER BY 1
    ${MERGE}`,
  // Orders of deleted accounts count for their billing e-mail, as guest orders do.
  hposStageOrphans: STAGE_GUESTS({ ...HPOS_ORDERS, from: '{wc_orders} o' }, `o.customer_id IN ${ORPHANS}`),
  hposStageGuests: STAGE_GUESTS(HPOS_ORDERS, '(o.customer_id = 0 OR o.customer_id IS NULL)'),
  legacyStageOrphans: STAGE_GUESTS(LEGACY_ORDERS, `i.customer_id IN ${ORPHANS}`),
  legacyStageGuests: STAGE_GUESTS(LEGACY_ORDERS, 'i.customer_id = 0'),
  orphanCount: `SELECT COUNT(*) AS n FROM {retain_shop_facts_accounts} a LEFT JOIN {users} u ON u.ID = a.customer_id WHERE u.ID IS NULL`,
  // Guest rows join the accounts' rows (a guest order placed before signing up counts for the account).
  // Params: refreshed_at, a half.
  nextFromGuests: `INSERT INTO {retain_shop_customer_facts_next}
      (email, customer_id, orders, paid_orders, first_paid_at, last_paid_at, gross, refunded, net, typical_gap_days, refreshed_at)
    SELECT CONVERT(g.email USING utf8mb4), g.customer_id, g.orders, g.paid_orders, g.first_paid_at, g.last_paid_at, g.gross, 0, g.gross,
      ${GAP('g.paid_orders', 'g.first_paid_at', 'g.last_paid_at')}, ?
    FROM {retain_shop_facts_guests} g WHERE ${IN_HALF('g.email')}
    ${MERGE}`,
  hposStageRefunds: `INSERT INTO {retain_shop_facts_refunds} (email, refunded) ${HPOS_REFUNDS}`,
  legacyStageRefunds: `INSERT INTO {retain_shop_facts_refunds} (email, refunded) ${LEGACY_REFUNDS}`,
  // Params: a half.
  nextRefunds: `UPDATE {retain_shop_customer_facts_next} f JOIN {retain_shop_facts_refunds} x ON x.email = f.email
    SET f.refunded = x.refunded, f.net = f.gross - x.refunded WHERE ${IN_HALF('x.email')}`,
  // The median account e-mail, where the two halves meet: one walk of the users' e-mail index.
  accountCount: `SELECT COUNT(*) AS n FROM {users}`,
  medianEmail: `SELECT LEFT(LOWER(TRIM(user_email)), 191) AS email FROM {users} ORDER BY user_email LIMIT 1 OFFSET ?`,
  // Atomic: a reader sees the old table or the new one.
  swapFacts: `RENAME TABLE {retain_shop_customer_facts} TO {retain_shop_customer_facts_old},
    {retain_shop_customer_facts_next} TO {retain_shop_customer_facts},
    {retain_shop_customer_facts_old} TO {retain_shop_customer_facts_next}`,
};

/** The ALTER that drops or re-adds the next generation's secondary keys (their definitions come from nextKeys). */
export const alterNextKeys = (prefix: string, clauses: string[]) => `ALTER TABLE \`${prefix}${NEXT}\` ${clauses.join(', ')}`;

export const factsQueries = defineQueries({
  ...backfillQueries,
  hposForEmails: `INSERT INTO {retain_shop_customer_facts} ${COLUMNS} ${AGGREGATE} FROM (${HPOS_ROWS_FOR_EMAILS}) c
    WHERE c.email IS NOT NULL AND c.email <> '' GROUP BY c.email ${UPSERT}`,
  hposChangedContacts: `SELECT DISTINCT LEFT(LOWER(TRIM(COALESCE(u.user_email, o.billing_email, po.billing_email))), 191) AS email
    FROM {wc_orders} o
    LEFT JOIN {wc_orders} po ON po.id = o.parent_order_id AND o.type = 'shop_order_refund'
    LEFT JOIN {users} u ON u.ID = COALESCE(po.customer_id, o.customer_id)
    WHERE o.date_updated_gmt >= ?`,
  legacyForEmails: `INSERT INTO {retain_shop_customer_facts} ${COLUMNS} ${AGGREGATE} FROM (${LEGACY_ROWS_FOR_EMAILS}) c
    WHERE c.email IS NOT NULL AND c.email <> '' GROUP BY c.email ${UPSERT}`,
  // post_modified_gmt has no index: this walks the shop_order rows of type_status_date. Used only by
  // the periodic refresh, never at send time.
  legacyChangedContacts: `SELECT DISTINCT LEFT(LOWER(TRIM(COALESCE(u.user_email, i.email))), 191) AS email
    FROM {posts} p
    JOIN {retain_shop_order_index} i ON i.order_id = IF(p.post_type = 'shop_order_refund', p.post_parent, p.ID)
    LEFT JOIN {users} u ON u.ID = i.customer_id
    WHERE p.post_type IN ('shop_order', 'shop_order_refund') AND p.post_modified_gmt >= ?`,

  // Registered customers (role customer or any order) — adds those who never ordered, then signup and birthday.
  registeredForEmails: `INSERT INTO {retain_shop_customer_facts} (email, customer_id, refreshed_at)
    SELECT LEFT(LOWER(TRIM(u.user_email)), 191), u.ID, ? FROM {users} u
    JOIN {usermeta} m ON m.user_id = u.ID AND m.meta_key = ? AND m.meta_value LIKE '%"customer"%'
    WHERE u.user_email IN (?)
    ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), refreshed_at = VALUES(refreshed_at)`,
  newUsers: `SELECT LEFT(LOWER(TRIM(user_email)), 191) AS email FROM {users} WHERE user_registered >= ?`,
  // Subqueries, not joins: a multi-table UPDATE share-locks the users and usermeta rows it reads,
  // even in READ COMMITTED. The birthday is read as the backfill reads it (NULL when there is none).
  signupAndGap: `UPDATE {retain_shop_customer_facts} f
    SET f.signup_at = (SELECT IF(u.user_registered IS NULL OR u.user_registered < '1971-01-01', NULL, u.user_registered)
          FROM {users} u WHERE u.ID = f.customer_id AND f.customer_id > 0),
        f.typical_gap_days = IF(f.paid_orders > 1, TIMESTAMPDIFF(SECOND, f.first_paid_at, f.last_paid_at) / 86400 / (f.paid_orders - 1), NULL)
    WHERE f.email IN (?)`,
  // Stored only when it looks like Y-m-d; the reader validates the calendar day (no 02-30).
  birthdays: `UPDATE {retain_shop_customer_facts} f
    SET f.birthday = (SELECT IF(MIN(LEFT(m.meta_value, 11)) REGEXP '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', MIN(LEFT(m.meta_value, 11)), NULL)
          FROM {usermeta} m WHERE m.user_id = f.customer_id AND m.meta_key = ?)
    WHERE f.customer_id > 0 AND f.email IN (?)`,

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
  // RFM cut points: the lowest value of each quintile (NTILE(5)) among paying contacts, which is the
  // value at the quintile's first position in that order. Each is an index-only order statistic
  // (last_paid_orders, net_paid), not a sort of every paying row. Counts read last_paid_orders whole.
  paying: `SELECT COUNT(*) AS n, COALESCE(SUM(last_paid_at IS NULL), 0) AS undated FROM {retain_shop_customer_facts} WHERE paid_orders > 0`,
  frequencies: `SELECT paid_orders AS f, COUNT(*) AS n FROM {retain_shop_customer_facts} WHERE paid_orders > 0 GROUP BY paid_orders ORDER BY paid_orders`,
  recencyAt: `SELECT last_paid_at AS r FROM {retain_shop_customer_facts} FORCE INDEX (last_paid_orders)
    WHERE last_paid_at IS NOT NULL AND paid_orders > 0 ORDER BY last_paid_at LIMIT 1 OFFSET ?`,
  monetaryAt: `SELECT net AS m FROM {retain_shop_customer_facts} FORCE INDEX (net_paid) WHERE paid_orders > 0 ORDER BY net LIMIT 1 OFFSET ?`,
  gapCount: `SELECT COUNT(*) AS n FROM {retain_shop_customer_facts} WHERE typical_gap_days IS NOT NULL`,
  // The median gap, one sort per settings refresh (about a second at 1.4M contacts): a key on the gap
  // would cost every backfill more.
  gapAt: `SELECT typical_gap_days AS gap FROM {retain_shop_customer_facts} WHERE typical_gap_days IS NOT NULL ORDER BY typical_gap_days LIMIT 1 OFFSET ?`,
});
