import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatDate, imageUrl, money, productUrl, type FormatEnv } from '../../../sidecar/src/render/format';
import { loadStrings, resolveLanguage, translate } from '../../../sidecar/src/render/i18n';
import { createRenderer, RenderError } from '../../../sidecar/src/render/renderer';
import { sampleContext } from '../../../sidecar/src/render/samples';
import { validateTemplate } from '../../../sidecar/src/render/validate';

const root = path.resolve(__dirname, '../../../templates');
const env = (over: Partial<FormatEnv> = {}): FormatEnv => ({
  language: 'en', locale: 'en-US', shopLanguage: 'en', currency: 'EUR', currencyPosition: 'right_space', decimals: 2,
  thousandSeparator: '.', decimalSeparator: ',', moneyFormat: 'auto', timezone: 'Europe/Berlin', flow: 'abandoned_cart', step: 2, ...over,
});

describe('money', () => {
  it("uses the shop's WooCommerce format in the shop's language", () => {
    expect(money('1234.5', env())).toBe('1.234,50\u00a0€');
    expect(money(1234.5, env({ currencyPosition: 'left', thousandSeparator: ',', decimalSeparator: '.', currency: 'USD' }))).toBe('$1,234.50');
    expect(money('-3', env({ currencyPosition: 'left_space', decimals: 0, currency: 'JPY' }))).toBe('-¥\u00a03');
    expect(money('9.99', env(), 'GBP')).toBe('9,99\u00a0£');
    expect(money(null, env())).toBe('');
  });
  it("uses Intl for a reader in another language, unless the shop forces its format", () => {
    expect(money('1234.5', env({ language: 'he', locale: 'he-IL' }))).toBe(new Intl.NumberFormat('he-IL', { style: 'currency', currency: 'EUR', minimumFractionDigits: 2 }).format(1234.5));
    expect(money('1234.5', env({ language: 'fa', locale: 'fa-IR' }))).toMatch(/۱/);
    expect(money('1234.5', env({ language: 'he', locale: 'he-IL', moneyFormat: 'shop' }))).toBe('1.234,50\u00a0€');
  });
  it('refuses what is not an amount', () => {
    expect(() => money('abc', env())).toThrow(/not an amount/);
  });
});

describe('date', () => {
  it('formats for the reader in the shop time zone', () => {
    expect(formatDate('2026-11-22T23:30:00Z', env())).toBe('November 23, 2026'); // Berlin is UTC+1
    expect(formatDate('2026-11-22T23:30:00Z', env({ timezone: 'UTC' }))).toBe('November 22, 2026');
    expect(formatDate('2026-11-22T23:30:00Z', env({ timezone: '+02:00', locale: 'sr' }), 'long')).toBe('23. новембар 2026.');
    expect(formatDate('2026-11-29', env({ timezone: 'America/Los_Angeles' }))).toBe('November 29, 2026');
    expect(() => formatDate('2026-11-29', env(), 'weird')).toThrow(/unknown style/);
  });
});

describe('image_url', () => {
  const up = 'https://shop.test/wp-content/uploads/2026/03/tea.jpg';
  it('names the WordPress file of a cropped size, or passes the URL through', () => {
    expect(imageUrl(up, 'woocommerce_thumbnail')).toBe('https://shop.test/wp-content/uploads/2026/03/tea-300x300.jpg');
    expect(imageUrl('https://shop.test/wp-content/uploads/2026/03/tea-1024x768.png?v=2', 'thumbnail')).toBe('https://shop.test/wp-content/uploads/2026/03/tea-150x150.png?v=2');
    expect(imageUrl(up, '64x64')).toBe('https://shop.test/wp-content/uploads/2026/03/tea-64x64.jpg');
    expect(imageUrl(up, 'woocommerce_single')).toBe(up);
    expect(imageUrl('https://cdn.example/tea.jpg', 'thumbnail')).toBe('https://cdn.example/tea.jpg');
    expect(() => imageUrl(up, 'huge')).toThrow(/unknown size/);
  });
});

