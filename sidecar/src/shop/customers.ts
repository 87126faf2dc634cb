import type { Row } from '../db/sql';
import type { ShopContext } from './context';
import type { OrderReader } from './orders';
import { phpUnserialize } from './php';
import type { Customer } from './types';
import { birthdayValue, gmtDate, intId, normaliseEmail } from './values';

export interface CustomerReader {
  /** A registered user with that e-mail (merged with their guest orders), else a guest known from orders, else null. */
  get(email: string): Promise<Customer | null>;
  byId(customerId: number): Promise<Customer | null>;
}

export function createCustomerReader(ctx: ShopContext, orders: OrderReader): CustomerReader {
  const q = ctx.q.customers;

  async function guestOrders(email: string): Promise<{ n: number; lastId: number }> {
    const hpos = await ctx.hpos();
    if (!hpos) await orders.syncIndex();
    const [r] = await ctx.rows(hpos ? q.hposGuestOrderCount : q.legacyGuestOrderCount, [email]);
    return { n: Number(r?.n ?? 0), lastId: intId(r?.last_id) };
  }

  async function fromUser(user: Row): Promise<Customer> {
    const capsKey = `${ctx.prefix}capabilities`;
    const keys = ['first_name', 'last_name', 'locale', 'billing_country', 'billing_first_name', 'billing_last_name', ctx.birthdayKey, capsKey];
    const meta = new Map<string, string>();
    for (const r of await ctx.rows(q.userMeta, [Number(user.ID), keys])) if (!meta.has(String(r.meta_key))) meta.set(String(r.meta_key), String(r.meta_value ?? ''));
    const caps = phpUnserialize(meta.get(capsKey));
    if (!caps.ok) {
      ctx.stats.skip('corrupt_serialized');
      ctx.log.warn({ code: 'shop_corrupt_serialized', what: 'capabilities', userId: Number(user.ID) }, 'unreadable serialized value skipped');
    }
    const roles = caps.ok && caps.value && typeof caps.value === 'object' ? Object.entries(caps.value as Record<string, unknown>).filter(([, v]) => v === true || v === 1).map(([k]) => k) : [];
    const rawBirthday = meta.get(ctx.birthdayKey);
    const birthday = birthdayValue(rawBirthday);
    if (rawBirthday && !birthday) ctx.stats.skip('invalid_birthday');
    const email = normaliseEmail(String(user.user_email)) ?? String(user.user_email);
    const signupAt = gmtDate(user.user_registered);
    return {
      email,
      customerId: Number(user.ID),
      roles,
      firstName: meta.get('first_name') || meta.get('billing_first_name') || '',
      lastName: meta.get('last_name') || meta.get('billing_last_name') || '',
      locale: meta.get('locale') ?? '',
      country: meta.get('billing_country') ?? '',
      birthday,
      signupAt,
      guestOrders: (await guestOrders(email)).n,
    };
  }

  async function get(rawEmail: string): Promise<Customer | null> {
    const email = normaliseEmail(rawEmail);
    if (!email) return null;
    const [user] = await ctx.rows(q.userByEmail, [email]);
    if (user) return fromUser(user);
    const guest = await guestOrders(email);
    if (!guest.n) return null;
    // A guest's name and country come from the billing address of their latest order.
    let first = '';
    let last = '';
    let country = '';
    if (await ctx.hpos()) {
      const [a] = await ctx.rows(q.hposBillingOfOrder, [guest.lastId]);
      first = String(a?.first_name ?? '');
      last = String(a?.last_name ?? '');
      country = String(a?.country ?? '');
    } else {
      for (const r of await ctx.rows(q.legacyBillingOfOrder, [guest.lastId])) {
        if (r.meta_key === '_billing_first_name') first = String(r.meta_value ?? '');
        if (r.meta_key === '_billing_last_name') last = String(r.meta_value ?? '');
        if (r.meta_key === '_billing_country') country = String(r.meta_value ?? '');
      }
    }
    return { email, customerId: null, roles: [], firstName: first, lastName: last, locale: '', country, birthday: null, signupAt: null, guestOrders: guest.n };
  }

  async function byId(customerId: number): Promise<Customer | null> {
    const id = intId(customerId);
    if (!id) return null;
    const [user] = await ctx.rows(q.userById, [id]);
    return user ? fromUser(user) : null;
  }

  return { get, byId };
}
