import type { Context, Liquid } from 'liquidjs';
import { formatDate, imageUrl, money, productUrl, type FormatEnv } from './format';
import { translate, type StringsBundle } from './i18n';

/** Per-render environment, passed in the render's globals under a key no template can name. */
export const RENDER_ENV: unique symbol = Symbol('retain.render-env');

export interface RenderEnv {
  format: FormatEnv;
  bundles: Map<string, StringsBundle>;
}

/** The filters Retain adds (besides liquidjs's standard ones such as `default`). */
export const FILTER_NAMES = ['money', 'date', 'image_url', 'product_url', 't', 'offer'] as const;

type This = { context: Context };

function env(self: This): RenderEnv {
  const e = (self.context.globals as Record<symbol, RenderEnv | undefined>)[RENDER_ENV];
  if (!e) throw new Error('rendered outside the Retain renderer (no render environment)');
  return e;
}

/** liquidjs passes keyword arguments (`t: name: x`) as [key, value] pairs. */
function keywordArgs(args: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const a of args) if (Array.isArray(a) && a.length === 2 && typeof a[0] === 'string') out[a[0]] = a[1];
  return out;
}

export function registerFilters(engine: Liquid): void {
  const builtinDate = engine.filters.date;
  engine.registerFilter('money', function (this: This, value: unknown, currency?: unknown) {
    return money(value, env(this).format, currency);
  });
  engine.registerFilter('date', function (this: This, value: unknown, style?: unknown, ...rest: unknown[]) {
    // strftime formats ("%B %-d") keep liquidjs's own filter, in the shop's time zone.
    if (typeof style === 'string' && style.includes('%') && builtinDate) {
      const handler = typeof builtinDate === 'function' ? builtinDate : builtinDate.handler;
      return handler.call(this as never, value, style, rest[0] ?? env(this).format.timezone);
    }
    return formatDate(value, env(this).format, typeof style === 'string' ? style : undefined);
  });
  engine.registerFilter('image_url', (value: unknown, size?: unknown) => imageUrl(value, size));
  engine.registerFilter('product_url', function (this: This, value: unknown, content?: unknown) {
    return productUrl(value, env(this).format, content);
  });
  engine.registerFilter('t', function (this: This, key: unknown, ...args: unknown[]) {
    const e = env(this);
    return translate(e.bundles, e.format.language, e.format.locale, String(key), keywordArgs(args));
  });
  engine.registerFilter('offer', function (this: This, coupon: unknown) {
    const e = env(this);
    return offerText(coupon, (key, args) => translate(e.bundles, e.format.language, e.format.locale, key, args), e.format);
  });
}

/** `{{ coupon | offer }}`: what a coupon is worth, in words ("10% off", "€5.00 off", "Free shipping"). */
export function offerText(coupon: unknown, t: (key: string, args: Record<string, unknown>) => string, format: Parameters<typeof money>[1]): string {
  if (!coupon || typeof coupon !== 'object') return '';
  const c = coupon as { type?: unknown; amount?: unknown };
  if (c.type === 'free_shipping') return t('coupon.free_shipping', {});
  if (c.type === 'percent') {
    const n = Number(c.amount);
    if (!Number.isFinite(n)) throw new Error(`offer: "${String(c.amount)}" is not a percentage`);
    return t('coupon.percent_off', { amount: n });
  }
  return t('coupon.amount_off', { amount: money(c.amount, format) });
}
