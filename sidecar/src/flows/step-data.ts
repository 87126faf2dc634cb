import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import { DAY } from '../clock';
import type { Contact } from '../contacts/contacts';
import type { Db, Pool } from '../db/pool';
import type { Row } from '../db/sql';
import { productVars } from '../render/context';
import type { Job } from '../schedule/jobs';
import type { ShopReader } from '../shop/reader';
import type { Order, Product, Recommendation } from '../shop/types';
import { signToken } from '../signing/tokens';
import type { CouponClient } from './coupons';
import type { FlowDefinition } from './definitions';
import type { Enrollment, FlowEngine } from './flows';

/** A step with nothing worth showing (an up-sell with no pricier product) is dropped, not failed. */
export class NothingToShow extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NothingToShow';
  }
}

export interface StepDataInput {
  contact: Contact;
  enrollment: Enrollment;
  flow: FlowDefinition;
  job: Job;
  messageId: number;
}

const RESTORE_TTL = 14 * DAY;
const FEEDBACK_TTL = 60 * DAY;

/**
 * The flow-specific variables of one email (cart, order, products, recommendations, coupon…),
 * read fresh from the shop at send time. docs/templates.md lists what each step needs.
 */
export function createStepData(d: { pool: Pool; engine: FlowEngine; shop: ShopReader; clock: Clock; secret: string; publicUrl: string; coupons: CouponClient }) {
  const exp = (ttl: number) => Math.floor((d.clock.now().getTime() + ttl) / 1000);
  const ref = (c: Contact) => ({ email: c.email, customerId: c.customerId });
  const inStock = (p: Product) => p.stockStatus !== 'outofstock';
  const recs = (list: Recommendation[]) => list.filter((r) => inStock(r.product)).map((r) => productVars(r.product));

  async function lineItems(items: Array<{ product_id: number; variation_id?: number; quantity: number; price?: string; total?: string }>) {
    const ids = items.map((i) => i.variation_id || i.product_id);
    const products = new Map((await d.shop.products.get(ids)).map((p) => [p.id, p]));
    return items
      .map((i) => {
        const p = products.get(i.variation_id || i.product_id) ?? products.get(i.product_id);
        if (!p) return null; // deleted since it was carted
        const price = i.price ?? p.price ?? '0';
        const lineTotal = i.total ?? (Number(price) * i.quantity).toFixed(2);
        return { product: { id: p.id, title: p.title }, quantity: i.quantity, price, line_total: lineTotal, image: p.imageUrl, url: p.permalink };
      })
      .filter((x): x is NonNullable<typeof x> => x !== null);
  }

  const orderVars = async (o: Order, shopUrl: string) => ({
    number: String(o.id),
    date: o.createdAt ? o.createdAt.toISOString() : null,
    total: o.total,
    currency: o.currency,
    url: `${shopUrl}/my-account/view-order/${o.id}/`,
    line_items: await lineItems(o.items.map((i) => ({ product_id: i.productId, variation_id: i.variationId, quantity: i.quantity, price: (Number(i.total) / Math.max(1, i.quantity)).toFixed(2), total: i.total }))),
  });

  async function cartFor(db: Db, contact: Contact, enrollment: Enrollment, shopUrl: string, couponCode: string | null) {
    const key = enrollment.subject?.startsWith('cart:') ? enrollment.subject.slice(5) : null;
    const [rows] = key ? await db.query<Row[]>(d.engine.queries.cartFor, [key]) : [[] as Row[]];
    const items = rows[0] ? (JSON.parse(rows[0].items) as Parameters<typeof lineItems>[0]) : [];
    const lines = await lineItems(items);
    if (lines.length === 0) throw new NothingToShow('cart_empty');
    const token = signToken(d.secret, { p: 'restore', k: key, e: contact.email, n: randomBytes(8).toString('hex'), ...(couponCode ? { cp: couponCode } : {}), x: exp(RESTORE_TTL) });
    const total = lines.reduce((sum, l) => sum + Number(l.line_total), 0).toFixed(2);
    return { line_items: lines, total, item_count: lines.reduce((n, l) => n + l.quantity, 0), restore_url: `${shopUrl}/?retain_restore=${token}`, product_ids: items.map((i) => i.product_id) };
  }

  const feedbackUrls = (contact: Contact, messageId: number, flowId: string) => {
    const token = signToken(d.secret, { p: 'feedback', c: contact.id, m: messageId, f: flowId, x: exp(FEEDBACK_TTL) });
    const url = (answer: string) => `${d.publicUrl}/f/${token}?answer=${answer}`;
    return { shipping: url('shipping'), price: url('price'), just_looking: url('just_looking') };
  };

  return async function stepData({ contact, enrollment, flow, job, messageId }: StepDataInput): Promise<Record<string, unknown>> {
    const db = d.pool;
    const shop = await d.shop.settings();
    const step = flow.steps[(job.step ?? 1) - 1];
    const coupon = step?.coupon ? await d.coupons({ email: contact.email, spec: step.coupon, idempotencyKey: `retain-job-${job.id}`, shopUrl: shop.url }) : null;
    const out: Record<string, unknown> = { coupon };
    const orderId = enrollment.subject?.startsWith('order:') ? Number(enrollment.subject.slice(6)) : null;

    switch (flow.id) {
      case 'abandoned_cart': {
        const cart = await cartFor(db, contact, enrollment, shop.url, coupon?.code ?? null);
        out.cart = cart;
        out.recommendations = recs(await d.shop.recommendations.forCart(cart.product_ids, ref(contact), 4));
        out.feedback_urls = feedbackUrls(contact, messageId, flow.id);
        break;
      }
      case 'abandoned_checkout': {
        const order = orderId ? await d.shop.orders.get(orderId) : null;
        if (!order) throw new NothingToShow('order_gone');
        const lines = await lineItems(order.items.map((i) => ({ product_id: i.productId, variation_id: i.variationId, quantity: i.quantity, total: i.total })));
        out.cart = { line_items: lines, total: order.total, item_count: lines.reduce((n, l) => n + l.quantity, 0), restore_url: `${shop.url}/checkout/` };
        break;
      }
      case 'browse_abandonment': {
        const [views] = await db.query<Row[]>(d.engine.queries.viewedSince, [contact.id, new Date(enrollment.startedAt.getTime() - DAY)]);
        const viewed = (await d.shop.products.get(views.map((v) => Number(v.product_id)))).filter(inStock);
        if (viewed.length === 0) throw new NothingToShow('viewed_products_gone');
        out.products = viewed.slice(0, 6).map(productVars);
        out.recommendations = recs(await d.shop.recommendations.forCart(viewed.map((p) => p.id), ref(contact), 4));
        out.feedback_urls = feedbackUrls(contact, messageId, flow.id);
        break;
      }
      case 'post_purchase':
      case 'review_request': {
        const order = orderId ? await d.shop.orders.get(orderId) : null;
        if (!order) throw new NothingToShow('order_gone');
        out.order = await orderVars(order, shop.url);
        const r = recs(await d.shop.recommendations.forOrder(order.id, 8));
        out.recommendations = r.slice(0, 4);
        if (job.step === 3 && flow.id === 'post_purchase') {
          // The up-sell: pricier than what they bought, never cheaper.
          const paid = Math.max(...order.items.map((i) => Number(i.total) / Math.max(1, i.quantity)));
          const pricier = r.filter((p) => Number(p.price ?? 0) > paid);
          if (pricier.length === 0) throw new NothingToShow('no_pricier_product');
          out.products = pricier.slice(0, 4);
        }
        if (job.step === 2 && r.length === 0) throw new NothingToShow('no_recommendation');
        break;
      }
      case 'first_customer':
      case 'birthday':
      case 'win_back':
      case 'vip': {
        out.recommendations = recs(await d.shop.recommendations.forContact(ref(contact), 4));
        if (flow.id === 'vip') {
          const facts = await d.shop.facts.forContact(ref(contact));
          out.loyalty = { orders: facts?.paidOrders ?? 0, total_spent: facts?.totalSpent ?? '0' };
        }
        break;
      }
      case 'anniversary': {
        // Subject "anniversary:<first_order|signup>:<years>"; the date shown is the occasion's own.
        const [, kind = 'signup', count = '1'] = enrollment.subject?.split(':') ?? [];
        const years = Number(count) || 1;
        const facts = kind === 'first_order' ? await d.shop.facts.forContact(ref(contact)) : null;
        const since = kind === 'first_order' ? facts?.firstPaidAt : contact.createdAt;
        out.anniversary = { years, kind, date: (since ?? enrollment.startedAt).toISOString() };
        out.recommendations = recs(await d.shop.recommendations.forContact(ref(contact), 4));
        break;
      }
      case 'replenishment': {
        // Subject "replenish:<last purchase>:<due>:<product ids>": the products to re-order, still sold.
        const [, lastDay, , idList = ''] = enrollment.subject?.split(':') ?? [];
        const ids = idList.split(',').map(Number).filter((n) => n > 0);
        const products = (await d.shop.products.get(ids)).filter(inStock);
        if (products.length === 0) throw new NothingToShow('replenishable_products_gone');
        out.products = products.map(productVars);
        const last = (await d.shop.orders.forContact(ref(contact), { limit: 20 })).find((o) => o.items.some((i) => ids.includes(i.productId)));
        out.order = last ? await orderVars(last, shop.url) : { number: null, date: lastDay ? `${lastDay}T00:00:00.000Z` : null, total: null, currency: shop.currency, url: null, line_items: [] };
        break;
      }
      case 'confirm_subscription': {
        out.confirm_url = `${d.publicUrl}/c/${signToken(d.secret, { p: 'confirm', c: contact.id, x: exp(7 * DAY) })}`;
        break;
      }
      case 'reengagement': {
        out.recommendations = recs(await d.shop.recommendations.forContact(ref(contact), 4));
        out.stay_url = `${d.publicUrl}/s/${signToken(d.secret, { p: 'stay', c: contact.id, x: exp(FEEDBACK_TTL) })}`;
        break;
      }
      case 'search_abandonment': {
        const query = enrollment.subject?.startsWith('search:') ? enrollment.subject.slice(7).split(':').slice(1).join(':') : '';
        out.search = { query, url: `${shop.url}/?s=${encodeURIComponent(query)}&post_type=product` };
        out.recommendations = recs(await d.shop.recommendations.forContact(ref(contact), 4));
        break;
      }
    }
    return out;
  };
}

export type StepData = ReturnType<typeof createStepData>;
