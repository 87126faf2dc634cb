import { AssignTag, Context, Drop, ForTag, IfTag, isTruthy, Liquid, LiquidError, Output, Parser, RenderError, RenderTag, TokenKind, toValue, toValueSync, type Emitter, type Template } from 'liquidjs';
import { textOnlyMarkup } from './text-part';

// liquidjs renders every node through a generator, and its synchronous driver pays for each yield:
// about half of a cart email's render went to that machinery, not to the email. Most nodes need
// none of it: markup is a string to write, and most outputs read a dotted path from plain data and
// pass it through synchronous filters. Those nodes get a plain function here; anything else (a
// drop, a missing variable, a filter that throws or yields, `first`/`last`, an index) takes the node's
// own generator path, so results and error messages are liquidjs's own. A differential test
// renders every shipped template both ways.

/** Thrown inside a fast path to hand the node back to liquidjs's own render. */
const USE_LIQUIDJS = Symbol('use liquidjs');

/** What the fast paths read of liquidjs's Context; `scopes` is private in its types, not at run time. */
interface ContextShape {
  scopes: object[];
  environments: object;
  globals: object;
  strictVariables: boolean;
  ownPropertyOnly: boolean;
}

type Reader = (ctx: Context) => unknown;

/** Keys liquidjs answers itself when the object has no such property. */
const COMPUTED_KEYS = new Set<PropertyKey>(['size', 'first', 'last']);
const hasOwn = Object.prototype.hasOwnProperty;

/** Context.findScope: the innermost scope that has the name, then the environment, then the globals. */
function scopeOf(ctx: ContextShape, key: PropertyKey): object {
  const { scopes } = ctx;
  for (let i = scopes.length - 1; i >= 0; i--) if (key in scopes[i]!) return scopes[i]!;
  return key in ctx.environments ? ctx.environments : ctx.globals;
}

/** Context.readProperty for plain objects under ownPropertyOnly; anything else goes back to liquidjs. */
function readPlain(obj: unknown, key: PropertyKey, strict: boolean): unknown {
  if (obj === null || obj === undefined) return obj;
  if (typeof obj === 'object' && (obj instanceof Drop || typeof (obj as { toLiquid?: unknown }).toLiquid === 'function')) throw USE_LIQUIDJS;
  if (typeof key === 'number') throw USE_LIQUIDJS; // array indexes (negative ones count from the end)
  const value = hasOwn.call(obj, key) ? (obj as Record<PropertyKey, unknown>)[key] : undefined;
  if (value === undefined && key === 'size' && (Array.isArray(obj) || typeof obj === 'string')) return obj.length;
  if (value === undefined && (strict || COMPUTED_KEYS.has(key))) throw USE_LIQUIDJS;
  if (typeof value === 'function') throw USE_LIQUIDJS;
  return value;
}

/** A reader for a literal or a dotted path of literal keys; null when the token is anything else. */
function compileToken(token: unknown): Reader | null {
  const t = token as { content?: unknown; props?: Array<{ content?: unknown }>; variable?: unknown; kind?: number };
  if (t.kind === TokenKind.Quoted || t.kind === TokenKind.Number || t.kind === TokenKind.Literal) {
    const value = t.content; // a literal is a value or one of liquidjs's own drops (blank, empty)
    return () => value;
  }
  if (t.kind !== TokenKind.PropertyAccess || t.variable || !t.props?.length) return null;
  const keys = t.props.map((p) => p.content);
  if (!keys.every((k): k is string => typeof k === 'string')) return null;
  const [first, ...rest] = keys as [string, ...string[]];
  return (ctx) => {
    const c = ctx as unknown as ContextShape;
    if (!c.ownPropertyOnly) throw USE_LIQUIDJS;
    let value = readPlain(scopeOf(c, first), first, c.strictVariables);
    for (const key of rest) value = readPlain(value, key, c.strictVariables);
    return value;
  };
}

