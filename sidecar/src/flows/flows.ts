import type { Clock } from '../clock';
import type { ContactStore } from '../contacts/contacts';
import type { Db } from '../db/pool';
import type { Result, Row } from '../db/sql';
import type { JobStore } from '../schedule/jobs';
import type { FlowDefinition } from './definitions';
import { assignVariant, experimentKey, flowWithVariant, holdoutShare, isHeldOut } from './experiments';
import { flowQueries } from './queries';

export interface Enrollment {
  id: number;
  key: string;
  flow: string;
  flowVersion: number;
  contactId: number;
  /** What the enrollment is about: "cart:<key>", "order:<id>", a year for yearly occasions. */
  subject: string | null;
  status: 'active' | 'completed' | 'exited';
  startedAt: Date;
  /** `true`: in the flow's control group (goes through the schedule, is never mailed); `null`: the flow had no holdout. */
  holdout: boolean | null;
}

const toEnrollment = (r: Row): Enrollment => ({
  id: Number(r.id),
  key: r.enrollment_key,
  flow: r.flow,
  flowVersion: Number(r.flow_version),
  contactId: Number(r.contact_id),
  subject: r.subject ?? null,
  status: r.status,
  startedAt: r.started_at,
  holdout: r.holdout == null ? null : Number(r.holdout) === 1,
});

export const SEND_JOB = 'send';
export const stepJobKey = (flow: string, step: number, enrollmentId: number) => `${flow}:${step}:${enrollmentId}`;

export interface EnrollRequest {
  flow: FlowDefinition;
  contactId: number;
  /** Deterministic: the same fact entering twice makes one enrollment. */
  key: string;
  subject?: string | null;
  startAt?: Date;
  eventId?: string | null;
  /** For date-based flows: when the first step should go out (e.g. 09:00 the contact's time). */
  firstRunAt?: Date;
}

export type FlowEngine = ReturnType<typeof createFlowEngine>;

/**
 * Enters contacts into flows and schedules their steps one at a time: the next step is scheduled
 * when the previous one ends, so an edited flow's later steps apply to contacts already in it.
 */
