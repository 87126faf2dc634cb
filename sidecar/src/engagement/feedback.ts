import type { Clock } from '../clock';
import type { ContactStore } from '../contacts/contacts';
import type { Pool } from '../db/pool';
import { verifyToken, type TokenPayload } from '../signing/tokens';

/** The answers a cart email's "what stopped you?" question offers. */
export const FEEDBACK_ANSWERS = ['shipping', 'price', 'just_looking'] as const;
export type FeedbackAnswer = (typeof FEEDBACK_ANSWERS)[number];

interface FeedbackPayload extends TokenPayload {
  c: number;
  m?: number;
  /** The flow whose email asked (cart or browse abandonment). */
  f?: string;
}

export type FeedbackResult = { ok: true } | { ok: false; code: 'token_invalid' | 'token_expired' | 'answer_invalid' | 'contact_missing' };

export type FeedbackService = ReturnType<typeof createFeedbackService>;

/** Records the answer on the contact's timeline, where the shop owner (and reports) can read it. */
export function createFeedbackService(d: { pool: Pool; clock: Clock; contacts: ContactStore; secret: string }) {
  return {
    async record(token: string, answer: string): Promise<FeedbackResult> {
      const t = verifyToken<FeedbackPayload>(d.secret, token, 'feedback', d.clock.now());
      if (!t.ok) return t;
      if (!(FEEDBACK_ANSWERS as readonly string[]).includes(answer)) return { ok: false, code: 'answer_invalid' };
      const contact = await d.contacts.get(d.pool, t.payload.c);
      if (!contact) return { ok: false, code: 'contact_missing' };
      await d.contacts.addTimeline(d.pool, contact.id, { kind: 'feedback', flow: t.payload.f ?? null, detail: { answer, message_id: t.payload.m ?? null } });
      return { ok: true };
    },
  };
}
