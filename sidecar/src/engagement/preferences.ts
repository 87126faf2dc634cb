import { z } from 'zod';
import type { Clock } from '../clock';
import { DAY } from '../clock';
import type { ContactStore } from '../contacts/contacts';
import { withTransaction, type Connection, type Pool } from '../db/pool';
import type { Row } from '../db/sql';
import { signToken, verifyToken, type TokenPayload } from '../signing/tokens';
import { KINDS, parseKinds, type Kind } from './hygiene';
import { engagementQueries } from './queries';

// The preference centre behind `/p/:token`: unsubscribe from all, pause for 30 days, or choose the
// kinds of email (offers, reminders, news). Every change is a row in the consent ledger, so the
// plugin can follow them through the consent-changes feed.

export const PAUSE_MS = 30 * DAY;
const TOKEN_TTL_MS = 400 * DAY;

interface PreferencesPayload extends TokenPayload {
  c: number;
}

export const preferenceChangeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('unsubscribe') }),
  z.object({ action: z.literal('subscribe') }),
  z.object({ action: z.literal('pause') }),
  z.object({ action: z.literal('resume') }),
  z.object({ action: z.literal('kinds'), kinds: z.array(z.enum(KINDS)).max(KINDS.length) }),
]);
export type PreferenceChange = z.infer<typeof preferenceChangeSchema>;

export interface PreferenceView {
  email: string;
  subscribed: boolean;
  pausedUntil: Date | null;
  kinds: Record<Kind, boolean>;
}

export type PreferenceResult = { ok: true; view: PreferenceView; changed: boolean } | { ok: false; code: 'token_invalid' | 'token_expired' | 'contact_missing' };

export type PreferenceService = ReturnType<typeof createPreferenceService>;

export function createPreferenceService(d: { pool: Pool; prefix: string; clock: Clock; contacts: ContactStore; secret: string; publicUrl: string }) {
  const q = engagementQueries(d.prefix);

  async function load(db: Pool | Connection, contactId: number, forUpdate = false) {
    const contact = await d.contacts.get(db, contactId, forUpdate);
    if (!contact) return null;
    const [rows] = await db.query<Row[]>(q.contactPreferences, [contactId]);
    return { contact, pausedUntil: (rows[0]?.paused_until as Date | null) ?? null, kindsOff: parseKinds(rows[0]?.kinds_off) };
  }

  const view = (s: NonNullable<Awaited<ReturnType<typeof load>>>, now: Date): PreferenceView => ({
    email: s.contact.email,
    subscribed: s.contact.consentState === 'granted' && !s.contact.unsubscribedAt,
    pausedUntil: s.pausedUntil && s.pausedUntil > now ? s.pausedUntil : null,
    kinds: Object.fromEntries(KINDS.map((k) => [k, !s.kindsOff.includes(k)])) as Record<Kind, boolean>,
  });

  const ledger = (conn: Connection, contactId: number, purpose: string, state: 'granted' | 'revoked', text: string | null, at: Date) =>
    conn.query(q.insertLedger, [contactId, purpose, state, 'preference_centre', text, null, null, null, at]);

  return {
    /** The link every marketing email can carry. */
    url(contactId: number): string {
      const token = signToken(d.secret, { p: 'preferences', c: contactId, x: Math.floor((d.clock.now().getTime() + TOKEN_TTL_MS) / 1000) });
      return `${d.publicUrl}/p/${token}`;
    },

    async show(token: string): Promise<PreferenceResult> {
      const t = verifyToken<PreferencesPayload>(d.secret, token, 'preferences', d.clock.now());
      if (!t.ok) return t;
      const state = await load(d.pool, Number(t.payload.c));
      return state ? { ok: true, view: view(state, d.clock.now()), changed: false } : { ok: false, code: 'contact_missing' };
    },

    async change(token: string, change: PreferenceChange): Promise<PreferenceResult> {
      const t = verifyToken<PreferencesPayload>(d.secret, token, 'preferences', d.clock.now());
      if (!t.ok) return t;
      return withTransaction(d.pool, async (conn) => {
        const state = await load(conn, Number(t.payload.c), true);
        if (!state) return { ok: false, code: 'contact_missing' } as const;
        const { contact } = state;
        const now = d.clock.now();
        let changed = true;
        switch (change.action) {
          case 'unsubscribe':
            if (contact.unsubscribedAt) { changed = false; break; }
            await d.contacts.recordConsent(conn, contact.id, { state: 'revoked', source: 'preference_centre' }, now);
            await d.contacts.addTimeline(conn, contact.id, { kind: 'unsubscribed', detail: { source: 'preference_centre' } }, now);
            break;
          case 'subscribe':
            if (contact.consentState === 'granted') { changed = false; break; }
            await d.contacts.recordConsent(conn, contact.id, { state: 'granted', source: 'preference_centre' }, now);
            await d.contacts.addTimeline(conn, contact.id, { kind: 'consent', detail: { state: 'granted', source: 'preference_centre' } }, now);
            break;
          case 'pause': {
            const until = new Date(now.getTime() + PAUSE_MS);
            await conn.query(q.setPause, [until, now, contact.id]);
            await ledger(conn, contact.id, 'pause', 'revoked', `paused until ${until.toISOString()}`, now);
            await d.contacts.addTimeline(conn, contact.id, { kind: 'preferences', detail: { paused_until: until.toISOString() } }, now);
            break;
          }
          case 'resume':
            if (!state.pausedUntil || state.pausedUntil <= now) { changed = false; break; }
            await conn.query(q.setPause, [null, now, contact.id]);
            await ledger(conn, contact.id, 'pause', 'granted', 'resumed', now);
            await d.contacts.addTimeline(conn, contact.id, { kind: 'preferences', detail: { paused_until: null } }, now);
            break;
          case 'kinds': {
            const off = KINDS.filter((k) => !change.kinds.includes(k));
            const flipped = KINDS.filter((k) => off.includes(k) !== state.kindsOff.includes(k));
            if (!flipped.length) { changed = false; break; }
            await conn.query(q.setKindsOff, [off.length ? off.join(',') : null, now, contact.id]);
            for (const k of flipped) await ledger(conn, contact.id, `kind:${k}`, off.includes(k) ? 'revoked' : 'granted', null, now);
            await d.contacts.addTimeline(conn, contact.id, { kind: 'preferences', detail: { kinds_off: off } }, now);
            break;
          }
        }
        const after = await load(conn, contact.id);
        return { ok: true, view: view(after!, now), changed } as const;
      });
    },

    /**
     * Consent ledger rows after a cursor (the ledger's id), oldest first, for the plugin to poll.
     * `next` is the cursor to pass next time; it stays put when nothing is new.
     */
    async changes(after: number, limit: number) {
      const [rows] = await d.pool.query<Row[]>(q.consentChanges, [after, limit]);
      return {
        changes: rows.map((r) => ({ cursor: Number(r.id), email: r.email, purpose: r.purpose, state: r.state, source: r.source, recorded_at: r.recorded_at })),
        next: rows.length ? Number(rows.at(-1)!.id) : after,
      };
    },
  };
}
