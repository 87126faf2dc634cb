import { defineQueries } from '../db/sql';

// Every report query is a range on an indexed time column, grouped by flow, step and local day.
// The day is `DATE(utc + offset)`, with one fixed offset per call: the service splits a range at
// the shop's daylight-saving changes, so no time-zone tables are needed on the server.
const localDay = (column: string) => `DATE(DATE_ADD(${column}, INTERVAL ? MINUTE))`;

/** Revenue net of refunds; an order in `refunded` status counts nothing even if a refund event was missed. */
const netOf = (t: string) => `CASE WHEN ${t}.status = 'refunded' THEN 0 ELSE GREATEST(${t}.total - ${t}.refunded, 0) END`;
const net = `CASE WHEN status = 'refunded' THEN 0 ELSE GREATEST(total - refunded, 0) END`;

export const reportQueries = defineQueries({
  // --- attribution (run while an order event is applied) -----------------------------------------
  contactsForOrder: `SELECT id FROM {retain_contacts} WHERE id = ? OR customer_id = ?`,
  lastHumanEngagement: `SELECT m.id, m.flow, m.step, pe.occurred_at AS at
      FROM {retain_messages} m JOIN {retain_provider_events} pe ON pe.message_id = m.id
      WHERE m.contact_id IN (?) AND pe.event = ? AND pe.machine = 0 AND pe.occurred_at >= ? AND pe.occurred_at <= ?
      ORDER BY pe.occurred_at DESC, pe.id DESC LIMIT 1`,
  lastSubmittedOfStep: `SELECT id, flow, step, submitted_at AS at FROM {retain_messages}
      WHERE contact_id IN (?) AND flow = ? AND step = ? AND submitted_at >= ? AND submitted_at <= ?
      ORDER BY submitted_at DESC, id DESC LIMIT 1`,
  lastSubmittedOfFlow: `SELECT id, flow, step, submitted_at AS at FROM {retain_messages}
      WHERE contact_id IN (?) AND flow = ? AND submitted_at >= ? AND submitted_at <= ?
      ORDER BY submitted_at DESC, id DESC LIMIT 1`,
  orderById: `SELECT * FROM {retain_order_attribution} WHERE order_id = ?`,
  insertOrder: `INSERT INTO {retain_order_attribution}
      (order_id, contact_id, customer_id, status, currency, total, ordered_at, utm_source, utm_campaign, basis, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
      ON DUPLICATE KEY UPDATE contact_id = COALESCE(VALUES(contact_id), contact_id), customer_id = COALESCE(VALUES(customer_id), customer_id),
        status = VALUES(status), currency = VALUES(currency), total = VALUES(total),
        utm_source = COALESCE(VALUES(utm_source), utm_source), utm_campaign = COALESCE(VALUES(utm_campaign), utm_campaign),
        updated_at = VALUES(updated_at)`,
  updateOrderStatus: `UPDATE {retain_order_attribution} SET status = ?, total = COALESCE(?, total), updated_at = ? WHERE order_id = ?`,
  updateDecision: `UPDATE {retain_order_attribution} SET basis = ?, confirmed = ?, flow = ?, step = ?, message_id = ?,
      open_flow = ?, open_step = ?, open_message_id = ?, cart_step = ?, cart_message_id = ?, updated_at = ? WHERE order_id = ?`,
  insertRefund: `INSERT IGNORE INTO {retain_order_refunds} (order_id, refund_id, amount, refunded_at) VALUES (?, ?, ?, ?)`,
  updateRefunded: `UPDATE {retain_order_attribution}
      SET refunded = (SELECT COALESCE(SUM(amount), 0) FROM {retain_order_refunds} WHERE order_id = ?), updated_at = ? WHERE order_id = ?`,

  // --- reports: params are (offset minutes, from, to[, …]) ------------------------------------------
  scheduledByDay: `SELECT flow, step, ${localDay('created_at')} AS day, COUNT(*) AS scheduled
      FROM {retain_jobs} WHERE kind = ? AND created_at >= ? AND created_at < ? AND flow IS NOT NULL
      GROUP BY flow, step, day`,
  messagesByDay: `SELECT flow, step, ${localDay('submitted_at')} AS day, COUNT(*) AS submitted,
        COUNT(delivered_at) AS delivered, COUNT(opened_at) AS opened, COUNT(machine_opened_at) AS machine_opened,
        COUNT(clicked_at) AS clicked, COUNT(unsubscribed_at) AS unsubscribed, COUNT(bounced_at) AS bounced,
        COUNT(complained_at) AS complained
      FROM {retain_messages} WHERE submitted_at >= ? AND submitted_at < ?
      GROUP BY flow, step, day`,
  // Each view takes (offset, shop currency, from, to, counted statuses).
  clickOrdersByDay: `SELECT flow, step, ${localDay('ordered_at')} AS day, COUNT(*) AS orders,
        COALESCE(SUM(CASE WHEN currency = ? THEN ${net} ELSE 0 END), 0) AS revenue
      FROM {retain_order_attribution} WHERE ordered_at >= ? AND ordered_at < ? AND status IN (?) AND flow IS NOT NULL
      GROUP BY flow, step, day`,
  openOrdersByDay: `SELECT open_flow AS flow, open_step AS step, ${localDay('ordered_at')} AS day, COUNT(*) AS orders,
        COALESCE(SUM(CASE WHEN currency = ? THEN ${net} ELSE 0 END), 0) AS revenue
      FROM {retain_order_attribution} WHERE ordered_at >= ? AND ordered_at < ? AND status IN (?) AND open_flow IS NOT NULL
      GROUP BY open_flow, open_step, day`,
  cartOrdersByDay: `SELECT 'abandoned_cart' AS flow, cart_step AS step, ${localDay('ordered_at')} AS day, COUNT(*) AS orders,
        COALESCE(SUM(CASE WHEN currency = ? THEN ${net} ELSE 0 END), 0) AS revenue
      FROM {retain_order_attribution} WHERE ordered_at >= ? AND ordered_at < ? AND status IN (?) AND cart_step IS NOT NULL
      GROUP BY cart_step, day`,

  // --- per-day rollup of the scheduled and message figures (reports/rollup.ts) -------------------------
  // One refresh at a time (per table prefix), across replicas.
  rollupLock: `SELECT GET_LOCK(?, ?) AS ok`,
  rollupUnlock: `SELECT RELEASE_LOCK(?)`,
  rollupState: `SELECT zone, messages_seen, jobs_seen FROM {retain_report_rollup} WHERE id = 1`,
  // The first read of the refresh's transaction: its snapshot and its watermarks are the same moment.
  rollupNow: `SELECT NOW(3) AS now, (SELECT COALESCE(MAX(id), 0) FROM {retain_jobs}) AS max_job`,
  rollupSave: `INSERT INTO {retain_report_rollup} (id, zone, messages_seen, jobs_seen, updated_at) VALUES (1, ?, ?, ?, NOW(3))
      ON DUPLICATE KEY UPDATE zone = VALUES(zone), messages_seen = VALUES(messages_seen), jobs_seen = VALUES(jobs_seen), updated_at = VALUES(updated_at)`,
  jobsSpan: `SELECT MIN(created_at) AS first, MAX(created_at) AS last FROM {retain_jobs} WHERE kind = ? AND flow IS NOT NULL AND id <= ?`,
  messagesSpan: `SELECT MIN(submitted_at) AS first, MAX(submitted_at) AS last FROM {retain_messages} WHERE submitted_at IS NOT NULL`,
  // One instant per quarter hour touched (every zone offset is a multiple of 15 minutes, so a
  // quarter hour lies within one shop day). Five minutes of overlap catch a change stamped before
  // the last refresh but committed after it.
  changedMessageQuarters: `SELECT MIN(submitted_at) AS at FROM {retain_messages}
      WHERE changed_at >= ? - INTERVAL 5 MINUTE AND submitted_at IS NOT NULL
      GROUP BY DATE(submitted_at), HOUR(submitted_at), MINUTE(submitted_at) DIV 15`,
  // Jobs only ever appear or (erasure) disappear. New ones by id, with an overlap for ids taken by
  // transactions that committed after the last refresh.
  newJobQuarters: `SELECT MIN(created_at) AS at FROM {retain_jobs} WHERE id > ? AND id <= ? AND kind = ? AND flow IS NOT NULL
      GROUP BY DATE(created_at), HOUR(created_at), MINUTE(created_at) DIV 15`,
  jobsCounted: `SELECT COUNT(*) AS n FROM {retain_jobs} WHERE kind = ? AND flow IS NOT NULL AND id <= ?`,
  rollupScheduledTotal: `SELECT COALESCE(SUM(scheduled), 0) AS n FROM {retain_report_days}`,
  clearDays: `DELETE FROM {retain_report_days} WHERE day >= ? AND day <= ?`,
  clearAllDays: `DELETE FROM {retain_report_days}`,
  clearScheduled: `UPDATE {retain_report_days} SET scheduled = 0`,
  // The rollup's sources are read with plain (consistent, lock-free) SELECTs and written back as
  // a few thousand grouped rows: an INSERT … SELECT would lock every message it read.
  rollupScheduled: `SELECT flow, step, ${localDay('created_at')} AS day, COUNT(*) AS scheduled
      FROM {retain_jobs} WHERE kind = ? AND created_at >= ? AND created_at < ? AND flow IS NOT NULL AND id <= ?
      GROUP BY flow, step, day`,
  // A shop day cut by a daylight-saving change is filled from two segments: the counts add up.
  upsertDay: `INSERT INTO {retain_report_days} (day, flow, step, scheduled, submitted, delivered, opened, machine_opened, clicked, unsubscribed, bounced, complained)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE scheduled = scheduled + VALUES(scheduled), submitted = submitted + VALUES(submitted), delivered = delivered + VALUES(delivered),
        opened = opened + VALUES(opened), machine_opened = machine_opened + VALUES(machine_opened), clicked = clicked + VALUES(clicked),
        unsubscribed = unsubscribed + VALUES(unsubscribed), bounced = bounced + VALUES(bounced), complained = complained + VALUES(complained)`,
  // Every other message figure is at most the cell's submitted count; a cell with neither is nothing to show.
  rollupDays: `SELECT day, flow, step, scheduled, submitted, delivered, opened, machine_opened, clicked, unsubscribed, bounced, complained
      FROM {retain_report_days} WHERE day >= ? AND day <= ? AND (scheduled > 0 OR submitted > 0)`,

  // --- experiments: a unit's orders are the contact's counted orders within a window after it ---------
  // One A/B step: per variant, the recipients (submitted messages of the current experiment), their
  // clicks, and Σ/Σ² of their orders and revenue within the window after the send.
  // Params: currency, window seconds, counted statuses, flow, step, experiment, from, to.
  variantResults: `SELECT variant, COUNT(*) AS units, COUNT(clicked_at) AS clicks, SUM(orders) AS orders, SUM(orders * orders) AS orders_sq,
        SUM(orders > 0) AS converted, SUM(revenue) AS revenue, SUM(revenue * revenue) AS revenue_sq
      FROM (SELECT m.id, m.clicked_at, JSON_VALUE(j.payload, '$.variant') AS variant, COUNT(o.order_id) AS orders,
          COALESCE(SUM(CASE WHEN o.currency = ? THEN ${netOf('o')} ELSE 0 END), 0) AS revenue
        FROM {retain_messages} m JOIN {retain_jobs} j ON j.id = m.job_id
        LEFT JOIN {retain_order_attribution} o ON o.contact_id = m.contact_id AND o.ordered_at > m.submitted_at
          AND o.ordered_at <= m.submitted_at + INTERVAL ? SECOND AND o.status IN (?)
        WHERE m.flow = ? AND m.step = ? AND JSON_VALUE(j.payload, '$.experiment') = ? AND m.submitted_at >= ? AND m.submitted_at < ?
        GROUP BY m.id, m.clicked_at, variant) per_recipient
      GROUP BY variant`,
  // Flows with a control group among the enrollments of [from, to).
  holdoutFlows: `SELECT DISTINCT flow FROM {retain_enrollments} WHERE holdout IN (0, 1) AND started_at >= ? AND started_at < ?`,
  // One flow's two groups. Params: currency, window seconds, counted statuses, flow, from, to.
  holdoutResults: `SELECT holdout, COUNT(*) AS units, SUM(orders) AS orders, SUM(orders * orders) AS orders_sq, SUM(orders > 0) AS converted,
        SUM(revenue) AS revenue, SUM(revenue * revenue) AS revenue_sq
      FROM (SELECT e.id, e.holdout, COUNT(o.order_id) AS orders,
          COALESCE(SUM(CASE WHEN o.currency = ? THEN ${netOf('o')} ELSE 0 END), 0) AS revenue
        FROM {retain_enrollments} e
        LEFT JOIN {retain_order_attribution} o ON o.contact_id = e.contact_id AND o.ordered_at > e.started_at
          AND o.ordered_at <= e.started_at + INTERVAL ? SECOND AND o.status IN (?)
        WHERE e.holdout IN (0, 1) AND e.started_at >= ? AND e.started_at < ? AND e.flow = ?
        GROUP BY e.id, e.holdout) per_enrollment
      GROUP BY holdout`,
});
