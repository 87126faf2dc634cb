import path from 'node:path';
import { createRenderer } from '../sidecar/src/render/renderer';
import { sampleCart, sampleContext, SAMPLE_RECOMMENDATIONS } from '../sidecar/src/render/samples';

export interface RenderRow { name: string; value: number; unit: string; target: string }

/**
 * Renders per second of an abandoned-cart email with 5 line items and 4 recommendations (subject,
 * preheader, HTML with inlined CSS, text part), one process, after a warm-up.
 */
export async function benchRender(opts: { seconds?: number } = {}): Promise<RenderRow[]> {
  const renderer = createRenderer(path.resolve(__dirname, '..', 'templates'));
  const context = sampleContext('abandoned_cart', 1, { cart: sampleCart(5), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4) });
  const name = 'flows/abandoned_cart/1';
  for (let i = 0; i < 200; i++) await renderer.render(name, context);
  const until = performance.now() + (opts.seconds ?? 3) * 1000;
  const started = performance.now();
  let n = 0;
  while (performance.now() < until) {
    await renderer.render(name, context);
    n++;
  }
  const perSecond = n / ((performance.now() - started) / 1000);
  const he = sampleContext('abandoned_cart', 1, { cart: sampleCart(5), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4), locales: ['he_IL'] });
  const t0 = performance.now();
  let m = 0;
  while (performance.now() - t0 < 1000) {
    await renderer.render(name, he);
    m++;
  }
  return [
    { name: 'render: cart email, 5 items + 4 recommendations (en)', value: Math.round(perSecond), unit: 'renders/s', target: '≥ 1000' },
    { name: 'render: the same in Hebrew (Intl money, RTL)', value: Math.round(m / ((performance.now() - t0) / 1000)), unit: 'renders/s', target: '≥ 1000' },
  ];
}

if (require.main === module) {
  benchRender().then((rows) => console.table(rows));
}
