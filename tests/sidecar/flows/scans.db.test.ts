import request from 'supertest';
import { MINUTE } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { startFakePlugin, type FakePlugin } from '../../fake-plugin';
import { placeOrder } from '../../support/shop';
import { event, runDaysAhead, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

// The daily scans on a shop in Berlin: birthdays every year at the contact's 09:00, 29 February
// on 28 February in other years, search abandonment the morning after, and never twice.
describe('daily scans', () => {
  let mg: FakeMailgun;
  let plugin: FakePlugin;
  let s: TestSidecar;

  beforeAll(async () => {
    mg = await startFakeMailgun();
    plugin = await startFakePlugin(TEST_SECRET);
    s = await startTestSidecar({ mailgun: mg, label: 'scans', start: '2027-02-01T12:00:00Z', shopOptions: { home: plugin.url, siteurl: plugin.url } });
    mg.now = () => s.clock.now().getTime();
    const consent = { state: 'granted', source: 'account' };
    const customer = (id: number, email: string, birthday: string, country?: string) =>
      event('customer.created', { customer_id: id, email, birthday, ...(country ? { billing_country: country } : {}), marketing_consent: consent }, { occurred_at: '2026-05-01T10:00:00Z' });
    await signed(request(s.app).post('/v1/events'), JSON.stringify({ events: [
      customer(501, 'leap@example.com', '1992-02-29'),
      customer(502, 'feb28@example.com', '1980-02-28', 'IL'),
      customer(503, 'march@example.com', '1975-03-01'),
    ] }), s.clock).expect(202);
    await s.processEvents();
    // The welcome series is not what this file tests: let it finish well before the birthdays.
    await runDaysAhead(s, 5);
    s.clock.set('2027-02-27T12:00:00Z');
    mg.reset();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
    await plugin.close();
  });

  const mail = (email: string) => mg.messages.filter((m) => m.field('to') === email && m.fields['o:tag']![0] === 'flow-birthday');

  it('sends birthdays at 09:00 in each contact\'s zone, 29 February on the 28th in a common year, once', async () => {
    s.clock.set('2027-02-27T23:10:00Z'); // 00:10 on the 28th in Berlin
    const first = await s.scans.run();
    expect(first).toMatchObject({ date: '2027-02-28', entered: { birthday: 2 } });
    expect((await s.scans.run()).entered.birthday).toBe(0);

    s.clock.set('2027-02-28T06:59:00Z'); // 08:59 in Jerusalem: not yet
    await s.runner.runDue();
    expect(mail('feb28@example.com')).toHaveLength(0);
    s.clock.advance(MINUTE); // 09:00 in Jerusalem
    await s.runner.runDue();
    expect(mail('feb28@example.com')).toHaveLength(1);
    expect(mail('leap@example.com')).toHaveLength(0);
    s.clock.set('2027-02-28T08:00:00Z'); // 09:00 in Berlin
    await s.runner.runDue();
    expect(mail('leap@example.com')).toHaveLength(1);
    expect(mail('leap@example.com')[0]!.field('html')).toContain(plugin.coupons.find((c) => c.email === 'leap@example.com')!.code);
    expect(mail('march@example.com')).toHaveLength(0);
  });

  it('celebrates again the next year, and in a leap year on the 29th itself', async () => {
    s.clock.set('2028-02-27T23:10:00Z');
    expect((await s.scans.run()).entered.birthday).toBe(1); // 28 February 2028: only feb28
    s.clock.set('2028-02-28T23:10:00Z');
    expect((await s.scans.run()).entered.birthday).toBe(1); // 29 February 2028: leap
    s.clock.set('2028-02-29T12:00:00Z');
    await s.runner.runDue();
    expect(mail('leap@example.com')).toHaveLength(2);
    expect(mail('feb28@example.com')).toHaveLength(2);
  });

  it('reminds yesterday\'s searchers the next morning, unless they ordered since', async () => {
    s.clock.set('2028-03-10T15:00:00Z');
    const searched = (email: string) => event('search.performed', { query: 'oolong', results: 3, email }, { occurred_at: s.clock.now().toISOString() });
    await signed(request(s.app).post('/v1/events'), JSON.stringify({ events: [searched('leap@example.com'), searched('march@example.com')] }), s.clock).expect(202);
    await s.processEvents();
    await placeOrder(s.db.pool, 'wp_', { email: 'march@example.com', status: 'processing', createdAt: new Date('2028-03-10T16:00:00Z') });

    s.clock.set('2028-03-10T23:30:00Z'); // 00:30 on the 11th in Berlin
    expect((await s.scans.run()).entered.search_abandonment).toBe(2);
    s.clock.set('2028-03-11T09:00:00Z'); // 10:00 in Berlin
    await s.runner.runDue();
    const searches = (email: string) => mg.messages.filter((m) => m.field('to') === email && m.fields['o:tag']![0] === 'flow-search_abandonment');
    expect(searches('leap@example.com')).toHaveLength(1);
    expect(searches('leap@example.com')[0]!.field('html')).toContain('oolong');
    expect(searches('march@example.com')).toHaveLength(0);
  });

  it('is itself a job, one per shop day, whatever the number of sidecars', async () => {
    s.clock.set('2028-03-12T10:00:00Z');
    await Promise.all([s.scans.schedule(), s.scans.schedule()]);
    const [rows] = await s.db.pool.query<Row[]>("SELECT job_key, run_at FROM wp_retain_jobs WHERE kind = 'scan' AND job_key IN ('scan:2028-03-12', 'scan:2028-03-13') ORDER BY job_key");
    expect(rows.map((r) => [r.job_key, (r.run_at as Date).toISOString()])).toEqual([
      ['scan:2028-03-12', '2028-03-11T23:05:00.000Z'],
      ['scan:2028-03-13', '2028-03-12T23:05:00.000Z'],
    ]);
  });
});
