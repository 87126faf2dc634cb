import type { Migration } from '../db/migrations';
import { innodbTable as table } from '../db/sql';

// Tables of the flows (versions 300 and up); see db/migrations.ts for the ranges.

export const flowMigrations: Migration[] = [
  {
    version: 300,
    name: 'flows: subjects, admin overrides, views and searches',
    statements: [
      // What an enrollment is about: "cart:<key>", "order:<id>", "2026" (a yearly occasion)…
      `ALTER TABLE {retain_enrollments} ADD COLUMN subject VARCHAR(191) NULL AFTER contact_id, ADD KEY active_subject (contact_id, flow, status)`,
      // A store admin's changes to a flow (the admin API); each save is the flow's next version.
      table(`CREATE TABLE {retain_flow_settings} (
        flow VARCHAR(40) NOT NULL PRIMARY KEY,
        version INT NOT NULL,
        overrides TEXT NOT NULL,
        updated_at DATETIME(3) NOT NULL
      )`),
      table(`CREATE TABLE {retain_product_views} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        contact_id BIGINT UNSIGNED NOT NULL,
        product_id BIGINT UNSIGNED NOT NULL,
        viewed_at DATETIME(3) NOT NULL,
        KEY contact_time (contact_id, viewed_at)
      )`),
      table(`CREATE TABLE {retain_searches} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        contact_id BIGINT UNSIGNED NOT NULL,
        query VARCHAR(200) NOT NULL,
        results INT NULL,
        searched_at DATETIME(3) NOT NULL,
        KEY time_contact (searched_at, contact_id),
        KEY contact_time (contact_id, searched_at)
      )`),
    ],
  },
  {
    version: 301,
    name: 'flows: sunset of silent subscribers',
    statements: [
      // Set by the sunset email; a contact with it set gets no marketing email until they click
      // the "keep me subscribed" link or an admin restores them.
      `ALTER TABLE {retain_contacts} ADD COLUMN unengaged_at DATETIME(3) NULL`,
    ],
  },
  {
    version: 302,
    name: 'flows: holdout groups',
    statements: [
      // NULL: the flow had no holdout when the contact entered; 0: mailed; 1: the control group.
      // Only enrollments with a group take part in the uplift report, found by (holdout, started_at).
      `ALTER TABLE {retain_enrollments} ADD COLUMN holdout TINYINT(1) NULL, ADD KEY holdout_started (holdout, started_at)`,
    ],
  },
];
