import request from 'supertest';
import type { Row } from '../../../sidecar/src/db/sql';
import { flowQueries } from '../../../sidecar/src/flows/queries';
import { utcMonthDaysAround } from '../../../sidecar/src/flows/scans';
import { lifecycleQueries } from '../../../sidecar/src/shop/lifecycle-queries';
import { placeOrder } from '../../support/shop';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

// Anniversaries fall on the shop's calendar day, not the UTC one: a signup or first order at 00:30
// in Berlin (23:30 UTC the day before) is celebrated on its Berlin day, one at 23:30 in Los Angeles
// (07:30 UTC the day after) on its Los Angeles day; 29 February (local) on 28 February in common years.
// Each shop day is scanned as the daily job would, at the shop's 00:05, then scanned again.

const day = (text: string) => {
  const [year, month, d] = text.split('-').map(Number) as [number, number, number];
  return { year, month, day: d };
};

async function startShop(label: string, start: string, shopOptions: Record<string, string>): Promise<TestSidecar> {
  return startTestSidecar({ label, start, shopOptions });
}

/** A consented contact that Retain first heard of at `at` (its signup). */
async function contactAt(s: TestSidecar, email: string, at: string): Promise<void> {
  s.clock.set(at);
  await signed(request(s.app).post('/v1/events'), JSON.stringify({ events: [event('subscriber.created', { email, consent: grantedConsent })] }), s.clock).expect(202);
  await s.processEvents();
}

/** A contact (signed up long before) whose first paid order was placed at `at`. */
async function firstOrderAt(s: TestSidecar, email: string, at: string): Promise<void> {
  await contactAt(s, email, '2023-06-15T12:00:00Z');
  await placeOrder(s.db.pool, 'wp_', { email, status: 'completed', createdAt: new Date(at) });
}

/** Runs the shop day's scans at its 00:05 and returns who entered the anniversary flow, as "email subject". */
async function anniversariesOn(s: TestSidecar, date: string): Promise<string[]> {
  const d = day(date);
  s.clock.set(await s.scans.scanTime(d));
  const [[last]] = await s.db.pool.query<Row[]>('SELECT COALESCE(MAX(id), 0) AS id FROM wp_retain_enrollments');
  const result = await s.scans.run(d);
  expect(result.date).toBe(date);
  const [rows] = await s.db.pool.query<Row[]>(
    `SELECT c.id, c.email, e.enrollment_key, e.subject FROM wp_retain_enrollments e JOIN wp_retain_contacts c ON c.id = e.contact_id
       WHERE e.flow = 'anniversary' AND e.id > ? ORDER BY c.email`,
    [last!.id],
  );
  expect(result.entered.anniversary).toBe(rows.length);
  // The key names the contact and the year, so the same day scanned again enrolls nobody.
  for (const r of rows) expect(r.enrollment_key).toBe(`anniversary:${r.id}:${d.year}`);
  expect((await s.scans.run(d)).entered.anniversary).toBe(0);
  return rows.map((r) => `${r.email} ${r.subject}`);
}

