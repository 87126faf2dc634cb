import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRenderer } from '../../../sidecar/src/render/renderer';
import { sampleContext, sampleSteps } from '../../../sidecar/src/render/samples';

// Golden tests: every flow step in every shipped language, rendered with the sample contexts.
const root = path.resolve(__dirname, '../../../templates');
const renderer = createRenderer(root);
const LANGUAGES = ['en', 'he', 'ar', 'fa', 'sr'];
const RTL = new Set(['he', 'ar', 'fa']);
const LOCALES: Record<string, string> = { en: 'en_US', he: 'he_IL', ar: 'ar', fa: 'fa_IR', sr: 'sr_RS' };

function keys(o: unknown, prefix = ''): string[] {
  if (!o || typeof o !== 'object') return [prefix];
  const forms = Object.keys(o as object);
  if (forms.includes('other')) return [prefix];
  return forms.filter((k) => k !== '_meta').flatMap((k) => keys((o as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
}

describe('the shipped templates', () => {
  it('ships every language named here, each with every English string', () => {
    expect(renderer.languages().sort()).toEqual([...LANGUAGES].sort());
    const en = keys(JSON.parse(readFileSync(path.join(root, 'strings/en.json'), 'utf8')));
    for (const lang of LANGUAGES) {
      const own = new Set(keys(JSON.parse(readFileSync(path.join(root, `strings/${lang}.json`), 'utf8'))));
      expect({ lang, missing: en.filter((k) => !own.has(k)) }).toEqual({ lang, missing: [] });
    }
  });

  it('has one template per step of every flow', () => {
    expect(renderer.templates()).toEqual(sampleSteps().map((s) => s.template).sort());
  });

  const cases = sampleSteps().flatMap((s) => LANGUAGES.map((lang) => [s.template, lang, s] as const));
  it.each(cases)('%s in %s renders a complete, valid email', async (template, lang, s) => {
    const email = await renderer.render(template, sampleContext(s.flow, s.step, { locales: [LOCALES[lang]] }));
    expect(email.language).toBe(lang);
    expect(email.direction).toBe(RTL.has(lang) ? 'rtl' : 'ltr');
    expect(email.subject.length).toBeGreaterThan(5);
    expect(email.preheader.length).toBeGreaterThan(5);
    const html = email.html;
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toMatch(new RegExp(`<html lang="[^"]+" dir="${email.direction}"`));
    // Structure: tables and rows are closed (Outlook's conditional comments aside).
    const bare = html.replace(/<!--[\s\S]*?-->/g, '');
    for (const tag of ['table', 'tr', 'td', 'p', 'a', 'div']) {
      expect({ tag, open: (bare.match(new RegExp(`<${tag}[\\s>]`, 'g')) ?? []).length }).toEqual({ tag, open: (bare.match(new RegExp(`</${tag}>`, 'g')) ?? []).length });
    }
    // Every link and image is absolute: mail clients have no base URL.
    for (const [, href] of html.matchAll(/(?:href|src)="([^"]*)"/g)) expect(href).toMatch(/^https:\/\//);
    expect(html).toContain('href="https://retain.example.test/u/TOKEN"');
    expect(html).toContain('Kastanienallee 12, 10435 Berlin, DE');
    expect(html).toContain('style="'); // inlined CSS
    for (const out of [html, email.text, email.subject, email.preheader]) {
      expect(out).not.toMatch(/\{\{|\{%|\}\}|undefined|\[object Object\]|NaN/);
    }
    expect(email.text).toContain('https://retain.example.test/u/TOKEN');
    expect(email.text).toContain('Kastanienallee 12');
    expect({ subject: email.subject, preheader: email.preheader, text: email.text }).toMatchSnapshot();
  });

  it('shows the logo when the shop has one, and the preferences link only when it exists', async () => {
    const plain = await renderer.render('flows/abandoned_cart/1', sampleContext('abandoned_cart', 1));
    expect(plain.html).not.toContain('class="logo"');
    expect(plain.html).not.toContain('Email preferences');
    const shop = { ...(sampleContext('abandoned_cart', 1).shop as object), logo_url: 'https://shop.example.test/wp-content/uploads/logo.png' };
    const withBoth = await renderer.render('flows/abandoned_cart/1', sampleContext('abandoned_cart', 1, { shop, preferences_url: 'https://retain.example.test/p/TOKEN' }));
    expect(withBoth.html).toMatch(/<img class="logo" src="https:\/\/shop\.example\.test\/wp-content\/uploads\/logo\.png" alt="Brew &amp; Leaf Co\."/);
    expect(withBoth.html).toContain('href="https://retain.example.test/p/TOKEN"');
  });

  it('mirrors alignment in right-to-left languages', async () => {
    const he = await renderer.render('flows/abandoned_cart/1', sampleContext('abandoned_cart', 1, { locales: ['he_IL'] }));
    expect(he.html).toContain('<td class="content" align="right"');
    expect(he.html).toMatch(/class="item-total"[^>]*align="left"/);
    const en = await renderer.render('flows/abandoned_cart/1', sampleContext('abandoned_cart', 1));
    expect(en.html).toContain('<td class="content" align="left"');
  });

  it('leaves out optional blocks when the flow has no data for them', async () => {
    const email = await renderer.render('flows/abandoned_cart/2', sampleContext('abandoned_cart', 2, { feedback_urls: null }));
    expect(email.html).not.toContain('class="feedback"');
    const none = await renderer.render('flows/search_abandonment/1', sampleContext('search_abandonment', 1, { products: [] }));
    expect(none.text).toContain("We didn't have an exact match");
  });

  it('fails on a missing flow variable instead of sending half an email', async () => {
    await expect(renderer.render('flows/abandoned_cart/1', sampleContext('abandoned_cart', 1, { cart: null }))).rejects.toThrow(/cart/);
  });
});
