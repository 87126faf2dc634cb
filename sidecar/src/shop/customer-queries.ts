import { defineQueries } from '../db/sql';

// Registered customers (users + usermeta) and guests known only from orders.
export const customerQueries = defineQueries({
  userByEmail: `SELECT ID, user_email, user_registered, display_name FROM {users} WHERE user_email = ? ORDER BY ID LIMIT 1`,
  userById: `SELECT ID, user_email, user_registered, display_name FROM {users} WHERE ID = ?`,
  userMeta: `SELECT meta_key, meta_value FROM {usermeta} WHERE user_id = ? AND meta_key IN (?)`,
  hposGuestOrderCount: `SELECT COUNT(*) AS n, MAX(id) AS last_id FROM {wc_orders} WHERE billing_email = ? AND customer_id = 0 AND type = 'shop_order'`,
  hposBillingOfOrder: `SELECT first_name, last_name, country FROM {wc_order_addresses} WHERE order_id = ? AND address_type = 'billing'`,
  legacyGuestOrderCount: `SELECT COUNT(*) AS n, MAX(order_id) AS last_id FROM {retain_shop_order_index} WHERE email = ? AND customer_id = 0`,
  legacyBillingOfOrder: `SELECT meta_key, meta_value FROM {postmeta} WHERE post_id = ? AND meta_key IN ('_billing_first_name','_billing_last_name','_billing_country')`,
});

export const productQueries = defineQueries({
  posts: `SELECT ID, post_parent, post_type, post_status, post_title, post_name, post_date_gmt, guid FROM {posts}
    WHERE ID IN (?) AND post_type IN ('product', 'product_variation')`,
  meta: `SELECT post_id, meta_key, meta_value FROM {postmeta} WHERE post_id IN (?) AND meta_key IN
    ('_price','_regular_price','_sale_price','_stock_status','_thumbnail_id','_crosssell_ids','_upsell_ids')`,
  attachments: `SELECT ID, guid FROM {posts} WHERE ID IN (?) AND post_type = 'attachment'`,
  categories: `SELECT tr.object_id, t.term_id, t.slug, t.name FROM {term_relationships} tr
    JOIN {term_taxonomy} tt ON tt.term_taxonomy_id = tr.term_taxonomy_id AND tt.taxonomy = 'product_cat'
    JOIN {terms} t ON t.term_id = tt.term_id WHERE tr.object_id IN (?)`,
  newArrivals: `SELECT ID FROM {posts} WHERE post_type = 'product' AND post_status = 'publish' AND post_date >= ? ORDER BY post_date DESC, ID DESC LIMIT ?`,
  permalinkOptions: `SELECT option_name, option_value FROM {options} WHERE option_name IN ('permalink_structure', 'woocommerce_permalinks')`,
});

export const cartQueries = defineQueries({
  persistentCart: `SELECT meta_value FROM {usermeta} WHERE user_id = ? AND meta_key = ? ORDER BY umeta_id DESC LIMIT 1`,
  persistentCartPage: `SELECT m.umeta_id, m.user_id, m.meta_value, u.user_email FROM {usermeta} m JOIN {users} u ON u.ID = m.user_id
    WHERE m.meta_key = ? AND m.umeta_id > ? ORDER BY m.umeta_id LIMIT ?`,
  session: `SELECT session_key, session_value, session_expiry FROM {woocommerce_sessions} WHERE session_key = ?`,
  sessionPage: `SELECT session_id, session_key, session_value, session_expiry FROM {woocommerce_sessions} WHERE session_id > ? AND session_expiry >= ? ORDER BY session_id LIMIT ?`,
});
