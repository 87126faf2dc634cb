import request from 'supertest';
import { signRequest } from '../../../sidecar/src/signing/request-signature';
import { startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

// A seeded history with every figure worked out by hand. The shop is in Europe/Berlin (UTC+1 in
// November); the clock stands at 2026-11-22 10:00 UTC, so "yesterday" is the shop day 2026-11-21,
// which runs 2026-11-20T23:00Z..2026-11-21T23:00Z; its 7 days start 2026-11-14T23:00Z.
describe('GET /v1/admin/deliverability', () => {
  let s: TestSidecar;
  beforeAll(async () => {
    s = await startTestSidecar({ label: 'deliverability' });
    let job = 0;
    const rows: unknown[][] = [];
    /** n messages of a flow submitted at `at`, the first `delivered` delivered, and so on. */
    const add = (flow: string, at: string, n: number, o: { delivered?: number; bounced?: number; complained?: number; unsubscribed?: number } = {}) => {
      const t = new Date(at);
      for (let i = 0; i < n; i++) {
        const flag = (k: keyof typeof o) => (i < (o[k] ?? 0) ? t : null);
        rows.push([++job, 1, flow, 1, 'mailgun', 'submitted', t, t, flag('delivered'), flag('bounced'), flag('complained'), flag('unsubscribed')]);
      }
    };
    // welcome, all on the day: 1020 submitted, 1000 delivered, 20 bounced (1.96%), 1 complaint per 1000 delivered: exactly 0.1%, no warning.
    add('welcome', '2026-11-21T10:00:00Z', 1000, { delivered: 1000, complained: 1 });
    add('welcome', '2026-11-21T10:00:00Z', 20, { bounced: 20 });
    // win_back, on the day: 50 submitted, 1 bounced: exactly 2%, no warning.
    add('win_back', '2026-11-21T12:00:00Z', 49, { delivered: 49 });
    add('win_back', '2026-11-21T12:00:00Z', 1, { bounced: 1 });
    // abandoned_cart: a clean day (10 of 10 delivered), a bad week: 3/100 bounced, 1/97 complained.
    add('abandoned_cart', '2026-11-21T08:00:00Z', 10, { delivered: 10 });
    add('abandoned_cart', '2026-11-16T10:00:00Z', 87, { delivered: 87, complained: 1 });
    add('abandoned_cart', '2026-11-16T10:00:00Z', 3, { bounced: 3 });
    // post_purchase at the edges: in the week but not the day (Berlin 11-20 23:59:59; 11-15 00:00), and outside both.
    add('post_purchase', '2026-11-20T22:59:59Z', 1, { delivered: 1, unsubscribed: 1 });
    add('post_purchase', '2026-11-14T23:00:00Z', 1, { delivered: 1 });
    add('post_purchase', '2026-11-21T23:00:00Z', 1, { delivered: 1 });
    add('post_purchase', '2026-11-14T22:59:59.999Z', 1, { delivered: 1 });
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await s.db.pool.query(
        `INSERT INTO wp_retain_messages (job_id, contact_id, flow, step, transport, status, created_at, submitted_at, delivered_at, bounced_at, complained_at, unsubscribed_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flat(),
      );
    }
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
  });

  const getSigned = (path: string) => {
    const ts = Math.floor(s.clock.now().getTime() / 1000);
    return request(s.app).get(path).set('X-Retain-Timestamp', String(ts)).set('X-Retain-Signature', signRequest(TEST_SECRET, ts, ''));
  };
  const counts = (submitted: number, delivered: number, bounced: number, complained: number, unsubscribed: number) => ({ submitted, delivered, bounced, complained, unsubscribed });

  it('gives the day and its 7 days per flow and overall, and warns on the week above the thresholds only', async () => {
    const r = (await getSigned('/v1/admin/deliverability').expect(200)).body;
    expect(r).toMatchObject({ date: '2026-11-21', timezone: 'Europe/Berlin', thresholds: { complaint_rate: 0.001, bounce_rate: 0.02 } });

    expect(r.day.from).toBe('2026-11-21');
    expect(r.day.overall).toMatchObject(counts(1080, 1059, 21, 1, 0));
    expect(r.day.flows.map((f: { flow: string }) => f.flow)).toEqual(['abandoned_cart', 'welcome', 'win_back']);
    expect(r.day.flows[0]).toMatchObject({ ...counts(10, 10, 0, 0, 0), rates: { delivered: 1, bounced: 0, complained: 0, unsubscribed: 0 } });
    expect(r.day.flows[1]).toMatchObject({ ...counts(1020, 1000, 20, 1, 0), rates: { delivered: 0.980392, bounced: 0.019608, complained: 0.001, unsubscribed: 0 } });
    expect(r.day.flows[2]).toMatchObject({ ...counts(50, 49, 1, 0, 0), rates: { bounced: 0.02 } });

    const week = r.trailing_7_days;
    expect([week.from, week.to]).toEqual(['2026-11-15', '2026-11-21']);
    expect(week.overall).toMatchObject({ ...counts(1172, 1148, 24, 2, 1), rates: { bounced: 0.020478, complained: 0.001742, unsubscribed: 0.000871 } });
    expect(week.flows.find((f: { flow: string }) => f.flow === 'post_purchase')).toMatchObject(counts(2, 2, 0, 0, 1));
    expect(week.flows.find((f: { flow: string }) => f.flow === 'abandoned_cart')).toMatchObject({ ...counts(100, 97, 3, 1, 0), rates: { bounced: 0.03, complained: 0.010309 } });

    // welcome (exactly 0.1% complaints) and win_back (exactly 2% bounces) are at, not past, the thresholds.
    expect(r.warnings).toEqual([
      { code: 'complaint_rate', flow: null, rate: 0.001742, threshold: 0.001, window: 'trailing_7_days' },
      { code: 'bounce_rate', flow: null, rate: 0.020478, threshold: 0.02, window: 'trailing_7_days' },
      { code: 'complaint_rate', flow: 'abandoned_cart', rate: 0.010309, threshold: 0.001, window: 'trailing_7_days' },
      { code: 'bounce_rate', flow: 'abandoned_cart', rate: 0.03, threshold: 0.02, window: 'trailing_7_days' },
    ]);
  });

  it('takes a date, and a day with no mail has null rates and no warnings of its own', async () => {
    const r = (await getSigned('/v1/admin/deliverability?date=2026-11-22').expect(200)).body;
    expect(r.day.overall).toEqual({ ...counts(1, 1, 0, 0, 0), rates: { delivered: 1, bounced: 0, complained: 0, unsubscribed: 0 } });
    const empty = (await getSigned('/v1/admin/deliverability?date=2026-12-25').expect(200)).body;
    expect(empty.day.overall.rates).toEqual({ delivered: null, bounced: null, complained: null, unsubscribed: null });
    expect(empty.warnings).toEqual([]);
  });

  it('answers bad dates with 400 and a stable code, and unsigned requests with 401', async () => {
    for (const date of ['2026-02-30', '21.11.2026', '', 'yesterday']) {
      expect((await getSigned(`/v1/admin/deliverability?date=${encodeURIComponent(date)}`).expect(400)).body.error.code).toBe('date_invalid');
    }
    expect((await getSigned('/v1/admin/deliverability?date=2026-11-01&date=2026-11-02').expect(400)).body.error.code).toBe('date_invalid');
    await request(s.app).get('/v1/admin/deliverability').expect(401);
  });
});
