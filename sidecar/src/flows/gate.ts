import type { Contact, ContactStore, Db } from '../contacts/contacts';
import type { FlowDefinition } from './definitions';
import type { Enrollment } from './flows';

export type GateDecision = { send: true } | { send: false; reason: string; exit: boolean };

/**
 * Right before rendering, every email is re-checked against the current state: the flow, the
 * enrollment, the contact's consent and suppression. Not eligible is a skip with a reason,
 * never a failure.
 */
export async function checkSendGate(
  db: Db,
  contacts: ContactStore,
  flow: FlowDefinition | null,
  enrollment: Enrollment | null,
  contact: Contact | null,
): Promise<GateDecision> {
  if (!contact) return { send: false, reason: 'contact_missing', exit: true };
  if (!enrollment || enrollment.status !== 'active') return { send: false, reason: 'enrollment_ended', exit: false };
  if (!flow) return { send: false, reason: 'flow_removed', exit: true };
  if (!flow.enabled) return { send: false, reason: 'flow_disabled', exit: true };
  const suppressed = await contacts.suppressionReason(db, contact.email);
  if (suppressed) return { send: false, reason: `suppressed_${suppressed}`, exit: true };
  if (flow.purpose === 'marketing') {
    if (contact.unsubscribedAt) return { send: false, reason: 'unsubscribed', exit: true };
    if (contact.consentState !== 'granted') return { send: false, reason: 'no_marketing_consent', exit: true };
  }
  return { send: true };
}
