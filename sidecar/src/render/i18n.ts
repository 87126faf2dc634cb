import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Translated strings live in `templates/strings/<lang>.json`, one file per language; a shop adds a
// language by adding a file. Keys are nested objects addressed with dots ("cart.title"); a value is
// a string with `{{ name }}` placeholders, or an object of plural forms (zero, one, two, few, many,
// other) chosen with Intl.PluralRules when the caller passes `count`.

export type Direction = 'ltr' | 'rtl';

export interface StringsBundle {
  /** The file's name without `.json`: a BCP 47 tag such as `he`, `sr` or `pt-BR`. */
  lang: string;
  dir: Direction;
  strings: Record<string, unknown>;
}

export const FALLBACK_LANGUAGE = 'en';

const RTL = new Set(['ar', 'arc', 'ckb', 'dv', 'fa', 'he', 'iw', 'ku', 'ps', 'sd', 'ug', 'ur', 'yi']);

export function directionOf(lang: string): Direction {
  try {
    const info = (new Intl.Locale(lang) as unknown as { textInfo?: { direction?: string } }).textInfo;
    if (info?.direction === 'rtl' || info?.direction === 'ltr') return info.direction;
  } catch {
    // not a valid tag: fall through to the list
  }
  return RTL.has(lang.split('-')[0]!.toLowerCase()) ? 'rtl' : 'ltr';
}

export class StringsError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'StringsError';
  }
}

/** Reads every `<dir>/*.json`; a file that does not parse stops start-up, naming the file. */
export function loadStrings(dir: string): Map<string, StringsBundle> {
  const out = new Map<string, StringsBundle>();
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const lang = file.slice(0, -'.json'.length);
    let strings: unknown;
    try {
      strings = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    } catch (err) {
      throw new StringsError(file, `not valid JSON: ${(err as Error).message}`);
    }
    if (!strings || typeof strings !== 'object' || Array.isArray(strings)) throw new StringsError(file, 'must hold one JSON object');
    const meta = (strings as { _meta?: { dir?: string } })._meta;
    const dirOverride = meta?.dir === 'rtl' || meta?.dir === 'ltr' ? meta.dir : null;
    out.set(lang.toLowerCase(), { lang, dir: dirOverride ?? directionOf(lang), strings: strings as Record<string, unknown> });
  }
  return out;
}

/** `he_IL` (WordPress) → `he-IL`; null for anything that is not a usable BCP 47 tag. */
export function toBcp47(locale: string | null | undefined): string | null {
  if (!locale) return null;
  let tag = canonical.get(locale);
  if (tag !== undefined) return tag;
  tag = canonicalize(locale);
  // A shop has a handful of locales; the bound only keeps odd input from growing the map.
  if (canonical.size < 1000) canonical.set(locale, tag);
  return tag;
}

