import type { Clock } from '../clock';
import type { ContactStore } from '../contacts/contacts';
import { withTransaction, type Pool } from '../db/pool';
import type { FlowEngine } from '../flows/flows';
import { verifyToken, type TokenPayload } from '../signing/tokens';

interface StayPayload extends TokenPayload {
  c: number;
}

export type StayResult = { ok: true; email: string } | { ok: false; code: 'token_invalid' | 'token_expired' | 'contact_missing' };

export type StayService = ReturnType<typeof createStayService>;

export type ConfirmResult = { ok: true; email: string; already: boolean } | { ok: false; code: 'token_invalid' | 'token_expired' | 'contact_missing' | 'revoked' };

/**
 * Bringing a silent subscriber back: the sunset email's "keep me subscribed" link, or an admin's
 * restore. Either clears the unengaged mark and counts as engagement, so the re-engagement flow
 * does not pick them up again at once.
 */
export function createStayService(d: { pool: Pool; clock: Clock; contacts: ContactStore; engine: FlowEngine; secret: string }) {
  const q = d.engine.queries;

  async function restore(contactId: number, source: 'email_link' | 'admin'): Promise<void> {
    await withTransaction(d.pool, async (conn) => {
      await conn.query(q.clearUnengaged, [d.clock.now(), contactId]);
      await conn.query(q.markEngaged, [d.clock.now(), d.clock.now(), contactId]);
      await d.engine.exitAll(conn, contactId, ['reengagement'], 'stayed');
      await d.contacts.addTimeline(conn, contactId, { kind: 'restored', detail: { source } });
    });
  }

  return {
    async viaLink(token: string): Promise<StayResult> {
      const t = verifyToken<StayPayload>(d.secret, token, 'stay', d.clock.now());
      if (!t.ok) return t;
      const contact = await d.contacts.get(d.pool, t.payload.c);
      if (!contact) return { ok: false, code: 'contact_missing' };
      await restore(contact.id, 'email_link');
      return { ok: true, email: contact.email };
    },

    /**
     * Double opt-in: the confirmation link turns a pending opt-in into consent and starts the
     * welcome series. Clicking it twice changes nothing more; it never overrides a later unsubscribe.
     */
    async confirm(token: string): Promise<ConfirmResult> {
      const t = verifyToken<StayPayload>(d.secret, token, 'confirm', d.clock.now());
      if (!t.ok) return t;
      return withTransaction(d.pool, async (conn) => {
        const contact = await d.contacts.get(conn, t.payload.c, true);
        if (!contact) return { ok: false, code: 'contact_missing' } as const;
        if (contact.consentState === 'granted') return { ok: true, email: contact.email, already: true } as const;
        if (contact.consentState !== 'pending') return { ok: false, code: 'revoked' } as const;
        const at = d.clock.now();
        await d.contacts.recordConsent(conn, contact.id, { state: 'granted', source: 'email_link', text: 'Confirmed through the double opt-in link' }, at);
        await d.contacts.addTimeline(conn, contact.id, { kind: 'confirmed', detail: { source: 'email_link' } }, at);
        const welcome = d.engine.flowById('welcome');
        if (welcome?.enabled) await d.engine.enroll(conn, { flow: welcome, contactId: contact.id, key: `welcome:${contact.id}` });
        return { ok: true, email: contact.email, already: false } as const;
      });
    },

    async byAdmin(email: string): Promise<boolean> {
      const contact = await d.contacts.findByEmail(d.pool, email);
      if (!contact) return false;
      await restore(contact.id, 'admin');
      return true;
    },
  };
}
