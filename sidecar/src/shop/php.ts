import { unserialize } from 'php-serialize';

// WordPress stores arrays in meta and options as PHP serialize() output. Reading: php-serialize in
// non-strict mode, so an `O:` entry becomes a plain object tagged __PHP_Incomplete_Class_Name and
// no class is ever instantiated. Writing (generator only): our own encoder, because `s:N:` counts
// UTF-8 bytes and JS objects must become PHP arrays, never `O:` objects.

export type PhpValue = null | boolean | number | string | PhpValue[] | { [key: string]: PhpValue };

export type Unserialized = { ok: true; value: unknown } | { ok: false; error: string };

/** WordPress's is_serialized(), enough to tell a serialized value from a plain string. */
export function looksSerialized(raw: string): boolean {
  const s = raw.trim();
  if (s === 'N;') return true;
  return /^([adObis]):/.test(s) && /[;}]$/.test(s);
}

/** Never throws: a corrupt value is returned as `{ ok: false }` so the caller can count and skip it. */
export function phpUnserialize(raw: string | null | undefined): Unserialized {
  if (raw === null || raw === undefined || raw === '') return { ok: true, value: null };
  if (!looksSerialized(raw)) return { ok: true, value: raw };
  try {
    return { ok: true, value: unserialize(raw, {}, { strict: false }) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** WordPress's maybe_unserialize() for values stored twice (WooCommerce sessions). */
export function phpUnserializeNested(raw: unknown): Unserialized {
  if (typeof raw !== 'string') return { ok: true, value: raw };
  return phpUnserialize(raw);
}

/** A PHP array of ints (_crosssell_ids, _upsell_ids) as numbers; tolerates both list and map shapes. */
export function toIdList(value: unknown): number[] {
  const items = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value) : [];
  const out: number[] = [];
  for (const v of items) {
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number.parseInt(v, 10) : NaN;
    if (Number.isInteger(n) && n > 0) out.push(n);
  }
  return out;
}

export function phpSerialize(value: PhpValue): string {
  if (value === null) return 'N;';
  if (typeof value === 'boolean') return `b:${value ? 1 : 0};`;
  if (typeof value === 'number') return Number.isInteger(value) ? `i:${value};` : `d:${value};`;
  if (typeof value === 'string') return `s:${Buffer.byteLength(value, 'utf8')}:"${value}";`;
  const entries: Array<[string | number, PhpValue]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  let body = '';
  for (const [k, v] of entries) {
    const key = typeof k === 'number' || /^(0|-?[1-9][0-9]*)$/.test(k) ? `i:${k};` : phpSerialize(k);
    body += key + phpSerialize(v);
  }
  return `a:${entries.length}:{${body}}`;
}
