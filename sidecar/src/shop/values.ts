// Small, pure conversions between what WooCommerce stores and what the reader returns.

const ZERO_DATE = /^0000-00-00/;

/** A UTC DATETIME string ('Y-m-d H:i:s', as the shop pool returns it) → Date; empty or zero → null. */
export function gmtDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const s = String(value).trim();
  if (!s || ZERO_DATE.test(s)) return null;
  const d = new Date(`${s.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Date → 'Y-m-d H:i:s' in UTC, for comparisons against *_gmt columns. */
export function sqlUtc(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** Unix seconds (as stored in _date_paid, session_expiry) → Date. */
export function unixDate(value: unknown): Date | null {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : null;
}

export function normaliseEmail(email: string | null | undefined): string | null {
  const e = (email ?? '').trim().toLowerCase();
  return e.includes('@') ? e : null;
}

/** 'processing' and 'wc-processing' both become 'wc-processing' (the stored form). */
export function storedStatus(status: string): string {
  const s = status.trim().toLowerCase();
  return s.startsWith('wc-') ? s : `wc-${s}`;
}

export function bareStatus(status: unknown): string {
  return String(status ?? '').replace(/^wc-/, '');
}

const SCALE = 100_000_000n;

/** A decimal string → integer units of 1e-8 (DECIMAL(26,8)'s precision), without floating point. */
export function toUnits(value: unknown): bigint {
  const s = String(value ?? '').trim();
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (!m[2] && !m[3])) return 0n;
  const whole = BigInt(m[2] || '0');
  const frac = BigInt(((m[3] ?? '') + '00000000').slice(0, 8));
  const units = whole * SCALE + frac;
  return m[1] ? -units : units;
}

/** Units → a fixed decimal string with the shop's number of decimals (half away from zero). */
export function formatUnits(units: bigint, decimals = 2): string {
  const neg = units < 0n;
  let abs = neg ? -units : units;
  const step = 10n ** BigInt(8 - Math.min(8, Math.max(0, decimals)));
  abs = ((abs + step / 2n) / step) * step;
  const whole = abs / SCALE;
  const frac = (abs % SCALE).toString().padStart(8, '0').slice(0, decimals);
  return `${neg && abs !== 0n ? '-' : ''}${whole}${decimals > 0 ? `.${frac}` : ''}`;
}

export function money(value: unknown, decimals = 2): string {
  return formatUnits(toUnits(value), decimals);
}

/** A Y-m-d birthday, validated as a real calendar day; anything else → null. */
export function birthdayValue(value: unknown): string | null {
  const s = String(value ?? '').trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]) ? s : null;
}

export const intId = (v: unknown): number => {
  const n = Number.parseInt(String(v ?? ''), 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
};
