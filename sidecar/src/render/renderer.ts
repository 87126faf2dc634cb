import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import juice from 'juice';
import { Liquid, type Template } from 'liquidjs';
import YAML from 'yaml';
import { renderTwin, useFastNodes } from './fast-nodes';
import { FILTER_NAMES, RENDER_ENV, registerFilters, type RenderEnv } from './filters';
import type { FormatEnv } from './format';
import { fixedTranslation, loadStrings, resolveLanguage, type StringsBundle } from './i18n';
import { htmlToText } from './text-part';

export interface RenderedEmail {
  subject: string;
  preheader: string;
  html: string;
  text: string;
  /** The strings file used and the text direction, as resolved from the context's locales. */
  language: string;
  direction: 'ltr' | 'rtl';
}

/** A template that cannot be rendered is a permanent failure of that send, never a retry. */
export class RenderError extends Error {
  readonly code = 'render_failed';
  constructor(readonly template: string, readonly reason: string) {
    super(`${template}: ${reason}`);
    this.name = 'RenderError';
  }
}

type Direction = 'ltr' | 'rtl';

/** The reading direction's words; fixed for the whole email, so they are written into the markup at load. */
const SIDES: Record<Direction, Record<'direction' | 'align' | 'align_end', string>> = {
  ltr: { direction: 'ltr', align: 'left', align_end: 'right' },
  rtl: { direction: 'rtl', align: 'right', align_end: 'left' },
};
const SIDE_OUTPUT = /\{\{-?\s*(direction|align|align_end)\s*-?\}\}/g;
/** A copy of the markup for one direction: `{{ align }}` and its kin become words (each is one render node less). */
const bakeSides = (markup: string, dir: Direction) => markup.replace(SIDE_OUTPUT, (_m, k: keyof (typeof SIDES)['ltr']) => SIDES[dir][k]);

