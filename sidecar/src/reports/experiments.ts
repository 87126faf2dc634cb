import type { Pool } from '../db/pool';
import type { Row } from '../db/sql';
import type { FlowDefinition } from '../flows/definitions';
import { experimentKey } from '../flows/experiments';
import { formatUnits, toUnits } from './money';
import { reportQueries } from './queries';
import { compareMeans, compareProportions, excludesZero, type Interval, type Moments } from './stats';

// Each experiment's result. Both kinds compare groups the same way: a unit (one recipient of the
// step, or one enrollment) "orders" when the contact places a counted order within a window after
// the email or the enrollment. Clicks do not enter into it, so a discount that brings orders
// without a click, or a holdout that gets no email at all, is measured alike (docs/reports.md).

/** Below this many contacts in a group, no verdict: the interval would be too wide to trust. */
export const MIN_GROUP = 100;

export interface ExperimentGroup {
  id: string;
  /** Recipients of the step (A/B) or enrollments (holdout), each once. */
  contacts: number;
  /** A/B only: recipients with a click reported. */
  clicks?: number;
  orders: number;
  /** Contacts with at least one order. */
  converted: number;
  conversion: number;
  revenue: string;
  revenue_per_contact: string;
}

export interface Comparison {
  group: string;
  versus: string;
  /** Difference in the share of contacts who ordered (fractions), Newcombe's 95 % interval. */
  conversion_difference: Interval;
  p_value: number;
  /** Difference in revenue per contact, Welch's 95 % interval. */
  revenue_per_contact_difference: { estimate: string; low: string; high: string };
  significant: boolean;
}

export interface Experiment {
  flow: string;
  step: number | null;
  kind: 'ab' | 'holdout';
  experiment: string | null;
  window_days: number;
  groups: ExperimentGroup[];
  comparisons: Comparison[];
  /** Holdout only: orders and revenue the emails added over what the mailed group would have done unmailed. */
  incremental?: { orders: Interval; revenue: { estimate: string; low: string; high: string } };
  /** A plain sentence, only when a 95 % interval excludes zero and each group has MIN_GROUP contacts. */
  verdict: string | null;
  note: string;
}

interface Tallied {
  id: string;
  contacts: number;
  clicks: number;
  orders: Moments;
  converted: number;
  revenueUnits: bigint;
  revenue: Moments;
}

const tally = (id: string, r: Row | undefined): Tallied => {
  const n = Number(r?.units ?? 0);
  return {
    id, contacts: n, clicks: Number(r?.clicks ?? 0), converted: Number(r?.converted ?? 0),
    orders: { n, sum: Number(r?.orders ?? 0), sumSquares: Number(r?.orders_sq ?? 0) },
    revenueUnits: toUnits(r?.revenue ?? '0'),
    revenue: { n, sum: Number(r?.revenue ?? 0), sumSquares: Number(r?.revenue_sq ?? 0) },
  };
};

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (x: string) => (x.startsWith('-') ? x : `+${x}`);