export function createFlowEngine(deps: { prefix: string; clock: Clock; jobs: JobStore; contacts: ContactStore; flows: () => FlowDefinition[] }) {
  const q = flowQueries(deps.prefix);
  const flowById = (id: string) => deps.flows().find((f) => f.id === id) ?? null;

  /** The job's payload: when the step was meant for and, for an A/B split, the contact's variant. */
  function stepPayload(flow: FlowDefinition, enrollment: Enrollment, step: number, runAt: Date): Record<string, unknown> {
    const def = flow.steps[step - 1];
    // A held-out contact is sent nothing, so it takes no arm of a split.
    const variant = def && !enrollment.holdout ? assignVariant(flow.id, step, def, enrollment.contactId) : null;
    // Deferrals move run_at; freshness is judged from the time the step was meant for.
    return { planned_at: runAt.toISOString(), ...(variant ? { variant: variant.id, experiment: experimentKey(def!) } : {}) };
  }

  async function scheduleStep(db: Db, flow: FlowDefinition, enrollment: Enrollment, step: number, at?: Date): Promise<void> {
    const def = flow.steps[step - 1];
    if (!def) return;
    const planned = at ?? new Date(enrollment.startedAt.getTime() + def.delayMs);
    const runAt = new Date(Math.max(planned.getTime(), deps.clock.now().getTime()));
    const payload = stepPayload(flow, enrollment, step, runAt);
    const created = await deps.jobs.enqueue(db, {
      key: stepJobKey(flow.id, step, enrollment.id),
      kind: SEND_JOB,
      runAt,
      contactId: enrollment.contactId,
      enrollmentId: enrollment.id,
      flow: flow.id,
      step,
      payload,
    });
    if (created && payload.variant) {
      await deps.contacts.addTimeline(db, enrollment.contactId, { kind: 'variant', flow: flow.id, step, detail: { variant: payload.variant, experiment: payload.experiment } });
    }
  }

  async function end(db: Db, enrollment: Enrollment, status: 'completed' | 'exited', reason: string | null): Promise<boolean> {
    const [res] = await db.query<Result>(q.endEnrollment, [status, reason, deps.clock.now(), enrollment.id]);
    if (res.affectedRows === 1 && status === 'exited') {
      await deps.contacts.addTimeline(db, enrollment.contactId, { kind: 'exited', flow: enrollment.flow, detail: { reason } });
    }
    return res.affectedRows === 1;
  }

  return {
    queries: q,
    flowById,
    flows: deps.flows,

    /** The flow as this job sends it: its step replaced by the variant the job was scheduled with. */
    flowForJob(flowId: string, job: { step: number | null; payload: Record<string, unknown> }): FlowDefinition | null {
      const flow = flowById(flowId);
      const variant = typeof job.payload.variant === 'string' ? job.payload.variant : null;
      return flow && job.step != null ? flowWithVariant(flow, job.step, variant) : flow;
    },

    /** Enters a contact into a flow unless the key was used before. Returns the new enrollment. */
    async enroll(db: Db, r: EnrollRequest): Promise<Enrollment | null> {
      const start = r.startAt ?? deps.clock.now();
      // Decided once, here: the report compares this enrollment's orders with the other group's.
      const holdout = isHeldOut(r.flow, r.contactId);
      const [res] = await db.query<Result>(q.enroll, [r.key, r.flow.id, r.flow.version, r.contactId, r.subject ?? null, r.eventId ?? null, start, holdout == null ? null : Number(holdout)]);
      if (res.affectedRows !== 1) return null;
      const enrollment: Enrollment = { id: res.insertId, key: r.key, flow: r.flow.id, flowVersion: r.flow.version, contactId: r.contactId, subject: r.subject ?? null, status: 'active', startedAt: start, holdout };
      await deps.contacts.addTimeline(db, r.contactId, { kind: 'enrolled', flow: r.flow.id, detail: { version: r.flow.version, subject: r.subject ?? null } });
      if (holdout) {
        await deps.contacts.addTimeline(db, r.contactId, { kind: 'held_out', flow: r.flow.id, detail: { note: `control group of ${r.flow.id}, ${holdoutShare(r.flow)}%`, percent: holdoutShare(r.flow) } });
      }
      await scheduleStep(db, r.flow, enrollment, 1, r.firstRunAt);
      return enrollment;
    },

    async enrollment(db: Db, id: number): Promise<Enrollment | null> {
      const [rows] = await db.query<Row[]>(q.enrollmentById, [id]);
      return rows[0] ? toEnrollment(rows[0]) : null;
    },

    async enrollments(db: Db, ids: number[]): Promise<Map<number, Enrollment>> {
      const [rows] = await db.query<Row[]>(q.enrollmentsByIds, [ids]);
      return new Map(rows.map((r) => [Number(r.id), toEnrollment(r)]));
    },

    async active(db: Db, contactId: number, flow: string): Promise<Enrollment[]> {
      const [rows] = await db.query<Row[]>(q.activeFor, [contactId, flow]);
      return rows.map(toEnrollment);
    },

    async lastStarted(db: Db, contactId: number, flow: string): Promise<Enrollment | null> {
      const [rows] = await db.query<Row[]>(q.lastStartedFor, [contactId, flow]);
      return rows[0] ? toEnrollment(rows[0]) : null;
    },

    async stepsSent(db: Db, enrollment: Enrollment): Promise<number> {
      const [rows] = await db.query<Row[]>(q.stepsSent, [enrollment.id]);
      return Number(rows[0]?.n ?? 0);
    },

    /** Moves an enrollment's start (and its unclaimed first step) to `at`: the shopper is still active. */
    async restart(db: Db, enrollment: Enrollment, subject: string | null, at: Date): Promise<void> {
      const flow = flowById(enrollment.flow);
      await db.query(q.restartEnrollment, [at, subject, enrollment.id]);
      if (flow?.steps[0]) {
        const runAt = new Date(at.getTime() + flow.steps[0].delayMs);
        await db.query(q.rescheduleStep, [runAt, JSON.stringify(stepPayload(flow, enrollment, 1, runAt)), deps.clock.now(), stepJobKey(flow.id, 1, enrollment.id)]);
      }
    },

    /** After a step (sent, or dropped but the flow goes on): schedule the next, or complete. */
    async advance(db: Db, enrollment: Enrollment, finishedStep: number): Promise<void> {
      const flow = flowById(enrollment.flow);
      if (flow && finishedStep < flow.steps.length) return scheduleStep(db, flow, enrollment, finishedStep + 1);
      await end(db, enrollment, 'completed', null);
      if (flow?.onComplete === 'mark_unengaged') {
        await db.query(q.setUnengaged, [deps.clock.now(), deps.clock.now(), enrollment.contactId]);
        await deps.contacts.addTimeline(db, enrollment.contactId, { kind: 'unengaged', flow: flow.id });
      }
    },

    exit: (db: Db, enrollment: Enrollment, reason: string) => end(db, enrollment, 'exited', reason),

    /** Ends the contact's active enrollments in these flows (an order ends the cart reminders). */
    async exitAll(db: Db, contactId: number, flowIds: string[], reason: string): Promise<string[]> {
      const left: string[] = [];
      for (const id of flowIds) {
        for (const e of (await db.query<Row[]>(q.activeFor, [contactId, id]))[0].map(toEnrollment)) {
          if (await end(db, e, 'exited', reason)) left.push(id);
        }
      }
      return left;
    },
  };
}

/** A number from a flow's settings (callers apply the unit); the fallback when unset or not a number. */
export function settingNumber(flow: FlowDefinition, name: string, fallback: number): number {
  const raw = flow.settings[name];
  const n = raw == null || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}
