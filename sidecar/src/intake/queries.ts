import { defineQueries } from '../db/sql';

export const intakeQueries = defineQueries({
  // INSERT IGNORE on the unique event_id: a re-delivered event is stored once.
  insertEvent: `INSERT IGNORE INTO {retain_events} (event_id, type, occurred_at, received_at, data) VALUES (?, ?, ?, ?, ?)`,
  existingIds: `SELECT event_id FROM {retain_events} WHERE event_id IN (?)`,
  pendingSkipLocked: `SELECT seq, event_id, type, occurred_at, data FROM {retain_events} WHERE processed_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED`,
  pendingLocked: `SELECT seq, event_id, type, occurred_at, data FROM {retain_events} WHERE processed_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE`,
  markProcessed: `UPDATE {retain_events} SET processed_at = ?, outcome = ? WHERE seq = ?`,
  markProcessedMany: `UPDATE {retain_events} SET processed_at = ?, outcome = ? WHERE seq IN (?)`,
  pendingCount: `SELECT COUNT(*) AS n FROM {retain_events} WHERE processed_at IS NULL`,
  upsertCart: `INSERT INTO {retain_carts} (cart_key, contact_id, items, currency, total, updated_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON DUPLICATE KEY UPDATE
      contact_id = IF(VALUES(updated_at) >= updated_at, COALESCE(VALUES(contact_id), contact_id), contact_id),
      items = IF(VALUES(updated_at) >= updated_at, VALUES(items), items),
      currency = IF(VALUES(updated_at) >= updated_at, VALUES(currency), currency),
      total = IF(VALUES(updated_at) >= updated_at, VALUES(total), total),
      event_id = IF(VALUES(updated_at) >= updated_at, VALUES(event_id), event_id),
      updated_at = GREATEST(updated_at, VALUES(updated_at))`,
  cartByKey: `SELECT c.cart_key, c.items, c.currency, c.total, c.updated_at, k.email FROM {retain_carts} c
      LEFT JOIN {retain_contacts} k ON k.id = c.contact_id WHERE c.cart_key = ?`,
});
