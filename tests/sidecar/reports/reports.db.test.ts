import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import type { Row } from '../../../sidecar/src/db/sql';
import { signRequest } from '../../../sidecar/src/signing/request-signature';
import { toTable } from '../../../sidecar/src/reports/table';
import { event, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';
import { eventData, mailgunWebhook, NO_PACING, WEBHOOK_KEY } from '../engagement/mailgun-webhook';

// One small shop history, every figure worked out by hand below. The shop is in Europe/Berlin
// (UTC+1 in November) and counts in EUR with 2 decimals; the attribution window is 5 days.
//
//  msg  contact  flow-step             submitted (UTC)     engagement (UTC)
//  M1   alice    welcome-1             11-10 09:00         delivered, human open 09:30, click 10:00
//  M2   alice    abandoned_cart-2      11-12 23:30 (Berlin 11-13 00:30)   click 11-13 08:00
//  M3   bob      welcome-1             11-11 10:00         bot click 10:01, bot open 10:01, human open 12:00
//  M4   carol    post_purchase-1       11-14 10:00         click 11:00, unsubscribed 11:05
//  M5   dave     welcome-2             11-01 10:00         click 11:00 (outside range and window)
//  M6   erin     win_back-1            11-15 10:00         nothing reported
//  M7   frank    browse_abandonment-1  11-17 10:00         click 11:00
//  M8   dave     welcome-1             11-19 10:00         permanent failure (bounce)
//
//  order  by                       at (UTC)     total   attribution on the order      → credit
//  O1     alice                    11-13 12:00  100.00  retain / abandoned_cart-2     → M2 (click, confirmed), refund 30 → 70.00; cart recovered
//  O2     bob                      11-12 10:00   50.00  none                          → none: only a bot clicked (open view: M3)
//  O3     carol                    11-15 10:00   80.00  google / spring               → none: a later non-Retain source
//  O4     dave                     11-16 10:00   60.00  none                          → none: his click is 15 days old
//  O5     erin                     11-16 10:00   40.50  retain / win_back-1           → M6 (utm, no click reported)
//  O6     frank, other e-mail,     11-18 10:00   25.00  none                          → M7 (click, matched by customer id)
//         same customer id; pending, then processing
//  O7     frank                    11-18 11:00   99.00  none, pending → cancelled     → M7 but not counted (never paid)
describe('reports: attribution and GET /v1/admin/reports', () => {
  let s: TestSidecar;
  const t = (iso: string) => new Date(`2026-${iso}:00Z`);
  const tbl = (name: string) => `\`${s.db.prefix}${name}\``;
  const ids: Record<string, number> = {};
  const msgs: Record<string, number> = {};

  beforeAll(async () => {
    s = await startTestSidecar({ label: 'reports', start: '2026-11-21T10:00:00Z', env: { MAILGUN_WEBHOOK_SIGNING_KEY: WEBHOOK_KEY, ...NO_PACING } });
    const people: Array<[string, string, number]> = [
      ['alice', 'alice@example.com', 501], ['bob', 'bob@example.com', 502], ['carol', 'carol@example.com', 503],
      ['dave', 'dave@example.com', 504], ['erin', 'erin@example.com', 505], ['frank', 'frank@example.com', 777],
    ];
    // Registrations without consent: contacts exist, no flow starts.
    await send(people.map(([, email, customer]) => event('customer.created', { customer_id: customer, email }, { occurred_at: '2026-10-01T10:00:00Z' })));
    await s.processEvents();
    for (const [name, email] of people) {
      const [rows] = await s.db.pool.query<Row[]>(`SELECT id FROM ${tbl('retain_contacts')} WHERE email = ?`, [email]);
      ids[name] = Number(rows[0]!.id);
    }
    const message = async (key: string, who: string, flow: string, step: number, submitted: string) => {
      const [res] = await s.db.pool.query<Row[]>(
        `INSERT INTO ${tbl('retain_messages')} (job_id, contact_id, flow, step, transport, subject, status, provider_id, created_at, submitted_at)
         VALUES (?, ?, ?, ?, 'mailgun', 's', 'submitted', ?, ?, ?)`,
        [randomInt(1e9, 2e9), ids[who], flow, step, `<${key}@mg.test>`, t(submitted), t(submitted)],
      );
      msgs[key] = Number((res as unknown as { insertId: number }).insertId);
    };
    await message('M1', 'alice', 'welcome', 1, '11-10T09:00');
    await message('M2', 'alice', 'abandoned_cart', 2, '11-12T23:30');
    await message('M3', 'bob', 'welcome', 1, '11-11T10:00');
    await message('M4', 'carol', 'post_purchase', 1, '11-14T10:00');
    await message('M5', 'dave', 'welcome', 2, '11-01T10:00');
    await message('M6', 'erin', 'win_back', 1, '11-15T10:00');
    await message('M7', 'frank', 'browse_abandonment', 1, '11-17T10:00');
    await message('M8', 'dave', 'welcome', 1, '11-19T10:00');
    // Jobs as the schedule wrote them: two welcome-1 (the first at Berlin 11-10 00:30) and one cart.
    for (const [key, flow, step, created] of [['a', 'welcome', 1, '11-09T23:30'], ['b', 'welcome', 1, '11-10T08:00'], ['c', 'abandoned_cart', 2, '11-12T10:00']] as const) {
      await s.db.pool.query(
        `INSERT INTO ${tbl('retain_jobs')} (job_key, kind, contact_id, flow, step, run_at, status, created_at, updated_at) VALUES (?, 'send', ?, ?, ?, ?, 'completed', ?, ?)`,
        [`report-test:${key}`, ids.alice, flow, step, t(created), t(created), t(created)],
      );
    }

    const hook = (type: string, who: string, key: string, at: string, extra: Record<string, unknown> = {}) =>
      request(s.app).post('/v1/webhooks/mailgun').set('Content-Type', 'application/json')
        .send(JSON.stringify(mailgunWebhook(eventData(type, `${who}@example.com`, msgs[key]!, extra, t(at)), { at: s.clock.now() }))).expect(200);
    const bot = { 'client-info': { bot: 'apple', 'client-type': 'mobile browser' } };
    await hook('delivered', 'alice', 'M1', '11-10T09:01');
    await hook('opened', 'alice', 'M1', '11-10T09:30');
    await hook('clicked', 'alice', 'M1', '11-10T10:00');
    await hook('clicked', 'alice', 'M2', '11-13T08:00');
    await hook('clicked', 'bob', 'M3', '11-11T10:01', bot);
    await hook('opened', 'bob', 'M3', '11-11T10:01', bot);
    await hook('opened', 'bob', 'M3', '11-11T12:00');
    await hook('clicked', 'carol', 'M4', '11-14T11:00');
    await hook('unsubscribed', 'carol', 'M4', '11-14T11:05');
    await hook('clicked', 'dave', 'M5', '11-01T11:00');
    await hook('clicked', 'frank', 'M7', '11-17T11:00');
    await hook('failed', 'dave', 'M8', '11-19T10:05', { severity: 'permanent', reason: 'bounce' });
    await s.processEvents();

    const order = (id: number, email: string, customer: number, at: string, total: string, status: string, attribution?: Record<string, string>) =>
      event('order.created', { order_id: id, status, currency: 'EUR', total, email, customer_id: customer, created_at: t(at).toISOString(), ...(attribution ? { attribution } : {}) }, { occurred_at: t(at).toISOString() });
    await send([
      order(9001, 'alice@example.com', 501, '11-13T12:00', '100.00', 'processing', { source_type: 'utm', utm_source: 'retain', utm_medium: 'email', utm_campaign: 'abandoned_cart-2' }),
      order(9002, 'bob@example.com', 502, '11-12T10:00', '50.00', 'processing'),
      order(9003, 'carol@example.com', 503, '11-15T10:00', '80.00', 'completed', { source_type: 'utm', utm_source: 'google', utm_campaign: 'spring' }),
      order(9004, 'dave@example.com', 504, '11-16T10:00', '60.00', 'processing'),
      order(9005, 'erin@example.com', 505, '11-16T10:00', '40.50', 'processing', { source_type: 'utm', utm_source: 'retain', utm_campaign: 'win_back-1' }),
      order(9006, 'frank.work@example.com', 777, '11-18T10:00', '25.00', 'pending'),
      order(9007, 'frank@example.com', 777, '11-18T11:00', '99.00', 'pending'),
      event('order.status_changed', { order_id: 9006, from: 'pending', to: 'processing', customer_id: 777 }, { occurred_at: t('11-18T10:02').toISOString() }),
      event('order.status_changed', { order_id: 9007, from: 'pending', to: 'cancelled', customer_id: 777 }, { occurred_at: t('11-18T12:00').toISOString() }),
      event('order.refunded', { order_id: 9001, refund_id: 9101, amount: '30.00', email: 'alice@example.com' }, { occurred_at: t('11-19T09:00').toISOString() }),
    ]);
    // The same refund reported twice is subtracted once.
    await send([event('order.refunded', { order_id: 9001, refund_id: 9101, amount: '30.00', email: 'alice@example.com' }, { occurred_at: t('11-19T09:00').toISOString() })]);
    await s.processEvents();
  });

  afterAll(async () => {
    await s.close();
    await s.db.drop();
  });

  async function send(events: unknown[]) {
    await signed(request(s.app).post('/v1/events'), JSON.stringify({ events }), s.clock).expect(202);
  }

  const getSigned = (path: string) => {
    const ts = Math.floor(s.clock.now().getTime() / 1000);
    return request(s.app).get(path).set('X-Retain-Timestamp', String(ts)).set('X-Retain-Signature', signRequest(TEST_SECRET, ts, ''));
  };

  it('decides each order by the stated rules', async () => {
    const [rows] = await s.db.pool.query<Row[]>(
      `SELECT order_id, status, basis, confirmed, flow, step, message_id, open_flow, open_step, cart_step, total, refunded FROM ${tbl('retain_order_attribution')} ORDER BY order_id`,
    );
    const byId = Object.fromEntries(rows.map((r) => [Number(r.order_id), r]));
    expect(byId[9001]).toMatchObject({ basis: 'click', confirmed: 1, flow: 'abandoned_cart', step: 2, message_id: msgs.M2, cart_step: 2, open_flow: 'welcome', open_step: 1, total: '100.00000000', refunded: '30.00000000' });
    expect(byId[9002]).toMatchObject({ basis: 'no_click', flow: null, open_flow: 'welcome', open_step: 1 });
    expect(byId[9003]).toMatchObject({ basis: 'other_source', flow: null });
    expect(byId[9004]).toMatchObject({ basis: 'no_click', flow: null });
    expect(byId[9005]).toMatchObject({ basis: 'utm', confirmed: 1, flow: 'win_back', step: 1, message_id: msgs.M6 });
    expect(byId[9006]).toMatchObject({ basis: 'click', confirmed: 0, flow: 'browse_abandonment', step: 1, message_id: msgs.M7, status: 'processing' });
    expect(byId[9007]).toMatchObject({ basis: 'click', flow: 'browse_abandonment', status: 'cancelled' });
  });

  it('reports per step and shop day, with money as decimal strings', async () => {
    const res = await getSigned('/v1/admin/reports?from=2026-11-10&to=2026-11-20').expect(200);
    const r = res.body;
    expect(r).toMatchObject({ from: '2026-11-10', to: '2026-11-20', timezone: 'Europe/Berlin', currency: 'EUR', attribution: { model: 'last_click', window_days: 5 } });
    const zero = { scheduled: 0, submitted: 0, delivered: 0, opened: 0, machine_opened: 0, clicked: 0, unsubscribed: 0, bounced: 0, complained: 0, orders: 0, revenue: '0.00', recovered_carts: 0, recovered_revenue: '0.00', open_orders: 0, open_revenue: '0.00' };
    // M1..M4, M6..M8 submitted in range (M5 on 11-01 is not); clicks: M1, M2, M3 (a bot), M4, M7.
    expect(r.total).toEqual({ ...zero, scheduled: 3, submitted: 7, delivered: 1, opened: 2, machine_opened: 1, clicked: 5, unsubscribed: 1, bounced: 1,
      orders: 3, revenue: '135.50', recovered_carts: 1, recovered_revenue: '70.00', open_orders: 2, open_revenue: '120.00' });
    const step = (flow: string, n: number) => r.steps.find((x: { flow: string; step: number }) => x.flow === flow && x.step === n);
    expect(step('welcome', 1).days).toEqual([
      { date: '2026-11-10', ...zero, scheduled: 2, submitted: 1, delivered: 1, opened: 1, clicked: 1 },
      { date: '2026-11-11', ...zero, submitted: 1, opened: 1, machine_opened: 1, clicked: 1 },
      { date: '2026-11-12', ...zero, open_orders: 1, open_revenue: '50.00' },
      { date: '2026-11-13', ...zero, open_orders: 1, open_revenue: '70.00' },
      { date: '2026-11-19', ...zero, submitted: 1, bounced: 1 },
    ]);
    // 23:30 UTC on 11-12 is 00:30 on 11-13 in Berlin.
    expect(step('abandoned_cart', 2).days).toEqual([
      { date: '2026-11-12', ...zero, scheduled: 1 },
      { date: '2026-11-13', ...zero, submitted: 1, clicked: 1, orders: 1, revenue: '70.00', recovered_carts: 1, recovered_revenue: '70.00' },
    ]);
    expect(step('win_back', 1).total).toEqual({ ...zero, submitted: 1, orders: 1, revenue: '40.50' });
    expect(step('browse_abandonment', 1).total).toEqual({ ...zero, submitted: 1, clicked: 1, orders: 1, revenue: '25.00' });
    expect(step('post_purchase', 1).total).toEqual({ ...zero, submitted: 1, clicked: 1, unsubscribed: 1 });
    expect(step('welcome', 2)).toBeUndefined();
    expect(r.days.map((d: { date: string }) => d.date)).toEqual(['2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19']);
    expect(r.days.find((d: { date: string }) => d.date === '2026-11-16')).toEqual({ date: '2026-11-16', ...zero, orders: 1, revenue: '40.50' });
  });

  it('cuts a range at the shop day: 11-13 alone holds M2 and O1', async () => {
    const r = (await getSigned('/v1/admin/reports?from=2026-11-13&to=2026-11-13').expect(200)).body;
    expect(r.total).toMatchObject({ submitted: 1, clicked: 1, orders: 1, revenue: '70.00', open_orders: 1 });
  });

  it('refuses bad parameters with stable codes, and unsigned requests', async () => {
    const code = async (qs: string) => (await getSigned(`/v1/admin/reports${qs}`).expect(400)).body.error.code;
    expect(await code('?to=2026-11-20')).toBe('date_missing');
    expect(await code('?from=2026-11-31&to=2026-12-01')).toBe('date_invalid');
    expect(await code('?from=2026-1-01&to=2026-12-01')).toBe('date_invalid');
    expect(await code('?from=2026-11-20&to=2026-11-10')).toBe('range_invalid');
    expect(await code('?from=2025-01-01&to=2026-01-02')).toBe('range_too_long');
    expect(await code('?from=2026-01-01&from=2026-01-02&to=2026-02-01')).toBe('date_invalid');
    expect((await request(s.app).get('/v1/admin/reports?from=2026-11-10&to=2026-11-20').expect(401)).body.error.code).toBe('signature_missing');
  });

  it('picks up a click whose webhook arrived after the order, at the next event of the order, and then keeps the credit', async () => {
    await send([event('order.created', { order_id: 9008, status: 'pending', currency: 'EUR', total: '10.00', email: 'erin@example.com', customer_id: 505, created_at: '2026-11-20T12:00:00Z' }, { occurred_at: '2026-11-20T12:00:00Z' })]);
    await s.processEvents();
    const basis = async () => (await s.db.pool.query<Row[]>(`SELECT basis, flow FROM ${tbl('retain_order_attribution')} WHERE order_id = 9008`))[0][0];
    expect(await basis()).toMatchObject({ basis: 'no_click', flow: null });
    await request(s.app).post('/v1/webhooks/mailgun').set('Content-Type', 'application/json')
      .send(JSON.stringify(mailgunWebhook(eventData('clicked', 'erin@example.com', msgs.M6!, {}, t('11-20T11:50')), { at: s.clock.now() }))).expect(200);
    await s.processEvents();
    await send([event('order.status_changed', { order_id: 9008, from: 'pending', to: 'processing', email: 'erin@example.com' }, { occurred_at: '2026-11-20T12:05:00Z' })]);
    await s.processEvents();
    expect(await basis()).toMatchObject({ basis: 'click', flow: 'win_back' });
    await send([event('order.status_changed', { order_id: 9008, from: 'processing', to: 'completed', email: 'erin@example.com' }, { occurred_at: '2026-11-22T09:00:00Z' })]);
    await s.processEvents();
    expect(await basis()).toMatchObject({ basis: 'click', flow: 'win_back' });
  });

  it('prints the same figures as a table and as CSV (npx retain report)', async () => {
    const report = await s.reports.build({ from: { year: 2026, month: 11, day: 13 }, to: { year: 2026, month: 11, day: 13 } });
    const table = toTable(report).split('\n');
    expect(table[1]).toMatch(/^date\s+flow\s+step\s+scheduled\s+submitted/);
    expect(table.find((l) => l.startsWith('2026-11-13  abandoned_cart'))).toMatch(/\s70\.00\s+1\s+70\.00\s+0\s+0\.00$/);
    const run = promisify(execFile);
    const root = path.resolve(__dirname, '../../..');
    const { stdout } = await run(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'sidecar/src/cli.ts'), 'report', '--from', '2026-11-13', '--to', '2026-11-13', '--csv'], {
      cwd: root,
      env: { ...process.env, RETAIN_SHOP_DB_URL: s.db.url, RETAIN_TABLE_PREFIX: s.db.prefix, RETAIN_SECRET: TEST_SECRET, RETAIN_PUBLIC_URL: 'https://retain.shop.example.test', LOG_LEVEL: 'silent', MAILGUN_API_KEY: '' },
    });
    expect(stdout.split('\r\n')).toEqual([
      'date,flow,step,scheduled,submitted,delivered,opened,machine_opened,clicked,unsubscribed,bounced,complained,orders,revenue,recovered_carts,recovered_revenue,open_orders,open_revenue',
      '2026-11-13,abandoned_cart,2,0,1,0,0,0,1,0,0,0,1,70.00,1,70.00,0,0.00',
      'total,abandoned_cart,2,0,1,0,0,0,1,0,0,0,1,70.00,1,70.00,0,0.00',
      '2026-11-13,welcome,1,0,0,0,0,0,0,0,0,0,0,0.00,0,0.00,1,70.00',
      'total,welcome,1,0,0,0,0,0,0,0,0,0,0,0.00,0,0.00,1,70.00',
      'total,all,,0,1,0,0,0,1,0,0,0,1,70.00,1,70.00,1,70.00',
      '',
    ]);
  });

  it('never lets a reports failure stop an order event from reaching the flows', async () => {
    await s.db.pool.query(`RENAME TABLE ${tbl('retain_order_attribution')} TO ${tbl('retain_order_attribution_off')}`);
    try {
      const e = event('order.created', { order_id: 9010, status: 'processing', currency: 'EUR', total: '12.00', email: 'gina@example.com', customer_id: 0 });
      await send([e]);
      await s.processEvents();
      const [rows] = await s.db.pool.query<Row[]>(`SELECT outcome FROM ${tbl('retain_events')} WHERE event_id = ?`, [e.id]);
      expect(rows[0]!.outcome).not.toBe('error');
      expect(rows[0]!.outcome).toMatch(/^(applied|enrolled:)/);
    } finally {
      await s.db.pool.query(`RENAME TABLE ${tbl('retain_order_attribution_off')} TO ${tbl('retain_order_attribution')}`);
    }
  });
});
