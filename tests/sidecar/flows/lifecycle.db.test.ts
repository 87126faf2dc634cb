import request from 'supertest';
import { DAY, HOUR, MINUTE } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { startFakePlugin, type FakePlugin } from '../../fake-plugin';
import { placeOrder, setOrderStatus, someProducts } from '../../support/shop';
import { event, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

// The event-triggered flows, end to end on a generated shop: entry, each step's timing, every
// exit, re-entry, the frequency cap and quiet hours. The shop is in Berlin; the clock starts at
// 10:00 UTC (11:00 there).
describe('lifecycle flows', () => {
  let mg: FakeMailgun;
  let plugin: FakePlugin;
  let s: TestSidecar;
  let products: Array<{ id: number; price: string }>;
  let n = 0;

  beforeAll(async () => {
    mg = await startFakeMailgun();
    plugin = await startFakePlugin(TEST_SECRET);
    s = await startTestSidecar({ mailgun: mg, label: 'lifecycle', shopOptions: { home: plugin.url, siteurl: plugin.url } });
    products = await someProducts(s.db.pool, 'wp_', 4);
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
    await plugin.close();
  });
  beforeEach(() => {
    s.clock.set('2026-11-22T10:00:00Z');
    mg.now = () => s.clock.now().getTime();
  });

  const send = (...events: unknown[]) =>
    signed(request(s.app).post('/v1/events'), JSON.stringify({ events: events.map((e) => ({ ...(e as object), occurred_at: s.clock.now().toISOString() })) }), s.clock).expect(202);
  const run = async (advanceMs = 0) => {
    s.clock.advance(advanceMs);
    return s.runner.runDue();
  };
  const mail = (email: string) => mg.messages.filter((m) => m.field('to') === email);
  const fresh = (what: string) => `${what}.${++n}@example.com`;
  const optIn = (email: string, extra: Record<string, unknown> = {}) =>
    event('consent.changed', { email, consent: { state: 'granted', source: 'account', text: 'Yes, email me', text_version: 'v1' }, ...extra });
  const cart = (email: string, key: string, items = products.slice(0, 2)) =>
    event('cart.updated', { cart_key: key, email, currency: 'EUR', items: items.map((p) => ({ product_id: p.id, quantity: 1, price: p.price })) });
  const timeline = async (email: string) => {
    const [rows] = await s.db.pool.query<Row[]>(
      'SELECT t.kind, t.flow, t.step, t.detail FROM wp_retain_timeline t JOIN wp_retain_contacts c ON c.id = t.contact_id WHERE c.email = ? ORDER BY t.at, t.id',
      [email],
    );
    return rows.map((r) => ({ kind: r.kind as string, flow: r.flow as string | null, step: r.step as number | null, detail: r.detail ? JSON.parse(r.detail) : null }));
  };
  const reasons = async (email: string, kind: string) => (await timeline(email)).filter((t) => t.kind === kind).map((t) => `${t.flow}:${t.step ?? ''}:${t.detail?.reason}`);

  describe('abandoned cart', () => {
    it('sends three reminders at 1 h, 24 h and 72 h, the last with the recipient\'s own coupon', async () => {
      const email = fresh('cart');
      await send(optIn(email), cart(email, 'k-series'));
      expect(await run()).toBe(0);
      await run(HOUR - MINUTE);
      expect(mail(email)).toHaveLength(0);
      await run(MINUTE);
      const [first] = mail(email);
      expect(first!.fields['o:tag']).toEqual(['flow-abandoned_cart', 'abandoned_cart-step-1']);
      const html = first!.field('html')!;
      expect(html).toContain(`${plugin.url}/?retain_restore=`);
      expect(html).toMatch(/utm_campaign=abandoned_cart-1/);

      await run(DAY - HOUR);
      expect(mail(email)).toHaveLength(2);
      // "What stopped you?": one click records the answer on the timeline.
      const link = /href="https:\/\/retain\.shop\.example\.test(\/f\/[^"?]+)\?answer=price[^"]*"/.exec(mail(email)[1]!.field('html')!)!;
      await request(s.app).get(`${link[1]}?answer=price`).expect(200);
      await request(s.app).get(`${link[1]}?answer=free-stuff`).expect(400);
      expect((await timeline(email)).filter((t) => t.kind === 'feedback').map((t) => [t.flow, t.detail.answer])).toEqual([['abandoned_cart', 'price']]);

      await run(2 * DAY);
      expect(mail(email)).toHaveLength(3);
      const coupon = plugin.coupons.find((c) => c.email === email)!;
      expect(coupon).toMatchObject({ type: 'percent', amount: '10' });
      expect(mail(email)[2]!.field('html')).toContain(coupon.code);
      expect(await reasons(email, 'submitted')).toHaveLength(3);
    });

    it('stops when the customer orders, even before the shop\'s order event arrives', async () => {
      const email = fresh('orders');
      await send(optIn(email), cart(email, 'k-ordered'));
      await run(HOUR);
      expect(mail(email)).toHaveLength(1);
      // The order exists in WooCommerce; the plugin has not delivered its event yet.
      await placeOrder(s.db.pool, 'wp_', { email, status: 'pending', createdAt: new Date(s.clock.now().getTime() + MINUTE) });
      await run(DAY);
      expect(mail(email)).toHaveLength(1);
      expect(await reasons(email, 'skipped')).toEqual(['abandoned_cart:2:ordered']);
      expect(await reasons(email, 'exited')).toEqual(['abandoned_cart::ordered']);
    });

    it('ends at once when the order event arrives, and when the cart is emptied', async () => {
      const a = fresh('order-event');
      await send(optIn(a), cart(a, 'k-a'), event('order.created', { order_id: 424242, status: 'on-hold', currency: 'EUR', total: '12.00', email: a }));
      const b = fresh('emptied');
      await send(optIn(b), cart(b, 'k-b'), event('cart.updated', { cart_key: 'k-b', email: b, items: [] }));
      await run(4 * DAY);
      expect(mail(a)).toHaveLength(0);
      expect(mail(b)).toHaveLength(0);
      expect(await reasons(a, 'exited')).toEqual(['abandoned_cart::ordered']);
      expect(await reasons(b, 'exited')).toEqual(['abandoned_cart::cart_emptied']);
    });

    it('restarts the countdown while the shopper is still changing the cart', async () => {
      const email = fresh('busy');
      await send(optIn(email), cart(email, 'k-busy', products.slice(0, 1)));
      s.clock.advance(40 * MINUTE);
      await send(cart(email, 'k-busy', products.slice(0, 3)));
      await run(30 * MINUTE);
      expect(mail(email)).toHaveLength(0); // the first countdown would have ended here
      await run(30 * MINUTE);
      expect(mail(email)).toHaveLength(1);
      expect((mail(email)[0]!.field('html')!.match(/\/\?p=|product/g) ?? []).length).toBeGreaterThan(0);
    });

    it('starts a new series for a changed cart after a reminder, at most once per 24 hours', async () => {
      const email = fresh('replaced');
      await send(optIn(email), cart(email, 'k-old', products.slice(0, 1)));
      await run(HOUR);
      expect(mail(email)).toHaveLength(1);
      await send(cart(email, 'k-new', products.slice(1, 3)));
      await run(12 * HOUR);
      expect(mail(email)).toHaveLength(1);
      expect(await reasons(email, 'exited')).toEqual(['abandoned_cart::cart_replaced']);
      // The new series' first reminder: 24 h after the old one began, plus its 1 h delay.
      await run(12 * HOUR - MINUTE);
      expect(mail(email)).toHaveLength(1);
      await run(MINUTE);
      expect(mail(email)).toHaveLength(2);
      expect(mail(email)[1]!.fields['o:tag']).toEqual(['flow-abandoned_cart', 'abandoned_cart-step-1']);
    });

    it('sends nothing to a contact without marketing consent', async () => {
      const email = fresh('no-consent');
      await send(cart(email, 'k-none'));
      await run(4 * DAY);
      expect(mail(email)).toHaveLength(0);
    });
  });

  describe('abandoned checkout', () => {
    it('reminds about a pending order after an hour, and not once it is paid', async () => {
      const unpaid = fresh('unpaid');
      const paid = fresh('paid');
      const o1 = await placeOrder(s.db.pool, 'wp_', { email: unpaid, status: 'pending', createdAt: s.clock.now(), items: [{ productId: products[0]!.id, quantity: 2, total: '20.00' }] });
      const o2 = await placeOrder(s.db.pool, 'wp_', { email: paid, status: 'pending', createdAt: s.clock.now(), items: [{ productId: products[1]!.id, quantity: 1, total: '9.00' }] });
      await send(
        optIn(unpaid), optIn(paid),
        event('order.created', { order_id: o1, status: 'pending', currency: 'EUR', total: '20.00', email: unpaid }),
        event('order.created', { order_id: o2, status: 'pending', currency: 'EUR', total: '9.00', email: paid }),
      );
      s.clock.advance(30 * MINUTE);
      await setOrderStatus(s.db.pool, 'wp_', o2, 'processing');
      await run(30 * MINUTE);
      expect(mail(unpaid).map((m) => m.fields['o:tag']![0])).toEqual(['flow-abandoned_checkout']);
      expect(mail(paid).filter((m) => m.fields['o:tag']![0] === 'flow-abandoned_checkout')).toHaveLength(0);
      expect(await reasons(paid, 'skipped')).toContain('abandoned_checkout:1:paid');
    });
  });

  describe('post-purchase and first-time customer', () => {
    it('thanks at once with a next-purchase coupon, then offers a cross-sell a week later', async () => {
      const email = fresh('buyer');
      const orderId = await placeOrder(s.db.pool, 'wp_', { email, status: 'processing', createdAt: s.clock.now(), total: '30.00', items: [{ productId: products[0]!.id, quantity: 1, total: '30.00' }] });
      await send(optIn(email), event('order.created', { order_id: orderId, status: 'processing', currency: 'EUR', total: '30.00', email }));
      await run();
      const [thanks] = mail(email);
      expect(thanks!.fields['o:tag']).toEqual(['flow-post_purchase', 'post_purchase-step-1']);
      expect(thanks!.field('html')).toContain(plugin.coupons.find((c) => c.email === email)!.code);
      const entered = (await timeline(email)).filter((t) => t.kind === 'enrolled').map((t) => t.flow);
      expect(entered).toEqual(expect.arrayContaining(['post_purchase', 'first_customer']));
      await run(7 * DAY);
      const tags = mail(email).map((m) => m.fields['o:tag']![1]);
      expect(tags).toContain('post_purchase-step-2');
    });
  });

  describe('review request', () => {
    it('asks for a review 7 days after the order is completed', async () => {
      const email = fresh('reviewer');
      const orderId = await placeOrder(s.db.pool, 'wp_', { email, status: 'completed', createdAt: s.clock.now(), items: [{ productId: products[2]!.id, quantity: 1, total: '15.00' }] });
      await send(optIn(email), event('order.status_changed', { order_id: orderId, from: 'processing', to: 'completed', email }));
      await run(7 * 24 * HOUR - MINUTE);
      expect(mail(email).filter((m) => m.fields['o:tag']![0] === 'flow-review_request')).toHaveLength(0);
      await run(MINUTE);
      const [review] = mail(email).filter((m) => m.fields['o:tag']![0] === 'flow-review_request');
      expect(review!.field('html')).toMatch(/href="[^"]+#reviews"/); // each product's review form
    });
  });

  describe('pacing', () => {
    it('drops a cart reminder that would have to wait past its freshness, and goes on with the series', async () => {
      const email = fresh('stale');
      await send(event('subscriber.created', { email, consent: { state: 'granted', source: 'signup_form' } }));
      await run();
      s.clock.advance(MINUTE);
      await send(cart(email, 'k-stale'));
      await run(HOUR);
      // The cap frees the contact at 02:00 UTC, 15 hours after the reminder was due: too late for a cart.
      expect(await reasons(email, 'skipped')).toEqual(['abandoned_cart:1:frequency_cap_stale']);
      await run(DAY - HOUR);
      expect(mail(email).map((m) => m.fields['o:tag']![1])).toEqual(['welcome-step-1', 'abandoned_cart-step-2']);
    });

    it('over a week of competing flows: cart first, at most 3 a week, never two within 16 hours, never at night', async () => {
      const email = fresh('busy-week');
      // A cart at 10:00; its first reminder goes at 11:00. Half an hour later they sign up too.
      await send(optIn(email), cart(email, 'k-week'));
      await run(HOUR);
      s.clock.advance(30 * MINUTE);
      await send(event('subscriber.created', { email, consent: { state: 'granted', source: 'signup_form' } }));
      for (let i = 0; i < 6 * 24; i++) await run(HOUR);

      const sent = mail(email).map((m) => ({ tag: m.fields['o:tag']![1], at: m.receivedAt }));
      // Three per week: the cart series keeps its slots (and its coupon); the welcome yields.
      expect(sent.map((m) => m.tag)).toEqual(['abandoned_cart-step-1', 'abandoned_cart-step-2', 'abandoned_cart-step-3']);
      expect(await reasons(email, 'skipped')).toEqual(['welcome:1:frequency_cap_stale', 'welcome:2:frequency_cap_stale']);
      for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(16 * HOUR);
      for (const m of sent) {
        const berlinHour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: 'numeric', hourCycle: 'h23' }).format(m.at));
        expect(berlinHour >= 8 && berlinHour < 21).toBe(true);
      }
      expect((await reasons(email, 'deferred')).length).toBeGreaterThan(0);
    });

    it('keeps quiet hours in each contact\'s own time zone', async () => {
      s.clock.set('2026-11-22T20:30:00Z'); // 21:30 Berlin, 22:30 Jerusalem, 15:30 New York
      const israel = fresh('il');
      const newYork = fresh('ny');
      await send(
        event('subscriber.created', { email: israel, billing_country: 'IL', consent: { state: 'granted', source: 'signup_form' } }),
        event('subscriber.created', { email: newYork, billing_country: 'US', consent: { state: 'granted', source: 'signup_form' } }),
      );
      await run();
      expect(mail(newYork)).toHaveLength(1);
      expect(mail(israel)).toHaveLength(0);
      expect((await timeline(israel)).find((t) => t.kind === 'deferred')!.detail).toEqual({ reason: 'quiet_hours', until: '2026-11-23T06:00:00.000Z' });
      await run(9 * HOUR + 29 * MINUTE); // 05:59 UTC
      expect(mail(israel)).toHaveLength(0);
      await run(MINUTE);
      expect(mail(israel)).toHaveLength(1);
    });
  });
});
