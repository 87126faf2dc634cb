import { engagementMigrations } from '../engagement/migrations';
import { flowMigrations } from '../flows/migrations';
import { reportMigrations } from '../reports/migrations';
import { templateMigrations } from '../render/migrations';
import { shopMigrations } from '../shop/migrations';
import { innodbTable as table } from './sql';

// The sidecar's own tables, as ordered, append-only migrations. Never edit a shipped one: add the
// next. Every table is `{prefix}retain_*` so it sits beside WooCommerce's without touching them.
// All DATETIME columns hold UTC.

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const spineMigrations: Migration[] = [
  {
    version: 1,
    name: 'spine',
    statements: [
      table(`CREATE TABLE {retain_events} (
        seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        event_id VARCHAR(64) NOT NULL,
        type VARCHAR(40) NOT NULL,
        occurred_at DATETIME(3) NOT NULL,
        received_at DATETIME(3) NOT NULL,
        data LONGTEXT NOT NULL,
        processed_at DATETIME(3) NULL,
        outcome VARCHAR(40) NULL,
        UNIQUE KEY event_id (event_id),
        KEY pending (processed_at, seq)
      )`),
      table(`CREATE TABLE {retain_contacts} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        email VARCHAR(254) NOT NULL,
        customer_id BIGINT UNSIGNED NULL,
        first_name VARCHAR(200) NULL,
        last_name VARCHAR(200) NULL,
        locale VARCHAR(20) NULL,
        country CHAR(2) NULL,
        birthday DATE NULL,
        consent_state ENUM('unknown','granted','revoked') NOT NULL DEFAULT 'unknown',
        consent_at DATETIME(3) NULL,
        unsubscribed_at DATETIME(3) NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY email (email),
        KEY customer_id (customer_id)
      )`),
      table(`CREATE TABLE {retain_consents} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        contact_id BIGINT UNSIGNED NOT NULL,
        purpose VARCHAR(20) NOT NULL,
        state ENUM('granted','revoked') NOT NULL,
        source VARCHAR(32) NOT NULL,
        text TEXT NULL,
        text_version VARCHAR(64) NULL,
        ip VARCHAR(45) NULL,
        event_id VARCHAR(64) NULL,
        recorded_at DATETIME(3) NOT NULL,
        KEY contact (contact_id, recorded_at)
      )`),
      table(`CREATE TABLE {retain_suppressions} (
        email_hash CHAR(64) NOT NULL PRIMARY KEY,
        reason VARCHAR(32) NOT NULL,
        source VARCHAR(32) NOT NULL,
        created_at DATETIME(3) NOT NULL
      )`),
      table(`CREATE TABLE {retain_enrollments} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        enrollment_key VARCHAR(191) NOT NULL,
        flow VARCHAR(40) NOT NULL,
        flow_version INT NOT NULL,
        contact_id BIGINT UNSIGNED NOT NULL,
        status ENUM('active','completed','exited') NOT NULL DEFAULT 'active',
        exit_reason VARCHAR(64) NULL,
        trigger_event_id VARCHAR(64) NULL,
        started_at DATETIME(3) NOT NULL,
        ended_at DATETIME(3) NULL,
        UNIQUE KEY enrollment_key (enrollment_key),
        KEY contact (contact_id, flow)
      )`),
      table(`CREATE TABLE {retain_jobs} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        job_key VARCHAR(191) NOT NULL,
        kind VARCHAR(20) NOT NULL,
        contact_id BIGINT UNSIGNED NULL,
        enrollment_id BIGINT UNSIGNED NULL,
        flow VARCHAR(40) NULL,
        step INT NULL,
        payload TEXT NULL,
        run_at DATETIME(3) NOT NULL,
        status ENUM('pending','running','completed','skipped','failed') NOT NULL DEFAULT 'pending',
        attempts INT NOT NULL DEFAULT 0,
        max_attempts INT NOT NULL DEFAULT 8,
        locked_by VARCHAR(64) NULL,
        locked_at DATETIME(3) NULL,
        reason VARCHAR(255) NULL,
        last_error TEXT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY job_key (job_key),
        KEY due (status, run_at),
        KEY locked (status, locked_at),
        KEY enrollment (enrollment_id)
      )`),
      table(`CREATE TABLE {retain_messages} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        job_id BIGINT UNSIGNED NOT NULL,
        contact_id BIGINT UNSIGNED NOT NULL,
        flow VARCHAR(40) NOT NULL,
        step INT NOT NULL,
        transport VARCHAR(16) NOT NULL,
        subject VARCHAR(500) NULL,
        status ENUM('sending','submitted','delivered','failed') NOT NULL,
        provider_id VARCHAR(255) NULL,
        error TEXT NULL,
        created_at DATETIME(3) NOT NULL,
        submitted_at DATETIME(3) NULL,
        UNIQUE KEY job (job_id),
        KEY provider (provider_id),
        KEY contact (contact_id, created_at),
        KEY flow_day (flow, step, created_at)
      )`),
      table(`CREATE TABLE {retain_timeline} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        contact_id BIGINT UNSIGNED NOT NULL,
        at DATETIME(3) NOT NULL,
        kind VARCHAR(40) NOT NULL,
        flow VARCHAR(40) NULL,
        step INT NULL,
        detail TEXT NULL,
        KEY contact (contact_id, at)
      )`),
      table(`CREATE TABLE {retain_carts} (
        cart_key VARCHAR(128) NOT NULL PRIMARY KEY,
        contact_id BIGINT UNSIGNED NULL,
        items LONGTEXT NOT NULL,
        currency CHAR(3) NULL,
        total DECIMAL(26,8) NULL,
        updated_at DATETIME(3) NOT NULL,
        event_id VARCHAR(64) NOT NULL,
        KEY contact (contact_id)
      )`),
    ],
  },
];

// Version ranges per capability, so work on one never collides with another's:
//   1–99 the spine · 100–199 the shop reader · 200–299 engagement · 300–399 flows · 400–499 reports
//   · 500–599 edited templates
const byVersion = (a: Migration, b: Migration) => a.version - b.version;

/** The sidecar's own tables, in the state database (RETAIN_STATE_DB_URL, else the shop's). */
export const stateMigrations: Migration[] = [...spineMigrations, ...engagementMigrations, ...flowMigrations, ...reportMigrations, ...templateMigrations].sort(byVersion);

/**
 * The shop reader's derived tables. They live in the shop's database, whatever the state
 * database is, because they are joined with WooCommerce's tables.
 */
export { shopMigrations };

export const migrations: Migration[] = [...stateMigrations, ...shopMigrations].sort(byVersion);
