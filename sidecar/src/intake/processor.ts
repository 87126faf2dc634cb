import type { Clock } from '../clock';
import type { ContactStore } from '../contacts/contacts';
import { withTransaction, type Connection, type Db, type Pool } from '../db/pool';
import type { Row } from '../db/sql';
import type { Triggers } from '../flows/triggers';
import type { Logger } from '../logger';
import type { ClaimMode } from '../schedule/jobs';
import type { EventData, EventType, ShopEvent } from './event-schemas';
import { intakeQueries } from './queries';

export interface ProcessorDeps {
  pool: Pool;
  prefix: string;
  clock: Clock;
  log: Logger;
  contacts: ContactStore;
  triggers: Triggers;
  claimMode: ClaimMode;
  /** Keeps orders for reports (reports/attribution.ts); sees order events with or without a contact. */
  recordOrderEvent?: (conn: Connection, event: ShopEvent, contactId: number | null) => Promise<void>;
  /** RETAIN_DOUBLE_OPT_IN: new opt-ins wait for the e-mailed confirmation. */
  doubleOptIn?: boolean;
}

/** Database messages can quote row values (addresses); logs get the error's code only. */
const errorCode = (err: unknown) => (err as { code?: string })?.code ?? (err as Error)?.name ?? 'unknown';

type Apply<T extends EventType> = (conn: Connection, event: ShopEvent<T>) => Promise<number | null>;

export type EventProcessor = ReturnType<typeof createEventProcessor>;

/**
 * Applies stored events to contacts, consent, carts and flows. Each event's effects and its
 * `processed_at` mark commit together, so an event is acted on exactly once even when several
 * sidecars process the same table.
 */