/** liquidjs's default operators; a template engine with others keeps its own path. */
const BINARY_OPERATORS = new Set(['==', '!=', '>', '<', '>=', '<=', 'contains', 'and', 'or']);
type Operator = (this: unknown, ...args: unknown[]) => unknown;

/** An expression (operands and operators in postfix) evaluated with liquidjs's own operators. */
function compileExpression(postfix: unknown[]): Reader | null {
  if (postfix.length === 1) return compileToken(postfix[0]);
  const steps: Array<Reader | { operator: string; unary: boolean }> = [];
  for (const token of postfix) {
    const t = token as { kind?: number; operator?: string };
    if (t.kind === TokenKind.Operator) {
      if (t.operator !== 'not' && !BINARY_OPERATORS.has(t.operator!)) return null;
      steps.push({ operator: t.operator!, unary: t.operator === 'not' });
    } else {
      const read = compileToken(token);
      if (!read) return null;
      steps.push(read);
    }
  }
  return (ctx) => {
    const operators = ctx.opts.operators as unknown as Record<string, Operator>;
    const operands: unknown[] = [];
    for (const step of steps) {
      if (typeof step === 'function') {
        operands.push(step(ctx));
        continue;
      }
      const r = operands.pop();
      const result = step.unary ? operators[step.operator]!(r, ctx) : operators[step.operator]!(operands.pop(), r, ctx);
      if (isPromise(result)) throw USE_LIQUIDJS;
      operands.push(isIterator(result) ? toValueSync(result) : result);
    }
    return operands[0];
  };
}

interface FilterShape {
  handler: (this: unknown, value: unknown, ...args: unknown[]) => unknown;
  args: unknown[];
  token: unknown;
  liquid: Liquid;
}

interface ValueShape {
  initial: { postfix: unknown[] };
  filters: FilterShape[];
}

const isDrop = (v: unknown) => v instanceof Drop;
/** liquidjs's operators are generators; a filter or tag may return a promise, which only its own path can wait for. */
const isIterator = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as { next?: unknown }).next === 'function';
const isPromise = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
const isDeferred = (v: unknown) => isIterator(v) || isPromise(v);

/** A filtered value (an output's, a condition's, an assignment's) as one synchronous function; null when some part cannot be. */
function compileValue(value: ValueShape): Reader | null {
  const initial = compileExpression(value.initial.postfix);
  if (!initial) return null;
  const filters: Array<{ filter: FilterShape; args: Array<Reader | [string, Reader]> }> = [];
  for (const filter of value.filters) {
    const args: Array<Reader | [string, Reader]> = [];
    for (const arg of filter.args) {
      const pair = Array.isArray(arg) ? (arg as [string, unknown]) : null;
      const read = compileToken(pair ? pair[1] : arg);
      if (!read) return null;
      args.push(pair ? [pair[0], read] : read);
    }
    filters.push({ filter, args });
  }
  if (!filters.length) return initial;
  return (ctx) => {
    let v = initial(ctx);
    for (const { filter, args } of filters) {
      if (isDrop(v)) throw USE_LIQUIDJS;
      const argv = args.map((a) => (typeof a === 'function' ? a(ctx) : [a[0], a[1](ctx)]));
      v = filter.handler.apply({ context: ctx, token: filter.token, liquid: filter.liquid }, [v, ...argv]);
      if (isDeferred(v)) throw USE_LIQUIDJS;
    }
    return v;
  };
}

/** Renderer.renderTemplates without a generator of its own: the same limit check and error wrapping. */
function renderAll(templates: Template[], ctx: Context, emitter: Emitter): void {
  for (const tpl of templates) {
    ctx.renderLimit.check(performance.now());
    try {
      const out = tpl.render(ctx, emitter);
      const html = isIterator(out) ? toValueSync(out) : out;
      if (html) emitter.write(html);
      if (ctx.breakCalled || ctx.continueCalled) break;
    } catch (e) {
      throw LiquidError.is(e) ? e : new RenderError(e as Error, tpl);
    }
  }
}

