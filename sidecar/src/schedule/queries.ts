import { defineQueries } from '../db/sql';

export const jobQueries = defineQueries({
  // A deterministic job_key makes enqueueing idempotent: the second insert of a key is ignored.
  enqueue: `INSERT IGNORE INTO {retain_jobs}
      (job_key, kind, contact_id, enrollment_id, flow, step, payload, run_at, max_attempts, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  byKey: `SELECT * FROM {retain_jobs} WHERE job_key = ?`,
  byId: `SELECT * FROM {retain_jobs} WHERE id = ?`,
  // Claim with SKIP LOCKED (MariaDB ≥ 10.6, MySQL ≥ 8): competing runners take disjoint rows.
  // The whole rows: the claim then needs no read-back, they are ours until the UPDATE commits.
  dueForUpdateSkipLocked: `SELECT * FROM {retain_jobs} WHERE status = 'pending' AND run_at <= ? ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
  markClaimed: `UPDATE {retain_jobs} SET status = 'running', locked_by = ?, locked_at = ?, attempts = attempts + 1, updated_at = ? WHERE id IN (?)`,
  // Claim-by-UPDATE for older servers: the single UPDATE is atomic; the claim token finds our rows.
  claimByUpdate: `UPDATE {retain_jobs} SET status = 'running', locked_by = ?, locked_at = ?, attempts = attempts + 1, updated_at = ?
      WHERE status = 'pending' AND run_at <= ? ORDER BY run_at, id LIMIT ?`,
  claimedBy: `SELECT * FROM {retain_jobs} WHERE locked_by = ? AND status = 'running'`,
  // Only the claimer may finish a job; a job whose claim was swept and re-taken is not ours any more.
  finish: `UPDATE {retain_jobs} SET status = ?, reason = ?, last_error = ?, locked_by = NULL, locked_at = NULL, updated_at = ?
      WHERE id = ? AND locked_by = ? AND status = 'running'`,
  retryLater: `UPDATE {retain_jobs} SET status = 'pending', run_at = ?, last_error = ?, locked_by = NULL, locked_at = NULL, updated_at = ?
      WHERE id = ? AND locked_by = ? AND status = 'running'`,
  // A deferral hands back the attempt its claim took: waiting by rule is not failing.
  defer: `UPDATE {retain_jobs} SET status = 'pending', run_at = ?, reason = ?, attempts = GREATEST(attempts - 1, 0), locked_by = NULL, locked_at = NULL, updated_at = ?
      WHERE id = ? AND locked_by = ? AND status = 'running'`,
  releaseStale: `UPDATE {retain_jobs} SET status = 'pending', locked_by = NULL, locked_at = NULL, updated_at = ?,
      last_error = CONCAT('claim expired (', COALESCE(locked_by, ''), ')')
      WHERE status = 'running' AND locked_at < ?`,
  countsByStatus: `SELECT status, COUNT(*) AS n FROM {retain_jobs} GROUP BY status`,
  nextDue: `SELECT MIN(run_at) AS next FROM {retain_jobs} WHERE status = 'pending'`,
});
