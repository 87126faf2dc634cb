import { z } from 'zod';
import YAML from 'yaml';
import { DAY } from '../clock';
import type { EventType } from '../intake/event-schemas';

// Flows are data: a versioned definition the engine interprets. Defaults ship here; hosting
// providers override them with RETAIN_FLOWS_FILE (JSON or YAML), store admins later through the
// admin API. A step's delay counts from the moment the contact entered the flow.

export interface FlowStep {
  template: string;
  delayMs: number;
}

export interface FlowDefinition {
  id: string;
  version: number;
  name: string;
  enabled: boolean;
  /** Events that enter a contact into the flow. */
  triggers: EventType[];
  /** Marketing flows need the contact's marketing consent at entry and at every send. */
  purpose: 'marketing' | 'service';
  /** `never`: a contact goes through the flow once in their life. */
  reentry: 'never';
  steps: FlowStep[];
  /** Free-form settings the templates read (e.g. a welcome discount code). */
  settings: Record<string, string | null>;
}

export const defaultFlows: FlowDefinition[] = [
  {
    id: 'welcome',
    version: 1,
    name: 'Welcome series',
    enabled: true,
    triggers: ['subscriber.created', 'customer.created'],
    purpose: 'marketing',
    reentry: 'never',
    steps: [
      { template: 'flows/welcome/1', delayMs: 0 },
      { template: 'flows/welcome/2', delayMs: 3 * DAY },
    ],
    settings: { discount_code: null, discount_text: null },
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

const overrideSchema = z
  .object({
    enabled: z.boolean().optional(),
    steps: z.array(z.object({ delay: duration, template: z.string().regex(/^[a-z0-9/_-]+$/).optional() }).strict()).min(1).max(20).optional(),
    settings: z.record(z.string(), z.string().nullable()).optional(),
  })
  .strict();

const fileSchema = z.object({ flows: z.record(z.string(), overrideSchema) }).strict();

export class FlowsFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`RETAIN_FLOWS_FILE is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FlowsFileError';
  }
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
    if (!o) return flow;
    const steps = o.steps
      ? o.steps.map((s, i) => ({ template: s.template ?? flow.steps[i]?.template ?? `flows/${flow.id}/${i + 1}`, delayMs: s.delay }))
      : flow.steps;
    return { ...flow, version: flow.version + 1, enabled: o.enabled ?? flow.enabled, steps, settings: { ...flow.settings, ...o.settings } };
  });
}
