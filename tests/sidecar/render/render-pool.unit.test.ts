import path from 'node:path';
import { createLogger } from '../../../sidecar/src/logger';
import { createRenderPool } from '../../../sidecar/src/render/render-pool';
import { createRenderer, RenderError } from '../../../sidecar/src/render/renderer';
import { sampleCart, sampleContext, SAMPLE_RECOMMENDATIONS } from '../../../sidecar/src/render/samples';

const TEMPLATES = path.resolve(__dirname, '../../../templates');

describe('the render threads', () => {
  const pool = createRenderPool(TEMPLATES, { size: 2, log: createLogger('silent') });
  const inline = createRenderer(TEMPLATES);
  afterAll(() => pool.close());

  const cart = (first: string, locale = 'en_US') =>
    sampleContext('abandoned_cart', 1, { cart: sampleCart(5), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4), locales: [locale], customer: { email: `${first}@example.com`, first_name: first, last_name: '', name: first } });

  it('render exactly what the renderer on the main thread renders, in both directions', async () => {
    for (const locale of ['en_US', 'he_IL']) {
      const context = cart('Dana', locale);
      expect(await pool.render('flows/abandoned_cart/1', context)).toEqual(await inline.render('flows/abandoned_cart/1', context));
    }
  });

  it('answer many renders at once, each with its own context', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `Guest${i}`);
    const emails = await Promise.all(names.map((n) => pool.render('flows/abandoned_cart/1', cart(n))));
    emails.forEach((e, i) => expect(e.subject).toBe(`You left something in your cart, ${names[i]}`));
  });

  it('give back a template error as the same permanent RenderError', async () => {
    const err = await pool.render('flows/abandoned_cart/1', { ...cart('Dana'), cart: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).template).toBe('flows/abandoned_cart/1');
    expect((err as RenderError).reason).toBe('the context lacks cart');
    await expect(pool.render('flows/nope/1', cart('Dana'))).rejects.toThrow(new RenderError('flows/nope/1', 'template not found'));
  });

  it("use an admin's edit from the next render on, and the shipped file again once it is removed", async () => {
    const name = 'flows/abandoned_cart/1';
    const edited = pool.defaultSource(name)!.replace(/^subject: .*$/m, 'subject: "Edited for {{ customer.first_name }}"');
    expect(() => pool.setOverride(name, '---\nsubject: "{% if %}"\n---\nx')).toThrow(RenderError);
    pool.setOverride(name, edited);
    const during = await Promise.all([1, 2, 3, 4].map(() => pool.render(name, cart('Noa'))));
    expect(during.map((e) => e.subject)).toEqual(Array(4).fill('Edited for Noa'));
    pool.setOverride(name, null);
    const after = await Promise.all([1, 2, 3, 4].map(() => pool.render(name, cart('Noa'))));
    expect(after.map((e) => e.subject)).toEqual(Array(4).fill('You left something in your cart, Noa'));
  });
});
