import { defineQueries } from '../db/sql';

export const flowQueries = defineQueries({
  enroll: `INSERT IGNORE INTO {retain_enrollments} (enrollment_key, flow, flow_version, contact_id, subject, status, trigger_event_id, started_at, holdout)
      VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?)`,
  enrollmentByKey: `SELECT * FROM {retain_enrollments} WHERE enrollment_key = ?`,
  enrollmentById: `SELECT * FROM {retain_enrollments} WHERE id = ?`,
  enrollmentsByIds: `SELECT * FROM {retain_enrollments} WHERE id IN (?)`,
  activeFor: `SELECT * FROM {retain_enrollments} WHERE contact_id = ? AND flow = ? AND status = 'active' ORDER BY started_at DESC`,
  lastStartedFor: `SELECT * FROM {retain_enrollments} WHERE contact_id = ? AND flow = ? ORDER BY started_at DESC LIMIT 1`,
  endEnrollment: `UPDATE {retain_enrollments} SET status = ?, exit_reason = ?, ended_at = ? WHERE id = ? AND status = 'active'`,
  restartEnrollment: `UPDATE {retain_enrollments} SET started_at = ?, subject = ? WHERE id = ? AND status = 'active'`,
  // A step not yet claimed moves with its enrollment's new start (a cart that keeps changing).
  rescheduleStep: `UPDATE {retain_jobs} SET run_at = ?, payload = ?, updated_at = ? WHERE job_key = ? AND status = 'pending'`,
  stepsSent: `SELECT COUNT(*) AS n FROM {retain_messages} m JOIN {retain_jobs} j ON j.id = m.job_id WHERE j.enrollment_id = ?`,
  // Other work for the same contact, for the frequency cap's priorities: due soon, or being sent now.
  pendingFor: `SELECT id, flow, run_at, status FROM {retain_jobs} WHERE contact_id = ? AND status IN ('pending', 'running') AND run_at <= ? AND id <> ?`,
  // Marketing emails a contact was sent in a window: what the frequency cap counts.
  // The job's own earlier attempt (a retry after a timeout) does not count against it.
  sentSince: `SELECT flow, created_at FROM {retain_messages} WHERE contact_id = ? AND created_at >= ? AND job_id <> ? AND status IN ('sending', 'submitted', 'delivered') ORDER BY created_at`,
  recordView: `INSERT INTO {retain_product_views} (contact_id, product_id, viewed_at) VALUES (?, ?, ?)`,
  viewedSince: `SELECT product_id, MAX(viewed_at) AS last FROM {retain_product_views} WHERE contact_id = ? AND viewed_at >= ? GROUP BY product_id ORDER BY last DESC LIMIT 12`,
  recordSearch: `INSERT INTO {retain_searches} (contact_id, query, results, searched_at) VALUES (?, ?, ?, ?)`,
  cartFor: `SELECT cart_key, items, updated_at FROM {retain_carts} WHERE cart_key = ?`,
  cartedSince: `SELECT COUNT(*) AS n FROM {retain_carts} WHERE contact_id = ? AND updated_at > ? AND items <> '[]'`,
  // Daily scans: set-based over our contacts, keyset-paged by id.
  scanBirthdays: `SELECT id, country FROM {retain_contacts}
      WHERE id > ? AND consent_state = 'granted' AND unsubscribed_at IS NULL AND birthday IS NOT NULL
        AND (DATE_FORMAT(birthday, '%m-%d') = ? OR DATE_FORMAT(birthday, '%m-%d') = ?)
      ORDER BY id LIMIT ?`,
  // The UTC month-days around the shop's day (flows/scans.ts keeps those on it in the shop's zone).
  scanSignupAnniversaries: `SELECT id, email, country, created_at FROM {retain_contacts}
      WHERE id > ? AND consent_state = 'granted' AND unsubscribed_at IS NULL
        AND DATE_FORMAT(created_at, '%m-%d') IN (?) AND created_at < ?
      ORDER BY id LIMIT ?`,
  scanSearches: `SELECT s.contact_id AS id, c.country, MAX(s.searched_at) AS last, SUBSTRING_INDEX(GROUP_CONCAT(s.query ORDER BY s.searched_at DESC SEPARATOR '\n'), '\n', 1) AS query
      FROM {retain_searches} s JOIN {retain_contacts} c ON c.id = s.contact_id
      WHERE s.searched_at >= ? AND s.searched_at < ? AND s.contact_id > ? AND c.consent_state = 'granted' AND c.unsubscribed_at IS NULL
      GROUP BY s.contact_id, c.country ORDER BY s.contact_id LIMIT ?`,
  // Silent: consented for longer than the window, and no open or click within it.
  scanSilent: `SELECT id, country FROM {retain_contacts}
      WHERE id > ? AND consent_state = 'granted' AND unsubscribed_at IS NULL AND unengaged_at IS NULL AND created_at < ?
        AND (last_open_at IS NULL OR last_open_at < ?) AND (last_click_at IS NULL OR last_click_at < ?)
      ORDER BY id LIMIT ?`,
  // How often the shop emails: marketing messages per contact over the last 90 days.
  recentSendRate: `SELECT COUNT(*) / GREATEST(COUNT(DISTINCT contact_id), 1) AS per_contact FROM {retain_messages} WHERE created_at >= ? AND status IN ('submitted', 'delivered')`,
  engagedSince: `SELECT (last_open_at >= ? OR last_click_at >= ?) AS engaged FROM {retain_contacts} WHERE id = ?`,
  setUnengaged: `UPDATE {retain_contacts} SET unengaged_at = ?, updated_at = ? WHERE id = ? AND unengaged_at IS NULL`,
  clearUnengaged: `UPDATE {retain_contacts} SET unengaged_at = NULL, updated_at = ? WHERE id = ?`,
  markEngaged: `UPDATE {retain_contacts} SET last_click_at = GREATEST(COALESCE(last_click_at, ?), ?) WHERE id = ?`,
  contactsByEmail: `SELECT id, email, country FROM {retain_contacts} WHERE email IN (?) AND consent_state = 'granted' AND unsubscribed_at IS NULL`,
  // The simulator (read-only): which occasion keys are taken, and the sends already scheduled.
  enrollmentKeysTaken: `SELECT enrollment_key FROM {retain_enrollments} WHERE enrollment_key IN (?)`,
  scheduledSends: `SELECT j.id, j.flow, j.step, j.run_at, j.payload, j.contact_id, e.started_at, e.status AS enrollment_status
      FROM {retain_jobs} j LEFT JOIN {retain_enrollments} e ON e.id = j.enrollment_id
      WHERE j.kind = 'send' AND j.status IN ('pending', 'running') AND j.run_at < ? AND (j.run_at > ? OR (j.run_at = ? AND j.id > ?))
      ORDER BY j.run_at, j.id LIMIT ?`,
  contactsById: `SELECT id, email, country, consent_state, unsubscribed_at, unengaged_at FROM {retain_contacts} WHERE id IN (?)`,
  overrides: `SELECT flow, version, overrides FROM {retain_flow_settings}`,
  saveOverride: `INSERT INTO {retain_flow_settings} (flow, version, overrides, updated_at) VALUES (?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE version = VALUES(version), overrides = VALUES(overrides), updated_at = VALUES(updated_at)`,
});
