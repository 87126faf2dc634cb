import type { Contact } from '../contacts/contacts';
import type { FlowDefinition } from '../flows/definitions';
import type { Enrollment } from '../flows/flows';
import type { Job } from '../schedule/jobs';
import type { Product } from '../shop/types';
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

/** The `shop` object templates see; the money and date filters read its format fields. */
export function shopVars(shop: StoreSettings & { logoUrl?: string | null }) {
  return {
    name: shop.name,
    url: shop.url,
    // woocommerce_email_header_image: the shop reader does not read it yet, so null unless given.
    logo_url: shop.logoUrl ?? null,
    postal_address: postalAddress(shop),
    currency: shop.currency,
    currency_position: shop.currencyPosition,
    decimals: shop.decimals,
    thousand_separator: shop.thousandSeparator,
    decimal_separator: shop.decimalSeparator,
    timezone: shop.timezone,
    locale: shop.locale,
    money_format: 'auto',
  };
}

/** A shop-reader product as templates see it (`products`, `recommendations`). */
export function productVars(p: Product) {
  const onSale = p.salePrice != null && p.salePrice !== '' && p.regularPrice != null && p.salePrice !== p.regularPrice;
  return { id: p.id, title: p.title, url: p.permalink, image: p.imageUrl, price: p.price, regular_price: p.regularPrice, on_sale: onSale };
}

/**
 * The flow-specific variables every template may name: null (or empty) unless the flow supplies
 * them, so `{% if coupon != blank %}` works under strict variables while `{{ cart.total }}` on a
 * missing cart still fails the render.
 */
export const FLOW_DEFAULTS = {
  cart: null,
  order: null,
  products: [],
  recommendations: [],
  coupon: null,
  search: null,
  feedback_urls: null,
  anniversary: null,
  loyalty: null,
  stay_url: null,
  confirm_url: null,
} as const;

/**
 * The variables every email has (the shop, the recipient, the unsubscribe and preferences links,
 * the flow's settings) and what the flow's step shows, from `stepData`.
 */
export function createContextBuilder(d: {
  shopSettings: () => Promise<StoreSettings>;
  stepData?: (input: ContextInput) => Promise<Record<string, unknown>>;
  preferencesUrl?: (contactId: number) => string;
}): ContextBuilder {
  return async (input) => {
    const { contact, flow, job, unsubscribeUrl } = input;
    const [shop, data] = await Promise.all([d.shopSettings(), d.stepData?.(input) ?? {}]);
    return {
      // Language: the contact's WordPress locale, else (later) their order's, else the shop's.
      locales: [contact.locale, shop.locale],
      shop: shopVars(shop),
      customer: {
        email: contact.email,
        first_name: contact.firstName ?? '',
        last_name: contact.lastName ?? '',
        name: [contact.firstName, contact.lastName].filter(Boolean).join(' '),
      },
      flow: { id: job.flow, step: job.step },
      unsubscribe_url: unsubscribeUrl,
      // The footer shows the link only when set.
      preferences_url: d.preferencesUrl?.(contact.id) ?? null,
      // null: the layout says why in the reader's language (strings: reason.<flow>).
      reason: null,
      ...FLOW_DEFAULTS,
      ...data,
      ...flow.settings,
    };
  };
}
