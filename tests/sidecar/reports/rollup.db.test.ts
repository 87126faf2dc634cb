import type { Row } from '../../../sidecar/src/db/sql';
import { offsetSegments, utcBounds, type LocalDate } from '../../../sidecar/src/reports/days';
import { reportQueries } from '../../../sidecar/src/reports/queries';
import { createReportRollup } from '../../../sidecar/src/reports/rollup';
import { createTestDatabase, type TestDatabase } from '../../support/db';

// The per-day rollup must say exactly what the live grouped queries say, after every kind of
// change, and redo only the days that changed. The history crosses Berlin's switch back to winter
// time (2026-10-25), so one shop day is filled from two offsets.
describe('the per-day report rollup', () => {
  let db: TestDatabase;
  const tbl = (name: string) => `\`${db.prefix}${name}\``;
  const from: LocalDate = { year: 2026, month: 10, day: 15 };
  const to: LocalDate = { year: 2026, month: 11, day: 5 };
  const FIGURES = ['scheduled', 'submitted', 'delivered', 'opened', 'machine_opened', 'clicked', 'unsubscribed', 'bounced', 'complained'] as const;
  const flows = ['welcome', 'abandoned_cart', 'win_back'];
  const start = Date.parse('2026-10-16T00:00:00Z');
  const at = (i: number) => new Date(start + i * 5 * 3_600_000 + (i % 7) * 60_000); // every 5 hours, over 20 days

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'rollup' });
    const jobs: unknown[] = [];
    const messages: unknown[] = [];
    for (let i = 0; i < 96; i++) {
      const flow = flows[i % 3]!;
      const step = 1 + (i % 2);
      // Ids far apart: only the newest few fall inside the rollup's look-back for late commits.
      jobs.push(1_000_000 + i * 1000, `r:${i}`, flow, step, at(i), at(i), at(i));
      messages.push(1_000_000 + i * 1000, flow, step, i % 11 === 0 ? null : at(i), i % 2 ? at(i) : null, i % 3 ? null : at(i), i % 5 ? null : at(i));
    }
    await db.pool.query(`INSERT INTO ${tbl('retain_jobs')} (id, job_key, kind, contact_id, flow, step, run_at, status, created_at, updated_at)
      VALUES ${Array.from({ length: 96 }, () => `(?, ?, 'send', 1, ?, ?, ?, 'completed', ?, ?)`).join(', ')}`, jobs);
    await db.pool.query(`INSERT INTO ${tbl('retain_messages')} (job_id, contact_id, flow, step, transport, status, created_at, submitted_at, delivered_at, opened_at, clicked_at)
      VALUES ${Array.from({ length: 96 }, () => `(?, 1, ?, ?, 'mailgun', 'submitted', NOW(), ?, ?, ?, ?)`).join(', ')}`, messages);
    // As if written yesterday: only what changes from here on is new to the rollup.
    await db.pool.query(`UPDATE ${tbl('retain_messages')} SET changed_at = NOW(3) - INTERVAL 1 DAY`);
  });
  afterAll(async () => {
    await db.drop();
  });

  type Cells = Record<string, Record<string, number>>;
  const key = (r: Row) => `${r.day instanceof Date ? r.day.toISOString().slice(0, 10) : String(r.day)} ${r.flow} ${r.step}`;

  async function live(zone: string): Promise<Cells> {
    const q = reportQueries(db.prefix);
    const out: Cells = {};
    const { start: s, end: e } = utcBounds(from, to, zone);
    for (const seg of offsetSegments(s, e, zone)) {
      const [scheduled] = await db.pool.query<Row[]>(q.scheduledByDay, [seg.offsetMinutes, 'send', seg.from, seg.to]);
      const [messages] = await db.pool.query<Row[]>(q.messagesByDay, [seg.offsetMinutes, seg.from, seg.to]);
      for (const r of [...scheduled, ...messages]) {
        const c = (out[key(r)] ??= Object.fromEntries(FIGURES.map((f) => [f, 0])));
        for (const f of FIGURES) c[f]! += Number(r[f] ?? 0);
      }
    }
    return out;
  }

  async function rolled(rollup: ReturnType<typeof createReportRollup>, zone: string): Promise<Cells> {
    await rollup.refresh(zone);
    return Object.fromEntries((await rollup.days(from, to)).map((r) => [key(r), Object.fromEntries(FIGURES.map((f) => [f, Number(r[f])]))]));
  }

  it('matches the live figures after a full build, after changes, and in another zone, redoing only changed days', async () => {
    const rollup = createReportRollup({ pool: db.pool, prefix: db.prefix, sendJobKind: 'send' });
    const first = await rolled(rollup, 'Europe/Berlin');
    expect(first).toEqual(await live('Europe/Berlin'));
    expect(Object.keys(first).some((k) => k.startsWith('2026-10-25 '))).toBe(true);
    expect(Object.values(first).reduce((n, c) => n + c.scheduled!, 0)).toBe(96);

    // An untouched early day, spoiled on purpose: a refresh that redid everything would mend it.
    await db.pool.query(`UPDATE ${tbl('retain_report_days')} SET opened = opened + 100 WHERE day = '2026-10-16'`);

    // Webhooks on old messages, a late submission, a new job on an old day, an erased contact's jobs.
    await db.pool.query(`UPDATE ${tbl('retain_messages')} SET opened_at = submitted_at + INTERVAL 1 HOUR, bounced_at = submitted_at WHERE job_id IN (1010000, 1030000)`);
    await db.pool.query(`UPDATE ${tbl('retain_messages')} SET submitted_at = ?, status = 'submitted' WHERE job_id = 1000000`, [new Date('2026-10-24T23:30:00Z')]);
    await db.pool.query(`INSERT INTO ${tbl('retain_jobs')} (id, job_key, kind, contact_id, flow, step, run_at, status, created_at, updated_at)
      VALUES (2000000, 'late', 'send', 2, 'vip', 1, ?, 'pending', ?, ?)`, [at(40), at(40), at(40)]);
    await db.pool.query(`DELETE FROM ${tbl('retain_jobs')} WHERE id IN (1020000, 1050000)`);

    const after = await rolled(rollup, 'Europe/Berlin');
    const expected = await live('Europe/Berlin');
    const spoiled = Object.keys(after).filter((k) => k.startsWith('2026-10-16 '));
    expect(spoiled.length).toBeGreaterThan(0);
    for (const k of spoiled) {
      expect(after[k]!.opened).toBe(expected[k]!.opened! + 100);
      after[k]!.opened! -= 100;
    }
    expect(after).toEqual(expected);
    expect(Object.values(after).reduce((n, c) => n + c.scheduled!, 0)).toBe(95);
    expect(after[`${new Date(at(40).getTime() + 3_600_000).toISOString().slice(0, 10)} vip 1`]).toMatchObject({ scheduled: 1 });

    // A shop that moves to a zone 5 h 45 min east of UTC: rebuilt for it.
    expect(await rolled(rollup, 'Asia/Kathmandu')).toEqual(await live('Asia/Kathmandu'));
  });

  it('lets two refreshes run at once without counting twice', async () => {
    const rollup = createReportRollup({ pool: db.pool, prefix: db.prefix, sendJobKind: 'send' });
    await db.pool.query(`UPDATE ${tbl('retain_messages')} SET clicked_at = submitted_at WHERE job_id = 1040000`);
    await Promise.all([rollup.refresh('Asia/Kathmandu'), rollup.refresh('Asia/Kathmandu')]);
    expect(await rolled(rollup, 'Asia/Kathmandu')).toEqual(await live('Asia/Kathmandu'));
  });
});
