import path from 'node:path';
import { createRenderer, type RenderedEmail } from '../../../sidecar/src/render/renderer';
import { sampleCart, sampleContext, sampleSteps, SAMPLE_RECOMMENDATIONS, SAMPLE_SHOP } from '../../../sidecar/src/render/samples';

// fast-nodes.ts renders most Liquid nodes without liquidjs's generators, and the text part from
// markup trimmed at load. Both must be invisible: every email, and every error, exactly as liquidjs
// alone and the text part of the whole HTML give them.

const TEMPLATES = path.resolve(__dirname, '../../../templates');
const fast = createRenderer(TEMPLATES);
const liquidOnly = createRenderer(TEMPLATES, { fastNodes: false });

async function outcome(render: () => Promise<RenderedEmail>): Promise<RenderedEmail | string> {
  try {
    return await render();
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

describe('fast nodes render as liquidjs does', () => {
  it('every shipped template, in every shipped language and with other shop formats', async () => {
    let compared = 0;
    for (const s of sampleSteps()) {
      for (const locale of ['en_US', 'he_IL', 'ar', 'fa_IR', 'sr_RS', 'de_DE']) {
        for (const extra of [{}, { shop: { ...SAMPLE_SHOP, money_format: 'shop', currency_position: 'right_space', timezone: 'America/New_York' } }]) {
          const context = sampleContext(s.flow, s.step, { locales: [locale], ...extra });
          const a = await outcome(() => fast.render(s.template, context));
          const b = await outcome(() => liquidOnly.render(s.template, context));
          expect(a).toEqual(b);
          compared++;
        }
      }
    }
    const cart = sampleContext('abandoned_cart', 1, { cart: sampleCart(5), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4) });
    expect(await fast.render('flows/abandoned_cart/1', cart)).toEqual(await liquidOnly.render('flows/abandoned_cart/1', cart));
    expect(compared).toBeGreaterThan(100);
  });

  // Each body takes a path the fast nodes hand back to liquidjs (drops, computed keys, ranges,
  // loop modifiers, partials with bindings) or that ends in an error, whose message must match.
  const BODIES: Record<string, string> = {
    'forloop drop': '{% for p in recommendations %}{{ forloop.index }}/{{ forloop.length }}{% if forloop.last %}.{% endif %}{% endfor %}',
    'first, last and size': '{{ recommendations.first.title }} {{ recommendations.last.title }} {{ recommendations.size }} {{ shop.name.size }}',
    'array index': '{{ recommendations[1].title }} {{ recommendations[-1].title }}',
    'range and modifiers': '{% for i in (1..3) %}{{ i }}{% endfor %}{% for p in recommendations limit: 2 offset: 1 %}{{ p.title }}{% endfor %}{% for p in recommendations reversed %}{{ p.title }}{% endfor %}',
    'else of an empty loop': '{% assign none = "" | split: "," %}{% for p in none %}x{% else %}none{% endfor %}',
    'break and continue': '{% for p in recommendations %}{% if forloop.index == 2 %}{% continue %}{% endif %}{{ p.title }}{% if forloop.index == 3 %}{% break %}{% endif %}{% endfor %}',
    'operators': '{% if shop.name contains "Leaf" and recommendations.size > 2 or false %}a{% elsif blank %}b{% else %}c{% endif %}{% unless recommendations == empty %}d{% endunless %}{% if customer.first_name != blank %}e{% endif %}',
    'capture and assign': '{% capture who %}{{ customer.first_name | upcase }}{% endcapture %}{% assign n = recommendations | size %}{{ who }} {{ n | plus: 1 }}',
    'partial with a for binding': "{% render 'partials/button' for recommendations as p, url: shop.url, label: 'Go' %}",
    'partial with a with binding': "{% render 'partials/product-grid' with recommendations as products %}",
    'keyword filter arguments': "{{ 'items.quantity' | t: count: 3 }} {{ cart.total | money }} {{ recommendations[0].url | product_url: 'hero' }}",
    'escaping': '{{ "<b>&\\"\'</b>" }} {{ "<i>" | raw }} {{ customer.first_name | append: "<&>" }}',
    'an undefined variable': '{{ customer.no_such_field }}',
    'an undefined variable in a condition': '{% if customer.no_such_field %}x{% endif %}',
    'an undefined filter argument': '{{ cart.total | money: customer.no_such_field }}',
    'a filter that throws': '{{ "not money" | money }}',
    'a missing translation': "{{ 'no.such.key' | t }}",
    'a partial that is missing': "{% render 'partials/no-such-partial' %}",
  };

  it.each(Object.entries(BODIES))('%s', async (_name, body) => {
    const source = `---\nsubject: "Hi {{ customer.first_name }}"\n---\n{% layout 'layouts/base' %}{% block content %}${body}{% endblock %}`;
    const context = sampleContext('abandoned_cart', 1, { cart: sampleCart(3), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4) });
    const a = await outcome(() => fast.renderSource(source, context));
    const b = await outcome(() => liquidOnly.renderSource(source, context));
    expect(a).toEqual(b);
  });
});
