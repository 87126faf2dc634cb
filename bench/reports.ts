import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Row } from '../sidecar/src/db/sql';
import { defaultFlows } from '../sidecar/src/flows/definitions';
import { reportQueries } from '../sidecar/src/reports/queries';
import { createReportService } from '../sidecar/src/reports/reports';
import type { StoreSettings } from '../sidecar/src/shop/store-settings';
import { createTestDatabase } from '../tests/support/db';

// A year of a big shop: messages, send jobs and attributed orders spread over 2026, then the
// year's report through the service (the same queries the API and the CLI run): once cold (the
// per-day rollup built from nothing), then warm, then after a day's worth of webhooks and jobs.
//   npx tsx bench/reports.ts [--messages 1000000] [--orders 200000] [--reps 3]
// bench/run.ts can call benchReports() for rows in its table (target: a warm year under 5 s).

export interface ReportBenchRow { metric: string; value: number; unit: string; target?: string; pass?: boolean; note?: string }

export async function benchReports(o: { messages?: number; orders?: number; reps?: number; log?: (s: string) => void } = {}): Promise<ReportBenchRow[]> {
  const messages = o.messages ?? 1_000_000;
  const orders = o.orders ?? 200_000;
  const reps = o.reps ?? 3;
  const log = o.log ?? console.log;
  if (!process.env.RETAIN_TEST_DB_ADMIN_URL) {
    process.env.RETAIN_TEST_DB_ADMIN_URL = execFileSync('bash', [path.join(__dirname, '..', 'scripts', 'mariadb.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }
  const db = await createTestDatabase({ label: 'reports' });
  const t = (name: string) => `\`${db.prefix}${name}\``;
  const flows = `ELT(1 + seq % 12, 'welcome','abandoned_cart','abandoned_checkout','browse_abandonment','post_purchase','review_request','first_customer','birthday','anniversary','win_back','vip','search_abandonment')`;
  const yearSeconds = 365 * 86_400;
  try {
    let started = Date.now();
    await db.pool.query(`INSERT INTO ${t('retain_messages')} (job_id, contact_id, flow, step, transport, status, created_at, submitted_at,
        delivered_at, opened_at, machine_opened_at, clicked_at, bounced_at, complained_at, unsubscribed_at, changed_at)
      SELECT seq, 1 + seq % 100000, ${flows}, 1 + FLOOR(seq / 12) % 3, 'mailgun', 'submitted', at, at,
        IF(seq % 10 < 9, at + INTERVAL 1 MINUTE, NULL), IF(seq % 3 = 0, at + INTERVAL 1 HOUR, NULL), IF(seq % 5 = 0, at, NULL),
        IF(seq % 20 = 0, at + INTERVAL 2 HOUR, NULL), IF(seq % 100 = 0, at, NULL), IF(seq % 5000 = 0, at, NULL), IF(seq % 500 = 0, at, NULL),
        NOW(3) - INTERVAL 1 DAY -- a history, not rows that changed a moment ago
      FROM (SELECT seq, TIMESTAMP('2026-01-01') + INTERVAL FLOOR(seq * ${yearSeconds} / ${messages}) SECOND AS at FROM seq_1_to_${messages}) s`);
    await db.pool.query(`INSERT INTO ${t('retain_jobs')} (job_key, kind, contact_id, flow, step, run_at, status, created_at, updated_at)
      SELECT CONCAT('b:', seq), 'send', 1 + seq % 100000, ${flows}, 1 + FLOOR(seq / 12) % 3, at, 'completed', at, at
      FROM (SELECT seq, TIMESTAMP('2026-01-01') + INTERVAL FLOOR(seq * ${yearSeconds} / ${messages}) SECOND AS at FROM seq_1_to_${messages}) s`);
    await db.pool.query(`INSERT INTO ${t('retain_order_attribution')} (order_id, contact_id, status, currency, total, refunded, ordered_at, basis, confirmed, flow, step, open_flow, open_step, cart_step, updated_at)
      SELECT seq, 1 + seq % 100000, IF(seq % 10 = 0, 'pending', 'completed'), 'EUR', 10 + (seq % 9000) / 100, IF(seq % 50 = 0, 5, 0), at,
        IF(seq % 4 = 0, 'click', 'no_click'), 0, IF(seq % 4 = 0, ${flows}, NULL), IF(seq % 4 = 0, 1 + seq % 3, NULL),
        IF(seq % 3 = 0, ${flows}, NULL), IF(seq % 3 = 0, 1 + seq % 3, NULL), IF(seq % 12 = 1, 1 + seq % 3, NULL), at
      FROM (SELECT seq, TIMESTAMP('2026-01-01') + INTERVAL FLOOR(seq * ${yearSeconds} / ${orders}) SECOND AS at FROM seq_1_to_${orders}) s`);
    await db.pool.query(`ANALYZE TABLE ${t('retain_messages')}, ${t('retain_jobs')}, ${t('retain_order_attribution')}`);
    log(`generated ${messages} messages, ${messages} jobs, ${orders} orders in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const settings = { timezone: 'Europe/Berlin', currency: 'EUR', decimals: 2 } as StoreSettings;
    const reports = createReportService({ pool: db.pool, prefix: db.prefix, settings: async () => settings, windowMs: 5 * 86_400_000, paidStatuses: ['processing', 'completed'], sendJobKind: 'send', flows: () => defaultFlows });
    const year = { from: { year: 2026, month: 1, day: 1 }, to: { year: 2026, month: 12, day: 31 } };
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    started = Date.now();
    let report = await reports.build(year);
    const cold = Date.now() - started;
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      started = Date.now();
      report = await reports.build(year);
      times.push(Date.now() - started);
    }
    // A busy day: webhooks on the last three days' messages and a day of new send jobs.
    const day = Math.round(messages / 365);
    await db.pool.query(`UPDATE ${t('retain_messages')} SET opened_at = COALESCE(opened_at, submitted_at + INTERVAL 2 HOUR) WHERE submitted_at >= '2026-12-29' LIMIT ${day}`);
    await db.pool.query(`INSERT INTO ${t('retain_jobs')} (job_key, kind, contact_id, flow, step, run_at, status, created_at, updated_at)
      SELECT CONCAT('n:', seq), 'send', 1 + seq % 100000, 'welcome', 1, '2026-12-31 12:00', 'pending', '2026-12-31 12:00', '2026-12-31 12:00' FROM seq_1_to_${day}`);
    started = Date.now();
    report = await reports.build(year);
    const afterDay = Date.now() - started;
    // Each query alone, over the whole year at one offset, to see where the time goes (the first
    // two are what the rollup replaces; they are what a cold build costs).
    const q = reportQueries(db.prefix);
    const from = new Date('2025-12-31T23:00:00Z');
    const to = new Date('2026-12-31T23:00:00Z');
    const paid = ['processing', 'completed', 'refunded'];
    for (const [name, args] of [
      ['scheduledByDay', [60, 'send', from, to]], ['messagesByDay', [60, from, to]], ['clickOrdersByDay', [60, 'EUR', from, to, paid]],
      ['openOrdersByDay', [60, 'EUR', from, to, paid]], ['cartOrdersByDay', [60, 'EUR', from, to, paid]],
    ] as const) {
      started = Date.now();
      await db.pool.query(q[name], args as unknown as unknown[]);
      log(`  ${name}: ${((Date.now() - started) / 1000).toFixed(2)} s`);
    }
    const [[check]] = await db.pool.query<Row[]>(`SELECT COUNT(*) AS n FROM ${t('retain_messages')}`);
    log(`a year's report (${report.steps.length} steps, ${report.days.length} days; submitted ${report.total.submitted} of ${check!.n}, revenue ${report.total.revenue}):`);
    log(`  cold (rollup built from nothing): ${seconds(cold)}; warm: ${times.map(seconds).join(', ')}; after a day of ${day} webhooks and ${day} new jobs: ${seconds(afterDay)}`);
    const worst = Math.max(...times, afterDay) / 1000;
    return [
      { metric: `report: a year, ${messages} messages (warm, worst)`, value: Number(worst.toFixed(2)), unit: 's', target: '< 5 s', pass: worst < 5 },
      { metric: 'report: a year, first build of the rollup', value: Number((cold / 1000).toFixed(2)), unit: 's', note: 'once, or after a time-zone change' },
    ];
  } finally {
    await db.drop();
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, orders: { type: 'string', default: '200000' }, reps: { type: 'string', default: '3' } } });
  benchReports({ messages: Number(values.messages), orders: Number(values.orders), reps: Number(values.reps) }).then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
