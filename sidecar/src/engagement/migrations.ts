import type { Migration } from '../db/migrations';
import { innodbTable as table } from '../db/sql';

// Tables of this capability (versions 200 and up); see db/migrations.ts for the ranges.
// New columns on contacts and messages live there (not in side tables) so that erasing a contact
// or anonymising a message takes them along without the privacy code knowing about them.


export const engagementMigrations: Migration[] = [
  {
    version: 200,
    name: 'provider events (Mailgun webhooks)',
    statements: [
      // One row per Mailgun event id. The webhook's token is unique too, so a replayed signature is
      // refused for as long as rows are kept. `recipient` is cleared once the event is applied; only
      // its hash stays, for counting temporary failures per address.
      table(`CREATE TABLE {retain_provider_events} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        provider VARCHAR(16) NOT NULL,
        event_id VARCHAR(128) NOT NULL,
        token VARCHAR(128) NOT NULL,
        event VARCHAR(32) NOT NULL,
        severity VARCHAR(16) NULL,
        reason VARCHAR(64) NULL,
        machine TINYINT(1) NOT NULL DEFAULT 0,
        message_id BIGINT UNSIGNED NULL,
        recipient VARCHAR(254) NULL,
        recipient_hash CHAR(64) NULL,
        occurred_at DATETIME(3) NOT NULL,
        received_at DATETIME(3) NOT NULL,
        processed_at DATETIME(3) NULL,
        outcome VARCHAR(40) NULL,
        UNIQUE KEY event_id (provider, event_id),
        UNIQUE KEY token (provider, token),
        KEY pending (processed_at, id),
        KEY recipient (recipient_hash, event, occurred_at),
        KEY message (message_id),
        KEY received (received_at)
      )`),
    ],
  },
  {
    version: 201,
    name: 'engagement and preferences on contacts and messages; pending consent',
    statements: [
      `ALTER TABLE {retain_contacts}
        MODIFY consent_state ENUM('unknown','granted','revoked','pending') NOT NULL DEFAULT 'unknown',
        ADD COLUMN last_open_at DATETIME(3) NULL,
        ADD COLUMN last_machine_open_at DATETIME(3) NULL,
        ADD COLUMN last_click_at DATETIME(3) NULL,
        ADD COLUMN paused_until DATETIME(3) NULL,
        ADD COLUMN kinds_off VARCHAR(64) NULL`,
      `ALTER TABLE {retain_consents} MODIFY state ENUM('granted','revoked','pending') NOT NULL`,
      `ALTER TABLE {retain_messages}
        ADD COLUMN delivered_at DATETIME(3) NULL,
        ADD COLUMN opened_at DATETIME(3) NULL,
        ADD COLUMN machine_opened_at DATETIME(3) NULL,
        ADD COLUMN clicked_at DATETIME(3) NULL,
        ADD COLUMN bounced_at DATETIME(3) NULL,
        ADD COLUMN complained_at DATETIME(3) NULL,
        ADD COLUMN unsubscribed_at DATETIME(3) NULL,
        ADD KEY submitted (submitted_at)`,
    ],
  },
];
