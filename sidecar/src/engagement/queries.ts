import { defineQueries } from '../db/sql';

export const engagementQueries = defineQueries({
  // --- provider events (webhooks) ---
  // Webhooks arrive in bursts: each batch of requests is stored with one multi-row INSERT IGNORE
  // (one commit), and these tell which rows were new, duplicates, or replayed tokens.
  insertProviderEventIgnore: `INSERT IGNORE INTO {retain_provider_events}
      (provider, event_id, token, event, severity, reason, machine, message_id, recipient, recipient_hash, occurred_at, received_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  providerEventsByIds: `SELECT event_id, token FROM {retain_provider_events} WHERE provider = 'mailgun' AND event_id IN (?)`,
  // Everything a batch needs before its INSERT, in one round trip: our messages by id, our messages
  // by Mailgun's message id, and which event ids are already stored. Empty lists are passed as [NULL].
  webhookBatchLookup: `SELECT 'message' AS found, id, NULL AS \`key\` FROM {retain_messages} WHERE id IN (?)
      UNION ALL SELECT 'provider_message', id, provider_id FROM {retain_messages} WHERE provider_id IN (?)
      UNION ALL SELECT 'event', NULL, event_id FROM {retain_provider_events} WHERE provider = 'mailgun' AND event_id IN (?)`,
  pendingProviderEventsSkipLocked: `SELECT * FROM {retain_provider_events} WHERE processed_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
  pendingProviderEventsLocked: `SELECT * FROM {retain_provider_events} WHERE processed_at IS NULL ORDER BY id LIMIT ? FOR UPDATE`,
  markProviderEventProcessed: `UPDATE {retain_provider_events} SET processed_at = ?, outcome = ?, recipient = NULL WHERE id = ?`,
  pendingProviderEventCount: `SELECT COUNT(*) AS n FROM {retain_provider_events} WHERE processed_at IS NULL`,
  // Temporary failures for one address since a moment, and whether anything reached it since.
  temporaryFailuresSince: `SELECT COUNT(*) AS n, MIN(occurred_at) AS first_at FROM {retain_provider_events}
      WHERE recipient_hash = ? AND event = 'failed' AND severity = 'temporary' AND occurred_at >= ?`,
  deliveredSince: `SELECT COUNT(*) AS n FROM {retain_provider_events} WHERE recipient_hash = ? AND event = 'delivered' AND occurred_at >= ?`,
  pruneProviderEvents: `DELETE FROM {retain_provider_events} WHERE processed_at IS NOT NULL AND received_at < ? LIMIT 1000`,

  // --- messages ---
  messageDelivered: `UPDATE {retain_messages} SET status = 'delivered', delivered_at = COALESCE(delivered_at, ?)
      WHERE id = ? AND status IN ('sending', 'submitted', 'delivered')`,
  messageOpened: `UPDATE {retain_messages} SET opened_at = COALESCE(opened_at, ?) WHERE id = ?`,
  messageMachineOpened: `UPDATE {retain_messages} SET machine_opened_at = COALESCE(machine_opened_at, ?) WHERE id = ?`,
  messageClicked: `UPDATE {retain_messages} SET clicked_at = COALESCE(clicked_at, ?) WHERE id = ?`,
  messageBounced: `UPDATE {retain_messages} SET bounced_at = COALESCE(bounced_at, ?) WHERE id = ?`,
  messageComplained: `UPDATE {retain_messages} SET complained_at = COALESCE(complained_at, ?) WHERE id = ?`,
  messageUnsubscribed: `UPDATE {retain_messages} SET unsubscribed_at = COALESCE(unsubscribed_at, ?) WHERE id = ?`,
  messageContact: `SELECT contact_id FROM {retain_messages} WHERE id = ?`,

  // --- contacts: engagement and preferences ---
  contactOpened: `UPDATE {retain_contacts} SET last_open_at = GREATEST(COALESCE(last_open_at, ?), ?) WHERE id = ?`,
  contactMachineOpened: `UPDATE {retain_contacts} SET last_machine_open_at = GREATEST(COALESCE(last_machine_open_at, ?), ?) WHERE id = ?`,
  contactClicked: `UPDATE {retain_contacts} SET last_click_at = GREATEST(COALESCE(last_click_at, ?), ?) WHERE id = ?`,
  contactPreferences: `SELECT id, email, consent_state, unsubscribed_at, paused_until, kinds_off, last_open_at, last_machine_open_at, last_click_at
      FROM {retain_contacts} WHERE id = ?`,
  setPause: `UPDATE {retain_contacts} SET paused_until = ?, updated_at = ? WHERE id = ?`,
  setKindsOff: `UPDATE {retain_contacts} SET kinds_off = ?, updated_at = ? WHERE id = ?`,
  // A ledger row for a purpose other than marketing: it never moves the contact's marketing state.
  insertLedger: `INSERT INTO {retain_consents} (contact_id, purpose, state, source, text, text_version, ip, event_id, recorded_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // Pending marketing consent (double opt-in): moves the current state like a decision does.
  setPending: `UPDATE {retain_contacts} SET consent_state = 'pending', consent_at = ?, updated_at = ?
      WHERE id = ? AND (consent_at IS NULL OR consent_at <= ?)`,
  // The feed the plugin polls: every ledger row after a cursor, with the address it is about.
  consentChanges: `SELECT k.id, c.email, k.purpose, k.state, k.source, k.recorded_at FROM {retain_consents} k
      JOIN {retain_contacts} c ON c.id = k.contact_id WHERE k.id > ? ORDER BY k.id LIMIT ?`,

  // --- suppression sync (npx retain suppressions sync) ---
  suppressionHashes: `SELECT email_hash FROM {retain_suppressions} WHERE email_hash IN (?)`,
  insertSuppressionIgnore: `INSERT IGNORE INTO {retain_suppressions} (email_hash, reason, source, created_at) VALUES (?, ?, ?, ?)`,
  contactsByEmails: `SELECT id, email, consent_state, consent_at FROM {retain_contacts} WHERE email IN (?)`,
  // Suppressions whose address we still hold, keyset-paged by contact id; the rest are hash-only.
  suppressedContacts: `SELECT c.id, c.email, s.reason, s.created_at FROM {retain_contacts} c
      JOIN {retain_suppressions} s ON s.email_hash = SHA2(c.email, 256)
      WHERE c.id > ? ORDER BY c.id LIMIT ?`,
  suppressionHashPage: `SELECT email_hash FROM {retain_suppressions} WHERE email_hash > ? ORDER BY email_hash LIMIT ?`,

  // --- deliverability summary: messages by the instant they were submitted, per flow ---
  deliverabilityByFlow: `SELECT flow, COUNT(*) AS submitted, COUNT(delivered_at) AS delivered, COUNT(bounced_at) AS bounced,
        COUNT(complained_at) AS complained, COUNT(unsubscribed_at) AS unsubscribed
      FROM {retain_messages} WHERE submitted_at >= ? AND submitted_at < ?
      GROUP BY flow`,
});
