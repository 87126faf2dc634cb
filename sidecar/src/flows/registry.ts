import type { Clock } from '../clock';
import type { Pool } from '../db/pool';
import type { Row } from '../db/sql';
import { applyOverride, flowOverrideSchema, type FlowDefinition, type FlowOverride } from './definitions';
import { flowQueries } from './queries';

export type SaveResult = { ok: true; flow: FlowDefinition } | { ok: false; code: 'flow_unknown' | 'flow_invalid'; details?: unknown };

/**
 * The flows in force: the shipped defaults, then RETAIN_FLOWS_FILE, then what store admins saved
 * through the admin API (a row per flow, versioned). Every sidecar re-reads the saved overrides
 * on each tick, so replicas agree within seconds. An edit never moves steps already scheduled:
 * contacts in the flow keep them, and the edit applies from their next step.
 */
export function createFlowRegistry(d: {
  pool: Pool; prefix: string; clock: Clock; base: FlowDefinition[];
  templateExists: (name: string) => boolean;
  /** Why a variant's subject line would not render (its Liquid does not parse), or null. */
  subjectProblem: (subject: string) => string | null;
}) {
  const q = flowQueries(d.prefix);
  let current = d.base;
  let saved = new Map<string, { version: number; overrides: FlowOverride }>();

  function compose(): FlowDefinition[] {
    return d.base.map((flow) => {
      const s = saved.get(flow.id);
      return s ? { ...applyOverride(flow, s.overrides), version: Math.max(flow.version + 1, s.version) } : flow;
    });
  }

  return {
    flows: () => current,

    async reload(): Promise<void> {
      const [rows] = await d.pool.query<Row[]>(q.overrides);
      saved = new Map(rows.map((r) => [String(r.flow), { version: Number(r.version), overrides: JSON.parse(r.overrides) as FlowOverride }]));
      current = compose();
    },

    async save(id: string, input: unknown): Promise<SaveResult> {
      const base = d.base.find((f) => f.id === id);
      if (!base) return { ok: false, code: 'flow_unknown' };
      const parsed = flowOverrideSchema.safeParse(input);
      if (!parsed.success) return { ok: false, code: 'flow_invalid', details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
      const candidate = applyOverride(base, parsed.data);
      const templates = candidate.steps.flatMap((s) => [s.template, ...(s.variants ?? []).flatMap((v) => (v.template ? [v.template] : []))]);
      const badSubjects = candidate.steps.flatMap((s, i) => (s.variants ?? []).flatMap((v) => {
        const problem = v.subject ? d.subjectProblem(v.subject) : null;
        return problem ? [{ path: `steps.${i}.variants.${v.id}.subject`, message: problem }] : [];
      }));
      if (badSubjects.length) return { ok: false, code: 'flow_invalid', details: badSubjects };
      const missing = templates.filter((t) => !d.templateExists(t));
      if (missing.length) return { ok: false, code: 'flow_invalid', details: missing.map((t) => ({ path: 'steps', message: `no template ${t}` })) };
      const version = Math.max(current.find((f) => f.id === id)!.version, base.version) + 1;
      await d.pool.query(q.saveOverride, [id, version, JSON.stringify(parsed.data), d.clock.now()]);
      await this.reload();
      return { ok: true, flow: current.find((f) => f.id === id)! };
    },
  };
}

export type FlowRegistry = ReturnType<typeof createFlowRegistry>;
