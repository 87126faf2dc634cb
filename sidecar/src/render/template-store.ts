import type { Clock } from '../clock';
import type { Pool } from '../db/pool';
import type { Row } from '../db/sql';
import { notFound, unprocessable } from '../errors';
import type { FlowDefinition } from '../flows/definitions';
import type { Logger } from '../logger';
import { templateQueries } from './queries';
import type { Renderer } from './renderer';
import { validateTemplate } from './validate';

export interface TemplateInfo {
  flow: string;
  step: number;
  /** The template file the step uses, `flows/<flow>/<step>` unless the flow names another. */
  template: string;
  overridden: boolean;
  updated_at: string | null;
}

export interface TemplateDetail extends TemplateInfo {
  /** What sends use: the edit when there is one, else the shipped file (front matter and body). */
  source: string;
  default_source: string;
}

export type TemplateStore = ReturnType<typeof createTemplateStore>;

/**
 * Store admins' edits of flow-step templates. An edit is validated (syntax, unknown variables and
 * filters, a render with sample data) before it is saved; saved, it replaces the shipped file for
 * every later send of that step. Each sidecar re-reads the edits' timestamps on every tick, so
 * replicas agree within seconds. Deleting an edit restores the shipped file.
 */
export function createTemplateStore(d: { pool: Pool; prefix: string; clock: Clock; log: Logger; renderer: Renderer; flows: () => FlowDefinition[] }) {
  const q = templateQueries(d.prefix);
  /** The edits in force here: template → updated_at (ms), to see what another replica changed. */
  const applied = new Map<string, number>();

  function apply(template: string, source: string | null, updatedAt: Date | null): void {
    try {
      d.renderer.setOverride(template, source);
    } catch (err) {
      // An edit saved valid can stop parsing after an upgrade changed a partial it uses: the
      // shipped file is the safe fallback, and the admin sees the edit still listed as saved.
      d.log.error({ template, err: (err as Error).message }, 'a saved template edit no longer parses: sending the shipped template');
      d.renderer.setOverride(template, null);
    }
    if (source === null || updatedAt === null) applied.delete(template);
    else applied.set(template, updatedAt.getTime());
  }

  function stepOf(flow: string, step: number): { template: string } {
    const def = d.flows().find((f) => f.id === flow);
    const template = def?.steps[step - 1]?.template;
    if (!template || d.renderer.defaultSource(template) === null) throw notFound('template_not_found', `no template for ${flow} step ${step}`);
    return { template };
  }

  function info(flow: string, step: number, template: string): TemplateInfo {
    const at = applied.get(template);
    return { flow, step, template, overridden: at !== undefined, updated_at: at === undefined ? null : new Date(at).toISOString() };
  }

  return {
    /** Picks up edits saved or removed by any replica since the last call (cheap: timestamps only). */
    async refresh(): Promise<void> {
      const [stamps] = await d.pool.query<Row[]>(q.overrideStamps);
      const seen = new Map(stamps.map((r) => [String(r.template), (r.updated_at as Date).getTime()]));
      const changed = [...seen].some(([t, at]) => applied.get(t) !== at) || [...applied.keys()].some((t) => !seen.has(t));
      if (!changed) return;
      const [rows] = await d.pool.query<Row[]>(q.allOverrides);
      for (const t of [...applied.keys()]) if (!seen.has(t)) apply(t, null, null);
      for (const r of rows) {
        const template = String(r.template);
        if (applied.get(template) !== (r.updated_at as Date).getTime() && d.renderer.defaultSource(template) !== null) apply(template, String(r.source), r.updated_at as Date);
      }
    },

    list(): TemplateInfo[] {
      return d.flows().flatMap((f) => f.steps.map((s, i) => info(f.id, i + 1, s.template)));
    },

    get(flow: string, step: number): TemplateDetail {
      const { template } = stepOf(flow, step);
      return { ...info(flow, step, template), source: d.renderer.effectiveSource(template)!, default_source: d.renderer.defaultSource(template)! };
    },

    /** Validates and saves an edit; nothing is saved when it has a problem (422 with each one's line and column). */
    async save(flow: string, step: number, source: string): Promise<TemplateDetail> {
      const { template } = stepOf(flow, step);
      const result = await validateTemplate(source, { flow, step, renderer: d.renderer });
      if (!result.ok) {
        throw unprocessable('template_invalid', `the template has ${result.problems.length} problem(s); nothing was saved`, { problems: result.problems });
      }
      const now = d.clock.now();
      await d.pool.query(q.saveOverride, [template, source, now]);
      apply(template, source, now);
      return this.get(flow, step);
    },

    async restore(flow: string, step: number): Promise<TemplateDetail> {
      const { template } = stepOf(flow, step);
      await d.pool.query(q.deleteOverride, [template]);
      apply(template, null, null);
      return this.get(flow, step);
    },
  };
}
