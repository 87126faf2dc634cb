import request from 'supertest';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

describe('the admin template preview and test send', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'previews' });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const post = (path: string, body: unknown) => signed(request(s.app).post(path), JSON.stringify(body), s.clock);

  it('refuses unsigned and malformed requests with stable codes', async () => {
    await request(s.app).post('/v1/admin/templates/preview').send({ flow: 'welcome', step: 1 }).expect(401);
    expect((await post('/v1/admin/templates/preview', { flow: 'welcome' }).expect(400)).body.error.code).toBe('request_invalid');
    expect((await post('/v1/admin/templates/preview', { flow: 'nope', step: 1 }).expect(404)).body.error.code).toBe('template_not_found');
    expect((await post('/v1/admin/templates/preview', { flow: 'welcome', step: 1, email: 'nobody@example.com' }).expect(404)).body.error.code).toBe('contact_not_found');
  });

  it('renders a step with the real shop settings and sample data', async () => {
    const res = await post('/v1/admin/templates/preview', { flow: 'abandoned_cart', step: 3 }).expect(200);
    expect(res.body.subject).toBe('A little something to finish your order: 10% off');
    expect(res.body.html).toContain('Brew &amp; Leaf Co.');
    expect(res.body.text).toContain('COMEBACK-7KQ2');
    expect(res.body.direction).toBe('ltr');
  });

  it("renders for a chosen contact, in a chosen language", async () => {
    await signed(request(s.app).post('/v1/events'), JSON.stringify({ events: [event('subscriber.created', { email: 'noa@example.com', first_name: 'Noa', consent: grantedConsent })] }), s.clock).expect(202);
    await s.processEvents();
    const res = await post('/v1/admin/templates/preview', { flow: 'welcome', step: 1, email: 'noa@example.com', locale: 'he_IL' }).expect(200);
    expect(res.body.subject).toBe('ברוכים הבאים ל-Brew & Leaf Co., Noa');
    expect(res.body.direction).toBe('rtl');
    expect(res.body.html).toContain('dir="rtl"');
  });

  it('sends one marked test email in test mode, without touching the schedule', async () => {
    const sent = mg.messages.length;
    const res = await post('/v1/admin/templates/test-send', { flow: 'win_back', step: 2, to: 'owner@shop.example.test' }).expect(200);
    expect(res.body.subject).toBe("[Test] We'd love to see you again: 10% off");
    expect(mg.messages.length).toBe(sent + 1);
    const m = mg.messages.at(-1)!;
    expect(m.field('to')).toBe('owner@shop.example.test');
    expect(m.field('subject')).toBe("[Test] We'd love to see you again: 10% off");
    expect(m.field('o:testmode')).toBe('yes');
    const [[{ n }]] = (await s.statePool.query(`SELECT COUNT(*) AS n FROM ${s.db.prefix}retain_jobs WHERE flow = 'win_back'`)) as unknown as [[{ n: number }]];
    expect(Number(n)).toBe(0);
  });
});
