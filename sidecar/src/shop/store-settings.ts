import type { Pool } from '../db/pool';
import type { Row } from '../db/sql';
import { shopQueries } from './queries';

export interface StoreSettings {
  name: string;
  url: string;
  adminEmail: string;
  currency: string;
  /** WooCommerce's `woocommerce_currency_pos`: left, right, left_space, right_space. */
  currencyPosition: 'left' | 'right' | 'left_space' | 'right_space';
  decimals: number;
  thousandSeparator: string;
  decimalSeparator: string;
  /** An IANA zone, or a fixed offset such as "+02:00" when the shop set only gmt_offset. */
  timezone: string;
  locale: string;
  address: { line1: string; line2: string; city: string; postcode: string; country: string; state: string };
  /** True when HPOS (wc_orders) is the authoritative order storage. */
  hpos: boolean;
}

const OPTION_NAMES = [
  'blogname', 'siteurl', 'home', 'admin_email', 'timezone_string', 'gmt_offset', 'WPLANG',
  'woocommerce_currency', 'woocommerce_currency_pos', 'woocommerce_price_num_decimals',
  'woocommerce_price_thousand_sep', 'woocommerce_price_decimal_sep', 'woocommerce_store_address',
  'woocommerce_store_address_2', 'woocommerce_store_city', 'woocommerce_store_postcode',
  'woocommerce_default_country', 'woocommerce_custom_orders_table_enabled',
];

export function offsetToZone(gmtOffset: string): string {
  const hours = Number(gmtOffset || 0);
  if (!Number.isFinite(hours) || hours === 0) return 'UTC';
  const sign = hours < 0 ? '-' : '+';
  const abs = Math.abs(hours);
  const h = Math.floor(abs);
  const m = Math.round((abs - h) * 60);
  return `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** WordPress stores blogname and term names HTML-escaped (`Brew &amp; Leaf Co.`); e-mails want the text. */
export function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#0?39|#8217|#038|apos);/g, (_m, e: string) =>
    ({ amp: '&', lt: '<', gt: '>', quot: '"', '#039': "'", '#39': "'", '#8217': '\u2019', '#038': '&', apos: "'" })[e] ?? _m);
}

export async function readStoreSettings(pool: Pool, prefix: string): Promise<StoreSettings> {
  const [rows] = await pool.query<Row[]>(shopQueries(prefix).options, [OPTION_NAMES]);
  const o = new Map(rows.map((r) => [String(r.option_name), String(r.option_value ?? '')]));
  const get = (k: string, fallback = '') => o.get(k) ?? fallback;
  // woocommerce_default_country is "US:CA" (country:state) or just "IL".
  const [country = '', state = ''] = get('woocommerce_default_country').split(':');
  const position = get('woocommerce_currency_pos', 'left');
  const decimals = Number.parseInt(get('woocommerce_price_num_decimals', '2'), 10);
  return {
    name: decodeEntities(get('blogname', 'Our shop')),
    url: (get('home') || get('siteurl')).replace(/\/+$/, ''),
    adminEmail: get('admin_email'),
    currency: get('woocommerce_currency', 'USD') || 'USD',
    currencyPosition: (['left', 'right', 'left_space', 'right_space'].includes(position) ? position : 'left') as StoreSettings['currencyPosition'],
    decimals: Number.isFinite(decimals) && decimals >= 0 ? decimals : 2,
    thousandSeparator: get('woocommerce_price_thousand_sep', ','),
    decimalSeparator: get('woocommerce_price_decimal_sep', '.') || '.',
    timezone: get('timezone_string') || offsetToZone(get('gmt_offset')),
    locale: get('WPLANG') || 'en_US',
    address: {
      line1: get('woocommerce_store_address'),
      line2: get('woocommerce_store_address_2'),
      city: get('woocommerce_store_city'),
      postcode: get('woocommerce_store_postcode'),
      country,
      state,
    },
    hpos: get('woocommerce_custom_orders_table_enabled') === 'yes',
  };
}
