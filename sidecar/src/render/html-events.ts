import { decodeHTML, decodeHTMLAttribute } from 'entities';

// The events of an HTML document (open tag with attributes, text, close tag) as htmlparser2's Parser
// reports them in HTML mode, with names lower-cased and entities decoded, but read by jumping
// between `<`, `>` and quotes instead of through a per-character state machine: the text part of
// every email reads its HTML this way, and htmlparser2's tokenizer was a third of a render. The element rules (void
// elements, tags that close others implicitly, stray end tags, raw-text elements) follow the HTML
// spec as htmlparser2 applies it; a test checks the events agree with htmlparser2's on the shipped
// emails and on malformed markup. Text may arrive in fewer, longer pieces than htmlparser2's.

export interface HtmlEvents {
  onopentag(name: string, attrs: Record<string, string>): void;
  ontext(text: string): void;
  onclosetag(name: string): void;
}

const VOID_ELEMENTS = new Set(['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);

/** Opening the key closes these when they are the innermost open elements (a new `<p>` ends the last). */
const P = ['p'];
const FORM = ['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea'];
const IMPLIED_CLOSES = new Map<string, Set<string>>(
  Object.entries({
    tr: ['tr', 'th', 'td'], th: ['th'], td: ['thead', 'th', 'td'], body: ['head', 'link', 'script'], li: ['li'],
    p: P, h1: P, h2: P, h3: P, h4: P, h5: P, h6: P,
    select: FORM, input: FORM, output: FORM, button: FORM, datalist: FORM, textarea: FORM,
    option: ['option'], optgroup: ['optgroup', 'option'], dd: ['dd', 'dt'], dt: ['dd', 'dt'],
    address: P, article: P, aside: P, blockquote: P, details: P, div: P, dl: P, fieldset: P, figcaption: P, figure: P,
    footer: P, form: P, header: P, hr: P, main: P, nav: P, ol: P, pre: P, section: P, table: P, ul: P,
    rt: ['rt', 'rp'], rp: ['rt', 'rp'], tbody: ['thead', 'tbody'], tfoot: ['thead', 'tbody'],
  }).map(([k, v]) => [k, new Set(v)]),
);

/** Elements whose content is text up to their own end tag; in <title> entities are decoded. */
const RAW_TEXT_END = new Map(['script', 'style', 'xmp', 'title', 'textarea'].map((name) => [name, new RegExp(`</${name}(?=[\\t\\n\\f\\r >])`, 'ig')]));

/** What the reader needs to know of an element, found with one lookup per tag. */
interface ElementRule {
  isVoid: boolean;
  closes: Set<string> | undefined;
  rawTextEnd: RegExp | undefined;
}
const NO_RULE: ElementRule = { isVoid: false, closes: undefined, rawTextEnd: undefined };
const RULES = new Map<string, ElementRule>(
  [...new Set([...VOID_ELEMENTS, ...IMPLIED_CLOSES.keys(), ...RAW_TEXT_END.keys()])].map((name) => [
    name,
    { isVoid: VOID_ELEMENTS.has(name), closes: IMPLIED_CLOSES.get(name), rawTextEnd: RAW_TEXT_END.get(name) },
  ]),
);
const ruleOf = (name: string) => RULES.get(name) ?? NO_RULE;

const GT = 62, SLASH = 47, BANG = 33, QUESTION = 63, EQUALS = 61, DQUOTE = 34, SQUOTE = 39;
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
const isLetter = (c: number) => ((c | 0x20) >= 97 && (c | 0x20) <= 122);
const isUpper = (c: number) => c >= 65 && c <= 90;
/** A name as read, lower-cased only when it has a capital (most markup has none, and the copy costs). */
const nameAt = (html: string, from: number, to: number, hasUpper: boolean) => (hasUpper ? html.slice(from, to).toLowerCase() : html.slice(from, to));
const decodeText = (s: string) => (s.includes('&') ? decodeHTML(s) : s);
const decodeAttribute = (s: string) => (s.includes('&') ? decodeHTMLAttribute(s) : s);

/**
 * Reads `html` from start to end, calling `events` as htmlparser2 would. Where this differs: an
 * unterminated `<!…`, `<?…` or `</…` at the very end of the document is dropped.
 */
export function readHtml(html: string, events: HtmlEvents): void {
  const n = html.length;
  /** Open elements, innermost last. */
  const stack: string[] = [];
  /** Where the text not yet reported starts. */
  let textFrom = 0;
  const flushText = (to: number) => {
    if (to > textFrom) events.ontext(decodeText(html.slice(textFrom, to)));
  };
  const closeTop = () => events.onclosetag(stack.pop()!);
  /** An open tag's name has been read: close what it implies, and it is open. */
  const begin = (name: string, rule: ElementRule) => {
    const { closes } = rule;
    if (closes) while (stack.length && closes.has(stack[stack.length - 1]!)) closeTop();
    if (!rule.isVoid) stack.push(name);
  };
  const closeElement = (name: string) => {
    if (ruleOf(name).isVoid) {
      if (name === 'br') {
        events.onopentag('br', {});
        events.onclosetag('br');
      }
      return;
    }
    const pos = stack.lastIndexOf(name);
    if (pos !== -1) {
      while (stack.length > pos) closeTop();
    } else if (name === 'p') {
      begin('p', NO_RULE);
      events.onopentag('p', {});
      closeTop();
    }
  };

  let i = 0;
  scan: while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt === -1 || lt + 1 >= n) break;
    const c = html.charCodeAt(lt + 1);
    let j: number;

    if (isLetter(c)) {
      let upper = isUpper(c);
      for (j = lt + 2; j < n; j++) {
        const ch = html.charCodeAt(j);
        if (isSpace(ch) || ch === SLASH || ch === GT) break;
        if (isUpper(ch)) upper = true;
      }
      flushText(lt);
      textFrom = n; // a tag cut off by the end of the document is dropped, unless read to its end below
      if (j >= n) break;
      const name = nameAt(html, lt + 1, j, upper);
      const rule = ruleOf(name);
      begin(name, rule);
      const attrs: Record<string, string> = Object.create(null);
      let selfClosing = false;
      for (;;) {
        while (j < n && isSpace(html.charCodeAt(j))) j++;
        if (j >= n) break scan;
        const a = html.charCodeAt(j);
        if (a === GT) {
          j++;
          break;
        }
        if (a === SLASH) {
          if (html.charCodeAt(j + 1) === GT) {
            selfClosing = true;
            j += 2;
            break;
          }
          j++;
          continue;
        }
        let upper = isUpper(a);
        let k = j + 1; // the first character belongs to the name, whatever it is
        for (; k < n; k++) {
          const ch = html.charCodeAt(k);
          if (isSpace(ch) || ch === SLASH || ch === GT || ch === EQUALS) break;
          if (isUpper(ch)) upper = true;
        }
        const key = nameAt(html, j, k, upper);
        j = k;
        while (j < n && isSpace(html.charCodeAt(j))) j++;
        let value = '';
        if (html.charCodeAt(j) === EQUALS) {
          j++;
          while (j < n && isSpace(html.charCodeAt(j))) j++;
          if (j >= n) break scan;
          const q = html.charCodeAt(j);
          if (q === DQUOTE || q === SQUOTE) {
            const close = html.indexOf(q === DQUOTE ? '"' : "'", j + 1);
            if (close === -1) break scan;
            value = decodeAttribute(html.slice(j + 1, close));
            j = close + 1;
          } else {
            k = j;
            while (k < n && !isSpace(html.charCodeAt(k)) && html.charCodeAt(k) !== GT) k++;
            if (k >= n) break scan;
            value = decodeAttribute(html.slice(j, k));
            j = k;
          }
        }
        if (attrs[key] === undefined) attrs[key] = value; // the first of a repeated attribute counts
      }
      events.onopentag(name, attrs);
      if (rule.isVoid) events.onclosetag(name);
      textFrom = i = j;
      if (selfClosing) {
        if (stack[stack.length - 1] === name) closeTop();
        continue;
      }
      const rawEnd = rule.rawTextEnd;
      if (rawEnd) {
        rawEnd.lastIndex = j;
        const end = rawEnd.exec(html);
        const stop = end ? end.index : n;
        if (stop > j) events.ontext(name === 'title' ? decodeText(html.slice(j, stop)) : html.slice(j, stop));
        textFrom = i = stop;
        if (!end) break;
        // Its end tag is read as any other below; a `<` inside never starts a tag.
        j = stop + 2 + name.length;
        closeElement(name);
        const gt = html.indexOf('>', j);
        textFrom = i = gt === -1 ? n : gt + 1;
      }
      continue;
    }

    if (c === SLASH) {
      j = lt + 2;
      while (j < n && isSpace(html.charCodeAt(j))) j++;
      if (j >= n) break;
      const first = html.charCodeAt(j);
      if (first === GT) {
        i = j + 1; // `</>` and `</ >` stay in the text
        continue;
      }
      flushText(lt);
      if (!isLetter(first)) {
        const gt = html.indexOf('>', j); // `</3…>`: a bogus comment, dropped
        textFrom = i = gt === -1 ? n : gt + 1;
        continue;
      }
      let upper = isUpper(first);
      let k = j + 1;
      for (; k < n; k++) {
        const ch = html.charCodeAt(k);
        if (isSpace(ch) || ch === GT) break;
        if (isUpper(ch)) upper = true;
      }
      if (k >= n) {
        textFrom = i = n; // cut off in its name: dropped
        break;
      }
      closeElement(nameAt(html, j, k, upper));
      const gt = html.indexOf('>', k);
      textFrom = i = gt === -1 ? n : gt + 1;
      continue;
    }

    if (c === BANG || c === QUESTION) {
      flushText(lt);
      let end: number;
      if (html.startsWith('<!--', lt)) {
        const close = html.indexOf('-->', lt + 2); // `<!-->` and `<!--->` are whole comments
        end = close === -1 ? n : close + 3;
      } else if (html.startsWith('<![CDATA[', lt)) {
        const close = html.indexOf(']]>', lt + 9); // in HTML, a comment
        end = close === -1 ? n : close + 3;
      } else {
        const gt = html.indexOf('>', lt + 2); // a declaration (<!DOCTYPE …>) or an instruction (<?…?>)
        end = gt === -1 ? n : gt + 1;
      }
      textFrom = i = end;
      continue;
    }

    i = lt + 1; // `<` before anything else is text
  }
  flushText(n);
  while (stack.length) closeTop();
}