describe('product_url', () => {
  it('adds UTM tags, keeping existing parameters byte for byte and the fragment last', () => {
    const e = { flow: 'abandoned_cart', step: 2 };
    expect(productUrl('https://shop.test/p/tea/', e)).toBe('https://shop.test/p/tea/?utm_source=retain&utm_medium=email&utm_campaign=abandoned_cart-2');
    expect(productUrl('https://shop.test/?retain_restore=a.b%2Bc&x=1#top', e)).toBe('https://shop.test/?retain_restore=a.b%2Bc&x=1&utm_source=retain&utm_medium=email&utm_campaign=abandoned_cart-2#top');
    expect(productUrl('https://shop.test/p?utm_source=newsletter', e, 'hero')).toBe('https://shop.test/p?utm_source=newsletter&utm_medium=email&utm_campaign=abandoned_cart-2&utm_content=hero');
    expect(productUrl('https://shop.test', e)).toBe('https://shop.test/?utm_source=retain&utm_medium=email&utm_campaign=abandoned_cart-2');
  });
});

describe('strings', () => {
  const bundles = loadStrings(path.join(root, 'strings'));
  it('resolves the contact locale, then the order, then the shop, then English', () => {
    expect(resolveLanguage(['he_IL', 'en_US'], bundles)).toEqual({ language: 'he', locale: 'he-IL', dir: 'rtl' });
    expect(resolveLanguage([null, 'fa_IR', 'en_US'], bundles)).toEqual({ language: 'fa', locale: 'fa-IR', dir: 'rtl' });
    expect(resolveLanguage(['de_DE', 'sr_RS'], bundles)).toEqual({ language: 'sr', locale: 'sr-RS', dir: 'ltr' });
    expect(resolveLanguage(['xx_YY!', null], bundles).language).toBe('en');
  });
  it('fills placeholders, drops empty optional parts, picks plural forms, falls back to English', () => {
    expect(translate(bundles, 'en', 'en', 'abandoned_cart.1.subject', { name: 'Dana' })).toBe('You left something in your cart, Dana');
    expect(translate(bundles, 'en', 'en', 'abandoned_cart.1.subject', { name: '' })).toBe('You left something in your cart');
    expect(translate(bundles, 'en', 'en', 'reason.welcome', { shop: 'Brew & Leaf Co.' })).toBe('You are receiving this email because you signed up for news from Brew & Leaf Co.');
    expect(translate(bundles, 'ar', 'ar', 'vip.1.intro', { count: 2 })).toContain('طلبين');
    expect(translate(bundles, 'sr', 'sr', 'anniversary.1.heading', { count: 3 })).toBe('3 године заједно!');
    expect(() => translate(bundles, 'en', 'en', 'no.such.key', {})).toThrow(/no translation/);
    expect(() => translate(bundles, 'en', 'en', 'abandoned_cart.1.subject', {})).toThrow(/needs "name"/);
  });

  it('takes a new language from a strings file dropped into the templates folder', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retain-templates-'));
    cpSync(root, dir, { recursive: true });
    // A made-up right-to-left language with a single translated string: the rest falls back to English.
    writeFileSync(path.join(dir, 'strings', 'qq.json'), JSON.stringify({ _meta: { dir: 'rtl' }, abandoned_cart: { '1': { heading: 'Qq qq qq?' } } }));
    const r = createRenderer(dir);
    expect(r.languages()).toContain('qq');
    const email = await r.render('flows/abandoned_cart/1', sampleContext('abandoned_cart', 1, { locales: ['qq_QQ', 'en_US'] }));
    expect(email.language).toBe('qq');
    expect(email.direction).toBe('rtl');
    expect(email.html).toMatch(/<h1[^>]*>Qq qq qq\?<\/h1>/);
    expect(email.html).toContain('dir="rtl"');
    expect(email.subject).toBe('You left something in your cart, Dana');
  });
});

