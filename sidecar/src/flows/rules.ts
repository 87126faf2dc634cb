import type { Clock } from '../clock';
import { DAY, HOUR, MINUTE } from '../clock';
import type { Row } from '../db/sql';
import type { Job } from '../schedule/jobs';
import type { ShopReader } from '../shop/reader';
import type { FlowDefinition } from './definitions';
import type { FlowEngine } from './flows';
import { skip, type GateCheck } from './gate';
import { contactZone, localParts, zonedTime } from './local-time';

// The flows' own send-time rules, after the core checks (consent, suppression, flow on):
// 1. exits: re-read the shop, so a reminder never goes out after the customer ordered;
// 2. the frequency cap across flows, highest priority first;
// 3. quiet hours in the contact's own time zone.

export interface SendingRules {
  /** At most `count` marketing emails per contact in any window of `windowMs`. */
  caps: Array<{ count: number; windowMs: number }>;
  /** Local [start, end) hours during which nothing is sent, e.g. [21, 8]. */
  quietHours: [number, number] | null;
}

export const defaultSendingRules: SendingRules = { caps: [{ count: 1, windowMs: 16 * HOUR }, { count: 3, windowMs: 7 * DAY }], quietHours: [21, 8] };

export function exitChecks(d: { shop: ShopReader; engine: FlowEngine; paidStatuses: string[] }): GateCheck {
  return async ({ db, flow, enrollment, contact }) => {
    if (!flow || !enrollment || !contact || flow.exits.length === 0) return null;
    const ref = { email: contact.email, customerId: contact.customerId };
    const orderId = enrollment.subject?.startsWith('order:') ? Number(enrollment.subject.slice(6)) : null;
    for (const rule of flow.exits) {
      switch (rule) {
        case 'ordered':
          if (await d.shop.orders.hasOrderSince(ref, enrollment.startedAt, 'any')) return skip('ordered');
          break;
        case 'paid_since':
          if (await d.shop.orders.hasOrderSince(ref, new Date(enrollment.startedAt.getTime() + 1000), d.paidStatuses)) return skip('ordered_again');
          break;
        case 'order_paid': {
          const order = orderId ? await d.shop.orders.get(orderId) : null;
          if (!order) return skip('order_gone');
          if (d.paidStatuses.includes(order.status) || order.status === 'refunded') return skip('paid');
          if (['cancelled', 'trash'].includes(order.status)) return skip('order_cancelled');
          break;
        }
        case 'cart_gone': {
          const key = enrollment.subject?.startsWith('cart:') ? enrollment.subject.slice(5) : null;
          const [rows] = await db.query<Row[]>(d.engine.queries.cartFor, [key]);
          const items = rows[0] ? (JSON.parse(rows[0].items) as unknown[]) : [];
          if (items.length === 0) return skip('cart_emptied');
          break;
        }
        case 'engaged': {
          const [rows] = await db.query<Row[]>(d.engine.queries.engagedSince, [enrollment.startedAt, enrollment.startedAt, contact.id]);
          if (Number(rows[0]?.engaged ?? 0) === 1) return skip('engaged');
          break;
        }
        case 'carted': {
          const [rows] = await db.query<Row[]>(d.engine.queries.cartedSince, [contact.id, enrollment.startedAt]);
          if (Number(rows[0]?.n ?? 0) > 0) return skip('carted');
          break;
        }
      }
    }
    return null;
  };
}

/** After the sunset, no marketing email until the contact asks for it again (the sunset flow itself excepted). */
export function unengagedCheck(): GateCheck {
  return async ({ flow, contact }) => {
    if (!flow || !contact || flow.purpose !== 'marketing' || flow.onComplete === 'mark_unengaged') return null;
    return contact.unengagedAt ? skip('unengaged') : null;
  };
}

/**
 * The cap counts marketing emails across all flows. An email over the cap waits for the next
 * free slot while it is still fresh, else it is dropped (the flow goes on to its next step). A
 * higher-priority email due soon for the same contact takes the slot first.
 */
