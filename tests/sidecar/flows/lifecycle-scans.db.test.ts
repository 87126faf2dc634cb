import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { HOUR } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { createSimulator, type SimulationRow } from '../../../sidecar/src/flows/simulate';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { startFakePlugin, type FakePlugin } from '../../fake-plugin';
import { createTestDatabase } from '../../support/db';
import { placeOrder, seedShop, someProducts } from '../../support/shop';
import { event, runDaysAhead, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

// Replenishment and anniversaries on a shop in Berlin, with a hand-moved clock: who enters on which
// day, when the email goes, the exit on a re-order, re-entry a cycle later, 29 February; and the
// simulator's forecast against what the scan then really enrolls, without it writing a row.
describe('replenishment, anniversaries and the simulator', () => {
  let mg: FakeMailgun;
  let plugin: FakePlugin;
  let s: TestSidecar;
  let coffee: { id: number; price: string };
  let cake: { id: number; price: string };

  const item = (p: { id: number; price: string }) => [{ productId: p.id, quantity: 1, total: p.price }];
  const order = (email: string, p: { id: number; price: string }, at: string) =>
    placeOrder(s.db.pool, 'wp_', { email, status: 'processing', createdAt: new Date(at), items: item(p) });

  beforeAll(async () => {
    mg = await startFakeMailgun();
    plugin = await startFakePlugin(TEST_SECRET);
    const db = await createTestDatabase({ label: 'lifecycle_scans' });
    await seedShop(db.url, db.pool, db.prefix);
    const products = [...new Map((await someProducts(db.pool, db.prefix, 10)).map((p) => [p.id, p])).values()];
    [coffee, cake] = products as [typeof coffee, typeof cake];
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'retain-flows-')), 'flows.json');
    writeFileSync(file, JSON.stringify({ flows: { replenishment: { settings: { product_cycles: `${coffee.id}=30`, occasion_products: String(cake.id), lead_days: '5' } },
      // A year of silence would sunset everyone here (they never open the test mail): not this file's subject.
      reengagement: { enabled: false } } }));
    s = await startTestSidecar({ mailgun: mg, db, label: 'lifecycle_scans', start: '2026-04-15T10:00:00Z', env: { RETAIN_FLOWS_FILE: file }, shopOptions: { home: plugin.url, siteurl: plugin.url } });
    mg.now = () => s.clock.now().getTime();

    const consent = { state: 'granted', source: 'account' };
    const people = ['rita', 'yuri', 'lena', 'cora', 'ana', 'first', 'leap'];
    await signed(request(s.app).post('/v1/events'), JSON.stringify({
      events: people.map((p, i) => event('customer.created', { customer_id: 700 + i, email: `${p}@example.com`, marketing_consent: consent })),
    }), s.clock).expect(202);
    await s.processEvents();

    await order('rita@example.com', coffee, '2026-04-20T09:00:00Z'); // due 20 May, reminded 15 May
    await order('yuri@example.com', coffee, '2026-04-20T12:00:00Z'); // the same, but re-orders first
    for (const at of ['2026-04-16T09:00:00Z', '2026-04-26T09:00:00Z', '2026-05-08T09:00:00Z']) await order('lena@example.com', coffee, at); // her rhythm: 11 days
    await order('cora@example.com', cake, '2025-05-20T09:00:00Z'); // a birthday cake: again a year later
    await order('first@example.com', coffee, '2026-04-15T09:30:00Z'); // first order on the signup day
    await order('leap@example.com', cake, '2024-02-29T09:00:00Z');

    // The welcome series is not what this file tests: let it finish first.
    await runDaysAhead(s, 5);
    mg.reset();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
    await plugin.close();
  });

  const mails = (email: string, flow: string) => mg.messages.filter((m) => m.field('to') === email && m.fields['o:tag']![0] === `flow-${flow}`);
  const simulator = () =>
    createSimulator({ pool: s.statePool, prefix: 'wp_', clock: s.clock, shop: s.shop, scans: s.scans, flows: s.flows, rules: { caps: s.config.frequencyCaps, quietHours: s.config.quietHours } });
  const day = (text: string) => {
    const [year, month, d] = text.split('-').map(Number) as [number, number, number];
    return { year, month, day: d };
  };
  async function tableCounts(): Promise<Record<string, number>> {
    const [tables] = await s.db.pool.query<Row[]>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'wp\\_retain\\_%'");
    const out: Record<string, number> = {};
    for (const { t } of tables) out[t] = Number((await s.db.pool.query<Row[]>(`SELECT COUNT(*) AS n FROM \`${t}\``))[0][0]!.n);
    return out;
  }
  const lastEnrollment = async () => Number((await s.db.pool.query<Row[]>('SELECT COALESCE(MAX(id), 0) AS id FROM wp_retain_enrollments'))[0][0]!.id);
  /** Who entered `flow` after enrollment id `after`. */
  async function enrolledAfter(flow: string, after: number): Promise<string[]> {
    const [rows] = await s.db.pool.query<Row[]>(
      'SELECT c.email FROM wp_retain_enrollments e JOIN wp_retain_contacts c ON c.id = e.contact_id WHERE e.flow = ? AND e.id > ? ORDER BY c.email',
      [flow, after],
    );
    return rows.map((r) => String(r.email));
  }
  const entering = (rows: SimulationRow[], date: string, flow: string) =>
    rows.filter((r) => r.source === 'scan' && r.step === 1 && r.flow === flow && r.date === date).map((r) => r.email).sort();

  it('forecasts the re-order reminders day by day, then the scan enrolls exactly those, and the forecast wrote nothing', async () => {
    s.clock.set('2026-05-12T22:10:00Z'); // 00:10 on 13 May in Berlin
    await s.scans.run(); // 13 May's own scan (it refreshes the shop's facts): the forecast then finds that day taken
    const before = await tableCounts();
    const forecast = await simulator().simulate({ from: day('2026-05-13'), to: day('2026-05-15') });
    expect(await tableCounts()).toEqual(before);

    expect(entering(forecast, '2026-05-13', 'replenishment')).toEqual([]);
    expect(entering(forecast, '2026-05-14', 'replenishment')).toEqual(['lena@example.com']);
    expect(entering(forecast, '2026-05-15', 'replenishment')).toEqual(['cora@example.com', 'rita@example.com', 'yuri@example.com']);
    const rita = forecast.find((r) => r.email === 'rita@example.com' && r.flow === 'replenishment')!;
    expect(rita).toMatchObject({ date: '2026-05-15', time: '10:00', step: 1, decision: 'send' });

    for (const [date, at] of [['2026-05-14', '2026-05-13T22:10:00Z'], ['2026-05-15', '2026-05-14T22:10:00Z']] as const) {
      s.clock.set(at);
      const since = await lastEnrollment();
      const result = await s.scans.run();
      expect(result.date).toBe(date);
      expect(result.entered.replenishment).toBe(entering(forecast, date, 'replenishment').length);
      expect(await enrolledAfter('replenishment', since)).toEqual(entering(forecast, date, 'replenishment'));
      expect((await s.scans.run()).entered.replenishment).toBe(0); // by hand again: nobody twice
    }
  });

  it('sends at 10:00 with the products to re-order, and not to whoever re-ordered in the meantime', async () => {
    await order('yuri@example.com', coffee, '2026-05-15T07:30:00Z');
    s.clock.set('2026-05-15T07:59:00Z');
    await s.runner.runDue();
    expect(mails('rita@example.com', 'replenishment')).toHaveLength(0);
    s.clock.set('2026-05-15T08:00:00Z'); // 10:00 in Berlin
    await s.runner.runDue();
    expect(mails('lena@example.com', 'replenishment')).toHaveLength(1);
    const [ritaMail] = mails('rita@example.com', 'replenishment');
    expect(ritaMail).toBeDefined();
    const [product] = await s.shop.products.get([coffee.id]);
    expect(ritaMail!.field('html')).toContain(product!.title);
    expect(mails('cora@example.com', 'replenishment')).toHaveLength(1);
    expect(mails('yuri@example.com', 'replenishment')).toHaveLength(0);
  });

  it('enters the re-orderer again a cycle after the new order', async () => {
    s.clock.set('2026-06-08T22:10:00Z'); // 9 June in Berlin: 14 June due, 5 days ahead
    const forecast = await simulator().simulate({ from: day('2026-06-09'), to: day('2026-06-09') });
    expect(entering(forecast, '2026-06-09', 'replenishment')).toEqual(['yuri@example.com']);
    expect((await s.scans.run()).entered.replenishment).toBe(1);
  });

  it('celebrates a first order of 29 February on 28 February in a common year', async () => {
    s.clock.set('2027-02-27T23:10:00Z');
    const forecast = await simulator().simulate({ from: day('2027-02-28'), to: day('2027-02-28') });
    expect(entering(forecast, '2027-02-28', 'anniversary')).toEqual(['leap@example.com']);
    expect((await s.scans.run()).entered.anniversary).toBe(1);
    s.clock.set('2027-02-28T09:00:00Z');
    await s.runner.runDue();
    const [mail] = mails('leap@example.com', 'anniversary');
    expect(mail!.field('subject')).toBe('3 years since your first order');
  });

  it('sends one anniversary a year: the first order\'s for customers, signing up\'s for the others', async () => {
    s.clock.set('2027-04-14T22:10:00Z'); // 15 April in Berlin
    const since = await lastEnrollment();
    const forecast = await simulator().simulate({ from: day('2027-04-15'), to: day('2027-04-15') });
    expect(entering(forecast, '2027-04-15', 'anniversary')).toEqual(['ana@example.com', 'first@example.com']);
    expect(forecast.filter((r) => r.flow === 'anniversary').map((r) => [r.email, r.time, r.decision])).toEqual([['ana@example.com', '10:00', 'send'], ['first@example.com', '10:00', 'send']]);
    expect((await s.scans.run()).entered.anniversary).toBe(2);
    expect(await enrolledAfter('anniversary', since)).toEqual(['ana@example.com', 'first@example.com']);
    s.clock.set('2027-04-15T09:00:00Z');
    await s.runner.runDue();
    expect(mails('first@example.com', 'anniversary').map((m) => m.field('subject'))).toEqual(['A year since your first order']);
    expect(mails('ana@example.com', 'anniversary').map((m) => m.field('subject'))).toEqual(['One year together!']);
  });
  it('enters win-back the first-time and repeat customers whose last paid order is 30–37 days old, as paging both segments would', async () => {
    await s.shop.facts.refresh();
    const rita = await s.shop.facts.stored('rita@example.com');
    const at = new Date(rita!.lastPaidAt!.getTime() + 30 * 24 * HOUR + HOUR);
    const newest = at.getTime() - 30 * 24 * HOUR;
    const oldest = newest - 7 * 24 * HOUR;
    const [contacts] = await s.statePool.query<Row[]>("SELECT id, email FROM wp_retain_contacts WHERE consent_state = 'granted' AND unsubscribed_at IS NULL");
    const idOf = new Map(contacts.map((c) => [String(c.email), Number(c.id)]));
    const expected: string[] = [];
    for (const segment of ['first_time', 'repeat'] as const) {
      let after: string | null = null;
      do {
        const page = await s.shop.segments.members(segment, { after, limit: 2 });
        for (const m of page.members) {
          const t = m.lastPaidAt?.getTime() ?? 0;
          if (t <= newest && t > oldest && idOf.has(m.email)) expected.push(`win_back:${idOf.get(m.email)}:${m.lastPaidAt!.toISOString().slice(0, 10)}`);
        }
        after = page.next;
      } while (after);
    }
    const found = (await s.scans.candidates(day(at.toISOString().slice(0, 10)), at)).filter((c) => c.flow.id === 'win_back').map((c) => c.key);
    expect(expected.some((k) => k.startsWith(`win_back:${idOf.get('rita@example.com')}:`))).toBe(true);
    expect(found).toEqual(expected);
  });
});
