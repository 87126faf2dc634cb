import { readFileSync } from 'node:fs';
import path from 'node:path';
import { convert } from 'html-to-text';
import juice from 'juice';
import { Liquid, type Template } from 'liquidjs';
import YAML from 'yaml';

export interface RenderedEmail {
  subject: string;
  preheader: string;
  html: string;
  text: string;
}

/** A template that cannot be rendered is a permanent failure of that send, never a retry. */
export class RenderError extends Error {
  readonly code = 'render_failed';
  constructor(readonly template: string, message: string) {
    super(`${template}: ${message}`);
    this.name = 'RenderError';
  }
}

interface ParsedTemplate {
  subject: Template[];
  preheader: Template[];
  body: Template[];
}

// Limits that keep one bad template from hanging or exhausting the sidecar (liquidjs counts
// them cooperatively; see its security model).
const LIMITS = { parseLimit: 1_000_000, renderLimit: 2_000, memoryLimit: 32_000_000 };

function engine(root: string, escape: boolean): Liquid {
  return new Liquid({
    root,
    extname: '.liquid',
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    outputEscape: escape ? 'escape' : undefined,
    cache: true,
    ...LIMITS,
  });
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

/**
 * Renders a flow step's template (`templates/flows/<flow>/<step>.liquid`): YAML front matter with
 * `subject` and `preheader`, then the body, which extends a layout. Subject and preheader are
 * plain text; the body is HTML with every output escaped unless marked `| raw`.
 */
export function createRenderer(templatesRoot: string) {
  const root = path.resolve(templatesRoot);
  const html = engine(root, true);
  const plain = engine(root, false);
  const parsed = new Map<string, ParsedTemplate>();

  function load(name: string): ParsedTemplate {
    const cached = parsed.get(name);
    if (cached) return cached;
    const file = path.join(root, `${name}.liquid`);
    if (!file.startsWith(root + path.sep)) throw new RenderError(name, 'template name leaves the templates folder');
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      throw new RenderError(name, 'template not found');
    }
    const match = FRONT_MATTER.exec(source);
    const meta = (match ? YAML.parse(match[1]!) : {}) as { subject?: string; preheader?: string };
    if (!meta.subject) throw new RenderError(name, 'front matter needs a subject');
    try {
      const t: ParsedTemplate = {
        subject: plain.parse(meta.subject),
        preheader: plain.parse(meta.preheader ?? ''),
        body: html.parse(match ? source.slice(match[0].length) : source, file),
      };
      parsed.set(name, t);
      return t;
    } catch (err) {
      throw new RenderError(name, (err as Error).message);
    }
  }

  return {
    root,
    /** Parses every template up front so a broken one stops start-up, not a send. */
    preload(names: string[]): void {
      for (const n of names) load(n);
    },

    async render(name: string, context: Record<string, unknown>): Promise<RenderedEmail> {
      const t = load(name);
      try {
        const subject = (await plain.render(t.subject, context)).replace(/\s+/g, ' ').trim();
        const preheader = (await plain.render(t.preheader, context)).replace(/\s+/g, ' ').trim();
        const raw = await html.render(t.body, { ...context, subject, preheader });
        const inlined = juice(raw, { removeStyleTags: false, preserveMediaQueries: true });
        const text = convert(inlined, {
          wordwrap: 78,
          selectors: [
            { selector: 'h1', options: { uppercase: false } },
            { selector: 'h2', options: { uppercase: false } },
            { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
            { selector: 'img', format: 'skip' },
            { selector: '.preheader', format: 'skip' },
          ],
        });
        return { subject, preheader, html: inlined, text };
      } catch (err) {
        throw new RenderError(name, (err as Error).message);
      }
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;