export function frequencyCap(d: { engine: FlowEngine; clock: Clock; rules: () => SendingRules }): GateCheck {
  return async ({ db, job, flow, contact }) => {
    const caps = d.rules().caps;
    if (!flow || !contact || flow.purpose !== 'marketing' || caps.length === 0) return null;
    const marketing = new Map(d.engine.flows().map((f) => [f.id, f]));
    const now = d.clock.now();
    const longest = Math.max(...caps.map((c) => c.windowMs));
    const [sent] = await db.query<Row[]>(d.engine.queries.sentSince, [contact.id, new Date(now.getTime() - longest), job.id]);
    const times = sent.filter((r) => marketing.get(r.flow)?.purpose === 'marketing').map((r) => (r.created_at as Date).getTime());

    let freeAt = now.getTime();
    // How far ahead a more important email could be crowded out: past the window of any cap this
    // email would fill, else the shortest window.
    let lookahead = Math.min(...caps.map((c) => c.windowMs));
    for (const cap of caps) {
      const inWindow = times.filter((t) => t > now.getTime() - cap.windowMs);
      if (inWindow.length >= cap.count) freeAt = Math.max(freeAt, inWindow[inWindow.length - cap.count]! + cap.windowMs);
      if (inWindow.length + 1 >= cap.count) lookahead = Math.max(lookahead, cap.windowMs);
    }
    const shortest = Math.min(...caps.map((c) => c.windowMs));
    const [pending] = await db.query<Row[]>(d.engine.queries.pendingFor, [contact.id, new Date(Math.max(freeAt, now.getTime()) + lookahead), job.id]);
    for (const p of pending) {
      const other = marketing.get(p.flow);
      if (!other || other.purpose !== 'marketing') continue;
      // Two sends for one contact at the same moment (one batch, or two sidecars) would both see
      // a free slot: the more important one (or the older, at equal priority) goes; this one waits
      // a minute and looks again, by when the other's message counts against the cap.
      if (p.status === 'running' && (other.priority > flow.priority || (other.priority === flow.priority && Number(p.id) < job.id))) {
        return { send: false, reason: 'another_email_in_flight', deferUntil: new Date(now.getTime() + MINUTE) };
      }
      if (other.priority > flow.priority) freeAt = Math.max(freeAt, Math.max((p.run_at as Date).getTime(), now.getTime()) + shortest);
    }
    if (freeAt <= now.getTime()) return null;
    return fresh(flow, job, freeAt) ? { send: false, reason: 'frequency_cap', deferUntil: new Date(freeAt) } : skip('frequency_cap_stale', 'continue');
  };
}

/** Nothing during the contact's night: deferred to the morning, in their own time zone. */
export function quietHours(d: { clock: Clock; shop: ShopReader; rules: () => SendingRules }): GateCheck {
  return async ({ flow, job, contact }) => {
    const quiet = d.rules().quietHours;
    // Service emails (a confirmation link someone just asked for) go out at any hour.
    if (!flow || !contact || !quiet || flow.purpose === 'service') return null;
    const shop = await d.shop.settings();
    const zone = contactZone(contact.country, shop.timezone, shop.address.country);
    const now = d.clock.now();
    const local = localParts(now, zone);
    const [start, end] = quiet;
    const inQuiet = start > end ? local.hour >= start || local.hour < end : local.hour >= start && local.hour < end;
    if (!inQuiet) return null;
    // The morning after: today's if it is already past midnight, else tomorrow's.
    const morning = zonedTime(local.year, local.month, local.day, end, 0, zone);
    const until = morning.getTime() > now.getTime() ? morning : new Date(zonedTime(local.year, local.month, local.day + 1, end, 0, zone).getTime());
    return fresh(flow, job, until.getTime()) ? { send: false, reason: 'quiet_hours', deferUntil: until } : skip('quiet_hours_stale', 'continue');
  };
}

/** Whether a step is still worth sending at `at`, judged from when it was first meant to go. */
function fresh(flow: FlowDefinition, job: Job, at: number): boolean {
  const planned = typeof job.payload.planned_at === 'string' ? Date.parse(job.payload.planned_at) : job.runAt.getTime();
  return at - planned <= flow.freshnessMs;
}
