import { defineQueries } from '../db/sql';

export const contactQueries = defineQueries({
  // Upsert keeps what we knew when an event leaves a field out (COALESCE on the new value).
  upsert: `INSERT INTO {retain_contacts}
      (email, customer_id, first_name, last_name, locale, country, birthday, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON DUPLICATE KEY UPDATE
      id = LAST_INSERT_ID(id),
      customer_id = COALESCE(VALUES(customer_id), customer_id),
      first_name = COALESCE(VALUES(first_name), first_name),
      last_name = COALESCE(VALUES(last_name), last_name),
      locale = COALESCE(VALUES(locale), locale),
      country = COALESCE(VALUES(country), country),
      birthday = COALESCE(VALUES(birthday), birthday),
      updated_at = VALUES(updated_at)`,
  byId: `SELECT * FROM {retain_contacts} WHERE id = ?`,
  byIds: `SELECT * FROM {retain_contacts} WHERE id IN (?)`,
  byIdForUpdate: `SELECT * FROM {retain_contacts} WHERE id = ? FOR UPDATE`,
  byEmail: `SELECT * FROM {retain_contacts} WHERE email = ?`,
  byCustomerId: `SELECT * FROM {retain_contacts} WHERE customer_id = ? ORDER BY updated_at DESC LIMIT 1`,
  // Events can arrive out of order: the current state only moves to a decision at least as recent.
  setConsent: `UPDATE {retain_contacts} SET consent_state = ?, consent_at = ?, unsubscribed_at = ?, updated_at = ?
      WHERE id = ? AND (consent_at IS NULL OR consent_at <= ?)`,
  insertConsent: `INSERT INTO {retain_consents} (contact_id, purpose, state, source, text, text_version, ip, event_id, recorded_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  consentHistory: `SELECT purpose, state, source, text, text_version, ip, event_id, recorded_at FROM {retain_consents} WHERE contact_id = ? ORDER BY recorded_at, id`,
  suppress: `INSERT IGNORE INTO {retain_suppressions} (email_hash, reason, source, created_at) VALUES (?, ?, ?, ?)`,
  isSuppressed: `SELECT reason FROM {retain_suppressions} WHERE email_hash = ?`,
  suppressionsByHash: `SELECT email_hash, reason FROM {retain_suppressions} WHERE email_hash IN (?)`,
  addTimeline: `INSERT INTO {retain_timeline} (contact_id, at, kind, flow, step, detail) VALUES (?, ?, ?, ?, ?, ?)`,
  timeline: `SELECT at, kind, flow, step, detail FROM {retain_timeline} WHERE contact_id = ? ORDER BY at, id`,
  // Privacy: what we hold about one contact, and its erasure.
  exportEnrollments: `SELECT flow, flow_version, status, exit_reason, started_at, ended_at FROM {retain_enrollments} WHERE contact_id = ? ORDER BY started_at`,
  exportMessages: `SELECT flow, step, subject, status, transport, created_at, submitted_at FROM {retain_messages} WHERE contact_id = ? ORDER BY created_at`,
  exportCarts: `SELECT cart_key, items, currency, total, updated_at FROM {retain_carts} WHERE contact_id = ?`,
  // Raw events carry the address in their JSON; this scans, which is acceptable for a rare request.
  exportEvents: `SELECT event_id, type, occurred_at, data FROM {retain_events} WHERE data LIKE ? ORDER BY seq LIMIT 5000`,
  eraseEvents: `DELETE FROM {retain_events} WHERE data LIKE ? AND processed_at IS NOT NULL`,
  eraseConsents: `DELETE FROM {retain_consents} WHERE contact_id = ?`,
  eraseTimeline: `DELETE FROM {retain_timeline} WHERE contact_id = ?`,
  eraseCarts: `DELETE FROM {retain_carts} WHERE contact_id = ?`,
  eraseJobs: `DELETE FROM {retain_jobs} WHERE contact_id = ? AND status IN ('pending', 'completed', 'skipped', 'failed')`,
  eraseEnrollments: `DELETE FROM {retain_enrollments} WHERE contact_id = ?`,
  // Sent messages stay for the shop's figures, cut loose from the person: subject lines can name them.
  anonymiseMessages: `UPDATE {retain_messages} SET contact_id = 0, subject = NULL WHERE contact_id = ?`,
  eraseContact: `DELETE FROM {retain_contacts} WHERE id = ?`,
});
