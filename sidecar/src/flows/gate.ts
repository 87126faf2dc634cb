import { emailHash, type Contact, type ContactStore } from '../contacts/contacts';
import { batchLoader } from '../db/batch-loader';
import type { Db } from '../db/pool';
import type { Job } from '../schedule/jobs';
import type { FlowDefinition } from './definitions';
import type { Enrollment } from './flows';

/**
 * What the gate decides for one email right before it is rendered:
 * - send;
 * - skip, with a reason (and whether the contact leaves the flow);
 * - defer to a later time (quiet hours, frequency caps), which is neither a failure nor a retry.
 */
export type GateDecision =
  | { send: true }
  | { send: false; reason: string; exit: boolean }
  | { send: false; reason: string; deferUntil: Date };

export interface GateInput {
  db: Db;
  job: Job;
  now: Date;
  flow: FlowDefinition | null;
  enrollment: Enrollment | null;
  contact: Contact | null;
}

/** One rule of the gate: `null` lets the email through to the next rule. */
export type GateCheck = (input: GateInput) => Promise<GateDecision | null>;

/**
 * Runs the checks in order; the first that objects decides. A held-out enrollment (the control
 * group) meets every rule a mailed one does, so it exits or waits at the same point, and only where
 * a mailed one would be sent is it skipped: no list of checks can send to it.
 */
export function createSendGate(checks: GateCheck[]) {
  return async (input: GateInput): Promise<GateDecision> => {
    for (const check of checks) {
      const decision = await check(input);
      if (decision) return decision;
    }
    return input.enrollment?.holdout ? skip('holdout', 'continue') : { send: true };
  };
}

export type SendGate = ReturnType<typeof createSendGate>;

/** Not sent, with a reason: the contact leaves the flow, or (`continue`) the flow goes on to its next step. */
export const skip = (reason: string, then: 'exit' | 'continue' = 'exit'): GateDecision => ({ send: false, reason, exit: then === 'exit' });

/**
 * The suppression list, read for the sends that reach the gate in the same turn with one query
 * (per database handle); each still reads it right before its own send.
 */
function suppressionLookup(contacts: ContactStore): (db: Db, email: string) => Promise<string | null> {
  const loaders = new WeakMap<Db, (hash: string) => Promise<string | null>>();
  return (db, email) => {
    let load = loaders.get(db);
    if (!load) {
      load = batchLoader<string, string>((hashes) => contacts.suppressionReasons(db, hashes));
      loaders.set(db, load);
    }
    return load(emailHash(email));
  };
}

/** The rules every email passes, in order: whom, which flow, and may we write to them at all. */
export function coreChecks(contacts: ContactStore): GateCheck[] {
  const suppressionReason = suppressionLookup(contacts);
  return [
    async ({ contact }) => (contact ? null : skip('contact_missing')),
    async ({ enrollment }) => (enrollment && enrollment.status === 'active' ? null : skip('enrollment_ended', 'continue')),
    async ({ flow }) => (flow ? null : skip('flow_removed')),
    async ({ flow }) => (flow!.enabled ? null : skip('flow_disabled')),
    async ({ db, contact }) => {
      const suppressed = await suppressionReason(db, contact!.email);
      return suppressed ? skip(`suppressed_${suppressed}`) : null;
    },
    async ({ flow, contact }) => {
      if (flow!.purpose !== 'marketing') return null;
      if (contact!.unsubscribedAt) return skip('unsubscribed');
      return contact!.consentState === 'granted' ? null : skip('no_marketing_consent');
    },
    // No holdout rule here: createSendGate holds the control group out after every check.
  ];
}
