import type { ContactStore } from '../contacts/contacts';
import type { Pool } from '../db/pool';
import { notFound, unprocessable } from '../errors';
import type { FlowDefinition } from '../flows/definitions';
import type { Transport } from '../mail/transport';
import type { ShopReader } from '../shop/reader';
import { productVars, shopVars } from './context';
import type { RenderedEmail, Renderer } from './renderer';
import { sampleContext } from './samples';
import { validateTemplate } from './validate';

export interface PreviewRequest {
  flow: string;
  step: number;
  /** A contact whose name, locale, last order and recommendations fill the email; sample data otherwise. */
  email?: string | undefined;
  locale?: string | undefined;
  /** An edited template not yet saved: validated like a save, then rendered in place of the step's. */
  source?: string | undefined;
}

export interface PreviewDeps {
  pool: Pool;
  contacts: ContactStore;
  shop: ShopReader;
  renderer: Renderer;
  flows: () => FlowDefinition[];
  transport: Transport;
  publicUrl: string;
  from: string | null;
  mailDomain: string | null;
}

export type PreviewService = ReturnType<typeof createPreviewService>;

/**
 * The admin preview and test send: renders a flow step with the shop's real settings and, for a
 * chosen contact, their name, language, last order and recommendations; everything else the step
 * needs comes from the sample data. Nothing here touches the schedule or the message table.
 */
export function createPreviewService(d: PreviewDeps) {
  function templateFor(flow: string, step: number): string {
    const def = d.flows().find((f) => f.id === flow);
    const name = def?.steps[step - 1]?.template ?? `flows/${flow}/${step}`;
    if (!d.renderer.templates().includes(name)) throw notFound('template_not_found', `no template for ${flow} step ${step}`);
    return name;
  }

  async function context(req: PreviewRequest): Promise<Record<string, unknown>> {
    const settings = await d.shop.settings();
    const shop = shopVars(settings);
    const def = d.flows().find((f) => f.id === req.flow);
    const ctx: Record<string, unknown> = {
      ...sampleContext(req.flow, req.step),
      ...(def?.settings ?? {}),
      shop,
      locales: [req.locale ?? null, settings.locale],
      unsubscribe_url: `${d.publicUrl}/u/preview`,
    };
    if (!req.email) return ctx;
    const contact = await d.contacts.findByEmail(d.pool, req.email);
    if (!contact) throw notFound('contact_not_found', 'no contact with that address');
    ctx.customer = {
      email: contact.email, first_name: contact.firstName ?? '', last_name: contact.lastName ?? '',
      name: [contact.firstName, contact.lastName].filter(Boolean).join(' '),
    };
    ctx.locales = [req.locale ?? null, contact.locale, settings.locale];
    const ref = { email: contact.email, customerId: contact.customerId };
    const recs = await d.shop.recommendations.forContact(ref, 4);
    if (recs.length) ctx.recommendations = recs.map((r) => productVars(r.product));
    const [order] = await d.shop.orders.forContact(ref, { limit: 1 });
    if (order && order.items.length) {
      const products = new Map((await d.shop.products.get(order.items.map((i) => i.variationId || i.productId))).map((p) => [p.id, p]));
      ctx.order = {
        number: String(order.id),
        date: order.createdAt?.toISOString() ?? null,
        total: order.total,
        currency: order.currency,
        url: `${shop.url}/my-account/view-order/${order.id}/`,
        line_items: order.items.map((i) => {
          const p = products.get(i.variationId || i.productId);
          return {
            product: { id: i.productId, title: i.name }, quantity: i.quantity,
            price: i.quantity ? (Number(i.total) / i.quantity).toFixed(settings.decimals) : null,
            line_total: i.total, image: p?.imageUrl ?? null, url: p?.permalink ?? shop.url,
          };
        }),
      };
    }
    return ctx;
  }

  return {
    async preview(req: PreviewRequest): Promise<RenderedEmail> {
      const name = templateFor(req.flow, req.step);
      if (req.source === undefined) return d.renderer.render(name, await context(req));
      const check = await validateTemplate(req.source, { flow: req.flow, step: req.step, renderer: d.renderer });
      if (!check.ok) throw unprocessable('template_invalid', `the template has ${check.problems.length} problem(s)`, { problems: check.problems });
      return d.renderer.renderSource(req.source, await context(req), name);
    },

    /** One marked test email: "[Test]" in the subject, Mailgun test mode, no schedule, no message row. */
    async testSend(req: PreviewRequest & { to: string }): Promise<{ providerId: string; subject: string }> {
      const email = await this.preview(req);
      const settings = await d.shop.settings();
      let host = 'localhost';
      try {
        host = new URL(settings.url).hostname;
      } catch {
        // keep localhost
      }
      const subject = `[Test] ${email.subject}`;
      const { providerId } = await d.transport.send({
        messageId: 0,
        from: d.from ?? `${settings.name.replace(/[<>"]/g, '')} <no-reply@${d.mailDomain ?? host}>`,
        to: req.to,
        subject,
        html: email.html,
        text: email.text,
        tags: ['test', `flow-${req.flow}`],
        headers: {},
        testMode: true,
      });
      return { providerId, subject };
    },
  };
}