describe('anniversaries on the shop\'s calendar day', () => {
  it('lists the UTC month-days a local day can fall on, 29 February included', () => {
    expect(utcMonthDaysAround(['03-10'])).toEqual(['03-09', '03-10', '03-11']);
    expect(utcMonthDaysAround(['03-01'])).toEqual(['02-28', '02-29', '03-01', '03-02']);
    expect(utcMonthDaysAround(['02-28', '02-29'])).toEqual(['02-27', '02-28', '02-29', '03-01']);
    expect(utcMonthDaysAround(['01-01'])).toEqual(['01-01', '01-02', '12-31']);
  });

  describe('a shop in Berlin (east of UTC)', () => {
    let s: TestSidecar;
    beforeAll(async () => {
      s = await startShop('anniv_berlin', '2023-06-01T12:00:00Z', {});
      await contactAt(s, 'sb-early@example.com', '2025-03-09T23:30:00Z'); // 00:30 on 10 March in Berlin
      await contactAt(s, 'sb-late@example.com', '2025-03-10T22:30:00Z'); // 23:30 on 10 March
      await contactAt(s, 'sb-next@example.com', '2025-03-10T23:30:00Z'); // 00:30 on 11 March
      await firstOrderAt(s, 'ob-early@example.com', '2025-03-09T23:30:00Z');
      await firstOrderAt(s, 'ob-next@example.com', '2025-03-10T23:30:00Z');
      await firstOrderAt(s, 'ob-leap-day@example.com', '2024-02-28T23:30:00Z'); // 00:30 on 29 February 2024 in Berlin
      await firstOrderAt(s, 'ob-march@example.com', '2024-02-29T23:30:00Z'); // 00:30 on 1 March 2024 in Berlin
    });
    afterAll(async () => {
      await s.close();
      await s.db.drop();
    });

    it('celebrates a local 29 February on 28 February in a common year, and a UTC 29 February that was 1 March on 1 March', async () => {
      expect(await anniversariesOn(s, '2025-02-28')).toEqual(['ob-leap-day@example.com anniversary:first_order:1']);
      expect(await anniversariesOn(s, '2025-03-01')).toEqual(['ob-march@example.com anniversary:first_order:1']);
    });

    it('celebrates signups and first orders just after midnight on their Berlin day, not the UTC day before', async () => {
      expect(await anniversariesOn(s, '2026-03-09')).toEqual([]);
      expect(await anniversariesOn(s, '2026-03-10')).toEqual([
        'ob-early@example.com anniversary:first_order:1',
        'sb-early@example.com anniversary:signup:1',
        'sb-late@example.com anniversary:signup:1',
      ]);
      expect(await anniversariesOn(s, '2026-03-11')).toEqual(['ob-next@example.com anniversary:first_order:1', 'sb-next@example.com anniversary:signup:1']);
    });

    it('celebrates a local 29 February on the 29th itself in a leap year', async () => {
      expect(await anniversariesOn(s, '2028-02-28')).toEqual([]);
      expect(await anniversariesOn(s, '2028-02-29')).toEqual(['ob-leap-day@example.com anniversary:first_order:4']);
    });

    it('reads both scans through the primary key, the month-day list only filtering', async () => {
      const days = utcMonthDaysAround(['03-10']);
      const [contacts] = await s.db.pool.query<Row[]>(`EXPLAIN ${flowQueries('wp_').scanSignupAnniversaries}`, [0, days, new Date('2026-03-09T23:00:00Z'), 1000]);
      const [facts] = await s.db.shopPool.query<Row[]>(`EXPLAIN ${lifecycleQueries('wp_').firstOrderAnniversaries}`, ['', '2026-03-09 23:00:00', days, 1000]);
      for (const plan of [contacts, facts]) {
        expect(plan).toHaveLength(1);
        expect(plan[0]).toMatchObject({ type: 'range', key: 'PRIMARY' });
      }
    });
  });

  describe('a shop in Los Angeles (west of UTC)', () => {
    let s: TestSidecar;
    beforeAll(async () => {
      s = await startShop('anniv_la', '2023-06-01T12:00:00Z', { timezone_string: 'America/Los_Angeles', woocommerce_default_country: 'US:CA' });
      await contactAt(s, 'sl-newyear@example.com', '2025-01-01T07:30:00Z'); // 23:30 on 31 December 2024 in Los Angeles
      await contactAt(s, 'sl-prev@example.com', '2025-01-15T07:30:00Z'); // 23:30 on 14 January
      await contactAt(s, 'sl-early@example.com', '2025-01-15T08:30:00Z'); // 00:30 on 15 January
      await contactAt(s, 'sl-late@example.com', '2025-01-16T07:30:00Z'); // 23:30 on 15 January
      await firstOrderAt(s, 'ol-prev@example.com', '2025-01-15T07:30:00Z');
      await firstOrderAt(s, 'ol-late@example.com', '2025-01-16T07:30:00Z');
      await firstOrderAt(s, 'ol-leap@example.com', '2024-03-01T07:30:00Z'); // 23:30 on 29 February 2024 in Los Angeles
    });
    afterAll(async () => {
      await s.close();
      await s.db.drop();
    });

    it('celebrates a first order late on 29 February (local) on 28 February in a common year, not on 1 March', async () => {
      expect(await anniversariesOn(s, '2025-02-28')).toEqual(['ol-leap@example.com anniversary:first_order:1']);
      expect(await anniversariesOn(s, '2025-03-01')).toEqual([]);
    });

    it('counts the years on the local calendar: a signup late on New Year\'s Eve is a year old on the next one', async () => {
      expect(await anniversariesOn(s, '2025-12-31')).toEqual(['sl-newyear@example.com anniversary:signup:1']);
      expect(await anniversariesOn(s, '2026-01-01')).toEqual([]);
    });

    it('celebrates signups and first orders just before midnight on their Los Angeles day, not the UTC day after', async () => {
      expect(await anniversariesOn(s, '2026-01-14')).toEqual(['ol-prev@example.com anniversary:first_order:1', 'sl-prev@example.com anniversary:signup:1']);
      expect(await anniversariesOn(s, '2026-01-15')).toEqual([
        'ol-late@example.com anniversary:first_order:1',
        'sl-early@example.com anniversary:signup:1',
        'sl-late@example.com anniversary:signup:1',
      ]);
      expect(await anniversariesOn(s, '2026-01-16')).toEqual([]);
    });
  });
});
