import type { Clock } from '../clock';
import type { Connection } from '../db/pool';
import type { Row } from '../db/sql';
import type { ShopEvent } from '../intake/event-schemas';
import type { Logger } from '../logger';
import { reportQueries } from './queries';

// Which Retain email, if any, earns an order. Rules, in order (docs/reports.md):
//  1. The order's own attribution (WooCommerce's last touch) names another source → nobody.
//  2. The last human click within the window is on the step the order's `<flow>-<step>` campaign
//     names → that email, confirmed.
//  3. The order names Retain and a step that was submitted to the contact within the window (no
//     click reported) → that email, confirmed.
//  4. Otherwise the last human click within the window → that email, unconfirmed.
//  5. Otherwise nobody. Opens never earn credit; the last human open is kept for a labelled view.

export const CART_FLOW = 'abandoned_cart';

/** Sources that say "no other campaign": typing the address is not a click on something else. */
const NEUTRAL_SOURCES = new Set(['', '(direct)', '(none)', 'direct']);

export interface Touch {
  messageId: number;
  flow: string;
  step: number;
  at: Date;
}

export type Basis = 'click' | 'utm' | 'other_source' | 'no_click';

export interface Decision {
  basis: Basis;
  credited: Touch | null;
  confirmed: boolean;
}

/** "abandoned_cart-3" → { flow: "abandoned_cart", step: 3 }. */
export function parseCampaign(campaign: string | null | undefined): { flow: string; step: number } | null {
  const m = /^([a-z0-9_]+)-(\d{1,4})$/i.exec((campaign ?? '').trim());
  return m ? { flow: m[1]!.toLowerCase(), step: Number(m[2]) } : null;
}

export function normalizeSource(source: string | null | undefined): string {
  return (source ?? '').trim().toLowerCase();
}

/** The pure rule; the recorder below only gathers its inputs. */
export function decide(input: { utmSource?: string | null; utmCampaign?: string | null; lastClick: Touch | null; campaignMessage: Touch | null }): Decision {
  const source = normalizeSource(input.utmSource);
  if (!NEUTRAL_SOURCES.has(source) && source !== 'retain') return { basis: 'other_source', credited: null, confirmed: false };
  const campaign = source === 'retain' ? parseCampaign(input.utmCampaign) : null;
  const sameStep = (t: Touch | null) => Boolean(t && campaign && t.flow === campaign.flow && t.step === campaign.step);
  if (input.lastClick && sameStep(input.lastClick)) return { basis: 'click', credited: input.lastClick, confirmed: true };
  if (campaign && input.campaignMessage && sameStep(input.campaignMessage)) return { basis: 'utm', credited: input.campaignMessage, confirmed: true };
  if (input.lastClick) return { basis: 'click', credited: input.lastClick, confirmed: false };
  return { basis: 'no_click', credited: null, confirmed: false };
}

const CREDITED: ReadonlySet<string> = new Set(['click', 'utm']);
const ORDER_EVENTS: ReadonlySet<string> = new Set(['order.created', 'order.status_changed', 'order.refunded']);
const touch = (r: Row | undefined): Touch | null => (r ? { messageId: Number(r.id), flow: String(r.flow), step: Number(r.step), at: r.at as Date } : null);

export type OrderRecorder = (conn: Connection, event: ShopEvent, contactId: number | null) => Promise<void>;

/**
 * Keeps one row per order from `order.created`, `order.status_changed` and `order.refunded`, and
 * (re)decides its attribution until an email is credited; from then on the decision stands, so a
 * later event (or pruned webhook rows) cannot take the credit away. A late click webhook is picked
 * up by the order's next event.
 */
