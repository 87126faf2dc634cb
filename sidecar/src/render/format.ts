// The pure functions behind the template filters (money, date, image_url, product_url). Each takes
// the render environment explicitly so it can be tested without a template.

export type CurrencyPosition = 'left' | 'right' | 'left_space' | 'right_space';

export interface FormatEnv {
  /** Strings file in use (`he`), and the tag Intl formats with (`he-IL`). */
  language: string;
  locale: string;
  /** The shop's own language (`en` from `en_US`). */
  shopLanguage: string;
  currency: string;
  currencyPosition: CurrencyPosition;
  decimals: number;
  thousandSeparator: string;
  decimalSeparator: string;
  /** `shop`: always WooCommerce's format; `auto`: WooCommerce's in the shop's language, Intl otherwise. */
  moneyFormat: 'shop' | 'auto';
  /** IANA zone, or a fixed offset such as "+02:00". */
  timezone: string;
  flow: string;
  step: number | string;
}

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || !value.trim()) return null;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : null;
}

const symbols = new Map<string, string>();
export function currencySymbol(currency: string): string {
  let s = symbols.get(currency);
  if (s === undefined) {
    try {
      s = new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' }).formatToParts(0).find((p) => p.type === 'currency')?.value ?? currency;
    } catch {
      s = currency;
    }
    symbols.set(currency, s);
  }
  return s;
}

function groupThousands(digits: string, sep: string): string {
  return sep ? digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep) : digits;
}

/** WooCommerce's wc_price(): the shop's decimals, separators, symbol and its position. */
export function wooMoney(n: number, env: FormatEnv, currency = env.currency): string {
  const [int, frac] = Math.abs(n).toFixed(env.decimals).split('.');
  const number = groupThousands(int!, env.thousandSeparator) + (frac ? env.decimalSeparator + frac : '');
  const sym = currencySymbol(currency);
  const pos = env.currencyPosition;
  const body = pos === 'right' ? number + sym : pos === 'left_space' ? `${sym}\u00a0${number}` : pos === 'right_space' ? `${number}\u00a0${sym}` : sym + number;
  return n < 0 ? `-${body}` : body;
}

