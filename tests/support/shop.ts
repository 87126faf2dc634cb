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
