import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import type { Db } from '../db/pool';
import type { Result, Row } from '../db/sql';
import { contactQueries } from './queries';


export interface Contact {
  id: number;
  email: string;
  customerId: number | null;
  firstName: string | null;
  lastName: string | null;
  locale: string | null;
  country: string | null;
  birthday: string | null;
  /** `pending`: opted in, waiting for the double opt-in confirmation. */
  consentState: 'unknown' | 'granted' | 'revoked' | 'pending';
  unsubscribedAt: Date | null;
  /** Set by the sunset email: no marketing email until they ask for it again. */
  unengagedAt: Date | null;
  /** The preference centre's choices as stored (engagement/preferences.ts reads them), so the gate needs no second read. */
  pausedUntil: Date | null;
  kindsOff: string | null;
  createdAt: Date;
}

export interface ContactFields {
  email: string;
  customerId?: number | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  locale?: string | undefined;
  country?: string | undefined;
  birthday?: string | undefined;
}

export interface ConsentRecord {
  state: 'granted' | 'revoked' | 'pending';
  source: string;
  purpose?: string;
  text?: string | undefined;
  textVersion?: string | undefined;
  ip?: string | undefined;
  eventId?: string | undefined;
}

export interface TimelineEntry {
  kind: string;
  flow?: string | null;
  step?: number | null;
  detail?: Record<string, unknown>;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();
/** Suppressions keep only this hash, so an erased address is still never mailed again. */
export const emailHash = (email: string) => createHash('sha256').update(normalizeEmail(email)).digest('hex');

function toContact(r: Row): Contact {
  return {
    id: Number(r.id),
    email: String(r.email),
    customerId: r.customer_id == null ? null : Number(r.customer_id),
    firstName: r.first_name ?? null,
    lastName: r.last_name ?? null,
    locale: r.locale ?? null,
    country: r.country ?? null,
    birthday: r.birthday == null ? null : r.birthday instanceof Date ? r.birthday.toISOString().slice(0, 10) : String(r.birthday),
    consentState: r.consent_state,
    unsubscribedAt: r.unsubscribed_at ?? null,
    unengagedAt: r.unengaged_at ?? null,
    pausedUntil: r.paused_until ?? null,
    kindsOff: r.kinds_off ?? null,
    createdAt: r.created_at,
  };
}

export type ContactStore = ReturnType<typeof createContactStore>;

export function createContactStore(prefix: string, clock: Clock) {
  const q = contactQueries(prefix);

  return {
    queries: q,

    /** Creates or updates the contact for an email and returns its id. */
    async upsert(db: Db, fields: ContactFields): Promise<number> {
      const now = clock.now();
      const [res] = await db.query<Result>(q.upsert, [
        normalizeEmail(fields.email), fields.customerId || null, fields.firstName ?? null, fields.lastName ?? null,
        fields.locale ?? null, fields.country ?? null, fields.birthday ?? null, now, now,
      ]);
      return res.insertId;
    },

    async get(db: Db, id: number, forUpdate = false): Promise<Contact | null> {
      const [rows] = await db.query<Row[]>(forUpdate ? q.byIdForUpdate : q.byId, [id]);
      return rows[0] ? toContact(rows[0]) : null;
    },

    async getMany(db: Db, ids: number[]): Promise<Map<number, Contact>> {
      const [rows] = await db.query<Row[]>(q.byIds, [ids]);
      return new Map(rows.map((r) => [Number(r.id), toContact(r)]));
    },

    async findByEmail(db: Db, email: string): Promise<Contact | null> {
      const [rows] = await db.query<Row[]>(q.byEmail, [normalizeEmail(email)]);
      return rows[0] ? toContact(rows[0]) : null;
    },

    async findByCustomerId(db: Db, customerId: number): Promise<Contact | null> {
      const [rows] = await db.query<Row[]>(q.byCustomerId, [customerId]);
      return rows[0] ? toContact(rows[0]) : null;
    },

    /**
     * Appends to the consent ledger (history is never overwritten) and moves the contact's current
     * state. A revocation also stamps `unsubscribed_at`; a later grant clears it.
     */
    async recordConsent(db: Db, contactId: number, consent: ConsentRecord, at = clock.now()): Promise<void> {
      await db.query(q.insertConsent, [
        contactId, consent.purpose ?? 'marketing', consent.state, consent.source, consent.text ?? null,
        consent.textVersion ?? null, consent.ip ?? null, consent.eventId ?? null, at,
      ]);
      await db.query(q.setConsent, [consent.state, at, consent.state === 'revoked' ? at : null, clock.now(), contactId, at]);
    },

    async consentHistory(db: Db, contactId: number): Promise<Row[]> {
      const [rows] = await db.query<Row[]>(q.consentHistory, [contactId]);
      return rows;
    },

    async suppress(db: Db, email: string, reason: string, source: string): Promise<void> {
      await db.query(q.suppress, [emailHash(email), reason, source, clock.now()]);
    },

    async suppressionReason(db: Db, email: string): Promise<string | null> {
      const [rows] = await db.query<Row[]>(q.isSuppressed, [emailHash(email)]);
      return rows[0] ? String(rows[0].reason) : null;
    },

    /** Suppression reasons by e-mail hash (emailHash), for the hashes that are suppressed. */
    async suppressionReasons(db: Db, hashes: string[]): Promise<Map<string, string>> {
      const [rows] = await db.query<Row[]>(q.suppressionsByHash, [hashes]);
      return new Map(rows.map((r) => [String(r.email_hash), String(r.reason)]));
    },

    async addTimeline(db: Db, contactId: number, entry: TimelineEntry, at = clock.now()): Promise<void> {
      await db.query(q.addTimeline, [contactId, at, entry.kind, entry.flow ?? null, entry.step ?? null, entry.detail ? JSON.stringify(entry.detail) : null]);
    },

    async timeline(db: Db, contactId: number): Promise<Array<{ at: Date; kind: string; flow: string | null; step: number | null; detail: unknown }>> {
      const [rows] = await db.query<Row[]>(q.timeline, [contactId]);
      return rows.map((r) => ({ at: r.at, kind: r.kind, flow: r.flow, step: r.step, detail: r.detail ? JSON.parse(r.detail) : null }));
    },
  };
}
