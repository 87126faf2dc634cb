import { readHtml } from './html-events';

// The plain-text part of every email, made from its rendered HTML in one streaming pass over its
// events (html-events.ts). html-to-text did the same through a DOM and a selector engine at many
// times the cost; our markup is known, so the events and these few rules are enough. Any HTML still
// converts: unknown tags are inline, their text kept.

const WIDTH = 78;
/** A column of a data table wider than this wraps. */
const MAX_COLUMN = 48;
const COLUMN_GAP = '   ';

/** Elements whose content never reaches the text part. */
const SKIPPED_TAGS = new Set(['head', 'title', 'style', 'script', 'noscript', 'template', 'img']);
/** Classes the templates set on what the text part leaves out (the preheader, image-only links). */
const SKIPPED_CLASSES = new Set(['preheader', 'text-skip']);
/** Blank lines around a block: 1 starts a new line, 2 leaves one empty line between. */
const BLOCKS: Record<string, number> = {
  p: 2, h1: 2, h2: 2, h3: 2, h4: 2, h5: 2, h6: 2, ul: 2, ol: 2, blockquote: 2, pre: 2,
  div: 1, table: 1, tr: 1, td: 1, th: 1, li: 1, hr: 1,
};
/** Tables whose rows are data (line items), laid out as aligned columns. */
const DATA_TABLE_CLASS = 'items';
/** Links shown by their text alone: the link of a line item (the call to action under it carries one). */
const TEXT_ONLY_LINK_CLASS = 'item-link';
/** Links that stand on a line of their own (the answers of "what stopped you?"). */
const OWN_LINE_LINK_CLASS = 'chip';

/**
 * Markup as the text part needs it: tags keep only what it reads (`class`, `href`). Static parts of a
 * template are trimmed this way once, at load, so each render parses about half of the HTML for its text.
 */
const UNREAD_ATTRIBUTE = /\s(?:style|role|width|height|cellpadding|cellspacing|border|dir|align|valign|bgcolor|alt|src|lang|xmlns(?::\w+)?)="[^"]*"/gi;
export const textOnlyMarkup = (markup: string) => markup.replace(/<[a-zA-Z][^<>]*>/g, (tag) => tag.replace(UNREAD_ATTRIBUTE, ''));

const NO_CLASSES: string[] = [''];
/** The words of a class attribute, split once per tag (the rules below ask up to four times). */
const classesOf = (attrs: Record<string, string>) => (attrs.class ? attrs.class.split(/\s+/) : NO_CLASSES);
/** HTML's collapsible whitespace; a no-break space is content and stays. */
const collapse = (s: string) => (s === '\n' ? ' ' : s.replace(/[ \t\r\n\f]+/g, ' '));

/** Greedy word wrap at spaces; a word longer than the width (a URL) keeps its own line whole. */
export function wrap(line: string, width = WIDTH): string[] {
  if (line.length <= width) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (!current) current = word;
    else if (current.length + 1 + word.length <= width) current += ` ${word}`;
    else {
      out.push(current);
      current = word;
    }
  }
  if (current) out.push(current);
  return out;
}

/** Rows of cells (each cell its lines) as aligned columns; columns empty in every row are dropped. */
function layoutTable(rows: string[][][]): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < columns; c++) widths.push(Math.min(MAX_COLUMN, Math.max(0, ...rows.flatMap((r) => (r[c] ?? []).map((l) => l.length)))));
  const kept = widths.map((w, c) => (w > 0 ? c : -1)).filter((c) => c >= 0);
  const out: string[] = [];
  for (const row of rows) {
    const cells = kept.map((c) => (row[c] ?? []).flatMap((l) => wrap(l, widths[c])));
    const height = Math.max(0, ...cells.map((cell) => cell.length));
    for (let i = 0; i < height; i++) {
      const line = cells.map((cell, k) => (cell[i] ?? '').padEnd(widths[kept[k]!]!)).join(COLUMN_GAP).trimEnd();
      if (line) out.push(line);
    }
  }
  return out;
}

interface OpenLink {
  href: string;
  /** Where the link's text starts in the current line. */
  start: number;
}

