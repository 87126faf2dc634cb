import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { productUrl } from '../../../sidecar/src/render/format';
import { fixedTranslation, loadStrings } from '../../../sidecar/src/render/i18n';
import { createRenderer } from '../../../sidecar/src/render/renderer';

// A language's fixed strings (`{{ 'key' | t }}` without arguments) are written into the markup at
// load; the email must read exactly as when each was a `t` call at render.

function templatesWith(body: string, strings: Record<string, object>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'retain-editions-'));
  mkdirSync(path.join(root, 'flows/x'), { recursive: true });
  mkdirSync(path.join(root, 'strings'));
  writeFileSync(path.join(root, 'flows/x/1.liquid'), `---\nsubject: "{{ 'subj' | t }}"\npreheader: "{{ 'pre' | t }} {{ who }}"\n---\n${body}`);
  for (const [lang, s] of Object.entries(strings)) writeFileSync(path.join(root, `strings/${lang}.json`), JSON.stringify(s));
  return root;
}

const EN = {
  subj: 'Hello & "welcome"',
  pre: "It's <yours>",
  plain: 'Fish & <chips> "now" \'here\'',
  brace: 'Keep { this } %}',
  pct: '{%- x -%} 50% off',
  named: 'Hi {{ name }}',
  opt: 'Hi[[ {{ name }}]]!',
  items: { one: 'one item', other: '{{ count }} items' },
  group: { a: 'A' },
  blank: '',
};
const HE = { subj: 'שלום', plain: 'דג & צ׳יפס', blank: '' };

describe('fixed strings written into each edition', () => {
  const root = templatesWith(
    `<p>{{ 'plain' | t }}|{{ "plain" | t }}|{{'plain'|t}}|{{ 'brace' | t }}|{{ 'pct' | t }}|{{ 'items' | t: count: 2 }}|{{ 'blank' | t }}|{{ who }}</p>`,
    { en: EN, he: HE },
  );
  const renderer = createRenderer(root);

  it('renders the escaped text in the HTML and the raw text in subject and preheader', async () => {
    const email = await renderer.render('flows/x/1', { who: 'Ann <3', locales: ['en_US'] });
    expect(email.subject).toBe('Hello & "welcome"');
    expect(email.preheader).toBe("It's <yours> Ann <3");
    const esc = 'Fish &amp; &lt;chips&gt; &#34;now&#34; &#39;here&#39;';
    expect(email.html).toBe(`<p>${esc}|${esc}|${esc}|Keep { this } %}|{%- x -%} 50% off|2 items||Ann &lt;3</p>`);
  });

  it('takes each language its own text, and English where the language has none (or an empty one)', async () => {
    const email = await renderer.render('flows/x/1', { who: 'x', locales: ['he_IL'] });
    expect(email.subject).toBe('שלום');
    expect(email.preheader).toBe("It's <yours> x");
    expect(email.html).toContain('<p>דג &amp; צ׳יפס|');
    expect(email.direction).toBe('rtl');
  });

  it('keeps strings that need arguments, and missing keys, errors at render', async () => {
    for (const key of ['named', 'opt', 'nope', 'group']) {
      const r = createRenderer(templatesWith(`<p>{{ '${key}' | t }}</p>`, { en: EN }));
      await expect(r.render('flows/x/1', { who: 'x' })).rejects.toThrow(key === 'nope' ? /no translation/ : key === 'group' ? /group of strings/ : /needs "name"/);
    }
  });

  it('reads the same as translate for fixed text, and null for anything with placeholders or forms', () => {
    const bundles = loadStrings(path.join(root, 'strings'));
    expect(fixedTranslation(bundles, 'he', 'plain')).toBe('דג & צ׳יפס');
    expect(fixedTranslation(bundles, 'he', 'pre')).toBe("It's <yours>");
    expect(fixedTranslation(bundles, 'he', 'blank')).toBe('');
    for (const key of ['named', 'opt', 'items', 'group', 'nope']) expect(fixedTranslation(bundles, 'en', key)).toBeNull();
  });
});

describe('product_url remembers its answers', () => {
  it('keeps each flow, step and content apart', () => {
    const url = 'https://s.test/p/?a=1#r';
    const a = productUrl(url, { flow: 'welcome', step: 1 });
    expect(productUrl(url, { flow: 'welcome', step: 1 })).toBe(a);
    expect(a).toBe('https://s.test/p/?a=1&utm_source=retain&utm_medium=email&utm_campaign=welcome-1#r');
    expect(productUrl(url, { flow: 'welcome', step: 2 })).toBe('https://s.test/p/?a=1&utm_source=retain&utm_medium=email&utm_campaign=welcome-2#r');
    expect(productUrl(url, { flow: 'welcome', step: 1 }, 'hero')).toBe('https://s.test/p/?a=1&utm_source=retain&utm_medium=email&utm_campaign=welcome-1&utm_content=hero#r');
    expect(productUrl(url, { flow: 'welcome', step: 1 }, '')).toBe(a);
  });
});
