import request from 'supertest';
import type { Row } from '../../../sidecar/src/db/sql';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

describe('the contact admin API: export, erase, timeline', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    // Pacing is not what this file tests: the welcome would otherwise wait behind the cart reminder.
    s = await startTestSidecar({ mailgun: mg, label: 'privacy', env: { RETAIN_FREQUENCY_CAP: 'off', RETAIN_QUIET_HOURS: 'off' } });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const send = (...events: unknown[]) => signed(request(s.app).post('/v1/events'), JSON.stringify({ events }), s.clock).expect(202);
  const get = (path: string) => signed(request(s.app).get(path), '', s.clock);

  it('refuses unsigned calls and bad addresses', async () => {
    await request(s.app).get('/v1/admin/contacts/a@example.com/export').expect(401);
    await request(s.app).post('/v1/admin/contacts/a@example.com/erase').expect(401);
    const res = await get('/v1/admin/contacts/not-an-address/export').expect(400);
    expect(res.body.error.code).toBe('email_invalid');
    expect((await get('/v1/admin/contacts/nobody@example.com/export').expect(404)).body.error.code).toBe('contact_not_found');
  });

  it('exports everything held about an address, then erases it and keeps only a hash', async () => {
    await send(
      event('subscriber.created', { email: 'gdpr@example.com', first_name: 'Gita', consent: grantedConsent }),
      event('cart.updated', { cart_key: 'cart-gdpr', email: 'gdpr@example.com', items: [{ product_id: 5, quantity: 1, price: '9.00' }] }),
    );
    await s.runner.runDue();

    const exported = (await get('/v1/admin/contacts/GDPR@example.com/export').expect(200)).body;
    expect(exported.contact).toMatchObject({ email: 'gdpr@example.com', firstName: 'Gita', consentState: 'granted' });
    expect(exported.consents).toEqual([expect.objectContaining({ state: 'granted', source: 'signup_form', text: 'Send me news and offers', ip: '203.0.113.7' })]);
    expect(exported.messages).toEqual([expect.objectContaining({ flow: 'welcome', step: 1, status: 'submitted' })]);
    expect(exported.carts).toEqual([expect.objectContaining({ cart_key: 'cart-gdpr', items: [expect.objectContaining({ product_id: 5 })] })]);
    expect(exported.events.map((e: { type: string }) => e.type).sort()).toEqual(['cart.updated', 'subscriber.created']);
    expect(exported.timeline.map((t: { kind: string; flow: string | null }) => [t.kind, t.flow])).toEqual([
      ['event', null], ['enrolled', 'welcome'], ['enrolled', 'abandoned_cart'], ['submitted', 'welcome'],
    ]);

    const timeline = (await get('/v1/contacts/gdpr@example.com/timeline').expect(200)).body;
    expect(timeline).toMatchObject({ email: 'gdpr@example.com', consent: 'granted' });

    expect((await signed(request(s.app).post('/v1/admin/contacts/gdpr@example.com/erase'), '', s.clock).expect(200)).body).toEqual({ erased: true });
    await get('/v1/admin/contacts/gdpr@example.com/export').expect(404);
    const [left] = await s.db.pool.query<Row[]>(
      `SELECT (SELECT COUNT(*) FROM wp_retain_contacts WHERE email = 'gdpr@example.com') AS contacts,
              (SELECT COUNT(*) FROM wp_retain_events WHERE data LIKE '%gdpr@example.com%') AS events,
              (SELECT COUNT(*) FROM wp_retain_carts WHERE cart_key = 'cart-gdpr') AS carts,
              (SELECT COUNT(*) FROM wp_retain_messages WHERE contact_id = 0 AND subject IS NULL) AS anonymous_messages,
              (SELECT COUNT(*) FROM wp_retain_suppressions WHERE reason = 'erased') AS suppressed`,
    );
    expect(left[0]).toEqual({ contacts: 0, events: 0, carts: 0, anonymous_messages: 1, suppressed: 1 });
  });

  it('after erasure, a new sign-up with that address does not bring marketing email back', async () => {
    const before = mg.messages.length;
    await send(event('subscriber.created', { email: 'gdpr@example.com', consent: grantedConsent }));
    await s.runner.runDue();
    expect(mg.messages.length).toBe(before);
    const timeline = (await get('/v1/contacts/gdpr@example.com/timeline').expect(200)).body.timeline;
    expect(timeline.slice(-2)).toMatchObject([
      { kind: 'skipped', detail: { reason: 'suppressed_erased' } },
      { kind: 'exited', flow: 'welcome', detail: { reason: 'suppressed_erased' } },
    ]);
  });
});
