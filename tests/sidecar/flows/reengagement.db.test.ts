import request from 'supertest';
import { DAY, HOUR } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { startFakePlugin, type FakePlugin } from '../../fake-plugin';
import { event, grantedConsent, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

// Silent subscribers: "we miss you" with an offer; 14 days later, still silent, the sunset notice,
// after which no marketing email reaches them until they click "keep me subscribed".
describe('re-engagement and sunset', () => {
  let mg: FakeMailgun;
  let plugin: FakePlugin;
  let s: TestSidecar;
  const tags = (email: string) => mg.messages.filter((m) => m.field('to') === email).map((m) => m.fields['o:tag']![1]);
  const contactId = async (email: string) => Number((await s.db.pool.query<Row[]>('SELECT id FROM wp_retain_contacts WHERE email = ?', [email]))[0][0]!.id);

  beforeAll(async () => {
    mg = await startFakeMailgun();
    plugin = await startFakePlugin(TEST_SECRET);
    s = await startTestSidecar({ mailgun: mg, label: 'reengage', start: '2026-01-05T10:00:00Z', shopOptions: { home: plugin.url, siteurl: plugin.url } });
    mg.now = () => s.clock.now().getTime();
    await signed(request(s.app).post('/v1/events'), JSON.stringify({ events: [
      event('subscriber.created', { email: 'silent@example.com', consent: grantedConsent }),
      event('subscriber.created', { email: 'reader@example.com', consent: grantedConsent }),
    ] }), s.clock).expect(202);
    for (let i = 0; i < 5; i++) {
      await s.runner.runDue();
      s.clock.advance(DAY);
    }
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
    await plugin.close();
  });

  it('after 180 silent days, says "we miss you" with an offer; a reader who opens leaves the flow', async () => {
    s.clock.set('2026-07-10T00:30:00Z');
    expect((await s.scans.run()).entered.reengagement).toBe(2);
    expect((await s.scans.run()).entered.reengagement).toBe(0);
    s.clock.set('2026-07-10T08:00:00Z'); // 10:00 in Berlin
    await s.runner.runDue();
    expect(tags('silent@example.com')).toContain('reengagement-step-1');
    expect(mg.messages.find((m) => m.field('to') === 'silent@example.com' && m.fields['o:tag']![1] === 'reengagement-step-1')!.field('html'))
      .toContain(plugin.coupons.find((c) => c.email === 'silent@example.com')!.code);

    // The reader opens it (as Mailgun's webhook would record).
    await s.db.pool.query('UPDATE wp_retain_contacts SET last_open_at = ? WHERE email = ?', [new Date('2026-07-12T09:00:00Z'), 'reader@example.com']);
    s.clock.advance(14 * DAY);
    await s.runner.runDue();
    expect(tags('reader@example.com')).not.toContain('reengagement-step-2');
    expect(tags('silent@example.com')).toContain('reengagement-step-2');
  });

  it('after the sunset, no marketing email, until the contact clicks "keep me subscribed"', async () => {
    const id = await contactId('silent@example.com');
    const [rows] = await s.db.pool.query<Row[]>('SELECT unengaged_at FROM wp_retain_contacts WHERE id = ?', [id]);
    expect(rows[0]!.unengaged_at).not.toBeNull();

    await signed(request(s.app).post('/v1/events'), JSON.stringify(event('cart.updated', { cart_key: 'k-silent', email: 'silent@example.com', items: [{ product_id: 1, quantity: 1 }] })), s.clock).expect(202);
    await s.runner.runDue();
    s.clock.advance(2 * HOUR);
    await s.runner.runDue();
    expect(tags('silent@example.com')).not.toContain('abandoned_cart-step-1');
    const [skips] = await s.db.pool.query<Row[]>("SELECT detail FROM wp_retain_timeline WHERE contact_id = ? AND kind = 'skipped'", [id]);
    expect(skips.map((r) => JSON.parse(r.detail).reason)).toContain('unengaged');

    const sunset = mg.messages.find((m) => m.field('to') === 'silent@example.com' && m.fields['o:tag']![1] === 'reengagement-step-2')!;
    const stay = /href="https:\/\/retain\.shop\.example\.test(\/s\/[^"?]+)/.exec(sunset.field('html')!)![1]!;
    await request(s.app).get('/s/not.valid').expect(400);
    await request(s.app).get(stay).expect(200);
    const [after] = await s.db.pool.query<Row[]>('SELECT unengaged_at, last_click_at FROM wp_retain_contacts WHERE id = ?', [id]);
    expect(after[0]!.unengaged_at).toBeNull();
    expect(after[0]!.last_click_at).not.toBeNull();
  });

  it('an admin can restore a contact (signed)', async () => {
    await request(s.app).post('/v1/admin/contacts/reader@example.com/restore').expect(401);
    await signed(request(s.app).post('/v1/admin/contacts/reader@example.com/restore'), '', s.clock).expect(200);
    await signed(request(s.app).post('/v1/admin/contacts/nobody@example.com/restore'), '', s.clock).expect(404);
  });
});
