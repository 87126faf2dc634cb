import type { Clock } from '../clock';
import { withTransaction, type Pool } from '../db/pool';
import type { Row } from '../db/sql';
import type { ContactStore } from './contacts';
import { normalizeEmail } from './contacts';

/** The JSON text an event's data holds for this address, for a LIKE match on stored events. */
const eventPattern = (email: string) => `%${JSON.stringify(normalizeEmail(email)).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export type PrivacyService = ReturnType<typeof createPrivacyService>;

/** GDPR access and erasure for one address, called by the plugin's exporter and eraser. */
export function createPrivacyService(d: { pool: Pool; clock: Clock; contacts: ContactStore }) {
  const q = d.contacts.queries;
  return {
    async export(email: string): Promise<Record<string, unknown> | null> {
      const contact = await d.contacts.findByEmail(d.pool, email);
      const [events] = await d.pool.query<Row[]>(q.exportEvents, [eventPattern(email)]);
      if (!contact) return events.length ? { email: normalizeEmail(email), contact: null, events: events.map(toEvent) } : null;
      const [[enrollments], [messages], [carts], consents, timeline] = await Promise.all([
        d.pool.query<Row[]>(q.exportEnrollments, [contact.id]),
        d.pool.query<Row[]>(q.exportMessages, [contact.id]),
        d.pool.query<Row[]>(q.exportCarts, [contact.id]),
        d.contacts.consentHistory(d.pool, contact.id),
        d.contacts.timeline(d.pool, contact.id),
      ]);
      return {
        email: contact.email,
        contact,
        consents,
        enrollments,
        messages,
        carts: carts.map((c) => ({ ...c, items: JSON.parse(c.items) })),
        timeline,
        events: events.map(toEvent),
        suppressed: await d.contacts.suppressionReason(d.pool, contact.email),
      };
    },

    /**
     * Deletes what we hold about the address and keeps only a hash on the suppression list, so
     * it is never mailed again, even if a later event names it.
     */
    async erase(email: string): Promise<{ erased: boolean }> {
      return withTransaction(d.pool, async (conn) => {
        const contact = await d.contacts.findByEmail(conn, email);
        await d.contacts.suppress(conn, email, 'erased', 'privacy_request');
        await conn.query(q.eraseEvents, [eventPattern(email)]);
        if (!contact) return { erased: false };
        for (const sql of [q.eraseConsents, q.eraseTimeline, q.eraseCarts, q.eraseJobs, q.eraseEnrollments, q.anonymiseMessages, q.eraseContact]) {
          await conn.query(sql, [contact.id]);
        }
        return { erased: true };
      });
    },

    async timeline(email: string) {
      const contact = await d.contacts.findByEmail(d.pool, email);
      if (!contact) return null;
      return { email: contact.email, consent: contact.consentState, unsubscribed_at: contact.unsubscribedAt, timeline: await d.contacts.timeline(d.pool, contact.id) };
    },
  };
}

const toEvent = (r: Row) => ({ id: r.event_id, type: r.type, occurred_at: r.occurred_at, data: JSON.parse(r.data) });
