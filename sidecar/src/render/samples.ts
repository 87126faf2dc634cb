import { FLOW_DEFAULTS } from './context';

// Sample data for every flow step: the admin preview without a contact, the golden tests, the
// screenshots and the render benchmark all use it. It is also the executable form of the context
// contract in docs/templates.md: each step's entry lists what its template reads.

/** Every shipped flow and its number of steps. */
export const FLOW_STEPS: Record<string, number> = {
  welcome: 2,
  abandoned_cart: 3,
  abandoned_checkout: 1,
  browse_abandonment: 3,
  search_abandonment: 1,
  post_purchase: 4,
  first_customer: 2,
  birthday: 1,
  anniversary: 2,
  replenishment: 1,
  win_back: 3,
  reengagement: 2,
  vip: 1,
  confirm_subscription: 1,
};

export const SAMPLE_SHOP = {
  name: 'Brew & Leaf Co.',
  url: 'https://shop.example.test',
  logo_url: null as string | null,
  postal_address: 'Kastanienallee 12, 10435 Berlin, DE',
  currency: 'EUR',
  currency_position: 'right_space',
  decimals: 2,
  thousand_separator: '.',
  decimal_separator: ',',
  timezone: 'Europe/Berlin',
  locale: 'en_US',
  money_format: 'auto',
};

const up = 'https://shop.example.test/wp-content/uploads/2026/03';
export const SAMPLE_PRODUCTS = [
  { id: 101, title: 'Sencha Kyoto, loose leaf 100 g', url: 'https://shop.example.test/product/sencha-kyoto/', image: `${up}/sencha.jpg`, price: '12.50', regular_price: '12.50', on_sale: false },
  { id: 102, title: 'Cast-iron teapot 0.8 l', url: 'https://shop.example.test/product/cast-iron-teapot/', image: `${up}/teapot-1024x1024.jpg`, price: '39.00', regular_price: '49.00', on_sale: true },
  { id: 103, title: 'Earl Grey Imperial 250 g', url: 'https://shop.example.test/product/earl-grey-imperial/', image: `${up}/earl-grey.png`, price: '18.90', regular_price: '18.90', on_sale: false },
  { id: 104, title: 'Bamboo tea whisk', url: 'https://shop.example.test/product/bamboo-whisk/?attribute_size=large', image: `${up}/whisk.jpg`, price: '9.90', regular_price: '9.90', on_sale: false },
  { id: 105, title: 'Oolong sampler, 5 × 20 g', url: 'https://shop.example.test/product/oolong-sampler/', image: `${up}/oolong.webp`, price: '24.00', regular_price: '24.00', on_sale: false },
];
export const SAMPLE_RECOMMENDATIONS = [
  { id: 201, title: 'Matcha ceremonial grade 30 g', url: 'https://shop.example.test/product/matcha/', image: `${up}/matcha.jpg`, price: '21.00', regular_price: '21.00', on_sale: false },
  { id: 202, title: 'Glass infuser mug', url: 'https://shop.example.test/product/infuser-mug/', image: `${up}/mug.jpg`, price: '16.50', regular_price: '19.00', on_sale: true },
  { id: 203, title: 'Rooibos vanilla 100 g', url: 'https://shop.example.test/product/rooibos-vanilla/', image: `${up}/rooibos.jpg`, price: '8.40', regular_price: '8.40', on_sale: false },
  { id: 204, title: 'Tea caddy, tin', url: 'https://shop.example.test/product/tea-caddy/', image: null, price: '11.00', regular_price: '11.00', on_sale: false },
];

function lineItem(p: (typeof SAMPLE_PRODUCTS)[number], quantity: number) {
  const total = (Number(p.price) * quantity).toFixed(2);
  return { product: { id: p.id, title: p.title }, quantity, price: p.price, line_total: total, image: p.image, url: p.url };
}

export function sampleCart(items = 3) {
  const line_items = SAMPLE_PRODUCTS.slice(0, items).map((p, i) => lineItem(p, (i % 3) + 1));
  const total = line_items.reduce((s, l) => s + Number(l.line_total), 0).toFixed(2);
  return { line_items, item_count: line_items.reduce((s, l) => s + l.quantity, 0), total, restore_url: 'https://shop.example.test/?retain_restore=eyJwIjoicmVzdG9yZSJ9.c2lnbmF0dXJl' };
}

