import type { Contact } from '../contacts/contacts';
import type { FlowDefinition } from '../flows/definitions';
import type { Enrollment } from '../flows/flows';
import type { Job } from '../schedule/jobs';
import type { StoreSettings } from '../shop/store-settings';

export interface ContextInput {
  contact: Contact;
  enrollment: Enrollment;
  flow: FlowDefinition;
  job: Job;
  messageId: number;
  unsubscribeUrl: string;
}

/** Builds the variables a flow step's template sees. */
export type ContextBuilder = (input: ContextInput) => Promise<Record<string, unknown>>;

export function postalAddress(shop: StoreSettings): string {
  const a = shop.address;
  return [a.line1, a.line2, [a.postcode, a.city].filter(Boolean).join(' '), a.state, a.country].filter((p) => p && p.trim()).join(', ');
}

/** The variables every email has: the shop, the recipient, the unsubscribe link, the flow's settings. */
export function createContextBuilder(d: { shopSettings: () => Promise<StoreSettings> }): ContextBuilder {
  return async ({ contact, flow, job, unsubscribeUrl }) => {
    const shop = await d.shopSettings();
    return {
      language: (contact.locale ?? shop.locale ?? 'en').slice(0, 2),
      direction: 'ltr',
      shop: { name: shop.name, url: shop.url, postal_address: postalAddress(shop), currency: shop.currency },
      customer: {
        email: contact.email,
        first_name: contact.firstName ?? '',
        last_name: contact.lastName ?? '',
        name: [contact.firstName, contact.lastName].filter(Boolean).join(' '),
      },
      flow: { id: job.flow, step: job.step },
      unsubscribe_url: unsubscribeUrl,
      reason: `You are receiving this email because you signed up for news from ${shop.name.replace(/\.+$/, '')}.`,
      ...flow.settings,
    };
  };
}