/** `{{ 'key' | t }}`: a string no recipient changes, so each language's text is written into its edition at load. */
const FIXED_STRING = /\{\{\s*(['"])([\w.-]+)\1\s*\|\s*t\s*\}\}/g;
/** liquidjs's `escape`, which the HTML engine applies to every output. */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** A template as one language in one direction renders it: its fixed strings and sides written in. */
interface EditionParts {
  /** Text when nothing in it varies by recipient, so no render is needed. */
  subject: Template[] | string;
  preheader: Template[] | string;
  body: Template[];
}

interface ParsedTemplate {
  /** Front matter texts and the inlined body, kept for the editions parsed on first use. */
  subjectSource: string;
  preheaderSource: string;
  /** The body's file (shipped templates), or its inlined markup (an admin's edit). */
  bodyFile: string | undefined;
  preparedBody: string;
  /** Parses per edition (see Edition), keyed by its key. */
  editions: Map<string, EditionParts>;
  /** Front matter `requires`: context keys that must be set (not null) for this step. */
  requires: string[];
}

/** Subject and preheader are one line; text with no Liquid left in it needs no render. */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const hasLiquid = (s: string) => s.includes('{{') || s.includes('{%');

// Limits that keep one bad template from hanging or exhausting the sidecar (liquidjs counts
// them cooperatively; see its security model). renderLimit is milliseconds per render.
export const LIMITS = { parseLimit: 1_000_000, renderLimit: 2_000, memoryLimit: 32_000_000 };
export type Limits = typeof LIMITS;

export const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;
/** Where the layout's <style> takes the shared stylesheet (templates/layouts/styles.css). */
export const STYLES_MARKER = '/* retain:styles */';
const STYLES_FILE = 'layouts/styles.css';

export interface FrontMatter {
  subject?: string;
  preheader?: string;
  requires?: string[];
}

export function splitFrontMatter(source: string): { meta: FrontMatter; body: string; bodyLine: number; raw: string | null } {
  const match = FRONT_MATTER.exec(source);
  if (!match) return { meta: {}, body: source, bodyLine: 1, raw: null };
  const meta = (YAML.parse(match[1]!) ?? {}) as FrontMatter;
  return { meta, body: source.slice(match[0].length), bodyLine: match[0].split('\n').length, raw: match[1]! };
}

function listTemplates(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...listTemplates(root, rel));
    else if (name.endsWith('.liquid')) out.push(rel);
  }
  return out;
}

/**
 * Inlines the shared stylesheet into a template's markup once, when it is loaded, so no render pays
 * for juice. Liquid survives: it sits in text and attribute values, which juice leaves alone.
 */
export function inlineStyles(source: string, css: string): string {
  if (!css || !/<[a-z]/i.test(source)) return source;
  return juice.inlineContent(source, css, { applyStyleTags: false, removeStyleTags: false, preserveMediaQueries: true, applyWidthAttributes: true, applyHeightAttributes: false, xmlMode: false });
}

export function createEngine(files: Record<string, string>, escape: boolean, limits: Limits = LIMITS, fastNodes = true): Liquid {
  const engine = new Liquid({
    templates: files,
    extname: '.liquid',
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    outputEscape: escape ? 'escape' : undefined,
    cache: true,
    ...limits,
  });
  registerFilters(engine);
  if (fastNodes) useFastNodes(engine);
  return engine;
}

export interface RenderOptions {
  /** A subject line (Liquid) in place of the template's front matter: an A/B subject test. */
  subject?: string;
}

export interface RendererOptions {
  limits?: Partial<Limits>;
  /** false: every node through liquidjs's own render, the text part from the whole HTML (what the differential test compares with). */
  fastNodes?: boolean;
}

/**
 * Renders a flow step's template (`templates/flows/<flow>/<step>.liquid`): YAML front matter with
 * `subject` and `preheader`, then the body, which extends a layout. Subject and preheader are
 * plain text; the body is HTML with every output escaped unless marked `| raw`. Strings come from
 * `templates/strings/<lang>.json`, chosen from the context's `locales` (contact, order, shop).
 */
export function createRenderer(templatesRoot: string, options: RendererOptions = {}) {
  const root = path.resolve(templatesRoot);
  const limits = { ...LIMITS, ...options.limits };
  const css = existsSync(path.join(root, STYLES_FILE)) ? readFileSync(path.join(root, STYLES_FILE), 'utf8') : '';
  // The stylesheet names the reader's sides as __align__ / __align_end__ (juice cannot read Liquid
  // in CSS); after inlining they become Liquid outputs.
  const prepare = (body: string) =>
    inlineStyles(body.split(STYLES_MARKER).join(css.replace(/\/\*[\s\S]*?\*\//g, '').trim()), css)
      .replace(/__align_end__/g, '{{ align_end }}')
      .replace(/__align__/g, '{{ align }}');
  const files: Record<string, string> = {};
  const sources = new Map<string, string>();
  for (const rel of existsSync(root) ? listTemplates(root) : []) {
    const source = readFileSync(path.join(root, rel), 'utf8');
    sources.set(rel, source);
    // Front matter stays in `sources` for load() to read; liquid only ever sees the inlined body.
    const { body } = splitFrontMatter(source);
    files[rel] = prepare(body);
  }
  const bundles = loadStrings(path.join(root, 'strings'));
  const fastNodes = options.fastNodes ?? true;
  const html = createEngine(files, true, limits, fastNodes);
  const plain = createEngine(files, false, limits, fastNodes);
  const parsed = new Map<string, ParsedTemplate>();

  /**
   * Every template as one language (its strings file) in one direction reads it, with what does not
   * vary by recipient written into the markup: the sides (bakeSides) and the fixed strings. Each
   * such output is a Liquid node and a filter call less per render; a string with placeholders,
   * plural forms or Liquid's own delimiters stays a `t` call.
   */
  interface Edition {
    key: string;
    engine: Liquid;
    html(markup: string): string;
    plain(text: string): string;
  }
  const editions = new Map<string, Edition>();
  function edition(language: string, dir: Direction): Edition {
    const key = `${language}|${dir}`;
    let e = editions.get(key);
    if (!e) {
      const fixed = (k: string) => {
        const text = fixedTranslation(bundles, language, k);
        return text === null || /[{}%]/.test(text) ? null : text;
      };
      const bake = (markup: string, escape: boolean) =>
        markup.replace(FIXED_STRING, (m, _q, k: string) => {
          const text = fixed(k);
          return text === null ? m : escape ? escapeHtml(text) : text;
        });
      const htmlOf = (markup: string) => bake(bakeSides(markup, dir), true);
      const own = Object.fromEntries(Object.entries(files).map(([rel, markup]) => [rel, htmlOf(markup)]));
      e = { key, engine: createEngine(own, true, limits, fastNodes), html: htmlOf, plain: (text) => bake(text, false) };
      editions.set(key, e);
    }
    return e;
  }

  /** Plain text (subject, preheader) in an edition: the text itself when no Liquid is left in it. */
  function plainParts(ed: Edition, source: string): Template[] | string {
    const text = ed.plain(source);
    return hasLiquid(text) ? plain.parse(text) : oneLine(text);
  }

  function partsFor(t: ParsedTemplate, ed: Edition, name: string): EditionParts {
    let parts = t.editions.get(ed.key);
    if (!parts) {
      const body = t.bodyFile !== undefined ? ed.engine.parse(ed.html(files[t.bodyFile]!), t.bodyFile) : ed.engine.parse(ed.html(t.preparedBody), name);
      parts = { subject: plainParts(ed, t.subjectSource), preheader: plainParts(ed, t.preheaderSource), body };
      t.editions.set(ed.key, parts);
    }
    return parts;
  }

  function compile(name: string, source: string, bodyFile?: string): ParsedTemplate {
    const { meta, body } = splitFrontMatter(source);
    if (!meta.subject) throw new Error('front matter needs a subject');
    const subjectSource = String(meta.subject);
    const preheaderSource = String(meta.preheader ?? '');
    const preparedBody = bodyFile !== undefined ? files[bodyFile]! : prepare(body);
    // Parsed here so a broken template fails when it is loaded or saved; editions parse on first use
    // (what they write in is plain text, so it cannot break a template that parses).
    plain.parse(subjectSource);
    plain.parse(preheaderSource);
    html.parse(preparedBody, bodyFile ?? name);
    return {
      subjectSource, preheaderSource, bodyFile, preparedBody: bodyFile !== undefined ? '' : preparedBody, editions: new Map(),
      requires: Array.isArray(meta.requires) ? meta.requires.map(String) : [],
    };
  }

  /** Store admins' edits of flow-step templates (the template store loads and saves them). */
  const overrides = new Map<string, { source: string; parsed: ParsedTemplate }>();

  function load(name: string): ParsedTemplate {
    const edited = overrides.get(name);
    if (edited) return edited.parsed;
    const cached = parsed.get(name);
    if (cached) return cached;
    const rel = `${name}.liquid`;
    const file = path.join(root, rel);
    if (!file.startsWith(root + path.sep)) throw new RenderError(name, 'template name leaves the templates folder');
    const source = sources.get(path.relative(root, file).split(path.sep).join('/'));
    if (source === undefined) throw new RenderError(name, 'template not found');
    try {
      const t = compile(name, source, rel);
      parsed.set(name, t);
      return t;
    } catch (err) {
      throw new RenderError(name, (err as Error).message);
    }
  }

  /** Subject lines that replace a template's (an A/B subject test), parsed once each. */
  const subjects = new Map<string, Template[]>();
  function subjectTemplate(source: string): Template[] {
    let t = subjects.get(source);
    if (!t) {
      t = plain.parse(source);
      if (subjects.size < 1000) subjects.set(source, t);
    }
    return t;
  }

  async function renderParsed(name: string, t: ParsedTemplate, context: Record<string, unknown>, opts: RenderOptions = {}): Promise<RenderedEmail> {
    try {
      // liquidjs reads a property of null as null even with strict variables, so a step whose
      // data is missing would render half an email: refuse it by name instead.
      const missing = t.requires.filter((k) => context[k] === null || context[k] === undefined);
      if (missing.length) throw new Error(`the context lacks ${missing.join(', ')}`);
      const { env, vars } = environment(context);
      const scope = { ...context, ...vars };
      // Globals reach {% render %} partials too, whose scope is otherwise isolated; the filter
      // environment sits under a symbol no template can name.
      const globals = { ...scope, [RENDER_ENV]: env };
      const ed = edition(vars.language as string, vars.direction as Direction);
      const parts = partsFor(t, ed, name);
      // Every tag, filter and partial is synchronous; liquidjs's async path costs a promise per node.
      const renderPlain = (tpl: Template[] | string) => (typeof tpl === 'string' ? tpl : oneLine(plain.renderSync(tpl, scope, { globals })));
      const subject = opts.subject ? oneLine(plain.renderSync(subjectTemplate(opts.subject), scope, { globals })) : renderPlain(parts.subject);
      const preheader = renderPlain(parts.preheader);
      const bodyScope = { ...scope, subject, preheader };
      const bodyOptions = { globals: { ...globals, subject, preheader } };
      // The text part reads the HTML with what it never uses left out of the template's own markup.
      let body: string;
      let textSource: string;
      if (fastNodes) ({ html: body, textSource } = renderTwin(ed.engine, parts.body, bodyScope, bodyOptions));
      else body = textSource = ed.engine.renderSync(parts.body, bodyScope, bodyOptions) as string;
      const empty = /\s(?:href|src)="\s*"/.exec(body);
      if (empty) throw new Error(`an empty link or image address (${empty[0].trim()}): a variable it names is empty`);
      return { subject, preheader, html: body, text: htmlToText(textSource), language: vars.language as string, direction: vars.direction as 'ltr' | 'rtl' };
    } catch (err) {
      throw new RenderError(name, (err as Error).message);
    }
  }

  /** The environment filters read (money format, locale, flow for UTM tags), from the context. */
  function environment(context: Record<string, unknown>): { env: RenderEnv; vars: Record<string, unknown> } {
    const shop = (context.shop ?? {}) as Record<string, unknown>;
    const flow = (context.flow ?? {}) as Record<string, unknown>;
    const candidates = Array.isArray(context.locales) ? (context.locales as unknown[]).map((l) => (typeof l === 'string' ? l : null)) : [context.language as string | null, shop.locale as string | null];
    const lang = resolveLanguage(candidates, bundles);
    const str = (v: unknown, d: string) => (typeof v === 'string' && v ? v : d);
    const format: FormatEnv = {
      language: lang.language,
      locale: lang.locale,
      shopLanguage: str(shop.locale, 'en').replace(/_/g, '-').split('-')[0]!.toLowerCase(),
      currency: str(shop.currency, 'USD'),
      currencyPosition: (['left', 'right', 'left_space', 'right_space'].includes(shop.currency_position as string) ? shop.currency_position : 'left') as FormatEnv['currencyPosition'],
      decimals: typeof shop.decimals === 'number' ? shop.decimals : 2,
      thousandSeparator: typeof shop.thousand_separator === 'string' ? shop.thousand_separator : ',',
      decimalSeparator: str(shop.decimal_separator, '.'),
      moneyFormat: shop.money_format === 'shop' ? 'shop' : 'auto',
      timezone: str(shop.timezone, 'UTC'),
      flow: str(flow.id, 'email'),
      step: (flow.step as number | string | undefined) ?? 0,
    };
    const vars = {
      language: lang.language,
      locale: lang.locale,
      direction: lang.dir,
      align: lang.dir === 'rtl' ? 'right' : 'left',
      align_end: lang.dir === 'rtl' ? 'left' : 'right',
    };
    return { env: { format, bundles }, vars };
  }

  return {
    root,
    /** The languages that have a strings file. */
    languages(): string[] {
      return [...bundles.values()].map((b) => b.lang);
    },
    bundles(): Map<string, StringsBundle> {
      return bundles;
    },
    /** Names of every flow template (`flows/<flow>/<step>`), sorted. */
    templates(): string[] {
      return [...sources.keys()].filter((k) => k.startsWith('flows/')).map((k) => k.slice(0, -'.liquid'.length)).sort();
    },
    filters: FILTER_NAMES,
    /** Parses every template up front so a broken one stops start-up, not a send. */
    preload(names: string[]): void {
      for (const n of names) load(n);
    },

    async render(name: string, context: Record<string, unknown>, opts: RenderOptions = {}): Promise<RenderedEmail> {
      return renderParsed(name, load(name), context, opts);
    },

    /** Why a subject line (Liquid) would not render: a parse error's message, or null when it parses. */
    subjectProblem(source: string): string | null {
      try {
        subjectTemplate(source);
        return null;
      } catch (err) {
        return (err as Error).message.split('\n')[0]!;
      }
    },

    /** The shipped file text of a template (front matter and body); null when there is none. */
    defaultSource(name: string): string | null {
      return sources.get(`${name}.liquid`) ?? null;
    },

    /** The text sends use: the admin's edit when there is one, else the shipped file. */
    effectiveSource(name: string): string | null {
      return overrides.get(name)?.source ?? this.defaultSource(name);
    },

    /** Puts an edited template in place of the shipped one (null restores it); throws if it does not parse. */
    setOverride(name: string, source: string | null): void {
      if (source === null) {
        overrides.delete(name);
        return;
      }
      if (!sources.has(`${name}.liquid`)) throw new RenderError(name, 'template not found');
      try {
        overrides.set(name, { source, parsed: compile(name, source) });
      } catch (err) {
        throw new RenderError(name, (err as Error).message);
      }
    },

    /** Renders a template given as text (an edited template, before it is saved). */
    async renderSource(source: string, context: Record<string, unknown>, name = 'edited template'): Promise<RenderedEmail> {
      let t: ParsedTemplate;
      try {
        t = compile(name, source);
      } catch (err) {
        throw new RenderError(name, (err as Error).message);
      }
      return renderParsed(name, t, context);
    },

    /** The engines, for validation (static analysis) of edited templates. */
    engines: { html, plain },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;
