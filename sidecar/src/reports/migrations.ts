import type { Migration } from '../db/migrations';
import { innodbTable as table } from '../db/sql';

// Tables of this capability (versions 400 and up); see db/migrations.ts for the ranges.
export const reportMigrations: Migration[] = [
  {
    version: 400,
    name: 'order attribution and report indexes',
    statements: [
      // One row per WooCommerce order, kept from the order events (the shop's tables may live in
      // another database, so reports never join them). The decision is stored with its basis so a
      // report is a range scan, not a re-run of the rules. Money is DECIMAL, never a float.
      table(`CREATE TABLE {retain_order_attribution} (
        order_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        contact_id BIGINT UNSIGNED NULL,
        customer_id BIGINT UNSIGNED NULL,
        status VARCHAR(40) NOT NULL,
        currency CHAR(3) NOT NULL,
        total DECIMAL(26,8) NOT NULL,
        refunded DECIMAL(26,8) NOT NULL DEFAULT 0,
        ordered_at DATETIME(3) NOT NULL,
        utm_source VARCHAR(100) NULL,
        utm_campaign VARCHAR(100) NULL,
        basis VARCHAR(20) NOT NULL,
        confirmed TINYINT(1) NOT NULL DEFAULT 0,
        flow VARCHAR(40) NULL,
        step INT NULL,
        message_id BIGINT UNSIGNED NULL,
        open_flow VARCHAR(40) NULL,
        open_step INT NULL,
        open_message_id BIGINT UNSIGNED NULL,
        cart_step INT NULL,
        cart_message_id BIGINT UNSIGNED NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY ordered (ordered_at)
      )`),
      // Refunds by id, so a refund reported twice is subtracted once.
      table(`CREATE TABLE {retain_order_refunds} (
        order_id BIGINT UNSIGNED NOT NULL,
        refund_id BIGINT UNSIGNED NOT NULL,
        amount DECIMAL(26,8) NOT NULL,
        refunded_at DATETIME(3) NOT NULL,
        PRIMARY KEY (order_id, refund_id)
      )`),
      // Covering index for "scheduled per step per day" over a year of jobs.
      `ALTER TABLE {retain_jobs} ADD KEY report (kind, created_at, flow, step)`,
    ],
  },
  {
    version: 401,
    name: 'experiments and per-day report rollups',
    statements: [
      // Experiments count each recipient's orders within a window after the email or enrollment.
      `ALTER TABLE {retain_order_attribution} ADD KEY contact_time (contact_id, ordered_at)`,
      // The server stamps every change to a message (webhooks, submission, erasure) without any
      // writer having to remember to: the rollup recomputes only the days of changed messages.
      `ALTER TABLE {retain_messages} ADD COLUMN changed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
        ADD KEY changed (changed_at)`,
      // Scheduled and message figures per shop day, flow and step (reports/rollup.ts), for the
      // time zone named in the state row; a different zone rebuilds it.
      table(`CREATE TABLE {retain_report_days} (
        day DATE NOT NULL,
        flow VARCHAR(40) NOT NULL,
        step INT NOT NULL,
        scheduled INT UNSIGNED NOT NULL DEFAULT 0,
        submitted INT UNSIGNED NOT NULL DEFAULT 0,
        delivered INT UNSIGNED NOT NULL DEFAULT 0,
        opened INT UNSIGNED NOT NULL DEFAULT 0,
        machine_opened INT UNSIGNED NOT NULL DEFAULT 0,
        clicked INT UNSIGNED NOT NULL DEFAULT 0,
        unsubscribed INT UNSIGNED NOT NULL DEFAULT 0,
        bounced INT UNSIGNED NOT NULL DEFAULT 0,
        complained INT UNSIGNED NOT NULL DEFAULT 0,
        PRIMARY KEY (day, flow, step)
      )`),
      table(`CREATE TABLE {retain_report_rollup} (
        id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
        zone VARCHAR(64) NOT NULL,
        messages_seen DATETIME(3) NOT NULL,
        jobs_seen BIGINT UNSIGNED NOT NULL,
        updated_at DATETIME(3) NOT NULL
      )`),
    ],
  },
];
