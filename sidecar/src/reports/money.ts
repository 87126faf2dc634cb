// Money in reports stays a decimal string end to end: MariaDB sums DECIMAL exactly and hands back a
// string; totals across days are added here as scaled integers, never as floats.

const SCALE = 8; // DECIMAL(26,8), as stored
const FACTOR = 10n ** BigInt(SCALE);

/** "12.5" → 1250000000n (units of 10⁻⁸). */
export function toUnits(amount: string | number | null | undefined): bigint {
  if (amount === null || amount === undefined || amount === '') return 0n;
  const text = String(amount).trim();
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new Error(`not a decimal amount: ${text}`);
  const whole = BigInt(m[2] || '0');
  const frac = BigInt(((m[3] ?? '') + '0'.repeat(SCALE)).slice(0, SCALE));
  const units = whole * FACTOR + frac;
  return m[1] === '-' ? -units : units;
}

/** Units → a decimal string with the shop's number of decimals, rounded half away from zero. */
export function formatUnits(units: bigint, decimals: number): string {
  const negative = units < 0n;
  let abs = negative ? -units : units;
  const drop = BigInt(SCALE - Math.min(decimals, SCALE));
  const step = 10n ** drop;
  abs = ((abs + step / 2n) / step) * step;
  const whole = abs / FACTOR;
  const frac = (abs % FACTOR).toString().padStart(SCALE, '0').slice(0, Math.min(decimals, SCALE));
  const text = decimals > 0 ? `${whole}.${frac}` : `${whole}`;
  return negative && abs !== 0n ? `-${text}` : text;
}
