import type { FlowDefinition } from './definitions';
import { settingNumber } from './flows';

// Which re-order reminders fall due on a shop day. Pure: the scan reads each contact's purchases
// of the marked products from the shop (one set-based query) and this decides the dates.
//
//   due    = last purchase + cycle (occasion products: the same date a year later, 29 February on
//            28 February in common years);
//   remind = due − lead_days (never before the day after the purchase).
// A reminder enters on its remind day, or within the week after it when a scan was missed; the
// key names contact, products and due date, so it enters once.

/** Longest cycle a shop or a customer's rhythm may set: one reminder a year at least. */
export const MAX_CYCLE_DAYS = 365;
/** Learned rhythms shorter than this are noise (two orders in one week), not a cycle. */
const MIN_LEARNED_DAYS = 7;
/** Missed scans are caught up for a week, as win-back does. */
export const GRACE_DAYS = 7;
/** At most this many products in one reminder. */
const MAX_PRODUCTS = 6;

export interface ReplenishmentPlan {
  /** Product id → cycle in days; null: learned from the customer only. */
  productCycles: Map<number, number | null>;
  /** Category slug → cycle in days; null: learned only. */
  categoryCycles: Map<string, number | null>;
  occasionProducts: Set<number>;
  occasionCategories: Set<string>;
  leadDays: number;
  learn: boolean;
  /** Entries that did not read ("12=abc"): reported, then ignored. */
  problems: string[];
}

/** One contact's purchases of one product, as the shop query returns them. */
export interface PurchaseHistory {
  email: string;
  productId: number;
  /** UTC day of the last paid order with the product, YYYY-MM-DD. */
  lastDay: string;
  /** Median days between the contact's purchase days of it (at least 2 gaps), else null. */
  learnedDays: number | null;
}

export interface DueReminder {
  email: string;
  productIds: number[];
  dueDay: string;
  remindDay: string;
  /** The last purchase (of the first product), for the email's "you ordered on…". */
  lastDay: string;
}

/** "12=30, 45, coffee=60" → entries; a cycle outside 1…365 days is a problem. */
function cycles(raw: string | null | undefined, what: 'product' | 'category', problems: string[]): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const part of (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z0-9_-]+)\s*(?:=\s*(\d+))?$/i.exec(part);
    const days = m?.[2] === undefined ? null : Number(m[2]);
    if (!m || (what === 'product' && !/^\d+$/.test(m[1]!)) || (days !== null && (days < 1 || days > MAX_CYCLE_DAYS))) {
      problems.push(`${what} "${part}": expected ${what === 'product' ? 'an id' : 'a slug'}, optionally "=days" (1–${MAX_CYCLE_DAYS})`);
      continue;
    }
    out.set(what === 'product' ? m[1]! : m[1]!.toLowerCase(), days);
  }
  return out;
}

export function replenishmentPlan(flow: FlowDefinition): ReplenishmentPlan {
  const problems: string[] = [];
  const products = cycles(flow.settings.product_cycles, 'product', problems);
  const occasions = cycles(flow.settings.occasion_products, 'product', problems);
  return {
    productCycles: new Map([...products].map(([id, d]) => [Number(id), d])),
    categoryCycles: cycles(flow.settings.category_cycles, 'category', problems),
    occasionProducts: new Set([...occasions.keys()].map(Number)),
    occasionCategories: new Set(cycles(flow.settings.occasion_categories, 'category', problems).keys()),
    leadDays: Math.min(settingNumber(flow, 'lead_days', 5), 60),
    learn: !['no', 'false', '0', 'off'].includes((flow.settings.learn_cycles ?? 'yes').trim().toLowerCase()),
    problems,
  };
}

export const isEmptyPlan = (p: ReplenishmentPlan) =>
  p.productCycles.size + p.categoryCycles.size + p.occasionProducts.size + p.occasionCategories.size === 0;

const DAY_MS = 86_400_000;
const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
export const addDays = (day: string, n: number) => toDay(dayMs(day) + n * DAY_MS);

/** The same date a year later; 29 February becomes 28 February in a common year. */
export function nextYear(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const leap = (y + 1) % 4 === 0 && ((y + 1) % 100 !== 0 || (y + 1) % 400 === 0);
  const date = m === 2 && d === 29 && !leap ? 28 : d;
  return `${y + 1}-${String(m).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
}

/**
 * The reminders due on `today` (a shop day, YYYY-MM-DD). `cycleOf` gives a product's shop cycle:
 * a number of days, 'yearly' for occasion products, null (learned only) or undefined (not marked).
 * A contact's products with the same remind day go out in one email. Histories are added one at a
 * time, so a caller can stream them: only the few that fall due are kept.
 */
export function dueReminderCollector(
  cycleOf: (productId: number) => number | 'yearly' | null | undefined,
  plan: Pick<ReplenishmentPlan, 'leadDays' | 'learn'>,
  today: string,
) {
  const groups = new Map<string, DueReminder>();
  const earliest = addDays(today, -(GRACE_DAYS - 1));
  return {
    add(h: PurchaseHistory): void {
      const shopCycle = cycleOf(h.productId);
      if (shopCycle === undefined) return;
      let due: string;
      if (shopCycle === 'yearly') due = nextYear(h.lastDay);
      else {
        const learned = plan.learn && h.learnedDays !== null && h.learnedDays >= MIN_LEARNED_DAYS ? Math.min(Math.round(h.learnedDays), MAX_CYCLE_DAYS) : null;
        const days = learned ?? shopCycle;
        if (days === null) return;
        due = addDays(h.lastDay, days);
      }
      const lead = addDays(due, -plan.leadDays);
      const remind = lead > h.lastDay ? lead : addDays(h.lastDay, 1);
      if (remind < earliest || remind > today) return;
      const key = `${h.email}\n${remind}`;
      const g = groups.get(key);
      if (!g) groups.set(key, { email: h.email, productIds: [h.productId], dueDay: due, remindDay: remind, lastDay: h.lastDay });
      else if (g.productIds.length < MAX_PRODUCTS && !g.productIds.includes(h.productId)) {
        g.productIds.push(h.productId);
        if (due < g.dueDay) g.dueDay = due;
      }
    },
    reminders(): DueReminder[] {
      return [...groups.values()].map((g) => ({ ...g, productIds: [...g.productIds].sort((a, b) => a - b) }));
    },
  };
}