/** The address of a link the text part prints; none for page anchors, scripts and line items' own links. */
function printedHref(href: string, classes: string[]): string | null {
  href = href.trim();
  return href && !/^(#|javascript:)/i.test(href) && !classes.includes(TEXT_ONLY_LINK_CLASS) ? href : null;
}

interface DataTable {
  rows: string[][][];
  /** The cell being read, as lines; null between cells. */
  cell: string[] | null;
}

export function htmlToText(html: string): string {
  const lines: string[] = [];
  let line = '';
  /** Line breaks owed before the next text (the largest of those asked for wins). */
  let breaks = 0;
  /** Depth inside skipped elements; the stack says which open tags started a skip. */
  let skipDepth = 0;
  const stack: Array<{ skips: boolean; block: number; link: OpenLink | null; table: boolean }> = [];
  let table: DataTable | null = null;

  const flushLine = () => {
    const text = line.trim();
    line = '';
    if (!text) return;
    if (table?.cell) table.cell.push(text);
    else lines.push(...wrap(text));
  };
  const requestBreaks = (n: number) => {
    flushLine();
    breaks = Math.max(breaks, n);
  };
  /** Pays the line breaks owed before new content. */
  const settleBreaks = () => {
    if (breaks > 0 && lines.length) for (let i = 0; i < breaks - 1; i++) lines.push('');
    breaks = 0;
  };
  const append = (text: string) => {
    line += line.endsWith(' ') && text.startsWith(' ') ? text.slice(1) : text;
  };
  const write = (text: string) => {
    if (!text) return;
    settleBreaks();
    append(text);
  };
  const link = (attrs: Record<string, string>, classes: string[]): OpenLink | null => {
    const href = printedHref(attrs.href ?? '', classes);
    return href === null ? null : { href, start: line.length };
  };

  readHtml(html, {
    onopentag(name, attrs) {
      if (skipDepth > 0) {
        stack.push({ skips: true, block: 0, link: null, table: false });
        skipDepth++;
        return;
      }
      const classes = classesOf(attrs);
      const skips = SKIPPED_TAGS.has(name) || classes.some((c) => SKIPPED_CLASSES.has(c));
      const entry = { skips, block: 0, link: null as OpenLink | null, table: false };
      stack.push(entry);
      if (skips) {
        skipDepth++;
        return;
      }
      if (name === 'table' && classes.includes(DATA_TABLE_CLASS) && !table) {
        requestBreaks(2);
        table = { rows: [], cell: null };
        entry.table = true;
        return;
      }
      if (table) {
        if (name === 'tr') table.rows.push([]);
        else if (name === 'td' || name === 'th') {
          table.cell = [];
          if (!table.rows.length) table.rows.push([]);
          table.rows[table.rows.length - 1]!.push(table.cell);
        } else if (name === 'br') flushLine();
        else if (name === 'a') entry.link = link(attrs, classes);
        return;
      }
      if (name === 'br') {
        flushLine();
        return;
      }
      const block = name === 'a' && classes.includes(OWN_LINE_LINK_CLASS) ? 1 : BLOCKS[name] ?? 0;
      if (block) {
        entry.block = block;
        requestBreaks(block);
      }
      if (name === 'li') write('* ');
      if (name === 'hr') write('-'.repeat(24));
      if (name === 'a') entry.link = link(attrs, classes);
    },
    ontext(text) {
      if (skipDepth > 0) return;
      const t = collapse(text);
      if (table) {
        if (table.cell && (line || t.trim())) append(line ? t : t.trimStart());
        return;
      }
      if (!line && !t.trim()) return;
      write(line ? t : t.trimStart());
    },
    onclosetag(name) {
      const entry = stack.pop();
      if (!entry) return;
      if (entry.skips) {
        skipDepth--;
        return;
      }
      if (entry.table && table) {
        flushLine();
        const rows = table.rows;
        table = null;
        const laid = layoutTable(rows);
        if (laid.length) {
          settleBreaks();
          lines.push(...laid);
        }
        requestBreaks(2);
        return;
      }
      if (table) {
        // A link in a cell puts its address on the cell's next line.
        if (entry.link && table.cell) {
          flushLine();
          table.cell.push(`[${entry.link.href}]`);
        }
        if ((name === 'td' || name === 'th') && table.cell) {
          flushLine();
          table.cell = null;
        }
        return;
      }
      if (entry.link) {
        const text = line.slice(Math.min(entry.link.start, line.length)).trim();
        const { href } = entry.link;
        if (href.replace(/^mailto:/i, '') !== text) write(text ? ` [${href}]` : href);
      }
      if (entry.block) requestBreaks(entry.block);
    },
  });
  flushLine();
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  return lines.join('\n');
}
