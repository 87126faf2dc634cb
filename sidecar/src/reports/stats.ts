// The statistics behind the experiment results, kept pure so they can be checked against textbook
// values. Intervals are two-sided 95 %.

export const Z95 = 1.959963984540054;

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

/** The complementary error function (Chebyshev fit, fractional error below 1.2e-7: ample for a p-value). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Φ(z), the standard normal distribution function. */
export const normalCdf = (z: number) => 0.5 * erfc(-z / Math.SQRT2);

/** Wilson's score interval for x successes in n trials. */
export function wilson(x: number, n: number, z = Z95): Interval {
  if (n <= 0) return { estimate: 0, low: 0, high: 1 };
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface ProportionTest {
  /** p₁ − p₂ with Newcombe's hybrid score interval (his method 10). */
  difference: Interval;
  /** The pooled two-proportion z statistic and its two-sided p-value. */
  z: number;
  pValue: number;
}

/** Compares x₁/n₁ with x₂/n₂. */
export function compareProportions(x1: number, n1: number, x2: number, n2: number): ProportionTest {
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const w1 = wilson(x1, n1);
  const w2 = wilson(x2, n2);
  const d = p1 - p2;
  const difference = {
    estimate: d,
    low: d - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: d + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
  };
  const pooled = n1 + n2 > 0 ? (x1 + x2) / (n1 + n2) : 0;
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / Math.max(n1, 1) + 1 / Math.max(n2, 1)));
  const z = se > 0 ? d / se : 0;
  return { difference, z, pValue: se > 0 ? 2 * (1 - normalCdf(Math.abs(z))) : 1 };
}

/** A group's per-unit values as sums: n units, Σv and Σv². */
export interface Moments {
  n: number;
  sum: number;
  sumSquares: number;
}

export const mean = (m: Moments) => (m.n > 0 ? m.sum / m.n : 0);

/** The sample variance (n − 1 in the denominator). */
export function variance(m: Moments): number {
  if (m.n < 2) return 0;
  return Math.max(0, (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1));
}

/** Mean₁ − mean₂ with Welch's standard error and a normal-approximation interval (fine for the samples a verdict needs). */
export function compareMeans(a: Moments, b: Moments, z = Z95): Interval & { se: number } {
  const estimate = mean(a) - mean(b);
  const se = Math.sqrt((a.n > 0 ? variance(a) / a.n : 0) + (b.n > 0 ? variance(b) / b.n : 0));
  return { estimate, low: estimate - z * se, high: estimate + z * se, se };
}

/** An interval that lies wholly on one side of zero. */
export const excludesZero = (i: Interval) => i.low > 0 || i.high < 0;
