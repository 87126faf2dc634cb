import { z } from 'zod';
import YAML from 'yaml';
import { DAY, HOUR } from '../clock';
import type { EventType } from '../intake/event-schemas';

// Flows are data: a versioned definition the engine interprets. Defaults ship here; hosting
// providers override them with RETAIN_FLOWS_FILE (JSON or YAML), store admins through the admin
// API. A step's delay counts from the moment the contact entered the flow. Contacts already in a
// flow keep the steps already scheduled; an edit applies from their next step on, because each
// step is scheduled only when the one before it ends.

export interface CouponSpec {
  type: 'percent' | 'fixed_cart';
  amount: string;
  expiresInDays: number;
  freeShipping: boolean;
}

export interface FlowStep {
  template: string;
  delayMs: number;
  /** The recipient's own coupon, created through the plugin right before rendering. */
  coupon: CouponSpec | null;
  /** An A/B split of this step: each contact gets one variant, always the same (flows/experiments.ts). */
  variants?: StepVariant[];
  /** Names the split; a new name reshuffles contacts (default: the variant ids). */
  experiment?: string;
  /** A subject line (Liquid) in place of the template's: set by a variant that tests only the subject. */
  subject?: string;
}

/** One arm of a step's A/B split; what it leaves out is the step's own. */
export interface StepVariant {
  id: string;
  template?: string;
  /** Its own subject line (Liquid, like the template's front matter), for a subject test. */
  subject?: string;
  /** `null`: this variant sends no coupon (the "without a discount" arm). */
  coupon?: CouponSpec | null;
  /** Relative share of contacts; 0 stops assigning it but keeps it in the report. */
  weight: number;
}

/** What ends a contact's pass through a flow when it becomes true, checked at every send. */
export type ExitRule =
  /** Any order at all (pending and on-hold included) since the contact entered. */
  | 'ordered'
  /** A paid order since the contact entered (a second order, for first-time customers). */
  | 'paid_since'
  /** The order the flow is about has been paid. */
  | 'order_paid'
  /** The contact's cart is empty, or newer than the one the flow is about. */
  | 'cart_gone'
  /** The contact put something in a cart since entering. */
  | 'carted'
  /** The contact opened or clicked an email since entering. */
  | 'engaged';

/** The kinds a contact can choose between in the preference centre. */
export type FlowKind = 'news' | 'reminders' | 'offers';

/** Date-based flows are entered by a daily scan instead of an event. */
export type ScanName = 'birthday' | 'anniversary' | 'replenishment' | 'win_back' | 'vip' | 'search_abandonment' | 'reengagement';

export interface FlowDefinition {
  id: string;
  version: number;
  name: string;
  enabled: boolean;
  kind: FlowKind;
  /** Marketing flows need the contact's marketing consent at entry and at every send. */
  purpose: 'marketing' | 'service';
  /** When emails compete for the frequency cap, the higher priority goes first (cart 100 … others 10). */
  priority: number;
  /** Events that enter a contact into the flow (event-triggered flows). */
  triggers: EventType[];
  /** The daily scan that enters contacts (date-based flows). */
  scan: ScanName | null;
  exits: ExitRule[];
  steps: FlowStep[];
  /** How late a step may still go out when a cap or quiet hours defer it; later, it is dropped. */
  freshnessMs: number;
  /** Free-form settings the templates read (e.g. a welcome discount code). */
  settings: Record<string, string | null>;
  /** What finishing the last step does to the contact (the sunset marks them unengaged). */
  onComplete?: 'mark_unengaged';
  /** Share of entering contacts (0–50 %) held out as a control group: enrolled, never mailed. Off unless set. */
  holdoutPercent?: number;
}

const step = (template: string, delayMs: number, coupon: CouponSpec | null = null): FlowStep => ({ template, delayMs, coupon });
const percent = (amount: string, expiresInDays: number): CouponSpec => ({ type: 'percent', amount, expiresInDays, freeShipping: false });

const base = { version: 1, enabled: true, purpose: 'marketing' as const, triggers: [] as EventType[], scan: null, exits: [] as ExitRule[], settings: {} };