export function sampleOrder() {
  const line_items = SAMPLE_PRODUCTS.slice(0, 2).map((p, i) => lineItem(p, i + 1));
  const total = line_items.reduce((s, l) => s + Number(l.line_total), 0).toFixed(2);
  return { number: '10482', date: '2026-11-15T09:30:00Z', total, currency: 'EUR', url: 'https://shop.example.test/my-account/view-order/10482/', line_items };
}

const coupon = (type: string, amount: string, code: string) => ({ code, amount, type, expires_at: '2026-11-29' });
const feedback = {
  shipping: 'https://retain.example.test/f/TOKEN?answer=shipping',
  price: 'https://retain.example.test/f/TOKEN?answer=price',
  just_looking: 'https://retain.example.test/f/TOKEN?answer=just_looking',
};

/** What each step adds to the common context. */
export const STEP_SAMPLES: Record<string, Record<string, unknown>> = {
  'welcome/1': { discount_code: 'WELCOME10', discount_text: '10% off' },
  'confirm_subscription/1': { confirm_url: 'https://retain.example.test/c/TOKEN' },
  'welcome/2': { discount_code: 'WELCOME10', discount_text: '10% off' },
  'abandoned_cart/1': { cart: sampleCart(), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 2) },
  'abandoned_cart/2': { cart: sampleCart(), feedback_urls: feedback },
  'abandoned_cart/3': { cart: sampleCart(), coupon: coupon('percent', '10', 'COMEBACK-7KQ2') },
  'abandoned_checkout/1': { cart: sampleCart(2), coupon: null },
  'browse_abandonment/1': { products: SAMPLE_PRODUCTS.slice(0, 2) },
  'browse_abandonment/2': { recommendations: SAMPLE_RECOMMENDATIONS },
  'browse_abandonment/3': { products: SAMPLE_PRODUCTS.slice(0, 2), feedback_urls: feedback },
  'search_abandonment/1': { search: { query: 'green tea', url: 'https://shop.example.test/?s=green+tea&post_type=product' }, products: SAMPLE_PRODUCTS.slice(0, 2), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 2) },
  'post_purchase/1': { order: sampleOrder(), coupon: coupon('percent', '10', 'THANKS-10') },
  'post_purchase/2': { order: sampleOrder(), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4) },
  'post_purchase/3': { order: sampleOrder() },
  'post_purchase/4': { order: sampleOrder(), products: SAMPLE_RECOMMENDATIONS.slice(0, 2) },
  'first_customer/1': { order: sampleOrder() },
  'first_customer/2': { recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4), coupon: coupon('fixed_cart', '5', 'SECOND-5EUR') },
  'birthday/1': { coupon: coupon('percent', '15', 'BDAY-DANA-15'), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 2) },
  'anniversary/1': { anniversary: { years: 2, kind: 'signup', date: '2024-11-22' }, recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 2) },
  'anniversary/2': { anniversary: { years: 1, kind: 'first_order', date: '2025-11-20' }, coupon: coupon('free_shipping', '0', 'THANKS-SHIP'), recommendations: [] },
  'replenishment/1': { order: sampleOrder(), products: SAMPLE_PRODUCTS.slice(0, 1) },
  'win_back/1': { recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4), coupon: null },
  'win_back/2': { coupon: coupon('percent', '10', 'MISSYOU-10'), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 2) },
  'win_back/3': { coupon: coupon('percent', '20', 'MISSYOU-20'), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 2) },
  'reengagement/1': { recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4), coupon: coupon('percent', '15', 'MISSYOU-15') },
  'reengagement/2': { stay_url: 'https://retain.example.test/stay/TOKEN' },
  'vip/1': { loyalty: { orders: 12, total_spent: '684.20' }, coupon: coupon('fixed_cart', '15', 'VIP-THANKS-15'), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 2) },
};

export function sampleSteps(): Array<{ flow: string; step: number; template: string }> {
  return Object.entries(FLOW_STEPS).flatMap(([flow, n]) => Array.from({ length: n }, (_, i) => ({ flow, step: i + 1, template: `flows/${flow}/${i + 1}` })));
}

/** A complete render context for one step, with sample data; `over` replaces top-level keys. */
export function sampleContext(flow: string, step: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    locales: ['en_US'],
    shop: { ...SAMPLE_SHOP },
    customer: { email: 'dana@example.com', first_name: 'Dana', last_name: 'Levi', name: 'Dana Levi' },
    flow: { id: flow, step },
    unsubscribe_url: 'https://retain.example.test/u/TOKEN',
    preferences_url: null,
    reason: null,
    ...FLOW_DEFAULTS,
    ...(STEP_SAMPLES[`${flow}/${step}`] ?? {}),
    ...over,
  };
}
