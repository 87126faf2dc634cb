import type { Clock } from '../clock';
import type { ContactStore, Db } from '../contacts/contacts';
import type { Row, Result } from '../db/sql';
import type { EventType } from '../intake/event-schemas';
import type { JobStore } from '../schedule/jobs';
import type { FlowDefinition } from './definitions';
import { flowQueries } from './queries';

export interface Enrollment {
  id: number;
  key: string;
  flow: string;
  flowVersion: number;
  contactId: number;
  status: 'active' | 'completed' | 'exited';
  startedAt: Date;
}

const toEnrollment = (r: Row): Enrollment => ({
  id: Number(r.id),
  key: r.enrollment_key,
  flow: r.flow,
  flowVersion: Number(r.flow_version),
  contactId: Number(r.contact_id),
  status: r.status,
  startedAt: r.started_at,
});

export const SEND_JOB = 'send';
export const stepJobKey = (flow: string, step: number, enrollmentId: number) => `${flow}:${step}:${enrollmentId}`;

export type FlowEngine = ReturnType<typeof createFlowEngine>;

/**
 * Enters contacts into flows and schedules their steps one at a time: the next step is scheduled
 * when the previous one ends, so an edited flow's later steps apply to contacts already in it.
 */
export function createFlowEngine(deps: { prefix: string; clock: Clock; jobs: JobStore; contacts: ContactStore; flows: () => FlowDefinition[] }) {
  const q = flowQueries(deps.prefix);
  const flowById = (id: string) => deps.flows().find((f) => f.id === id) ?? null;

  async function scheduleStep(db: Db, flow: FlowDefinition, enrollment: Enrollment, step: number): Promise<void> {
    const def = flow.steps[step - 1];
    if (!def) return;
    const runAt = new Date(Math.max(enrollment.startedAt.getTime() + def.delayMs, deps.clock.now().getTime()));
    await deps.jobs.enqueue(db, {
      key: stepJobKey(flow.id, step, enrollment.id),
      kind: SEND_JOB,
      runAt,
      contactId: enrollment.contactId,
      enrollmentId: enrollment.id,
      flow: flow.id,
      step,
    });
  }

  return {
    queries: q,
    flowById,

    /**
     * Enters the contact into every enabled flow this event triggers. The enrollment key makes a
     * second delivery of the same fact (or a second trigger) a no-op.
     */
    async onTrigger(db: Db, type: EventType, contactId: number, eventId: string, consent: 'unknown' | 'granted' | 'revoked'): Promise<string[]> {
      const entered: string[] = [];
      for (const flow of deps.flows()) {
        if (!flow.enabled || !flow.triggers.includes(type)) continue;
        if (flow.purpose === 'marketing' && consent !== 'granted') continue;
        const key = `${flow.id}:${contactId}`;
        const now = deps.clock.now();
        const [res] = await db.query<Result>(q.enroll, [key, flow.id, flow.version, contactId, eventId, now]);
        if (res.affectedRows !== 1) continue;
        const enrollment: Enrollment = { id: res.insertId, key, flow: flow.id, flowVersion: flow.version, contactId, status: 'active', startedAt: now };
        await deps.contacts.addTimeline(db, contactId, { kind: 'enrolled', flow: flow.id, detail: { event: type, version: flow.version } });
        await scheduleStep(db, flow, enrollment, 1);
        entered.push(flow.id);
      }
      return entered;
    },

    async enrollment(db: Db, id: number): Promise<Enrollment | null> {
      const [rows] = await db.query<Row[]>(q.enrollmentById, [id]);
      return rows[0] ? toEnrollment(rows[0]) : null;
    },

    /** After a step: schedule the next one, or complete the enrollment after the last. */
    async advance(db: Db, enrollment: Enrollment, finishedStep: number): Promise<void> {
      const flow = flowById(enrollment.flow);
      if (flow && finishedStep < flow.steps.length) {
        await scheduleStep(db, flow, enrollment, finishedStep + 1);
      } else {
        await db.query(q.endEnrollment, ['completed', null, deps.clock.now(), enrollment.id]);
      }
    },

    async exit(db: Db, enrollment: Enrollment, reason: string): Promise<void> {
      await db.query(q.endEnrollment, ['exited', reason, deps.clock.now(), enrollment.id]);
    },
  };
}