describe('limits: a template can never read outside its context, loop forever or exhaust memory', () => {
  const r = createRenderer(root, { limits: { renderLimit: 500, memoryLimit: 1_000_000 } });
  const src = (body: string) => `---\nsubject: "x"\n---\n${body}`;
  const ctx = sampleContext('welcome', 1);

  it('stops a 100,000,000-step loop', async () => {
    const started = Date.now();
    await expect(r.renderSource(src('{% for i in (1..100000000) %}{{ i }}{% endfor %}'), ctx)).rejects.toBeInstanceOf(RenderError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
  it('stops a string doubled until it fills memory', async () => {
    await expect(r.renderSource(src('{% assign s = "xxxxxxxxxx" %}{% for i in (1..60) %}{% assign s = s | append: s %}{% endfor %}{{ s.size }}'), ctx)).rejects.toThrow(/memory/i);
  });
  it('reads no prototype properties', async () => {
    for (const expr of ['constructor', 'shop.constructor', 'shop.__proto__', 'customer.name.constructor', 'shop.hasOwnProperty', 'products.constructor']) {
      await expect(r.renderSource(src(`{{ ${expr} }}`), ctx)).rejects.toThrow(/undefined variable/);
    }
    const out = await r.renderSource(src('{{ "x" | append: shop.name.constructor.name | default: "none" }}'), ctx).catch((e: Error) => e.message);
    expect(String(typeof out === 'string' ? out : JSON.stringify(out))).not.toContain('Function');
  });
  it('cannot reach files outside the templates folder', async () => {
    await expect(r.renderSource(src("{% render '../package.json' %}"), ctx)).rejects.toBeInstanceOf(RenderError);
    await expect(r.renderSource(src("{% include '/etc/passwd' %}"), ctx)).rejects.toBeInstanceOf(RenderError);
  });
});

describe('validateTemplate', () => {
  it('accepts every shipped template', async () => {
    const { readFileSync } = await import('node:fs');
    for (const name of createRenderer(root).templates()) {
      const [, flow, step] = name.split('/');
      const result = await validateTemplate(readFileSync(path.join(root, `${name}.liquid`), 'utf8'), { flow, step: Number(step) });
      expect({ name, problems: result.problems }).toEqual({ name, problems: [] });
    }
  });
  it('reports syntax errors, unknown filters and unknown variables with line and column', async () => {
    const source = ['---', 'subject: "{{ shop.nmae }}"', '---', "{% layout 'layouts/base' %}", '{% block content %}', '<p>{{ customer.first_name | shout }}</p>', '<p>{{ cutomer.email }}</p>', '{% if x %}', '{% endblock %}'].join('\n');
    const r1 = await validateTemplate(source);
    expect(r1.ok).toBe(false);
    expect(r1.problems.find((p) => p.kind === 'unknown_filter')).toMatchObject({ line: 6, message: expect.stringContaining('shout') });
    const r2 = await validateTemplate(source.replace(' | shout', '').replace('{% if x %}\n', ''));
    expect(r2.problems).toEqual([
      { kind: 'unknown_variable', message: 'unknown variable "shop.nmae"', line: 2, column: 1 },
      { kind: 'unknown_variable', message: 'unknown variable "cutomer"', line: 7, column: 7 },
    ]);
    const r3 = await validateTemplate(source.replace(' | shout', '').replace('{{ cutomer.email }}', '').replace('shop.nmae', 'shop.name'));
    expect(r3.problems[0]).toMatchObject({ kind: 'syntax' });
    expect(r3.problems[0]).toMatchObject({ line: 9, column: 1, message: expect.stringContaining('endblock') }); // where liquidjs notices the unclosed if
  });
  it('catches at render time what only shows then, such as a string that does not exist', async () => {
    const r = await validateTemplate(['---', 'subject: "x"', '---', "{% layout 'layouts/base' %}{% block content %}{{ 'nope.nothing' | t }}{% endblock %}"].join('\n'), { flow: 'welcome', step: 1 });
    expect(r.problems[0]).toMatchObject({ kind: 'render' });
  });
  it('asks for front matter', async () => {
    expect((await validateTemplate('<p>hi</p>')).problems[0]).toMatchObject({ kind: 'front_matter' });
  });
});
