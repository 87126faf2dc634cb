// The shop reader's public shapes. Money is a decimal string with the shop's decimals, dates are
// UTC Dates (null when WooCommerce stored nothing or a zero date), statuses carry no `wc-` prefix.

export interface ContactRef {
  email?: string | null;
  customerId?: number | null;
}

export interface OrderLine {
  itemId: number;
  productId: number;
  variationId: number;
  name: string;
  quantity: number;
  subtotal: string;
  total: string;
}

export interface Order {
  id: number;
  status: string;
  currency: string;
  total: string;
  refunded: string;
  customerId: number;
  email: string | null;
  billing: { firstName: string; lastName: string; country: string };
  paymentMethod: string;
  createdAt: Date | null;
  paidAt: Date | null;
  completedAt: Date | null;
  items: OrderLine[];
}

export interface Customer {
  email: string;
  /** WordPress user id, or null for a guest known only from orders. */
  customerId: number | null;
  roles: string[];
  firstName: string;
  lastName: string;
  locale: string;
  country: string;
  /** Y-m-d, or null when absent or not a valid date. */
  birthday: string | null;
  signupAt: Date | null;
  /** Guest orders placed with this e-mail (customer_id 0), and orders under the account. */
  guestOrders: number;
}

export interface Product {
  id: number;
  parentId: number | null;
  type: 'product' | 'variation';
  status: string;
  title: string;
  permalink: string;
  price: string | null;
  regularPrice: string | null;
  salePrice: string | null;
  imageUrl: string | null;
  stockStatus: string;
  categories: Array<{ id: number; slug: string; name: string }>;
  crossSellIds: number[];
  upsellIds: number[];
  createdAt: Date | null;
}

export interface CartItem {
  key: string;
  productId: number;
  variationId: number;
  quantity: number;
  lineTotal: string | null;
}

export interface Cart {
  source: 'persistent' | 'session';
  customerId: number | null;
  sessionKey: string | null;
  email: string | null;
  firstName: string;
  lastName: string;
  items: CartItem[];
  total: string | null;
  expiresAt: Date | null;
}

export interface CustomerFacts {
  email: string;
  customerId: number | null;
  firstPaidAt: Date | null;
  lastPaidAt: Date | null;
  paidOrders: number;
  /** Orders of any status (shop_order only). */
  orders: number;
  gross: string;
  refunded: string;
  /** Gross minus refunds of the paid orders. */
  totalSpent: string;
  aov: string | null;
  /** Median days between consecutive paid orders; null below two orders. */
  typicalGapDays: number | null;
  signupAt: Date | null;
  birthday: string | null;
}

export type SegmentName = 'leads' | 'first_time' | 'repeat' | 'loyal' | 'lapsed' | 'cart_abandoners';

export interface SegmentMember {
  email: string;
  customerId: number | null;
  paidOrders: number;
  totalSpent: string;
  lastPaidAt: Date | null;
}

export interface SegmentPage {
  members: SegmentMember[];
  /** Pass as `after` for the next page; null at the end. */
  next: string | null;
}

export interface Recommendation {
  productId: number;
  reason: 'cross_sell' | 'upsell' | 'bought_together' | 'best_seller' | 'new_arrival';
  score: number;
  product: Product;
}
