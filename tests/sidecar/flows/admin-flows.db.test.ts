import request from 'supertest';
import { DAY, MINUTE } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

// Store admins change flows through the admin API (the plugin's Flows page). An edit applies
// from each contact's next step; steps already scheduled keep their time.
describe('editing a live flow', () => {
  let s: TestSidecar;
  beforeAll(async () => {
    s = await startTestSidecar({ label: 'adminflows', env: { RETAIN_FREQUENCY_CAP: 'off', RETAIN_QUIET_HOURS: 'off' } });
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
  });

  const put = (id: string, body: unknown) => signed(request(s.app).put(`/v1/admin/flows/${id}`), JSON.stringify(body), s.clock);
  const subscribe = (email: string) => signed(request(s.app).post('/v1/events'), JSON.stringify(event('subscriber.created', { email, consent: grantedConsent })), s.clock).expect(202);
  const step2At = async (email: string) => {
    const [rows] = await s.db.pool.query<Row[]>(
      "SELECT j.run_at, j.status, j.reason FROM wp_retain_jobs j JOIN wp_retain_contacts c ON c.id = j.contact_id WHERE c.email = ? AND j.flow = 'welcome' AND j.step = 2",
      [email],
    );
    return rows[0];
  };

  it('lists the flows in force, to signed callers only', async () => {
    await request(s.app).get('/v1/admin/flows').expect(401);
    const res = await signed(request(s.app).get('/v1/admin/flows'), '', s.clock).expect(200);
    const welcome = res.body.flows.find((f: { id: string }) => f.id === 'welcome');
    expect(welcome).toMatchObject({ enabled: true, version: 1, steps: [{ step: 1, delay_seconds: 0 }, { step: 2, delay_seconds: 3 * 86400 }] });
    expect(res.body.flows.map((f: { id: string }) => f.id)).toEqual(expect.arrayContaining(['abandoned_cart', 'post_purchase', 'birthday', 'win_back']));
    const cart = res.body.flows.find((f: { id: string }) => f.id === 'abandoned_cart');
    // Coupons come back in the shape PUT takes.
    expect(cart.steps[2].coupon).toEqual({ type: 'percent', amount: '10', expires_in_days: 7, free_shipping: false });
  });

  it('keeps the schedule of contacts already past a step, and applies the edit to their next steps', async () => {
    await subscribe('early@example.com');
    await s.runner.runDue(); // email 1 sent; email 2 scheduled for +3 days
    const start = s.clock.now().getTime();
    s.clock.advance(MINUTE);
    await subscribe('later@example.com'); // entered, email 1 not sent yet

    const res = await put('welcome', { steps: [{ delay: 0 }, { delay: '1d' }] }).expect(200);
    expect(res.body.flow).toMatchObject({ version: 2, steps: [{ delay_seconds: 0 }, { delay_seconds: 86400 }] });
    expect(res.body.note).toMatch(/keep the steps already scheduled/);
    await s.runner.runDue();

    expect((await step2At('early@example.com'))!.run_at.getTime()).toBe(start + 3 * DAY);
    expect((await step2At('later@example.com'))!.run_at.getTime()).toBe(start + MINUTE + DAY);
  });

  it('turning a flow off stops its pending emails with a reason', async () => {
    await put('welcome', { enabled: false }).expect(200);
    s.clock.advance(3 * DAY);
    await s.runner.runDue();
    expect(await step2At('early@example.com')).toMatchObject({ status: 'skipped', reason: 'flow_disabled' });
    await put('welcome', { enabled: true }).expect(200);
  });

  it.each([
    ['an unknown flow', 'nope', { enabled: true }, 404, 'flow_unknown'],
    ['a bad delay', 'welcome', { steps: [{ delay: 'soon' }] }, 422, 'flow_invalid'],
    ['an unknown key', 'welcome', { enable: true }, 422, 'flow_invalid'],
    ['a template that does not exist', 'welcome', { steps: [{ delay: 0, template: 'flows/welcome/9' }] }, 422, 'flow_invalid'],
  ])('refuses %s with a stable code and changes nothing', async (_name, id, body, status, code) => {
    const before = (await signed(request(s.app).get('/v1/admin/flows'), '', s.clock)).body;
    const res = await put(id, body).expect(status);
    expect(res.body.error.code).toBe(code);
    expect((await signed(request(s.app).get('/v1/admin/flows'), '', s.clock)).body).toEqual(before);
  });
});
