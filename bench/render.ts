import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createLogger } from '../sidecar/src/logger';
import { createRenderPool } from '../sidecar/src/render/render-pool';
import { createRenderer } from '../sidecar/src/render/renderer';
import { sampleCart, sampleContext, SAMPLE_RECOMMENDATIONS } from '../sidecar/src/render/samples';

export interface RenderRow { name: string; value: number; unit: string; target: string }

const TEMPLATES = path.resolve(__dirname, '..', 'templates');
const NAME = 'flows/abandoned_cart/1';
const cartContext = (locales?: string[]) =>
  sampleContext('abandoned_cart', 1, { cart: sampleCart(5), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4), ...(locales ? { locales } : {}) });

/** Renders per second of one renderer, one render at a time, after a warm-up. */
async function inline(context: Record<string, unknown>, seconds: number): Promise<number> {
  const renderer = createRenderer(TEMPLATES);
  for (let i = 0; i < 300; i++) await renderer.render(NAME, context);
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < seconds * 1000) {
    await renderer.render(NAME, context);
    n++;
  }
  return n / ((performance.now() - started) / 1000);
}

/** Renders per second of the sidecar's render threads, kept busy by 32 renders in flight: the median of 3 timed runs. */
async function pooled(context: Record<string, unknown>, seconds: number, threads: number): Promise<number> {
  const pool = createRenderPool(TEMPLATES, { size: threads, log: createLogger('silent') });
  try {
    const run = async (until: number) => {
      let n = 0;
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (performance.now() < until) {
          await pool.render(NAME, context);
          n++;
        }
      }));
      return n;
    };
    // Threads start, then their JIT warms up: a sidecar renders all day, so steady state is the figure.
    await run(performance.now() + 3000);
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const n = await run(started + seconds * 1000);
      rates.push(n / ((performance.now() - started) / 1000));
    }
    return rates.sort((a, b) => a - b)[1]!; // the median of three
  } finally {
    await pool.close();
  }
}

/**
 * An abandoned-cart email with 5 line items and 4 recommendations (subject, preheader, HTML with
 * inlined CSS, text part): one thread, then the render threads the sidecar runs by default.
 */
export async function benchRender(opts: { seconds?: number } = {}): Promise<RenderRow[]> {
  const seconds = opts.seconds ?? 3;
  const threads = Math.min(4, availableParallelism());
  const en = cartContext();
  const he = cartContext(['he_IL']);
  return [
    { name: 'render: cart email, 5 items + 4 recommendations, one thread (en)', value: Math.round(await inline(en, seconds)), unit: 'renders/s', target: '' },
    { name: 'render: the same in Hebrew, one thread (Intl money, RTL)', value: Math.round(await inline(he, seconds)), unit: 'renders/s', target: '' },
    { name: `render: cart email on the sidecar's ${threads} render threads (en)`, value: Math.round(await pooled(en, seconds, threads)), unit: 'renders/s', target: '≥ 1000' },
  ];
}

if (require.main === module) {
  benchRender().then((rows) => console.table(rows));
}
