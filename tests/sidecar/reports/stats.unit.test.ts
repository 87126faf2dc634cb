import path from 'node:path';
import { applyVariant, assignVariant, bucket, isHeldOut } from '../../../sidecar/src/flows/experiments';
import { createRenderer } from '../../../sidecar/src/render/renderer';
import { sampleContext } from '../../../sidecar/src/render/samples';
import type { FlowDefinition, FlowStep } from '../../../sidecar/src/flows/definitions';
import { compareMeans, compareProportions, excludesZero, normalCdf, wilson } from '../../../sidecar/src/reports/stats';

describe('experiment statistics against textbook values', () => {
  it('the normal distribution function', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1)).toBeCloseTo(0.8413447, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-2.575829)).toBeCloseTo(0.005, 6);
  });

  it("Wilson's interval (Newcombe 1998, Statistics in Medicine 17:857, table I)", () => {
    const a = wilson(81, 263);
    expect([a.low, a.high].map((v) => v.toFixed(4))).toEqual(['0.2553', '0.3662']);
    const b = wilson(15, 148);
    expect([b.low, b.high].map((v) => v.toFixed(4))).toEqual(['0.0624', '0.1605']);
  });

  it("Newcombe's hybrid score interval and the pooled z-test (Newcombe 1998, 17:873, example 56/70 vs 48/80)", () => {
    const t = compareProportions(56, 70, 48, 80);
    expect(t.difference.estimate).toBeCloseTo(0.2, 10);
    expect([t.difference.low, t.difference.high].map((v) => v.toFixed(4))).toEqual(['0.0524', '0.3339']);
    // By hand: pooled p = 104/150, se = √(p(1−p)(1/70 + 1/80)) = 0.075467, z = 0.2 / se = 2.6502.
    expect(t.z).toBeCloseTo(2.6502, 3);
    expect(t.pValue).toBeCloseTo(0.00805, 4);
    expect(excludesZero(t.difference)).toBe(true);
    expect(excludesZero(compareProportions(10, 100, 12, 100).difference)).toBe(false);
  });

  it("Welch's interval on a difference of means, by hand", () => {
    // [1,2,3,4] vs [2,4,6]: means 2.5 and 4, variances 5/3 and 4; se = √(5/12 + 4/3) = √1.75.
    const m = (xs: number[]) => ({ n: xs.length, sum: xs.reduce((a, b) => a + b, 0), sumSquares: xs.reduce((a, b) => a + b * b, 0) });
    const d = compareMeans(m([1, 2, 3, 4]), m([2, 4, 6]));
    expect(d.estimate).toBeCloseTo(-1.5, 10);
    expect(d.se).toBeCloseTo(Math.sqrt(1.75), 10);
    expect(d.low).toBeCloseTo(-1.5 - 1.959964 * Math.sqrt(1.75), 5);
    expect(d.high).toBeCloseTo(-1.5 + 1.959964 * Math.sqrt(1.75), 5);
  });
});

describe('assignment', () => {
  const step: FlowStep = { template: 'flows/x/1', delayMs: 0, coupon: null, variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }] };

  it('is deterministic per contact and follows the weights', () => {
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let contact = 1; contact <= 20_000; contact++) {
      const v = assignVariant('post_purchase', 2, step, contact)!;
      expect(assignVariant('post_purchase', 2, step, contact)!.id).toBe(v.id);
      counts[v.id]! += 1;
    }
    // 25 % ± 1.5 points (more than 4 standard errors at n = 20,000).
    expect(Math.abs(counts.a! / 20_000 - 0.25)).toBeLessThan(0.015);
  });

  it('a weight of 0 assigns nobody; the holdout is independent of the split and only for marketing flows', () => {
    const closed: FlowStep = { ...step, variants: [{ id: 'a', weight: 0 }, { id: 'b', weight: 1 }] };
    for (let c = 1; c <= 500; c++) expect(assignVariant('f', 1, closed, c)!.id).toBe('b');
    const flow = { id: 'welcome', purpose: 'marketing', holdoutPercent: 10 } as FlowDefinition;
    const held = Array.from({ length: 20_000 }, (_, i) => isHeldOut(flow, i + 1)).filter(Boolean).length;
    expect(Math.abs(held / 20_000 - 0.1)).toBeLessThan(0.01);
    expect(isHeldOut({ ...flow, holdoutPercent: 0 }, 1)).toBeNull();
    expect(isHeldOut({ ...flow, purpose: 'service' }, 1)).toBeNull();
    expect(bucket('welcome', 'holdout', 7)).not.toBe(bucket('welcome', 1, 'a,b', 7));
  });
});

describe('the cross-sell with and without a discount', () => {
  const ten = { type: 'percent' as const, amount: '10', expiresInDays: 14, freeShipping: false };
  const step: FlowStep = { template: 'flows/post_purchase/2', delayMs: 0, coupon: null, variants: [{ id: 'a', coupon: null, weight: 1 }, { id: 'b', coupon: ten, weight: 1 }] };

  it("a variant's coupon replaces the step's; one that names none keeps the step's", () => {
    expect(applyVariant(step, 'b').coupon).toEqual(ten);
    expect(applyVariant({ ...step, coupon: ten }, 'a').coupon).toBeNull();
    expect(applyVariant({ ...step, variants: [{ id: 'c', weight: 1 }] }, 'c').coupon).toBeNull();
    expect(applyVariant(step, 'gone')).toBe(step);
  });

  it('the cross-sell email shows the code only to the discount arm', async () => {
    const renderer = createRenderer(path.resolve(__dirname, '../../../templates'));
    const coupon = { code: 'XSELL-10', amount: '10', type: 'percent', expires_at: '2026-11-29' };
    const withCode = await renderer.render('flows/post_purchase/2', sampleContext('post_purchase', 2, { coupon }));
    const without = await renderer.render('flows/post_purchase/2', sampleContext('post_purchase', 2, { coupon: null }));
    expect(withCode.text).toContain('XSELL-10');
    expect(without.text).not.toContain('XSELL-10');
  });
});
