import YAML from 'yaml';
import { TEMPLATES_DIR } from '../paths';
import { createRenderer, FRONT_MATTER, type Renderer } from './renderer';
import { sampleContext } from './samples';

export interface TemplateProblem {
  kind: 'front_matter' | 'syntax' | 'unknown_filter' | 'unknown_variable' | 'render';
  message: string;
  /** 1-based, in the whole file (front matter included); null when liquidjs gave no position. */
  line: number | null;
  column: number | null;
}

export interface ValidationResult {
  ok: boolean;
  problems: TemplateProblem[];
}

const ANY = true;
type Shape = true | { [key: string]: Shape };

// The variables a template may name (docs/templates.md). Arrays are checked at their root only.
const SCHEMA: Record<string, Shape> = {
  shop: { name: ANY, url: ANY, logo_url: ANY, postal_address: ANY, currency: ANY, currency_position: ANY, decimals: ANY, thousand_separator: ANY, decimal_separator: ANY, timezone: ANY, locale: ANY, money_format: ANY },
  customer: { email: ANY, first_name: ANY, last_name: ANY, name: ANY },
  flow: { id: ANY, step: ANY },
  cart: { line_items: ANY, total: ANY, item_count: ANY, restore_url: ANY },
  order: { number: ANY, date: ANY, total: ANY, currency: ANY, url: ANY, line_items: ANY },
  products: ANY,
  recommendations: ANY,
  coupon: { code: ANY, amount: ANY, type: ANY, expires_at: ANY },
  search: { query: ANY, url: ANY },
  feedback_urls: { shipping: ANY, price: ANY, just_looking: ANY },
  anniversary: { years: ANY, kind: ANY, date: ANY },
  loyalty: { orders: ANY, total_spent: ANY },
  stay_url: ANY,
  confirm_url: ANY,
  unsubscribe_url: ANY,
  preferences_url: ANY,
  reason: ANY,
  language: ANY,
  locale: ANY,
  locales: ANY,
  direction: ANY,
  align: ANY,
  align_end: ANY,
  subject: ANY,
  preheader: ANY,
  // The welcome flow's settings.
  discount_code: ANY,
  discount_text: ANY,
};

const POSITION = /line:(\d+), col:(\d+)/;

function position(err: unknown): { line: number | null; column: number | null } {
  const m = POSITION.exec(String((err as Error)?.message ?? ''));
  return m ? { line: Number(m[1]), column: Number(m[2]) } : { line: null, column: null };
}

function classify(message: string): TemplateProblem['kind'] {
  return /undefined filter/i.test(message) ? 'unknown_filter' : 'syntax';
}

/**
 * The first line of the message, without liquidjs's repeated source excerpt and its position (which
 * counts from the body's first line; the problem's own line and column count in the whole file).
 */
const clean = (message: string) => message.split('\n')[0]!.replace(/,? ?line:\d+, col:\d+/, '').trim();

let shared: Renderer | null = null;

/**
 * Checks an edited template before it is saved: front matter, Liquid syntax, unknown filters and
 * unknown variables, each with its line and column in the file; then, when the flow and step are
 * known, renders it with sample data to catch what only shows at run time (a missing string).
 */
export async function validateTemplate(
  source: string,
  opts: { flow?: string; step?: number; renderer?: Renderer; extraVariables?: string[] } = {},
): Promise<ValidationResult> {
  const renderer = opts.renderer ?? (shared ??= createRenderer(TEMPLATES_DIR));
  const problems: TemplateProblem[] = [];
  const fm = FRONT_MATTER.exec(source);
  if (!fm) {
    problems.push({ kind: 'front_matter', message: 'the template must start with front matter (---, subject:, preheader:, ---)', line: 1, column: 1 });
    return { ok: false, problems };
  }
  const fmLines = fm[1]!.split('\n');
  const bodyOffset = fm[0].split('\n').length - 1; // lines before the body
  let meta: { subject?: unknown; preheader?: unknown } = {};
  try {
    meta = (YAML.parse(fm[1]!) ?? {}) as typeof meta;
  } catch (err) {
    const e = err as { linePos?: Array<{ line: number; col: number }> };
    problems.push({ kind: 'front_matter', message: clean((err as Error).message), line: (e.linePos?.[0]?.line ?? 0) + 1, column: e.linePos?.[0]?.col ?? null });
    return { ok: false, problems };
  }
  if (!meta.subject) problems.push({ kind: 'front_matter', message: 'front matter needs a subject', line: 2, column: 1 });

  const known = new Set([...Object.keys(SCHEMA), ...(opts.extraVariables ?? [])]);
  const check = (text: string, engine: 'html' | 'plain', lineOf: (l: number) => number, colOf: (l: number, c: number) => number) => {
    let templates;
    try {
      templates = renderer.engines[engine].parse(text);
    } catch (err) {
      const p = position(err);
      problems.push({ kind: classify((err as Error).message), message: clean((err as Error).message), line: p.line === null ? null : lineOf(p.line), column: p.line === null || p.column === null ? null : colOf(p.line, p.column) });
      return;
    }
    const analysis = renderer.engines[engine].analyzeSync(templates, { partials: false });
    for (const [name, uses] of Object.entries(analysis.globals)) {
      for (const v of uses) {
        const segs = v.segments.filter((s): s is string => typeof s === 'string');
        const loc = v.location;
        const at = { line: loc ? lineOf(loc.row) : null, column: loc ? colOf(loc.row, loc.col) : null };
        if (!known.has(name)) {
          problems.push({ kind: 'unknown_variable', message: `unknown variable "${name}"`, ...at });
          continue;
        }
        const shape = SCHEMA[name];
        if (shape && shape !== true && segs[1] !== undefined && !(segs[1] in shape) && segs[1] !== 'size' && segs[1] !== 'first') {
          problems.push({ kind: 'unknown_variable', message: `unknown variable "${name}.${segs[1]}"`, ...at });
        }
      }
    }
  };

  // Subject and preheader: positions are reported on their line of the front matter.
  for (const key of ['subject', 'preheader'] as const) {
    if (typeof meta[key] !== 'string') continue;
    const idx = fmLines.findIndex((l) => l.startsWith(`${key}:`));
    const line = idx + 2;
    check(meta[key] as string, 'plain', () => line, () => 1);
  }
  const body = source.slice(fm[0].length);
  check(body, 'html', (l) => l + bodyOffset, (_l, c) => c);

  if (!problems.length && opts.flow && opts.step) {
    try {
      await renderer.renderSource(source, sampleContext(opts.flow, opts.step));
    } catch (err) {
      const p = position(err);
      problems.push({ kind: 'render', message: clean((err as Error).message), line: p.line === null ? null : p.line + bodyOffset, column: p.column });
    }
  }
  return { ok: problems.length === 0, problems };
}