export function createExperimentReport(d: { pool: Pool; prefix: string; windowMs: number; flows: () => FlowDefinition[] }) {
  const q = reportQueries(d.prefix);

  function describe(t: Tallied, ab: boolean, decimals: number): ExperimentGroup {
    const perContact = t.contacts > 0 ? Number(t.revenueUnits) / 1e8 / t.contacts : 0;
    return {
      id: t.id, contacts: t.contacts, ...(ab ? { clicks: t.clicks } : {}), orders: t.orders.sum, converted: t.converted,
      conversion: t.contacts > 0 ? Number((t.converted / t.contacts).toFixed(4)) : 0,
      revenue: formatUnits(t.revenueUnits, decimals), revenue_per_contact: perContact.toFixed(decimals),
    };
  }

  function compare(a: Tallied, b: Tallied, decimals: number): Comparison {
    const p = compareProportions(a.converted, a.contacts, b.converted, b.contacts);
    const r = compareMeans(a.revenue, b.revenue);
    const enough = a.contacts >= MIN_GROUP && b.contacts >= MIN_GROUP;
    const round = (i: Interval): Interval => ({ estimate: Number(i.estimate.toFixed(4)), low: Number(i.low.toFixed(4)), high: Number(i.high.toFixed(4)) });
    return {
      group: a.id, versus: b.id, conversion_difference: round(p.difference), p_value: Number(p.pValue.toFixed(4)),
      revenue_per_contact_difference: { estimate: r.estimate.toFixed(decimals), low: r.low.toFixed(decimals), high: r.high.toFixed(decimals) },
      significant: enough && (excludesZero(p.difference) || excludesZero(r)),
    };
  }

  /** "b vs a: 4.1% ordered vs 2.9% (+1.2 points, 95% CI +0.3 to +2.1); …" for what is significant. */
  function sentence(c: Comparison, a: ExperimentGroup, b: ExperimentGroup, currency: string): string {
    const parts: string[] = [];
    const cd = c.conversion_difference;
    if (excludesZero(cd)) {
      const points = (x: number) => signed((x * 100).toFixed(1));
      parts.push(`${pct(a.conversion)} ordered vs ${pct(b.conversion)} (${points(cd.estimate)} points, 95% CI ${points(cd.low)} to ${points(cd.high)})`);
    } else parts.push('no clear difference in how many ordered');
    const rd = c.revenue_per_contact_difference;
    if (Number(rd.low) > 0 || Number(rd.high) < 0) {
      parts.push(`${a.revenue_per_contact} vs ${b.revenue_per_contact} ${currency} per contact (${signed(rd.estimate)}, 95% CI ${signed(rd.low)} to ${signed(rd.high)})`);
    } else parts.push('no clear difference in revenue per contact');
    return `${c.group} vs ${c.versus}: ${parts.join('; ')}.`;
  }

  async function abResult(flow: FlowDefinition, stepNumber: number, key: string, ctx: Ctx): Promise<Experiment> {
    const step = flow.steps[stepNumber - 1]!;
    const [rows] = await d.pool.query<Row[]>(q.variantResults, [ctx.currency, d.windowMs / 1000, ctx.counted, flow.id, stepNumber, key, ctx.start, ctx.end]);
    const byId = new Map(rows.map((r) => [String(r.variant), r]));
    // Every configured variant, in the configured order; the first is the baseline.
    const groups = (step.variants ?? []).map((v) => tally(v.id, byId.get(v.id)));
    const shown = groups.map((g) => describe(g, true, ctx.decimals));
    const comparisons = groups.slice(1).map((g) => compare(g, groups[0]!, ctx.decimals));
    const significant = comparisons.filter((c) => c.significant);
    return {
      flow: flow.id, step: stepNumber, kind: 'ab', experiment: key, window_days: d.windowMs / 86_400_000,
      groups: shown, comparisons,
      verdict: significant.length ? significant.map((c) => sentence(c, shown.find((g) => g.id === c.group)!, shown[0]!, ctx.currency)).join(' ') : null,
      note: groups.some((g) => g.contacts < MIN_GROUP) ? `not enough evidence yet: each variant needs ${MIN_GROUP} recipients` : significant.length ? 'significant at 95%' : 'not enough evidence yet: no difference is clear at 95%',
    };
  }

  async function holdoutResult(flowId: string, ctx: Ctx): Promise<Experiment> {
    const flow = d.flows().find((f) => f.id === flowId);
    // Long enough for the whole flow to have been sent, then the attribution window.
    const windowMs = (flow?.steps.at(-1)?.delayMs ?? 0) + d.windowMs;
    const [rows] = await d.pool.query<Row[]>(q.holdoutResults, [ctx.currency, windowMs / 1000, ctx.counted, ctx.start, ctx.end, flowId]);
    const mailed = tally('mailed', rows.find((r) => Number(r.holdout) === 0));
    const held = tally('held_out', rows.find((r) => Number(r.holdout) === 1));
    const c = compare(mailed, held, ctx.decimals);
    const perOrder = compareMeans(mailed.orders, held.orders);
    const perRevenue = compareMeans(mailed.revenue, held.revenue);
    const scale = (i: Interval, n: number): Interval => ({ estimate: i.estimate * n, low: i.low * n, high: i.high * n });
    const orders = scale(perOrder, mailed.contacts);
    const revenue = scale(perRevenue, mailed.contacts);
    const enough = mailed.contacts >= MIN_GROUP && held.contacts >= MIN_GROUP;
    const money = (x: number) => x.toFixed(ctx.decimals);
    const clear = enough && (excludesZero(perOrder) || excludesZero(perRevenue));
    const verdict = !clear
      ? null
      : orders.estimate >= 0
        ? `The emails added about ${orders.estimate.toFixed(0)} orders (95% CI ${orders.low.toFixed(0)} to ${orders.high.toFixed(0)}) and ${money(revenue.estimate)} ${ctx.currency} (95% CI ${money(revenue.low)} to ${money(revenue.high)}) over what the ${mailed.contacts} mailed contacts would have ordered unmailed, judged by the control group.`
        : `The control group ordered more than the mailed contacts: the emails cost about ${(-orders.estimate).toFixed(0)} orders (95% CI ${orders.low.toFixed(0)} to ${orders.high.toFixed(0)}) and ${money(-revenue.estimate)} ${ctx.currency}.`;
    return {
      flow: flowId, step: null, kind: 'holdout', experiment: null, window_days: windowMs / 86_400_000,
      groups: [describe(mailed, false, ctx.decimals), describe(held, false, ctx.decimals)],
      comparisons: [c],
      incremental: {
        orders: { estimate: Number(orders.estimate.toFixed(1)), low: Number(orders.low.toFixed(1)), high: Number(orders.high.toFixed(1)) },
        revenue: { estimate: money(revenue.estimate), low: money(revenue.low), high: money(revenue.high) },
      },
      verdict,
      note: !enough ? `not enough evidence yet: each group needs ${MIN_GROUP} contacts` : clear ? 'significant at 95%' : 'not enough evidence yet: no difference is clear at 95%',
    };
  }

  interface Ctx { currency: string; decimals: number; counted: string[]; start: Date; end: Date }

  return async function experiments(ctx: Ctx): Promise<Experiment[]> {
    const out: Experiment[] = [];
    // A/B splits as configured now (a weight of 0 keeps an arm in the report after it stops).
    for (const flow of d.flows()) {
      for (const [i, step] of flow.steps.entries()) {
        if (!step.variants?.length) continue;
        out.push(await abResult(flow, i + 1, experimentKey(step), ctx));
      }
    }
    // Holdouts from the enrollments themselves, so a holdout switched off still shows its result.
    const [flows] = await d.pool.query<Row[]>(q.holdoutFlows, [ctx.start, ctx.end]);
    for (const f of flows.map((r) => String(r.flow)).sort()) out.push(await holdoutResult(f, ctx));
    return out;
  };
}