export function createOrderRecorder(d: { prefix: string; clock: Clock; windowMs: number; log: Logger }): OrderRecorder {
  const q = reportQueries(d.prefix);

  async function redecide(conn: Connection, orderId: number, contactId: number | null): Promise<void> {
    const [rows] = await conn.query<Row[]>(q.orderById, [orderId]);
    const order = rows[0];
    if (!order || CREDITED.has(order.basis)) return;
    const orderedAt: Date = order.ordered_at;
    const since = new Date(orderedAt.getTime() - d.windowMs);
    const contact = contactId ?? (order.contact_id == null ? null : Number(order.contact_id));
    const customer = order.customer_id == null || Number(order.customer_id) === 0 ? null : Number(order.customer_id);
    // The contact by e-mail, and any contact known under the same customer account.
    const [contactRows] = await conn.query<Row[]>(q.contactsForOrder, [contact, customer]);
    const ids = contactRows.map((r) => Number(r.id));
    let lastClick: Touch | null = null;
    let lastOpen: Touch | null = null;
    let campaignMessage: Touch | null = null;
    let lastCart: Touch | null = null;
    if (ids.length) {
      const [clicks] = await conn.query<Row[]>(q.lastHumanEngagement, [ids, 'clicked', since, orderedAt]);
      const [opens] = await conn.query<Row[]>(q.lastHumanEngagement, [ids, 'opened', since, orderedAt]);
      const [carts] = await conn.query<Row[]>(q.lastSubmittedOfFlow, [ids, CART_FLOW, since, orderedAt]);
      lastClick = touch(clicks[0]);
      lastOpen = touch(opens[0]);
      lastCart = touch(carts[0]);
      const campaign = normalizeSource(order.utm_source) === 'retain' ? parseCampaign(order.utm_campaign) : null;
      if (campaign) {
        const [named] = await conn.query<Row[]>(q.lastSubmittedOfStep, [ids, campaign.flow, campaign.step, since, orderedAt]);
        campaignMessage = touch(named[0]);
      }
    }
    const decision = decide({ utmSource: order.utm_source, utmCampaign: order.utm_campaign, lastClick, campaignMessage });
    const c = decision.credited;
    await conn.query(q.updateDecision, [
      decision.basis, decision.confirmed ? 1 : 0, c?.flow ?? null, c?.step ?? null, c?.messageId ?? null,
      lastOpen?.flow ?? null, lastOpen?.step ?? null, lastOpen?.messageId ?? null,
      lastCart?.step ?? null, lastCart?.messageId ?? null, d.clock.now(), orderId,
    ]);
  }

  // Reports must never cost a shopper an email: a failure here is undone to a savepoint and logged,
  // and the event goes on to the flows as if reports did not exist.
  return async function recordOrderEvent(conn, event, contactId) {
    if (!ORDER_EVENTS.has(event.type)) return;
    await conn.query('SAVEPOINT retain_report');
    try {
      await record(conn, event, contactId);
      await conn.query('RELEASE SAVEPOINT retain_report');
    } catch (err) {
      await conn.query('ROLLBACK TO SAVEPOINT retain_report');
      d.log.warn({ event: event.id, type: event.type, code: (err as { code?: string })?.code ?? 'unknown' }, 'order not recorded for reports');
    }
  };

  async function record(conn: Connection, event: ShopEvent, contactId: number | null): Promise<void> {
    const now = d.clock.now();
    switch (event.type) {
      case 'order.created': {
        const e = event as ShopEvent<'order.created'>;
        const orderedAt = e.data.created_at ? new Date(e.data.created_at) : e.occurredAt;
        const a = e.data.attribution ?? {};
        await conn.query(q.insertOrder, [
          e.data.order_id, contactId, e.data.customer_id || null, e.data.status, e.data.currency, e.data.total, orderedAt,
          a.utm_source?.slice(0, 100) ?? null, a.utm_campaign?.slice(0, 100) ?? null, now,
        ]);
        // A refund reported before the order (events can arrive out of order) still counts.
        await conn.query(q.updateRefunded, [e.data.order_id, now, e.data.order_id]);
        await redecide(conn, e.data.order_id, contactId);
        return;
      }
      case 'order.status_changed': {
        const e = event as ShopEvent<'order.status_changed'>;
        await conn.query(q.updateOrderStatus, [e.data.to, e.data.total ?? null, now, e.data.order_id]);
        await redecide(conn, e.data.order_id, contactId);
        return;
      }
      case 'order.refunded': {
        const e = event as ShopEvent<'order.refunded'>;
        await conn.query(q.insertRefund, [e.data.order_id, e.data.refund_id, e.data.amount, e.occurredAt]);
        await conn.query(q.updateRefunded, [e.data.order_id, now, e.data.order_id]);
        return;
      }
      default:
        return;
    }
  }
}
