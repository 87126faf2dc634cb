import type { Clock } from '../clock';
import type { ContactStore } from '../contacts/contacts';
import { withTransaction, type Pool } from '../db/pool';
import { verifyToken, type TokenPayload } from '../signing/tokens';

export type UnsubscribeResult =
  | { ok: true; already: boolean; email: string }
  | { ok: false; code: 'token_invalid' | 'token_expired' | 'contact_missing' };

interface UnsubscribePayload extends TokenPayload {
  c: number;
  m?: number;
}

export type UnsubscribeService = ReturnType<typeof createUnsubscribeService>;

export function createUnsubscribeService(d: { pool: Pool; clock: Clock; contacts: ContactStore; secret: string }) {
  async function check(token: string): Promise<{ ok: true; payload: UnsubscribePayload } | { ok: false; code: 'token_invalid' | 'token_expired' }> {
    return verifyToken<UnsubscribePayload>(d.secret, token, 'unsubscribe', d.clock.now());
  }

  return {
    /** For the confirmation page: is the link good, and whose is it? Changes nothing. */
    async preview(token: string): Promise<UnsubscribeResult> {
      const t = await check(token);
      if (!t.ok) return t;
      const contact = await d.contacts.get(d.pool, t.payload.c);
      if (!contact) return { ok: false, code: 'contact_missing' };
      return { ok: true, already: contact.unsubscribedAt !== null, email: contact.email };
    },

    /** Unsubscribes at once; a second call is a no-op that still answers ok (RFC 8058). */
    async unsubscribe(token: string): Promise<UnsubscribeResult> {
      const t = await check(token);
      if (!t.ok) return t;
      return withTransaction(d.pool, async (conn) => {
        const contact = await d.contacts.get(conn, t.payload.c, true);
        if (!contact) return { ok: false, code: 'contact_missing' } as const;
        if (contact.unsubscribedAt) return { ok: true, already: true, email: contact.email } as const;
        const at = d.clock.now();
        await d.contacts.recordConsent(conn, contact.id, { state: 'revoked', source: 'email_link', eventId: t.payload.m ? `message:${t.payload.m}` : undefined }, at);
        await d.contacts.addTimeline(conn, contact.id, { kind: 'unsubscribed', detail: { source: 'email_link', message_id: t.payload.m ?? null } }, at);
        return { ok: true, already: false, email: contact.email } as const;
      });
    },
  };
}
