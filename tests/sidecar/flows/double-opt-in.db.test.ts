import request from 'supertest';
import type { Row } from '../../../sidecar/src/db/sql';
import { signToken } from '../../../sidecar/src/signing/tokens';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

// RETAIN_DOUBLE_OPT_IN: a sign-up gets one email asking to confirm (at any hour: it is a service
// email); no marketing email until the link is clicked; then the welcome series starts.
describe('double opt-in', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'doi', start: '2026-11-22T21:30:00Z', env: { RETAIN_DOUBLE_OPT_IN: 'true' } });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const tags = (email: string) => mg.messages.filter((m) => m.field('to') === email).map((m) => m.fields['o:tag']![0]);
  const send = (...events: unknown[]) => signed(request(s.app).post('/v1/events'), JSON.stringify({ events }), s.clock).expect(202);
  const ledger = async (email: string) => {
    const [rows] = await s.db.pool.query<Row[]>('SELECT k.state, k.source FROM wp_retain_consents k JOIN wp_retain_contacts c ON c.id = k.contact_id WHERE c.email = ? ORDER BY k.id', [email]);
    return rows.map((r) => `${r.state}:${r.source}`);
  };

  it('asks to confirm, at once even at night, and sends nothing else until then', async () => {
    await send(event('subscriber.created', { email: 'doi@example.com', consent: grantedConsent }), event('cart.updated', { cart_key: 'k-doi', email: 'doi@example.com', items: [{ product_id: 1, quantity: 1 }] }));
    await s.runner.runDue();
    expect(tags('doi@example.com')).toEqual(['flow-confirm_subscription']);
    expect(await ledger('doi@example.com')).toEqual(['pending:signup_form']);
    const [enrolled] = await s.db.pool.query<Row[]>("SELECT e.flow FROM wp_retain_enrollments e JOIN wp_retain_contacts c ON c.id = e.contact_id WHERE c.email = 'doi@example.com'");
    expect(enrolled.map((r) => r.flow)).toEqual(['confirm_subscription']);
  });

  it('the link confirms once, then the welcome series starts (in the morning)', async () => {
    const html = mg.messages.find((m) => m.field('to') === 'doi@example.com')!.field('html')!;
    const link = /href="https:\/\/retain\.shop\.example\.test(\/c\/[^"?]+)/.exec(html)![1]!;
    const page = await request(s.app).get(link).expect(200);
    expect(page.text).toContain('You are subscribed');
    await request(s.app).get(link).expect(200);
    expect(await ledger('doi@example.com')).toEqual(['pending:signup_form', 'granted:email_link']);
    await s.runner.runDue();
    expect(tags('doi@example.com')).toEqual(['flow-confirm_subscription']); // 22:30 in Berlin: quiet
    s.clock.set('2026-11-23T07:00:00Z');
    await s.runner.runDue();
    expect(tags('doi@example.com')).toEqual(['flow-confirm_subscription', 'flow-welcome']);
  });

  it('refuses forged and expired links, and never overrides a later unsubscribe', async () => {
    await send(event('subscriber.created', { email: 'changed-mind@example.com', consent: grantedConsent }));
    await s.runner.runDue();
    const [[c]] = await s.db.pool.query<Row[]>("SELECT id FROM wp_retain_contacts WHERE email = 'changed-mind@example.com'");
    const now = Math.floor(s.clock.now().getTime() / 1000);
    await request(s.app).get(`/c/${signToken('not-the-secret-not-the-secret-0000', { p: 'confirm', c: c!.id, x: now + 60 })}`).expect(400);
    await request(s.app).get(`/c/${signToken(TEST_SECRET, { p: 'confirm', c: c!.id, x: now - 1 })}`).expect(410);
    await send(event('consent.changed', { email: 'changed-mind@example.com', consent: { state: 'revoked', source: 'preference_centre' } }));
    await s.processEvents();
    await request(s.app).get(`/c/${signToken(TEST_SECRET, { p: 'confirm', c: c!.id, x: now + 60 })}`).expect(409);
    expect(await ledger('changed-mind@example.com')).toEqual(['pending:signup_form', 'revoked:preference_centre']);
  });
});
