import { defineQueries } from '../db/sql';

// Every report query is a range on an indexed time column, grouped by flow, step and local day.
// The day is `DATE(utc + offset)`, with one fixed offset per call: the service splits a range at
// the shop's daylight-saving changes, so no time-zone tables are needed on the server.
const localDay = (column: string) => `DATE(DATE_ADD(${column}, INTERVAL ? MINUTE))`;

/** Revenue net of refunds; an order in `refunded` status counts nothing even if a refund event was missed. */
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
});
