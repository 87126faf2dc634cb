import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Row } from '../sidecar/src/db/sql';
import { reportQueries } from '../sidecar/src/reports/queries';
import { createReportService } from '../sidecar/src/reports/reports';
import type { StoreSettings } from '../sidecar/src/shop/store-settings';
import { createTestDatabase } from '../tests/support/db';

// A year of a big shop: messages, send jobs and attributed orders spread over 2026, then the
// year's report through the service (the same queries the API and the CLI run).
//   npx tsx bench/reports.ts [--messages 2000000] [--orders 300000] [--reps 3]
async function main() {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '2000000' }, orders: { type: 'string', default: '300000' }, reps: { type: 'string', default: '3' } } });
  const messages = Number(values.messages);
  const orders = Number(values.orders);
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
        delivered_at, opened_at, machine_opened_at, clicked_at, bounced_at, complained_at, unsubscribed_at)
      SELECT seq, 1 + seq % 100000, ${flows}, 1 + FLOOR(seq / 12) % 3, 'mailgun', 'submitted', at, at,
        IF(seq % 10 < 9, at + INTERVAL 1 MINUTE, NULL), IF(seq % 3 = 0, at + INTERVAL 1 HOUR, NULL), IF(seq % 5 = 0, at, NULL),
        IF(seq % 20 = 0, at + INTERVAL 2 HOUR, NULL), IF(seq % 100 = 0, at, NULL), IF(seq % 5000 = 0, at, NULL), IF(seq % 500 = 0, at, NULL)
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
    console.log(`generated ${messages} messages, ${messages} jobs, ${orders} orders in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const settings = { timezone: 'Europe/Berlin', currency: 'EUR', decimals: 2 } as StoreSettings;
    const reports = createReportService({ pool: db.pool, prefix: db.prefix, settings: async () => settings, windowMs: 5 * 86_400_000, paidStatuses: ['processing', 'completed'], sendJobKind: 'send' });
    const times: number[] = [];
    let report;
    for (let i = 0; i < Number(values.reps); i++) {
      started = Date.now();
      report = await reports.build({ from: { year: 2026, month: 1, day: 1 }, to: { year: 2026, month: 12, day: 31 } });
      times.push(Date.now() - started);
    }
    // Each query alone, over the whole year at one offset, to see where the time goes.
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
      console.log(`  ${name}: ${((Date.now() - started) / 1000).toFixed(2)} s`);
    }
    const [[check]] = await db.pool.query<Row[]>(`SELECT COUNT(*) AS n FROM ${t('retain_messages')}`);
    console.log(`a year's report (365 days, ${report!.steps.length} steps, ${report!.days.length} days; submitted ${report!.total.submitted} of ${check!.n}, revenue ${report!.total.revenue}): ${times.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}`);
  } finally {
    await db.drop();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
