import { defineQueries } from '../db/sql';

export const messageQueries = defineQueries({
  create: `INSERT INTO {retain_messages} (job_id, contact_id, flow, step, transport, subject, status, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'sending', ?)`,
  // After `create` expanded to many rows (multiRow): their ids, by job.
  idsByJobs: `SELECT id, job_id FROM {retain_messages} WHERE job_id IN (?)`,
  byJob: `SELECT * FROM {retain_messages} WHERE job_id = ?`,
  byJobs: `SELECT * FROM {retain_messages} WHERE job_id IN (?)`,
  byId: `SELECT * FROM {retain_messages} WHERE id = ?`,
  markSending: `UPDATE {retain_messages} SET status = 'sending', subject = ?, transport = ?, error = NULL WHERE id = ?`,
  markSubmitted: `UPDATE {retain_messages} SET status = 'submitted', provider_id = ?, submitted_at = ?, subject = COALESCE(?, subject), error = NULL
      WHERE id = ? AND status IN ('sending', 'failed')`,
  // A message that never reached the provider (nothing to show, no coupon yet) leaves no trace.
  discard: `DELETE FROM {retain_messages} WHERE id = ? AND status = 'sending'`,
  markFailed: `UPDATE {retain_messages} SET status = 'failed', error = ?, subject = COALESCE(?, subject) WHERE id = ? AND status = 'sending'`,
  countsByStatus: `SELECT status, COUNT(*) AS n FROM {retain_messages} GROUP BY status`,
});