/** The node with a plain render in front of its own; analysis (arguments, children) is inherited. */
function withRender(node: Template, render: (ctx: Context, emitter: Emitter) => unknown): Template {
  return Object.create(node, { render: { value: render } }) as Template;
}

function fastOutput(node: Output): Template {
  const run = compileValue(node.value as unknown as ValueShape);
  if (!run) return node;
  return withRender(node, (ctx, emitter) => {
    let v: unknown;
    try {
      v = run(ctx);
      if (isDrop(v)) throw USE_LIQUIDJS;
    } catch {
      // Filters are pure, so running the node again from the start is safe: its result or its error
      // are what liquidjs would have given.
      return node.render(ctx, emitter);
    }
    emitter.write(v);
  });
}

function fastIf(node: IfTag): Template {
  const shape = node as unknown as { branches: Array<{ value: ValueShape; templates: Template[] }>; elseTemplates?: Template[] };
  const branches = shape.branches.map((b) => ({ test: compileValue(b.value), templates: b.templates }));
  if (!branches.every((b) => b.test)) return node;
  return withRender(node, (ctx, emitter) => {
    let chosen = shape.elseTemplates ?? [];
    try {
      for (const b of branches) {
        if (isTruthy(toValue(b.test!(ctx)), ctx)) {
          chosen = b.templates;
          break;
        }
      }
    } catch {
      return node.render(ctx, emitter); // conditions are pure, as filters are
    }
    renderAll(chosen, ctx, emitter);
  });
}

function fastAssign(node: AssignTag): Template {
  const shape = node as unknown as { key: string; value: ValueShape };
  const run = compileValue(shape.value);
  if (!run) return node;
  return withRender(node, (ctx, emitter) => {
    let v: unknown;
    try {
      v = run(ctx);
    } catch {
      return (node as Template).render(ctx, emitter);
    }
    ctx.bottom()[shape.key] = v;
  });
}

/** liquidjs does not export its `forloop` drop; one render of a one-item loop hands over the class. */
const ForloopDrop = (() => {
  const scratch = new Liquid();
  let drop: unknown;
  scratch.registerFilter('capture_drop', (v: unknown) => {
    drop = v;
    return '';
  });
  scratch.parseAndRenderSync('{% for x in xs %}{{ forloop | capture_drop }}{% endfor %}', { xs: [1] });
  return (drop as object).constructor as new (length: number, collection: string, variable: string) => Drop & { next(): void };
})();

function fastFor(node: ForTag): Template {
  const shape = node as unknown as { variable: string; collection: { getText(): string }; hash: { hash: object }; templates: Template[]; elseTemplates: Template[] };
  // limit, offset and reversed stay with liquidjs, as does anything that is not a plain path.
  if (Object.keys(shape.hash.hash).length) return node;
  const read = compileToken(shape.collection);
  if (!read) return node;
  const { variable, templates, elseTemplates } = shape;
  const collectionText = shape.collection.getText();
  const continueKey = `continue-${variable}-${collectionText}`;
  return withRender(node, (ctx, emitter) => {
    let items: unknown;
    try {
      items = read(ctx);
    } catch {
      return node.render(ctx, emitter);
    }
    if (!Array.isArray(items)) return node.render(ctx, emitter); // strings, objects, drops: liquidjs enumerates them
    if (!items.length) return renderAll(elseTemplates, ctx, emitter);
    ctx.setRegister(continueKey, items.length); // where a later `offset: continue` resumes
    const forloop = new ForloopDrop(items.length, collectionText, variable);
    const scope: Record<string, unknown> = Object.create(null);
    scope.forloop = forloop;
    ctx.push(scope);
    for (const item of items) {
      scope[variable] = item;
      ctx.continueCalled = ctx.breakCalled = false;
      renderAll(templates, ctx, emitter);
      if (ctx.breakCalled) break;
      forloop.next();
    }
    ctx.continueCalled = ctx.breakCalled = false;
    ctx.pop();
  });
}

