import { defineQueries } from '../db/sql';

export const flowQueries = defineQueries({
  enroll: `INSERT IGNORE INTO {retain_enrollments} (enrollment_key, flow, flow_version, contact_id, status, trigger_event_id, started_at)
      VALUES (?, ?, ?, ?, 'active', ?, ?)`,
  enrollmentByKey: `SELECT * FROM {retain_enrollments} WHERE enrollment_key = ?`,
  enrollmentById: `SELECT * FROM {retain_enrollments} WHERE id = ?`,
  endEnrollment: `UPDATE {retain_enrollments} SET status = ?, exit_reason = ?, ended_at = ? WHERE id = ? AND status = 'active'`,
});
