import { z } from 'zod';

// The contract between the plugin and the sidecar. docs/events.md describes the same shapes for
// people; keep the two in step. Unknown fields are dropped, not rejected, so an older sidecar
// accepts a newer plugin's events.

const email = z.string().trim().toLowerCase().max(254).email();
const id = z.coerce.number().int().nonnegative();
/** Money travels as a decimal string ("12.50") so no float ever touches it. */
const money = z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal amount such as "12.50"'));
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "USD"');
const locale = z.string().regex(/^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/, 'a locale such as "en_US"');
const country = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code');
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
/** WooCommerce stores statuses with a `wc-` prefix but passes them to hooks without it. */
const orderStatus = z.string().min(1).max(40).transform((s) => s.replace(/^wc-/, ''));

export const consentSources = ['checkout', 'account', 'signup_form', 'import', 'admin', 'preference_centre', 'email_link'] as const;

/** What the shopper saw and did: the evidence a shop needs to prove consent. */
export const consentEvidence = z.object({
  state: z.enum(['granted', 'revoked']),
  source: z.enum(consentSources),
  text: z.string().max(2000).optional(),
  text_version: z.string().max(64).optional(),
  ip: z.string().max(45).optional(),
});

const person = {
  first_name: z.string().max(200).optional(),
  last_name: z.string().max(200).optional(),
  locale: locale.optional(),
  billing_country: country.optional(),
  birthday: date.optional(),
};

const lineItem = z.object({
  product_id: id,
  variation_id: id.optional(),
  quantity: z.coerce.number().positive(),
  price: money.optional(),
  total: money.optional(),
  name: z.string().max(400).optional(),
});

const contactRef = { email: email.optional(), customer_id: id.optional() };

export const eventDataSchemas = {
  'customer.created': z.object({ customer_id: id, email, ...person, marketing_consent: consentEvidence.optional() }),
  'customer.updated': z.object({ customer_id: id, email: email.optional(), ...person }),
  'subscriber.created': z.object({ email, customer_id: id.optional(), ...person, consent: consentEvidence }),
  'consent.changed': z.object({ email, customer_id: id.optional(), purpose: z.enum(['marketing']).default('marketing'), consent: consentEvidence }),
  'cart.updated': z.object({
    cart_key: z.string().min(1).max(128),
    ...contactRef,
    currency: currency.optional(),
    items: z.array(lineItem).max(500),
    total: money.optional(),
  }),
  'checkout.started': z.object({ email, customer_id: id.optional(), cart_key: z.string().max(128).optional(), consent: consentEvidence.optional() }),
  'order.created': z.object({
    order_id: id,
    status: orderStatus,
    currency,
    total: money,
    email: email.optional(),
    customer_id: id.default(0),
    created_at: z.string().datetime({ offset: true }).optional(),
    items: z.array(lineItem).max(1000).default([]),
    attribution: z.record(z.string(), z.string().max(500)).optional(),
    locale: locale.optional(),
    billing_country: country.optional(),
  }),
  'order.status_changed': z.object({
    order_id: id,
    from: orderStatus,
    to: orderStatus,
    email: email.optional(),
    customer_id: id.default(0),
    total: money.optional(),
    currency: currency.optional(),
  }),
  'order.refunded': z.object({ order_id: id, refund_id: id, amount: money, reason: z.string().max(500).optional(), ...contactRef }),
  'product.viewed': z.object({ product_id: id, ...contactRef }),
  'search.performed': z.object({ query: z.string().trim().min(1).max(200), results: z.coerce.number().int().nonnegative().optional(), ...contactRef }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const eventTypes = Object.keys(eventDataSchemas) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

export const MAX_BATCH = 500;

export const envelopeSchema = z.object({
  id: z.string().min(8).max(64).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
  type: z.string(),
  occurred_at: z.string().datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
});

export interface ShopEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  occurredAt: Date;
  data: EventData<T>;
}