export function createEventProcessor(d: ProcessorDeps) {
  const q = intakeQueries(d.prefix);
  const { contacts } = d;

  async function contactFor(db: Db, ref: { email?: string | undefined; customer_id?: number | undefined }): Promise<number | null> {
    if (ref.email) return contacts.upsert(db, { email: ref.email, customerId: ref.customer_id || undefined });
    if (ref.customer_id) return (await contacts.findByCustomerId(db, ref.customer_id))?.id ?? null;
    return null;
  }

  /** Browsing counts only for a visitor we already know; it never creates a contact. */
  async function knownContact(db: Db, ref: { email?: string | undefined; customer_id?: number | undefined }): Promise<number | null> {
    if (ref.email) return (await contacts.findByEmail(db, ref.email))?.id ?? null;
    if (ref.customer_id) return (await contacts.findByCustomerId(db, ref.customer_id))?.id ?? null;
    return null;
  }

  async function consentState(db: Db, contactId: number) {
    return (await contacts.get(db, contactId))?.consentState ?? 'unknown';
  }

  const evidence = (c: EventData<'consent.changed'>['consent'], eventId: string) => ({
    state: c.state as 'granted' | 'revoked' | 'pending', source: c.source, text: c.text, textVersion: c.text_version, ip: c.ip, eventId,
  });

  /**
   * Records a consent decision. With double opt-in, a new opt-in stays `pending` until the address
   * confirms through the emailed link; someone already confirmed stays granted.
   */
  async function recordConsent(db: Db, contactId: number, c: ReturnType<typeof evidence> & { purpose?: string }, at: Date): Promise<void> {
    if (d.doubleOptIn && c.state === 'granted' && (await consentState(db, contactId)) !== 'granted') c = { ...c, state: 'pending' };
    await contacts.recordConsent(db, contactId, c, at);
  }

  const person = (data: { first_name?: string | undefined; last_name?: string | undefined; locale?: string | undefined; billing_country?: string | undefined; birthday?: string | undefined }) => ({
    firstName: data.first_name, lastName: data.last_name, locale: data.locale, country: data.billing_country, birthday: data.birthday,
  });

  // Each handler applies the event to contacts, consent and carts, and names the contact it
  // concerns (or null); the flow triggers then see the event with that contact.
  const handlers: { [T in EventType]: Apply<T> } = {
    'customer.created': async (conn, e) => {
      const id = await contacts.upsert(conn, { email: e.data.email, customerId: e.data.customer_id, ...person(e.data) });
      if (e.data.marketing_consent) await recordConsent(conn, id, evidence(e.data.marketing_consent, e.id), e.occurredAt);
      await contacts.addTimeline(conn, id, { kind: 'event', detail: { type: e.type } }, e.occurredAt);
      return id;
    },
    'customer.updated': async (conn, e) => {
      const known = e.data.email ? null : await contacts.findByCustomerId(conn, e.data.customer_id);
      const email = e.data.email ?? known?.email;
      return email ? contacts.upsert(conn, { email, customerId: e.data.customer_id, ...person(e.data) }) : null;
    },
    'subscriber.created': async (conn, e) => {
      const id = await contacts.upsert(conn, { email: e.data.email, customerId: e.data.customer_id, ...person(e.data) });
      await recordConsent(conn, id, evidence(e.data.consent, e.id), e.occurredAt);
      await contacts.addTimeline(conn, id, { kind: 'event', detail: { type: e.type, source: e.data.consent.source } }, e.occurredAt);
      return id;
    },
    'consent.changed': async (conn, e) => {
      const id = await contacts.upsert(conn, { email: e.data.email, customerId: e.data.customer_id });
      await recordConsent(conn, id, { ...evidence(e.data.consent, e.id), purpose: e.data.purpose }, e.occurredAt);
      await contacts.addTimeline(conn, id, { kind: 'consent', detail: { state: e.data.consent.state, source: e.data.consent.source } }, e.occurredAt);
      return id;
    },
    'cart.updated': async (conn, e) => {
      const id = await contactFor(conn, e.data);
      await conn.query(q.upsertCart, [e.data.cart_key, id, JSON.stringify(e.data.items), e.data.currency ?? null, e.data.total ?? null, e.occurredAt, e.id]);
      return id;
    },
    'checkout.started': async (conn, e) => {
      const id = await contacts.upsert(conn, { email: e.data.email, customerId: e.data.customer_id });
      if (e.data.consent) await recordConsent(conn, id, evidence(e.data.consent, e.id), e.occurredAt);
      await contacts.addTimeline(conn, id, { kind: 'event', detail: { type: e.type } }, e.occurredAt);
      return id;
    },
    'order.created': async (conn, e) => {
      const id = e.data.email
        ? await contacts.upsert(conn, { email: e.data.email, customerId: e.data.customer_id || undefined, locale: e.data.locale, country: e.data.billing_country })
        : await contactFor(conn, e.data);
      if (id) await contacts.addTimeline(conn, id, { kind: 'event', detail: { type: e.type, order_id: e.data.order_id, status: e.data.status } }, e.occurredAt);
      return id;
    },
    'order.status_changed': async (conn, e) => {
      const id = await contactFor(conn, e.data);
      if (id) await contacts.addTimeline(conn, id, { kind: 'event', detail: { type: e.type, order_id: e.data.order_id, from: e.data.from, to: e.data.to } }, e.occurredAt);
      return id;
    },
    'order.refunded': async (conn, e) => {
      const id = await contactFor(conn, e.data);
      if (id) await contacts.addTimeline(conn, id, { kind: 'event', detail: { type: e.type, order_id: e.data.order_id, refund_id: e.data.refund_id } }, e.occurredAt);
      return id;
    },
    // Views and searches matter only for known visitors; the triggers record them.
    'product.viewed': (conn, e) => knownContact(conn, e.data),
    'search.performed': (conn, e) => knownContact(conn, e.data),
  };

  async function apply(conn: Connection, row: Row): Promise<string> {
    const event = { id: row.event_id, type: row.type, occurredAt: row.occurred_at, data: JSON.parse(row.data) } as ShopEvent;
    const handler = handlers[event.type] as Apply<EventType> | undefined;
    if (!handler) return 'unknown_type';
    const contactId = await handler(conn, event);
    await d.recordOrderEvent?.(conn, event, contactId);
    if (!contactId) return 'no_contact';
    const entered = await d.triggers.apply({ db: conn, event, contactId, consent: await consentState(conn, contactId) });
    return entered.length ? `enrolled:${entered.join(',')}` : 'applied';
  }

  const pendingSql = d.claimMode === 'skip-locked' ? q.pendingSkipLocked : q.pendingLocked;

  return {
    /** Applies up to `limit` pending events. Returns how many were processed. */
    async processPending(limit = 200): Promise<number> {
      try {
        return await withTransaction(
          d.pool,
          async (conn) => {
            const [rows] = await conn.query<Row[]>(pendingSql, [limit]);
            const byOutcome = new Map<string, number[]>();
            for (const row of rows) {
              const outcome = (await apply(conn, row)).slice(0, 40);
              byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), row.seq]);
            }
            for (const [outcome, seqs] of byOutcome) await conn.query(q.markProcessedMany, [d.clock.now(), outcome, seqs]);
            return rows.length;
          },
          { readCommitted: true },
        );
      } catch (err) {
        // One bad event must not block the rest: retry them one transaction each, and set aside
        // (marked, logged by id and type only) an event that fails on its own.
        d.log.warn({ code: errorCode(err) }, 'event batch failed; applying one by one');
        return processOneByOne(limit);
      }
    },

    async pendingCount(): Promise<number> {
      const [rows] = await d.pool.query<Row[]>(q.pendingCount);
      return Number(rows[0]?.n ?? 0);
    },
  };

  async function processOneByOne(limit: number): Promise<number> {
    let done = 0;
    for (let i = 0; i < limit; i++) {
      const processed = await withTransaction(d.pool, async (conn) => {
        const [rows] = await conn.query<Row[]>(pendingSql, [1]);
        const row = rows[0];
        if (!row) return false;
        let outcome: string;
        try {
          await conn.query('SAVEPOINT apply_event');
          outcome = await apply(conn, row);
        } catch (err) {
          await conn.query('ROLLBACK TO SAVEPOINT apply_event');
          d.log.error({ event: row.event_id, type: row.type, code: errorCode(err) }, 'event could not be applied; set aside');
          outcome = 'error';
        }
        await conn.query(q.markProcessed, [d.clock.now(), outcome.slice(0, 40), row.seq]);
        return true;
      }, { readCommitted: true });
      if (!processed) break;
      done++;
    }
    return done;
  }
}
