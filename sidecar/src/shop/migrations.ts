import type { Migration } from '../db/migrations';

// Derived tables the shop reader keeps beside WooCommerce's (versions 100 and up). They live in
// the shop's database so they can be joined with WooCommerce's tables; WooCommerce's own tables
// are never written. Everything here can be dropped and rebuilt from the shop.
/** The collation of the derived tables' e-mail keys; queries that split e-mails into ranges compare in it. */
export const SHOP_TABLES_COLLATION = 'utf8mb4_unicode_520_ci';
const table = (body: string) => `${body} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${SHOP_TABLES_COLLATION}`;

export const shopMigrations: Migration[] = [
  {
    version: 100,
    name: 'shop reader derived tables',
    statements: [
      // Cursors and small computed values (pair-mining cursor, last facts refresh).
      table(`CREATE TABLE {retain_shop_state} (
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        value VARCHAR(255) NOT NULL,
        updated_at DATETIME NOT NULL
      )`),
      // Legacy storage only: postmeta cannot be searched by e-mail with an index, so this maps
      // each shop_order to its normalised e-mail and customer (107 adds status and total).
      table(`CREATE TABLE {retain_shop_order_index} (
        order_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        email VARCHAR(191) NULL,
        customer_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
        created_gmt DATETIME NULL,
        KEY email_created (email, created_gmt),
        KEY customer_created (customer_id, created_gmt)
      )`),
      // One row per contact (normalised e-mail): the facts segments are computed from.
      table(`CREATE TABLE {retain_shop_customer_facts} (
        email VARCHAR(191) NOT NULL PRIMARY KEY,
        customer_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
        orders INT NOT NULL DEFAULT 0,
        paid_orders INT NOT NULL DEFAULT 0,
        first_paid_at DATETIME NULL,
        last_paid_at DATETIME NULL,
        gross DECIMAL(26,8) NOT NULL DEFAULT 0,
        refunded DECIMAL(26,8) NOT NULL DEFAULT 0,
        net DECIMAL(26,8) NOT NULL DEFAULT 0,
        typical_gap_days DECIMAL(10,2) NULL,
        signup_at DATETIME NULL,
        birthday CHAR(10) NULL,
        refreshed_at DATETIME NOT NULL,
        KEY paid_last (paid_orders, last_paid_at),
        KEY last_paid (last_paid_at),
        KEY net (net),
        KEY gap (typical_gap_days),
        KEY customer (customer_id)
      )`),
      // Bought-together mining: per product and per pair, the number of paid orders containing it.
      table(`CREATE TABLE {retain_shop_product_orders} (
        product_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        orders INT UNSIGNED NOT NULL
      )`),
      table(`CREATE TABLE {retain_shop_product_pairs} (
        product_a BIGINT UNSIGNED NOT NULL,
        product_b BIGINT UNSIGNED NOT NULL,
        orders INT UNSIGNED NOT NULL,
        PRIMARY KEY (product_a, product_b)
      )`),
    ],
  },
  {
    version: 101,
    name: 'shop reader scratch tables',
    statements: [
      // The backfill builds the facts here and swaps it in with one RENAME TABLE, so readers never
      // see a half-built table; after the swap it holds the previous generation until the next run.
      'CREATE TABLE {retain_shop_customer_facts_next} LIKE {retain_shop_customer_facts}',
      // Backfill scratch: refunds per order and paid-order aggregates per account, computed once.
      table(`CREATE TABLE {retain_shop_facts_refunds} (
        order_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        refunded DECIMAL(26,8) NOT NULL
      )`),
      table(`CREATE TABLE {retain_shop_facts_accounts} (
        customer_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        orders INT NOT NULL,
        paid_orders INT NOT NULL,
        first_paid_at DATETIME NULL,
        last_paid_at DATETIME NULL,
        gross DECIMAL(26,8) NOT NULL,
        refunded DECIMAL(26,8) NOT NULL,
        net DECIMAL(26,8) NOT NULL
      )`),
      // Bought-together mining: the (order, product) pairs of one chunk of paid orders, staged once.
      table(`CREATE TABLE {retain_shop_mine_chunk} (
        order_id BIGINT UNSIGNED NOT NULL,
        product_id BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (order_id, product_id)
      )`),
    ],
  },
  {
    version: 102,
    name: 'shop facts: covering indexes for the RFM cut points',
    statements: [
      // The loyal segment's quintile cut points are order statistics among paying contacts: with
      // paid_orders in the index, "the n-th paying contact by recency / by net spend" is an
      // index-only walk instead of a sort of every paying row. They supersede last_paid and net.
      ...['{retain_shop_customer_facts}', '{retain_shop_customer_facts_next}'].map((t) => `ALTER TABLE ${t}
        ADD KEY last_paid_orders (last_paid_at, paid_orders), ADD KEY net_paid (net, paid_orders),
        DROP KEY last_paid, DROP KEY net`),
    ],
  },
  {
    version: 103,
    name: 'shop reader: products of each order',
    statements: [
      // The parent product of every order's line items (any status; status is read live), caught up
      // by order id cursor and re-read for orders changed since (date_updated_gmt / post_modified_gmt):
      // "who bought product X" without walking every order's item meta (the replenishment scan).
      table(`CREATE TABLE {retain_shop_order_products} (
        product_id BIGINT UNSIGNED NOT NULL,
        order_id BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (product_id, order_id),
        KEY order_id (order_id)
      )`),
    ],
  },
  {
    version: 104,
    name: 'shop facts: guests staged apart, refunds summed per contact',
    statements: [
      // The backfill stages guests and refunds on a second connection while accounts are read, and
      // merges them at the end; the per-order refunds table and the accounts' refund columns go.
      'DROP TABLE IF EXISTS {retain_shop_facts_refunds}',
      'ALTER TABLE {retain_shop_facts_accounts} DROP COLUMN refunded, DROP COLUMN net',
      // Keyed by the e-mail's bytes (see facts-queries.ts: binary grouping).
      table(`CREATE TABLE {retain_shop_facts_guests} (
        email VARBINARY(764) NOT NULL PRIMARY KEY,
        customer_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
        orders INT NOT NULL,
        paid_orders INT NOT NULL,
        first_paid_at DATETIME NULL,
        last_paid_at DATETIME NULL,
        gross DECIMAL(26,8) NOT NULL
      )`),
      table(`CREATE TABLE {retain_shop_facts_refunds} (
        email VARCHAR(191) NOT NULL PRIMARY KEY,
        refunded DECIMAL(26,8) NOT NULL
      )`),
    ],
  },
  {
    version: 105,
    name: 'shop facts: accounts\' role and birthday staged per user; fewer keys to rebuild',
    statements: [
      // The backfill reads the two usermeta keys it needs once, beside the order scans, into a
      // small in-memory-groupable table (see facts-queries.ts: stageUsers).
      table(`CREATE TABLE {retain_shop_facts_users} (
        user_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        customer TINYINT NOT NULL DEFAULT 0,
        birthday VARCHAR(11) NULL
      )`),
      // Each secondary key costs every backfill a sort of every contact (about 3-5 s at 1.4M). Nothing
      // looks facts up by customer id; the segment counts read the covering last_paid_orders index
      // whole (under half a second at 1.4M) instead of paid_last; the median gap is one sort per
      // settings refresh instead of a key. The next generation is made again from the live table: a
      // backfill cut off mid-run leaves it without its secondary keys, and every backfill empties it.
      'ALTER TABLE {retain_shop_customer_facts} DROP KEY IF EXISTS customer, DROP KEY IF EXISTS paid_last, DROP KEY IF EXISTS gap',
      'DROP TABLE IF EXISTS {retain_shop_customer_facts_next}',
      'CREATE TABLE {retain_shop_customer_facts_next} LIKE {retain_shop_customer_facts}',
    ],
  },
  {
    version: 106,
    name: 'legacy order index: filled in bulk on a first run',
    statements: [
      // Scratch for filling retain_shop_order_index far behind (a first run on a big shop): each order's
      // billing e-mail (meta 1) and customer (meta 2), read through postmeta's meta_key index once.
      table(`CREATE TABLE {retain_shop_order_index_stage} (
        order_id BIGINT UNSIGNED NOT NULL,
        meta TINYINT UNSIGNED NOT NULL,
        value VARCHAR(191) NULL,
        PRIMARY KEY (order_id, meta)
      )`),
    ],
  },
  {
    version: 107,
    name: 'legacy order index: status and total kept, refunds mirrored',
    statements: [
      // The facts backfill reads the index alone, as HPOS reads wc_orders: looking each order's status
      // up in posts and its total in postmeta cost minutes on a big shop. Both are kept here, re-read for
      // orders modified since the last pass (see orders.ts: refreshIndex). Emptied so that it refills
      // in bulk with them.
      'TRUNCATE TABLE {retain_shop_order_index}',
      `ALTER TABLE {retain_shop_order_index} ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT '' AFTER created_gmt,
        ADD COLUMN total DECIMAL(26,8) NULL AFTER status`,
      // Refunds are separate posts with their amount in postmeta; mirrored by refund id, since deleting a
      // refund leaves its order's modified date alone. NULL amount: a refund without _refund_amount.
      table(`CREATE TABLE {retain_shop_refund_index} (
        refund_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        order_id BIGINT UNSIGNED NOT NULL,
        amount DECIMAL(26,8) NULL,
        KEY order_id (order_id)
      )`),
    ],
  },
];
