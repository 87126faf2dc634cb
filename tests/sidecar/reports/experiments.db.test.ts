import request from 'supertest';
import { signRequest } from '../../../sidecar/src/signing/request-signature';
import { toTable } from '../../../sidecar/src/reports/table';
import { signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

// A seeded history whose experiment results are worked out by hand below. Shop: Europe/Berlin,
// EUR, 2 decimals; attribution window 5 days. Contacts are bare ids (experiments read no addresses).
//
// A/B: post-purchase cross-sell (step 2) with and without a discount, experiment "xsell_discount".
//   a (no coupon): 200 recipients sent 11-10; 10 of them order 50.00 on 11-12       → 5 %, 2.50 per recipient
//   b (10 % off):  200 recipients sent 11-10; 30 of them order 40.00 on 11-12       → 15 %, 6.00 per recipient
//   Not counted: an order the day before the send, one 6 days after, a pending one, and a message
//   of an older experiment ("old") on the same step. One b recipient's order is in USD: an order, no revenue.
// Holdout: welcome (last step after 3 days, so the window is 3 + 5 = 8 days from enrollment).
//   mailed: 300 enrollments on 11-10, 60 contacts order 30.00 within 8 days           → 20 %, 0.1 orders each
//   held out: 100 enrollments on 11-10, 10 contacts order 30.00                        → 10 %
//   Not counted: a held-out contact's order 9 days after enrolling.
describe('experiment results: A/B splits and holdouts', () => {
  let s: TestSidecar;
  const tbl = (name: string) => `\`${s.db.prefix}${name}\``;
  const at = (iso: string) => new Date(`2026-${iso}:00Z`);

  beforeAll(async () => {
    s = await startTestSidecar({ label: 'experiments', start: '2026-11-25T10:00:00Z' });
    await signed(request(s.app).put('/v1/admin/flows/post_purchase'), JSON.stringify({
      steps: [
        { delay: '0' },
        { delay: '7d', experiment: 'xsell_discount', variants: [{ id: 'a', coupon: null, weight: 1 }, { id: 'b', coupon: { type: 'percent', amount: '10', expires_in_days: 14 }, weight: 1 }] },
        { delay: '14d' },
      ],
    }), s.clock).expect(200);

    let job = 1;
    const messages: unknown[][] = [];
    const jobs: unknown[][] = [];
    const orders: unknown[][] = [];
    let order = 1;
    const addOrder = (contact: number, when: Date, total: string, status = 'completed', currency = 'EUR') =>
      orders.push([order++, contact, status, currency, total, when, 'no_click', when]);
    const recipient = (contact: number, variant: string, experiment = 'xsell_discount') => {
      jobs.push([job, `t:${job}`, contact, JSON.stringify({ planned_at: '2026-11-10T10:00:00Z', variant, experiment })]);
      messages.push([job, contact, at('11-10T10:00'), job % 7 === 0 ? at('11-10T11:00') : null]);
      job++;
    };
    for (let i = 0; i < 200; i++) {
      const contact = 10_000 + i;
      recipient(contact, 'a');
      if (i < 10) addOrder(contact, at('11-12T10:00'), '50.00');
    }
    for (let i = 0; i < 200; i++) {
      const contact = 20_000 + i;
      recipient(contact, 'b');
      if (i < 29) addOrder(contact, at('11-12T10:00'), '40.00');
      if (i === 29) addOrder(contact, at('11-12T10:00'), '40.00', 'processing', 'USD');
    }
    addOrder(10_100, at('11-09T10:00'), '70.00'); // before the send
    addOrder(10_101, at('11-16T10:00'), '70.00'); // after the 5-day window
    addOrder(10_102, at('11-12T10:00'), '70.00', 'pending'); // never paid
    recipient(30_000, 'b', 'old'); // an earlier experiment on the same step
    addOrder(30_000, at('11-12T10:00'), '70.00');

    const enrollments: unknown[][] = [];
    for (let i = 0; i < 400; i++) {
      const contact = 40_000 + i;
      const held = i >= 300;
      enrollments.push([`w:${i}`, contact, at('11-10T12:00'), held ? 1 : 0]);
      if (!held && i < 60) addOrder(contact, at('11-15T12:00'), '30.00');
      if (held && i < 310) addOrder(contact, at('11-17T12:00'), '30.00');
    }
    addOrder(40_350, at('11-19T13:00'), '30.00'); // held out, but 9 days after enrolling

    await s.db.pool.query(`INSERT INTO ${tbl('retain_jobs')} (id, job_key, kind, contact_id, flow, step, payload, run_at, status, created_at, updated_at)
      VALUES ${jobs.map(() => `(?, ?, 'send', ?, 'post_purchase', 2, ?, '2026-11-10 10:00', 'completed', '2026-11-03 10:00', '2026-11-10 10:00')`).join(', ')}`, jobs.flat());
    await s.db.pool.query(`INSERT INTO ${tbl('retain_messages')} (job_id, contact_id, flow, step, transport, status, created_at, submitted_at, clicked_at)
      VALUES ${messages.map(() => `(?, ?, 'post_purchase', 2, 'mailgun', 'submitted', '2026-11-10 10:00', ?, ?)`).join(', ')}`, messages.flat());
    await s.db.pool.query(`INSERT INTO ${tbl('retain_enrollments')} (enrollment_key, flow, flow_version, contact_id, status, started_at, holdout)
      VALUES ${enrollments.map(() => `(?, 'welcome', 1, ?, 'completed', ?, ?)`).join(', ')}`, enrollments.flat());
    await s.db.pool.query(`INSERT INTO ${tbl('retain_order_attribution')} (order_id, contact_id, status, currency, total, ordered_at, basis, updated_at)
      VALUES ${orders.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, orders.flat());
  });

  afterAll(async () => {
    await s.close();
    await s.db.drop();
  });

  const report = async () => {
    const ts = Math.floor(s.clock.now().getTime() / 1000);
    const res = await request(s.app).get('/v1/admin/reports?from=2026-11-01&to=2026-11-24')
      .set('X-Retain-Timestamp', String(ts)).set('X-Retain-Signature', signRequest(TEST_SECRET, ts, '')).expect(200);
    return res.body;
  };

  it("shows each variant's sends, clicks, orders, revenue and revenue per recipient, with intervals and a verdict", async () => {
    const ab = (await report()).experiments.find((e: { kind: string }) => e.kind === 'ab');
    // Clicks: every 7th job id was clicked; a has jobs 1–200, b 201–400.
    const clicks = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i).filter((j) => j % 7 === 0).length;
    expect(ab).toMatchObject({ flow: 'post_purchase', step: 2, kind: 'ab', experiment: 'xsell_discount', window_days: 5 });
    expect(ab.groups).toEqual([
      { id: 'a', contacts: 200, clicks: clicks(1, 200), orders: 10, converted: 10, conversion: 0.05, revenue: '500.00', revenue_per_contact: '2.50' },
      { id: 'b', contacts: 200, clicks: clicks(201, 400), orders: 30, converted: 30, conversion: 0.15, revenue: '1160.00', revenue_per_contact: '5.80' },
    ]);
    // By hand. Conversion: 30/200 − 10/200 = 0.10; pooled p = 40/400, z = 0.1 / √(0.1·0.9·(2/200)).
    const z = 0.1 / Math.sqrt(0.1 * 0.9 * (2 / 200));
    const [c] = ab.comparisons;
    expect(c.group).toBe('b');
    expect(c.versus).toBe('a');
    expect(c.conversion_difference.estimate).toBeCloseTo(0.1, 4);
    expect(z).toBeCloseTo(3.3333, 3);
    expect(c.p_value).toBeCloseTo(0.0009, 4);
    // Newcombe's interval from the Wilson bounds of 30/200 and 10/200, written out.
    const wilson = (x: number, n: number) => {
      const p = x / n;
      const k = 1.959964 ** 2;
      const mid = (p + k / (2 * n)) / (1 + k / n);
      const half = (1.959964 / (1 + k / n)) * Math.sqrt((p * (1 - p)) / n + k / (4 * n * n));
      return [mid - half, mid + half] as const;
    };
    const [l1, u1] = wilson(30, 200);
    const [l2, u2] = wilson(10, 200);
    expect(c.conversion_difference.low).toBeCloseTo(0.1 - Math.sqrt((0.15 - l1) ** 2 + (u2 - 0.05) ** 2), 4);
    expect(c.conversion_difference.high).toBeCloseTo(0.1 + Math.sqrt((u1 - 0.15) ** 2 + (0.05 - l2) ** 2), 4);
    expect(c.conversion_difference.low).toBeGreaterThan(0);
    // Revenue per recipient (Welch): a has 10 × 50 and 190 × 0; b 29 × 40 and 171 × 0 (the USD order adds nothing).
    const moments = (k: number, v: number, n: number) => ({ mean: (k * v) / n, variance: (k * v * v - (k * v) ** 2 / n) / (n - 1) });
    const a = moments(10, 50, 200);
    const b = moments(29, 40, 200);
    const se = Math.sqrt(a.variance / 200 + b.variance / 200);
    const diff = b.mean - a.mean; // 3.30
    expect(c.revenue_per_contact_difference).toEqual({ estimate: diff.toFixed(2), low: (diff - 1.959964 * se).toFixed(2), high: (diff + 1.959964 * se).toFixed(2) });
    expect(c.significant).toBe(true);
    expect(ab.verdict).toBe(`b vs a: 15.0% ordered vs 5.0% (+10.0 points, 95% CI ${'+' + (c.conversion_difference.low * 100).toFixed(1)} to ${'+' + (c.conversion_difference.high * 100).toFixed(1)}); 5.80 vs 2.50 EUR per contact (+3.30, 95% CI +${(diff - 1.959964 * se).toFixed(2)} to +${(diff + 1.959964 * se).toFixed(2)}).`);
  });

  it('shows the incremental orders and revenue over the holdout, with an interval', async () => {
    const h = (await report()).experiments.find((e: { kind: string }) => e.kind === 'holdout');
    expect(h).toMatchObject({ flow: 'welcome', step: null, kind: 'holdout', window_days: 8 });
    expect(h.groups).toEqual([
      { id: 'mailed', contacts: 300, orders: 60, converted: 60, conversion: 0.2, revenue: '1800.00', revenue_per_contact: '6.00' },
      { id: 'held_out', contacts: 100, orders: 10, converted: 10, conversion: 0.1, revenue: '300.00', revenue_per_contact: '3.00' },
    ]);
    // By hand: (60/300 − 10/100) × 300 = 30 orders and (6.00 − 3.00) × 300 = 900.00 more than unmailed.
    // Welch on orders per enrollment: variances (60 − 300·0.2²)/299 and (10 − 100·0.1²)/99.
    const se = Math.sqrt((60 - 300 * 0.04) / 299 / 300 + (10 - 100 * 0.01) / 99 / 100);
    expect(h.incremental.orders).toEqual({ estimate: 30, low: Number(((0.1 - 1.959964 * se) * 300).toFixed(1)), high: Number(((0.1 + 1.959964 * se) * 300).toFixed(1)) });
    expect(h.incremental.revenue).toEqual({ estimate: '900.00', low: ((0.1 - 1.959964 * se) * 300 * 30).toFixed(2), high: ((0.1 + 1.959964 * se) * 300 * 30).toFixed(2) });
    expect(h.verdict).toMatch(/^The emails added about 30 orders \(95% CI 8 to 52\) and 900\.00 EUR/);
  });

  it('gives no verdict on a small sample, and prints the experiments under the CLI table', async () => {
    const r = await s.reports.build({ from: { year: 2026, month: 11, day: 1 }, to: { year: 2026, month: 11, day: 24 } });
    const table = toTable(r);
    expect(table).toContain('post_purchase step 2: A/B (xsell_discount), orders within 5 days');
    expect(table).toContain('  b: 200 contacts, 29 clicked, 30 ordered (15.0%), 30 orders, 1160.00 EUR, 5.80 per contact');
    expect(table).toContain('welcome: holdout, orders within 8 days');
    // A day with no sends: the split is listed, with no verdict.
    const empty = await s.reports.build({ from: { year: 2026, month: 11, day: 20 }, to: { year: 2026, month: 11, day: 20 } });
    expect(empty.experiments).toEqual([expect.objectContaining({ kind: 'ab', verdict: null, note: 'not enough evidence yet: each variant needs 100 recipients' })]);
  });
});