const numberFormats = new Map<string, Intl.NumberFormat>();
function intlMoney(n: number, env: FormatEnv, currency: string): string {
  const key = `${env.locale}|${currency}|${env.decimals}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(env.locale, { style: 'currency', currency, minimumFractionDigits: env.decimals, maximumFractionDigits: env.decimals });
    numberFormats.set(key, f);
  }
  return f.format(n);
}

/**
 * `{{ 12.5 | money }}`: the shop's WooCommerce format when the email is in the shop's language (or
 * the shop forces it), so prices read as on the storefront; in another language, Intl.NumberFormat
 * for the reader's locale, in the shop's currency and number of decimals. Empty for null/''.
 */
export function money(value: unknown, env: FormatEnv, currency?: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const n = toNumber(value);
  if (n === null) throw new Error(`money: "${String(value)}" is not an amount`);
  const cur = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : env.currency;
  if (env.moneyFormat === 'shop' || env.language.split('-')[0] === env.shopLanguage) return wooMoney(n, env, cur);
  try {
    return intlMoney(n, env, cur);
  } catch {
    return wooMoney(n, env, cur);
  }
}

/** "+02:00" → minutes east of UTC; null for an IANA name. */
export function offsetMinutes(tz: string): number | null {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (!m) return tz === 'UTC' ? 0 : null;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

export function toDate(value: unknown, now: () => Date = () => new Date()): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (value === 'now' || value === 'today') return now();
  if (typeof value === 'number') return new Date(value < 1e12 ? value * 1000 : value);
  if (typeof value === 'string' && value.trim()) {
    // A bare Y-m-d is a calendar date (a birthday, an expiry day): keep that day in every zone.
    const ymd = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
    if (ymd) return new Date(Date.UTC(Number(ymd[1]), Number(ymd[2]) - 1, Number(ymd[3]), 12));
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

const STYLES: Record<string, Intl.DateTimeFormatOptions> = {
  short: { dateStyle: 'short' },
  medium: { dateStyle: 'medium' },
  long: { dateStyle: 'long' },
  full: { dateStyle: 'full' },
  datetime: { dateStyle: 'long', timeStyle: 'short' },
  time: { timeStyle: 'short' },
  month_day: { month: 'long', day: 'numeric' },
  month_year: { month: 'long', year: 'numeric' },
};
export const DATE_STYLES = Object.keys(STYLES);

const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** `{{ order.date | date: 'long' }}`: localized for the reader, in the shop's time zone. */
export function formatDate(value: unknown, env: FormatEnv, style = 'long'): string {
  if (value === null || value === undefined || value === '') return '';
  const date = toDate(value);
  if (!date) throw new Error(`date: "${String(value)}" is not a date`);
  if (style === 'iso') return date.toISOString();
  const opts = STYLES[style];
  if (!opts) throw new Error(`date: unknown style "${style}" (${DATE_STYLES.join(', ')}, iso, or a strftime format with %)`);
  // Intl on Node 20 takes IANA zones only: a fixed offset is applied by hand and formatted as UTC.
  const offset = offsetMinutes(env.timezone);
  const zone = offset === null ? env.timezone : 'UTC';
  const shifted = offset === null ? date : new Date(date.getTime() + offset * 60_000);
  const key = `${env.locale}|${zone}|${style}`;
  let f = dateFormats.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(env.locale, { ...opts, timeZone: zone });
    } catch {
      f = new Intl.DateTimeFormat(env.locale, { ...opts, timeZone: 'UTC' });
    }
    dateFormats.set(key, f);
  }
  return f.format(shifted);
}

// WooCommerce's registered image sizes. Only the cropped ones have a predictable file name
// (`photo-300x300.jpg`); for the others the original is passed through.
export const IMAGE_SIZES: Record<string, { w: number; h: number; crop: boolean }> = {
  thumbnail: { w: 150, h: 150, crop: true },
  woocommerce_gallery_thumbnail: { w: 100, h: 100, crop: true },
  woocommerce_thumbnail: { w: 300, h: 300, crop: true },
  woocommerce_single: { w: 600, h: 0, crop: false },
  medium: { w: 300, h: 300, crop: false },
  large: { w: 1024, h: 1024, crop: false },
  full: { w: 0, h: 0, crop: false },
};

/**
 * `{{ product.image | image_url: 'woocommerce_thumbnail' }}`: for a WordPress upload
 * (`/wp-content/uploads/…/name.jpg`) of a cropped size, the `-WxH` file WordPress generated
 * (replacing any size suffix already there); `'300x300'` asks for that exact file. Anything else,
 * or an unknown size, is passed through unchanged. Empty for null.
 */
export function imageUrl(url: unknown, size?: unknown): string {
  if (url === null || url === undefined || url === '') return '';
  const s = String(url);
  if (size === undefined || size === null || size === '' || size === 'full') return s;
  let dims: { w: number; h: number } | null = null;
  const exact = /^(\d{2,4})x(\d{2,4})$/.exec(String(size));
  if (exact) dims = { w: Number(exact[1]), h: Number(exact[2]) };
  else {
    const named = IMAGE_SIZES[String(size)];
    if (!named) throw new Error(`image_url: unknown size "${String(size)}" (${Object.keys(IMAGE_SIZES).join(', ')} or WxH)`);
    if (named.crop) dims = { w: named.w, h: named.h };
  }
  if (!dims) return s;
  const m = /^(https?:\/\/[^?#]*\/wp-content\/uploads\/[^?#]*?)(-\d{2,5}x\d{2,5})?(\.(?:jpe?g|png|gif|webp))([?#].*)?$/i.exec(s);
  if (!m) return s;
  return `${m[1]}-${dims.w}x${dims.h}${m[3]}${m[4] ?? ''}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * `{{ product.url | product_url }}`: adds utm_source=retain, utm_medium=email and
 * utm_campaign=<flow>-<step> (an optional argument adds utm_content). Existing parameters are kept
 * byte for byte, so signed tokens stay valid, and a utm_* already present wins. The fragment stays last.
 */
const taggedUrls = new Map<string, string>();
export function productUrl(url: unknown, env: Pick<FormatEnv, 'flow' | 'step'>, content?: unknown): string {
  if (url === null || url === undefined || url === '') return '';
  // The same products recur in email after email (and twice in each line item): remember the answers.
  const raw = String(url);
  const campaign = `${env.flow}-${env.step}`;
  // Length prefixes keep the key unambiguous whatever the address holds.
  const key = `${raw.length}:${raw}${campaign.length}:${campaign}${content === undefined || content === null ? '' : `=${String(content)}`}`;
  let tagged = taggedUrls.get(key);
  if (tagged === undefined) {
    tagged = tagUrl(raw, env, content);
    if (taggedUrls.size >= 5_000) taggedUrls.clear();
    taggedUrls.set(key, tagged);
  }
  return tagged;
}

function tagUrl(raw: string, env: Pick<FormatEnv, 'flow' | 'step'>, content?: unknown): string {
  if (!/^https?:\/\//i.test(raw)) return raw;
  // "https://shop.test" gets its root path before the query: "https://shop.test/?utm_…".
  const s = /^https?:\/\/[^/?#]+$/i.test(raw) ? `${raw}/` : /^https?:\/\/[^/?#]+[?#]/i.test(raw) ? raw.replace(/^(https?:\/\/[^/?#]+)/i, '$1/') : raw;
  const hashAt = s.indexOf('#');
  const base = hashAt === -1 ? s : s.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : s.slice(hashAt);
  const q = base.indexOf('?');
  const existing = new Set(
    (q === -1 ? '' : base.slice(q + 1))
      .split('&')
      .filter(Boolean)
      .map((p) => safeDecode(p.split('=')[0]!.replace(/\+/g, ' '))),
  );
  const add: Array<[string, string]> = [
    ['utm_source', 'retain'],
    ['utm_medium', 'email'],
    ['utm_campaign', `${env.flow}-${env.step}`],
  ];
  if (content !== undefined && content !== null && content !== '') add.push(['utm_content', String(content)]);
  const extra = add.filter(([k]) => !existing.has(k)).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  if (!extra.length) return s;
  const sep = q === -1 ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${extra.join('&')}${hash}`;
}
