import type { ShopContext } from './context';
import { phpUnserialize, phpUnserializeNested } from './php';
import type { Cart, CartItem } from './types';
import { intId, money, normaliseEmail, unixDate } from './values';

const PAGE = 1000;

export interface CartReader {
  /** The logged-in customer's saved cart (usermeta _woocommerce_persistent_cart_{blog}); null when none or empty. */
  persistent(customerId: number): Promise<Cart | null>;
  /** A live WooCommerce session's cart (session_value is serialized twice). */
  session(sessionKey: string): Promise<Cart | null>;
  /** Every non-empty cart with a known e-mail: persistent carts and unexpired sessions. Bounded by the shop's live carts. */
  withEmail(): Promise<Cart[]>;
}

export function createCartReader(ctx: ShopContext): CartReader {
  const q = ctx.q.carts;
  const metaKey = () => `_woocommerce_persistent_cart_${ctx.options.blogId ?? 1}`;

  function items(raw: unknown, decimals: number): CartItem[] {
    if (!raw || typeof raw !== 'object') return [];
    const out: CartItem[] = [];
    for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!v || typeof v !== 'object') continue;
      const e = v as Record<string, unknown>;
      const productId = intId(e.product_id);
      if (!productId) continue;
      out.push({ key: String(e.key ?? key), productId, variationId: intId(e.variation_id), quantity: Number(e.quantity) || 1, lineTotal: e.line_total === undefined ? null : money(e.line_total, decimals) });
    }
    return out;
  }

  function corrupt(what: string): null {
    ctx.stats.skip('corrupt_serialized');
    ctx.log.warn({ code: 'shop_corrupt_serialized', what }, 'unreadable serialized value skipped');
    return null;
  }

  async function parsePersistent(customerId: number, raw: unknown, email: string | null): Promise<Cart | null> {
    const v = phpUnserialize(String(raw ?? ''));
    if (!v.ok) return corrupt('persistent_cart');
    const decimals = (await ctx.settings()).decimals;
    const cart = items((v.value as Record<string, unknown> | null)?.cart, decimals);
    if (!cart.length) return null;
    return { source: 'persistent', customerId, sessionKey: null, email, firstName: '', lastName: '', items: cart, total: null, expiresAt: null };
  }

  async function parseSession(key: string, raw: unknown, expiry: unknown): Promise<Cart | null> {
    const outer = phpUnserialize(String(raw ?? ''));
    if (!outer.ok || !outer.value || typeof outer.value !== 'object') return corrupt('session');
    const o = outer.value as Record<string, unknown>;
    const cart = phpUnserializeNested(o.cart);
    if (!cart.ok) return corrupt('session_cart');
    const decimals = (await ctx.settings()).decimals;
    const list = items(cart.value, decimals);
    if (!list.length) return null;
    // Only the keys we need are decoded: others (shipping rates) may hold PHP objects.
    const customer = phpUnserializeNested(o.customer);
    const c = customer.ok && customer.value && typeof customer.value === 'object' ? (customer.value as Record<string, unknown>) : {};
    const totals = phpUnserializeNested(o.cart_totals);
    const t = totals.ok && totals.value && typeof totals.value === 'object' ? (totals.value as Record<string, unknown>) : {};
    const registered = /^\d+$/.test(key) ? Number(key) : null;
    return {
      source: 'session', customerId: registered, sessionKey: key, email: normaliseEmail(String(c.email ?? '')),
      firstName: String(c.first_name ?? ''), lastName: String(c.last_name ?? ''), items: list,
      total: t.total === undefined ? null : money(t.total, decimals), expiresAt: unixDate(expiry),
    };
  }

  async function persistent(customerId: number): Promise<Cart | null> {
    const id = intId(customerId);
    if (!id) return null;
    const [r] = await ctx.rows(q.persistentCart, [id, metaKey()]);
    return r ? parsePersistent(id, r.meta_value, null) : null;
  }

  async function session(sessionKey: string): Promise<Cart | null> {
    const [r] = await ctx.rows(q.session, [String(sessionKey)]);
    return r ? parseSession(String(r.session_key), r.session_value, r.session_expiry) : null;
  }

  async function withEmail(): Promise<Cart[]> {
    const out: Cart[] = [];
    let after = 0;
    for (;;) {
      const rows = await ctx.rows(q.persistentCartPage, [metaKey(), after, PAGE]);
      for (const r of rows) {
        const cart = await parsePersistent(Number(r.user_id), r.meta_value, normaliseEmail(String(r.user_email)));
        if (cart) out.push(cart);
      }
      if (rows.length < PAGE) break;
      after = Number(rows[rows.length - 1]!.umeta_id);
    }
    const nowUnix = Math.floor(ctx.clock.now().getTime() / 1000);
    after = 0;
    for (;;) {
      const rows = await ctx.rows(q.sessionPage, [after, nowUnix, PAGE]);
      for (const r of rows) {
        const cart = await parseSession(String(r.session_key), r.session_value, r.session_expiry);
        if (cart?.email) out.push(cart);
      }
      if (rows.length < PAGE) break;
      after = Number(rows[rows.length - 1]!.session_id);
    }
    return out;
  }

  return { persistent, session, withEmail };
}