export const defaultFlows: FlowDefinition[] = [
  {
    // Double opt-in (RETAIN_DOUBLE_OPT_IN): the one email a pending sign-up gets, asking to confirm.
    ...base, id: 'confirm_subscription', name: 'Confirm subscription', kind: 'news', purpose: 'service', priority: 200, freshnessMs: 7 * DAY,
    steps: [step('flows/confirm_subscription/1', 0)],
  },
  {
    ...base, id: 'welcome', name: 'Welcome series', kind: 'news', priority: 20, freshnessMs: 2 * DAY,
    triggers: ['subscriber.created', 'customer.created'],
    steps: [step('flows/welcome/1', 0), step('flows/welcome/2', 3 * DAY)],
    settings: { discount_code: null, discount_text: null },
  },
  {
    ...base, id: 'abandoned_cart', name: 'Abandoned cart', kind: 'reminders', priority: 100, freshnessMs: 12 * HOUR,
    triggers: ['cart.updated'], exits: ['ordered', 'cart_gone'],
    steps: [step('flows/abandoned_cart/1', HOUR), step('flows/abandoned_cart/2', DAY), step('flows/abandoned_cart/3', 3 * DAY, percent('10', 7))],
    settings: { restart_after_hours: '24' },
  },
  {
    ...base, id: 'abandoned_checkout', name: 'Abandoned checkout', kind: 'reminders', priority: 90, freshnessMs: 12 * HOUR,
    triggers: ['order.created', 'order.status_changed'], exits: ['order_paid'],
    steps: [step('flows/abandoned_checkout/1', HOUR)],
  },
  {
    ...base, id: 'browse_abandonment', name: 'Browse abandonment', kind: 'reminders', priority: 80, freshnessMs: DAY,
    triggers: ['product.viewed'], exits: ['ordered', 'carted'],
    steps: [step('flows/browse_abandonment/1', DAY), step('flows/browse_abandonment/2', 3 * DAY), step('flows/browse_abandonment/3', 5 * DAY)],
    settings: { reentry_days: '14' },
  },
  {
    ...base, id: 'post_purchase', name: 'Post-purchase', kind: 'news', priority: 70, freshnessMs: 2 * DAY,
    triggers: ['order.created', 'order.status_changed'],
    steps: [step('flows/post_purchase/1', 0, percent('10', 30)), step('flows/post_purchase/2', 7 * DAY), step('flows/post_purchase/4', 14 * DAY)],
  },
  {
    ...base, id: 'review_request', name: 'Review request', kind: 'news', priority: 60, freshnessMs: 3 * DAY,
    triggers: ['order.status_changed'],
    steps: [step('flows/post_purchase/3', 7 * DAY)],
  },
  {
    ...base, id: 'first_customer', name: 'First-time customer', kind: 'offers', priority: 50, freshnessMs: 2 * DAY,
    triggers: ['order.created', 'order.status_changed'], exits: ['paid_since'],
    steps: [step('flows/first_customer/1', 3 * DAY), step('flows/first_customer/2', 10 * DAY, percent('10', 14))],
  },
  {
    ...base, id: 'birthday', name: 'Birthday', kind: 'offers', priority: 40, freshnessMs: 12 * HOUR, scan: 'birthday',
    steps: [step('flows/birthday/1', 0, percent('15', 14))],
    settings: { local_time: '09:00' },
  },
  {
    ...base, id: 'anniversary', name: 'Anniversaries', kind: 'news', priority: 30, freshnessMs: DAY, scan: 'anniversary',
    steps: [step('flows/anniversary/1', 0)],
    settings: { local_time: '10:00' },
  },
  {
    // Off until the shop names what runs out (docs/flows.md): `product_cycles` and `category_cycles` map ids or
    // category slugs to a cycle in days ("12=30, coffee=45"; no "=days": learned only); occasion
    // products come back yearly. The customer's own rhythm (median of at least 2 gaps) wins.
    ...base, id: 'replenishment', name: 'Replenishment', kind: 'reminders', priority: 65, freshnessMs: DAY, scan: 'replenishment', exits: ['paid_since'],
    steps: [step('flows/replenishment/1', 0)],
    settings: { product_cycles: null, category_cycles: null, occasion_products: null, occasion_categories: null, lead_days: '5', learn_cycles: 'yes', local_time: '10:00' },
  },
  {
    ...base, id: 'win_back', name: 'Win-back', kind: 'offers', priority: 45, freshnessMs: 2 * DAY, scan: 'win_back', exits: ['paid_since'],
    steps: [step('flows/win_back/1', 0, percent('10', 10)), step('flows/win_back/2', 10 * DAY, percent('15', 10)), step('flows/win_back/3', 15 * DAY, percent('20', 10))],
    settings: { after_days: '30', gap_factor: '1.5' },
  },
  {
    ...base, id: 'vip', name: 'Loyal / VIP', kind: 'offers', priority: 35, freshnessMs: 3 * DAY, scan: 'vip',
    steps: [step('flows/vip/1', 0, percent('15', 30))],
  },
  {
    // "We miss you" with an offer; still silent 14 days later, the sunset notice, after which they
    // get no more marketing email until they say they want it.
    ...base, id: 'reengagement', name: 'Re-engagement and sunset', kind: 'news', priority: 15, freshnessMs: 3 * DAY, scan: 'reengagement', exits: ['engaged'],
    steps: [step('flows/reengagement/1', 0, percent('15', 14)), step('flows/reengagement/2', 14 * DAY)],
    settings: { silent_days_weekly: '90', silent_days: '180' },
    onComplete: 'mark_unengaged',
  },
  {
    ...base, id: 'search_abandonment', name: 'Search abandonment', kind: 'reminders', priority: 75, freshnessMs: 12 * HOUR, scan: 'search_abandonment', exits: ['ordered'],
    steps: [step('flows/search_abandonment/1', 0)],
    settings: { local_time: '10:00' },
  },
];

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "0", "90s", "45m", "1h", "3d", "2w", or a number of seconds. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v * 1000;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'a duration such as "45m", "1h" or "3d"' });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * (m[2] ? UNITS[m[2]]! : 1000));
});

