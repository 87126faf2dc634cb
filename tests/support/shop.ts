import type { Pool } from '../../sidecar/src/db/pool';
import { generateShop } from '../../sidecar/src/shop/generator/generate';

/**
 * A small real WooCommerce shop (the generator writes WooCommerce's table layout) with the store
 * settings the spine's tests assert on.
 */
export async function seedShop(url: string, pool: Pool, prefix: string, overrides: Record<string, string> = {}): Promise<void> {
  await generateShop({ url, prefix, customers: 20, orders: 40, products: 8, seed: 3, timezone: 'Europe/Berlin', currency: 'EUR', replace: true });
  await seedStoreOptions(pool, prefix, overrides);
}

/**
 * WordPress's own `options` table with the store settings the spine reads. The full shop (orders,
 * products, users) comes from the generator; the spine's tests only need who the shop is.
 */
export async function seedStoreOptions(pool: Pool, prefix: string, overrides: Record<string, string> = {}): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS \`${prefix}options\` (
    option_id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
    option_name varchar(191) NOT NULL DEFAULT '',
    option_value longtext NOT NULL,
    autoload varchar(20) NOT NULL DEFAULT 'yes',
    PRIMARY KEY (option_id),
    UNIQUE KEY option_name (option_name),
    KEY autoload (autoload)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci`);
  const options: Record<string, string> = {
    blogname: 'Brew & Leaf Co.',
    siteurl: 'https://shop.example.test',
    home: 'https://shop.example.test',
    admin_email: 'owner@shop.example.test',
    timezone_string: 'Europe/Berlin',
    woocommerce_currency: 'EUR',
    woocommerce_currency_pos: 'right_space',
    woocommerce_price_num_decimals: '2',
    woocommerce_price_thousand_sep: '.',
    woocommerce_price_decimal_sep: ',',
    woocommerce_store_address: 'Kastanienallee 12',
    woocommerce_store_city: 'Berlin',
    woocommerce_store_postcode: '10435',
    woocommerce_default_country: 'DE',
    woocommerce_custom_orders_table_enabled: 'yes',
    ...overrides,
  };
  for (const [name, value] of Object.entries(options)) {
    await pool.query(`REPLACE INTO \`${prefix}options\` (option_name, option_value) VALUES (?, ?)`, [name, value]);
  }
}

let nextOrderId = 900_000;

/**
 * Places an order the way WooCommerce's HPOS storage holds it (wc_orders plus line items and
 * their meta), so the shop reader sees it exactly as it would see a real checkout.
 */
export async function placeOrder(
  pool: Pool,
  prefix: string,
  o: { email: string; customerId?: number; status: string; createdAt: Date; total?: string; items?: Array<{ productId: number; quantity: number; total: string; name?: string }> },
): Promise<number> {
  const id = ++nextOrderId;
  const at = o.createdAt.toISOString().slice(0, 19).replace('T', ' ');
  await pool.query(
    `INSERT INTO \`${prefix}wc_orders\` (id, status, currency, type, tax_amount, total_amount, customer_id, billing_email, date_created_gmt, date_updated_gmt, parent_order_id)
     VALUES (?, ?, 'EUR', 'shop_order', 0, ?, ?, ?, ?, ?, 0)`,
    [id, `wc-${o.status}`, o.total ?? '25.00', o.customerId ?? 0, o.email, at, at],
  );
  for (const item of o.items ?? []) {
    const [res] = await pool.query<import('mysql2').ResultSetHeader>(
      `INSERT INTO \`${prefix}woocommerce_order_items\` (order_item_name, order_item_type, order_id) VALUES (?, 'line_item', ?)`,
      [item.name ?? `Product ${item.productId}`, id],
    );
    for (const [key, value] of [['_product_id', item.productId], ['_variation_id', 0], ['_qty', item.quantity], ['_line_total', item.total], ['_line_subtotal', item.total]] as const) {
      await pool.query(`INSERT INTO \`${prefix}woocommerce_order_itemmeta\` (order_item_id, meta_key, meta_value) VALUES (?, ?, ?)`, [res.insertId, key, String(value)]);
    }
  }
  return id;
}

export async function setOrderStatus(pool: Pool, prefix: string, orderId: number, status: string): Promise<void> {
  await pool.query(`UPDATE \`${prefix}wc_orders\` SET status = ? WHERE id = ?`, [`wc-${status}`, orderId]);
}

/** Published, in-stock products of the generated shop. */
export async function someProducts(pool: Pool, prefix: string, n: number): Promise<Array<{ id: number; price: string }>> {
  const [rows] = await pool.query<import('mysql2').RowDataPacket[]>(
    `SELECT p.ID AS id, m.meta_value AS price FROM \`${prefix}posts\` p
     JOIN \`${prefix}postmeta\` m ON m.post_id = p.ID AND m.meta_key = '_price'
     JOIN \`${prefix}postmeta\` s ON s.post_id = p.ID AND s.meta_key = '_stock_status' AND s.meta_value = 'instock'
     WHERE p.post_type = 'product' AND p.post_status = 'publish' ORDER BY p.ID LIMIT ?`,
    [n],
  );
  return rows.map((r) => ({ id: Number(r.id), price: String(r.price) }));
}
