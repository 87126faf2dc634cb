import { DAY, HOUR, type Clock } from '../clock';
import type { Db } from '../db/pool';
import type { EventData, EventType, ShopEvent } from '../intake/event-schemas';
import type { ShopReader } from '../shop/reader';
import type { FlowDefinition } from './definitions';
import { settingNumber, type FlowEngine } from './flows';

// How shop events move contacts into and out of the event-triggered flows. The send-time gate
// re-checks everything against the shop before each email; these rules only decide who enters,
// and end a flow early when an event makes it pointless (an order ends the cart reminders).

export interface TriggerDeps {
  engine: FlowEngine;
  clock: Clock;
  shop: ShopReader;
  /** processing, completed and the shop's extra paid statuses. */
  paidStatuses: string[];
}

export interface TriggerInput {
  db: Db;
  event: ShopEvent;
  contactId: number;
  consent: 'unknown' | 'granted' | 'revoked' | 'pending';
}

const UNPAID = ['pending', 'failed'];
/** Flows an order of any kind makes pointless. */
const ENDED_BY_ORDER = ['abandoned_cart', 'browse_abandonment', 'search_abandonment'];

export function createTriggers(d: TriggerDeps) {
  const { engine } = d;
  const isPaid = (status: string) => d.paidStatuses.includes(status);

  /** Flows count from when it happened in the shop, not from when we heard of it (never ahead of now). */
  const happenedAt = (i: TriggerInput) => new Date(Math.min(i.event.occurredAt.getTime(), d.clock.now().getTime()));

  /** The enabled flow, when the contact may enter it. */
  function eligible(id: string, consent: TriggerInput['consent']): FlowDefinition | null {
    const flow = engine.flowById(id);
    if (!flow || !flow.enabled) return null;
    if (flow.purpose === 'marketing' && consent !== 'granted') return null;
    return flow;
  }

  async function onCart(i: TriggerInput, data: EventData<'cart.updated'>): Promise<string[]> {
    const subject = `cart:${data.cart_key}`;
    if (data.items.length === 0) return engine.exitAll(i.db, i.contactId, ['abandoned_cart'], 'cart_emptied');
    const flow = eligible('abandoned_cart', i.consent);
    if (!flow) return [];
    const [current] = await engine.active(i.db, i.contactId, flow.id);
    if (current) {
      // Still shopping: the countdown starts again. Once reminders went out, a changed cart is a
      // new cart, and its series may start at most once per `restart_after_hours`.
      if ((await engine.stepsSent(i.db, current)) === 0) {
        await engine.restart(i.db, current, subject, happenedAt(i));
        return [];
      }
      await engine.exit(i.db, current, 'cart_replaced');
      const earliest = new Date(current.startedAt.getTime() + settingNumber(flow, 'restart_after_hours', 24) * HOUR);
      const start = new Date(Math.max(earliest.getTime(), happenedAt(i).getTime()));
      return (await engine.enroll(i.db, { flow, contactId: i.contactId, key: `${flow.id}:${i.contactId}:${i.event.id}`, subject, startAt: start, eventId: i.event.id })) ? [flow.id] : [];
    }
    return (await engine.enroll(i.db, { flow, contactId: i.contactId, key: `${flow.id}:${i.contactId}:${i.event.id}`, subject, startAt: happenedAt(i), eventId: i.event.id })) ? [flow.id] : [];
  }

  async function onOrder(i: TriggerInput, order: { id: number; status: string; from?: string; email?: string | undefined; customerId: number }): Promise<string[]> {
    const entered: string[] = [];
    const subject = `order:${order.id}`;
    const enter = async (id: string, key: string) => {
      const flow = eligible(id, i.consent);
      if (flow && (await engine.enroll(i.db, { flow, contactId: i.contactId, key, subject, startAt: happenedAt(i), eventId: i.event.id }))) entered.push(id);
    };

    await engine.exitAll(i.db, i.contactId, ENDED_BY_ORDER, 'ordered');
    if (UNPAID.includes(order.status)) await enter('abandoned_checkout', `abandoned_checkout:order:${order.id}`);
    if (isPaid(order.status) && (order.from === undefined || !isPaid(order.from))) {
      for (const e of await engine.active(i.db, i.contactId, 'abandoned_checkout')) {
        if (e.subject === subject) await engine.exit(i.db, e, 'paid');
      }
      await enter('post_purchase', `post_purchase:order:${order.id}`);
      // First paid order: the shop's own history decides, not only what we have seen.
      const facts = await d.shop.facts.forContact({ email: order.email ?? null, customerId: order.customerId || null });
      if (!facts || facts.paidOrders <= 1) await enter('first_customer', `first_customer:${i.contactId}`);
    }
    if (order.status === 'completed' && order.from !== 'completed') await enter('review_request', `review_request:order:${order.id}`);
    return entered;
  }

  async function onView(i: TriggerInput, data: EventData<'product.viewed'>): Promise<string[]> {
    await i.db.query(engine.queries.recordView, [i.contactId, data.product_id, i.event.occurredAt]);
    const flow = eligible('browse_abandonment', i.consent);
    if (!flow) return [];
    const last = await engine.lastStarted(i.db, i.contactId, flow.id);
    const cooldown = settingNumber(flow, 'reentry_days', 14) * DAY;
    if (last && (last.status === 'active' || happenedAt(i).getTime() - last.startedAt.getTime() < cooldown)) return [];
    return (await engine.enroll(i.db, { flow, contactId: i.contactId, key: `${flow.id}:${i.contactId}:${i.event.id}`, subject: 'views', startAt: happenedAt(i), eventId: i.event.id })) ? [flow.id] : [];
  }

  return {
    /** Applies one event to the flows. Returns the flows the contact entered. */
    async apply(i: TriggerInput): Promise<string[]> {
      const e = i.event;
      switch (e.type as EventType) {
        case 'subscriber.created':
        case 'customer.created':
        case 'consent.changed':
        case 'checkout.started': {
          if (i.consent === 'pending') {
            // Double opt-in: ask to confirm, at most once a day; the welcome waits for the confirmation.
            const confirm = engine.flowById('confirm_subscription');
            const day = happenedAt(i).toISOString().slice(0, 10);
            return confirm?.enabled && (await engine.enroll(i.db, { flow: confirm, contactId: i.contactId, key: `confirm_subscription:${i.contactId}:${day}`, startAt: happenedAt(i), eventId: e.id }))
              ? ['confirm_subscription']
              : [];
          }
          if (e.type === 'consent.changed' || e.type === 'checkout.started') return [];
          const flow = eligible('welcome', i.consent);
          return flow && (await engine.enroll(i.db, { flow, contactId: i.contactId, key: `welcome:${i.contactId}`, startAt: happenedAt(i), eventId: e.id })) ? ['welcome'] : [];
        }
        case 'cart.updated':
          return onCart(i, e.data as EventData<'cart.updated'>);
        case 'order.created': {
          const o = e.data as EventData<'order.created'>;
          return onOrder(i, { id: o.order_id, status: o.status, email: o.email, customerId: o.customer_id });
        }
        case 'order.status_changed': {
          const o = e.data as EventData<'order.status_changed'>;
          return onOrder(i, { id: o.order_id, status: o.to, from: o.from, email: o.email, customerId: o.customer_id });
        }
        case 'product.viewed':
          return onView(i, e.data as EventData<'product.viewed'>);
        case 'search.performed': {
          const s = e.data as EventData<'search.performed'>;
          await i.db.query(engine.queries.recordSearch, [i.contactId, s.query, s.results ?? null, e.occurredAt]);
          return [];
        }
        default:
          return [];
      }
    },
  };
}

export type Triggers = ReturnType<typeof createTriggers>;