function fastRender(node: RenderTag): Template {
  const shape = node as unknown as { file: unknown; currentFile?: string; hash: { hash: Record<string, unknown> }; with?: unknown; forBinding?: unknown; liquid: Liquid };
  const file = shape.file;
  if (typeof file !== 'string' || shape.with || shape.forBinding) return node;
  const args: Array<[string, Reader]> = [];
  for (const [key, token] of Object.entries(shape.hash.hash)) {
    const read = token === undefined ? () => true : compileToken(token);
    if (!read) return node;
    args.push([key, read]);
  }
  let partial: Template[] | null = null;
  return withRender(node, (ctx, emitter) => {
    const scope: Record<string, unknown> = {};
    try {
      for (const [key, read] of args) scope[key] = read(ctx);
    } catch {
      return node.render(ctx, emitter);
    }
    const child = ctx.spawn();
    Object.assign(child.bottom(), scope);
    // The engine's files never change, so the parse its cache holds is this node's for good.
    partial ??= toValueSync(shape.liquid._parsePartialFile(file, true, shape.currentFile)) as Template[];
    renderAll(partial, child, emitter);
  });
}

/**
 * Collects the HTML and, beside it, the same HTML with what the text part never reads left out of
 * the template's own markup (textOnlyMarkup): what varies per recipient goes to both.
 */
export class TwinEmitter implements Emitter {
  buffer = '';
  textSource = '';
  write(html: unknown): void {
    const s = stringify(html);
    this.buffer += s;
    this.textSource += s;
  }
  writeMarkup(markup: string, forText: string): void {
    this.buffer += markup;
    this.textSource += forText;
  }
}

/** liquidjs's stringify (what its emitters write), which it does not export. */
function stringify(value: unknown): string {
  const v = toValue(value);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(stringify).join('');
  return String(v);
}

/** Renders parsed templates into a TwinEmitter: the HTML and the source of its text part. */
export function renderTwin(engine: Liquid, templates: Template[], scope: object, options: { globals: object }): { html: string; textSource: string } {
  const ctx = new Context(scope, engine.options, { ...options, sync: true }, { liquid: engine });
  const emitter = new TwinEmitter();
  toValueSync(engine.renderer.renderTemplates(templates, ctx, emitter));
  return { html: emitter.buffer, textSource: emitter.textSource };
}

function fasten(node: Template): Template {
  if (node.token.kind === TokenKind.HTML) {
    const markup = (node as unknown as { str: string }).str;
    const forText = textOnlyMarkup(markup);
    return withRender(node, (_ctx, emitter) => {
      if (emitter instanceof TwinEmitter) emitter.writeMarkup(markup, forText);
      else emitter.write(markup);
    });
  }
  if (node instanceof Output) return fastOutput(node);
  if (node instanceof IfTag) return fastIf(node);
  if (node instanceof AssignTag) return fastAssign(node);
  if (node instanceof ForTag) return fastFor(node);
  if (node instanceof RenderTag) return fastRender(node);
  return node;
}

const fastEngines = new WeakSet<Liquid>();
let parserPatched = false;

/**
 * Every node this engine parses from now on (templates, partials, layouts) renders through fasten().
 * liquidjs makes a new Parser for each file, so the hook sits on the prototype, for these engines only.
 */
export function useFastNodes(engine: Liquid): void {
  fastEngines.add(engine);
  if (parserPatched) return;
  parserPatched = true;
  const parseToken = Parser.prototype.parseToken;
  Parser.prototype.parseToken = function (this: Parser, token, remainTokens) {
    const node = parseToken.call(this, token, remainTokens);
    return fastEngines.has((this as unknown as { liquid: Liquid }).liquid) ? (fasten(node) as typeof node) : node;
  };
}