const couponSchema = z
  .object({
    type: z.enum(['percent', 'fixed_cart']),
    amount: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^\d+(\.\d+)?$/, 'a positive amount')),
    expires_in_days: z.number().int().min(1).max(365).default(14),
    free_shipping: z.boolean().default(false),
  })
  .strict();

const templateName = z.string().regex(/^[a-z0-9/_-]+$/);

const variantSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_]{1,20}$/, 'lower-case letters, digits and _ (at most 20)'),
    template: templateName.optional(),
    subject: z.string().trim().min(1).max(300).optional(),
    coupon: couponSchema.nullable().optional(),
    weight: z.number().min(0).max(1000).default(1),
  })
  .strict();

const variantsSchema = z
  .array(variantSchema)
  .min(2)
  .max(5)
  .refine((vs) => new Set(vs.map((v) => v.id)).size === vs.length, 'variant ids must differ')
  .refine((vs) => vs.some((v) => v.weight > 0), 'at least one variant needs a weight above 0');

/** The part of a flow a shop may change: on/off, its steps' delays, templates, coupons and A/B splits, its holdout, its settings. */
export const flowOverrideSchema = z
  .object({
    enabled: z.boolean().optional(),
    steps: z
      .array(
        z
          .object({
            delay: duration,
            template: templateName.optional(),
            coupon: couponSchema.nullable().optional(),
            // `null` ends the split (the step's own template and coupon again).
            variants: variantsSchema.nullable().optional(),
            experiment: z.string().regex(/^[a-z0-9_-]{1,40}$/).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(20)
      .optional(),
    holdout_percent: z.number().min(0).max(50).optional(),
    settings: z.record(z.string(), z.string().nullable()).optional(),
  })
  .strict();

export type FlowOverride = z.infer<typeof flowOverrideSchema>;

const fileSchema = z.object({ flows: z.record(z.string(), flowOverrideSchema) }).strict();

export class FlowsFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`RETAIN_FLOWS_FILE is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FlowsFileError';
  }
}

type CouponInput = z.infer<typeof couponSchema>;
const toCoupon = (c: CouponInput | null): CouponSpec | null => c && { type: c.type, amount: c.amount, expiresInDays: c.expires_in_days, freeShipping: c.free_shipping };

/** Applies one override to a flow; the result is the next version of that flow. */
export function applyOverride(flow: FlowDefinition, o: FlowOverride): FlowDefinition {
  const steps = o.steps
    ? o.steps.map((s, i): FlowStep => {
        const before = flow.steps[i];
        const variants =
          s.variants === undefined
            ? before?.variants
            : (s.variants ?? undefined)?.map((v) => ({
                id: v.id, weight: v.weight,
                ...(v.template ? { template: v.template } : {}),
                ...(v.subject ? { subject: v.subject } : {}),
                ...(v.coupon !== undefined ? { coupon: toCoupon(v.coupon) } : {}),
              }));
        const experiment = s.experiment ?? before?.experiment;
        return {
          template: s.template ?? before?.template ?? `flows/${flow.id}/${i + 1}`,
          delayMs: s.delay,
          coupon: s.coupon === undefined ? (before?.coupon ?? null) : toCoupon(s.coupon),
          ...(variants ? { variants } : {}),
          ...(variants && experiment ? { experiment } : {}),
        };
      })
    : flow.steps;
  const holdout = o.holdout_percent ?? flow.holdoutPercent;
  return {
    ...flow, version: flow.version + 1, enabled: o.enabled ?? flow.enabled, steps, settings: { ...flow.settings, ...o.settings },
    ...(holdout !== undefined ? { holdoutPercent: holdout } : {}),
  };
}

/** Applies a flows file's overrides to the defaults; an override bumps the flow's version. */
export function applyFlowsFile(text: string, base: FlowDefinition[] = defaultFlows): FlowDefinition[] {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new FlowsFileError([`not JSON or YAML: ${(err as Error).message}`]);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new FlowsFileError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const known = new Map(base.map((f) => [f.id, f]));
  const unknown = Object.keys(parsed.data.flows).filter((id) => !known.has(id));
  if (unknown.length) throw new FlowsFileError(unknown.map((id) => `flows.${id}: no such flow (known: ${[...known.keys()].join(', ')})`));
  return base.map((flow) => {
    const o = parsed.data.flows[flow.id];
    return o ? applyOverride(flow, o) : flow;
  });
}