/** Every render resolves its language, and Intl's canonicalization is slow next to a Map lookup. */
const canonical = new Map<string, string | null>();
function canonicalize(locale: string): string | null {
  const tag = locale.trim().replace(/_/g, '-').replace(/\.[^.]*$/, '');
  if (!tag) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

export interface ResolvedLanguage {
  /** The strings file used (its key): `he`, `sr`, `en`. */
  language: string;
  /** The tag Intl formats numbers and dates with: the candidate's full tag when its language matched. */
  locale: string;
  dir: Direction;
}

/**
 * Picks the first candidate (contact's locale, then the order's, then the shop's) that has a
 * strings file, by full tag first (`pt-BR`) then by language (`pt`); English when none has.
 */
export function resolveLanguage(candidates: Array<string | null | undefined>, bundles: Map<string, StringsBundle>): ResolvedLanguage {
  for (const c of candidates) {
    const tag = toBcp47(c);
    if (!tag) continue;
    const full = bundles.get(tag.toLowerCase());
    if (full) return { language: full.lang, locale: tag, dir: full.dir };
    const base = bundles.get(tag.split('-')[0]!.toLowerCase());
    if (base) return { language: base.lang, locale: tag, dir: base.dir };
  }
  const en = bundles.get(FALLBACK_LANGUAGE);
  return { language: en?.lang ?? FALLBACK_LANGUAGE, locale: FALLBACK_LANGUAGE, dir: 'ltr' };
}

function lookup(strings: Record<string, unknown>, key: string): unknown {
  let node: unknown = strings;
  for (const part of key.split('.')) {
    if (!node || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

const PLURAL_FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'];
const numbers = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string): Intl.NumberFormat {
  let f = numbers.get(locale);
  if (!f) numbers.set(locale, (f = new Intl.NumberFormat(locale)));
  return f;
}
const plurals = new Map<string, Intl.PluralRules>();
function pluralRules(locale: string): Intl.PluralRules {
  let p = plurals.get(locale);
  if (!p) plurals.set(locale, (p = new Intl.PluralRules(locale)));
  return p;
}

/** The value `translate` starts from: the language's, else English's (undefined when neither has one). */
function find(bundles: Map<string, StringsBundle>, language: string, key: string): unknown {
  const value = lookup(bundles.get(language.toLowerCase())?.strings ?? {}, key);
  return value === undefined || value === null || value === '' ? lookup(bundles.get(FALLBACK_LANGUAGE)?.strings ?? {}, key) : value;
}

/**
 * What `translate` gives for `key` whatever the arguments and locale: the text of a string without
 * placeholders; null for plural forms, placeholders and keys that are missing (those stay errors at render).
 */
export function fixedTranslation(bundles: Map<string, StringsBundle>, language: string, key: string): string | null {
  const value = find(bundles, language, key);
  return typeof value === 'string' && !value.includes('[[') && !value.includes('{{') ? value : null;
}

/**
 * Translates `key` into `language`, falling back to English, then fills `{{ name }}` placeholders.
 * A key missing in English too is an error (a typo in a template must not send an email).
 */
export function translate(
  bundles: Map<string, StringsBundle>,
  language: string,
  locale: string,
  key: string,
  args: Record<string, unknown>,
): string {
  // Plural rules, number formats and placeholders cost microseconds each, and a shop's emails ask
  // for the same few (a quantity, the shop's name) over and over: remember what each gave.
  const memoKey = translationKey(language, locale, key, args);
  const memo = memoKey === null ? undefined : translations.get(bundles)?.get(memoKey);
  if (memo !== undefined) return memo;
  const text = translateUncached(bundles, language, locale, key, args);
  if (memoKey !== null) {
    let byKey = translations.get(bundles);
    if (!byKey) translations.set(bundles, (byKey = new Map()));
    if (byKey.size >= MAX_REMEMBERED_TRANSLATIONS) byKey.clear();
    byKey.set(memoKey, text);
  }
  return text;
}

const translations = new WeakMap<Map<string, StringsBundle>, Map<string, string>>();
const MAX_REMEMBERED_TRANSLATIONS = 10_000;

/** The memo key of a translation whose arguments are plain values; null when one is not. */
function translationKey(language: string, locale: string, key: string, args: Record<string, unknown>): string | null {
  let out = `${language}\u0001${locale}\u0001${key}`;
  for (const name in args) {
    const v = args[name];
    const type = typeof v;
    if (v !== null && type !== 'string' && type !== 'number' && type !== 'boolean' && type !== 'undefined') return null;
    out += `\u0001${name}\u0002${type}\u0002${String(v)}`;
  }
  return out;
}

function translateUncached(
  bundles: Map<string, StringsBundle>,
  language: string,
  locale: string,
  key: string,
  args: Record<string, unknown>,
): string {
  let value = find(bundles, language, key);
  if (value === undefined || value === null) throw new Error(`no translation for "${key}" (strings/${FALLBACK_LANGUAGE}.json)`);
  if (typeof value === 'object' && !Array.isArray(value)) {
    const forms = value as Record<string, unknown>;
    if (!Object.keys(forms).some((k) => PLURAL_FORMS.includes(k))) throw new Error(`"${key}" names a group of strings, not one string`);
    const count = Number(args.count ?? 0);
    const exact = count === 0 && typeof forms.zero === 'string' ? 'zero' : null;
    const form = exact ?? pluralRules(locale).select(count);
    value = forms[form] ?? forms.other;
  }
  if (typeof value !== 'string') throw new Error(`"${key}" is not a string`);
  // Most strings have nothing to fill in (and the rest are filled per line item).
  if (!value.includes('[[') && !value.includes('{{')) return value;
  const text = (raw: unknown) => (raw === null || raw === undefined ? '' : typeof raw === 'number' ? numberFormat(locale).format(raw) : String(raw));
  const need = (name: string) => {
    if (!Object.prototype.hasOwnProperty.call(args, name)) throw new Error(`"${key}" needs "${name}"`);
    return text(args[name]);
  };
  // "[[, {{ name }}]]" is kept only when every placeholder inside it has a value.
  const optional = value.replace(/\[\[([\s\S]*?)\]\]/g, (_m, inner: string) =>
    [...inner.matchAll(PLACEHOLDER)].every((m) => need(m[1]!).trim() !== '') ? inner : '');
  // A value ending in "." before a "." in the text ("… from Brew & Leaf Co..") gives one full stop.
  return optional.replace(PLACEHOLDER, (_m, name: string, dot: string) => {
    const s = need(name);
    return dot && s.endsWith('.') ? s : s + dot;
  });
}

const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}(\.?)/gi;
