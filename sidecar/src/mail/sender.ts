import type { Clock } from '../clock';
import { DAY } from '../clock';
import type { ContactStore } from '../contacts/contacts';
import { batchLoader } from '../db/batch-loader';
import { coalescedWrites } from '../db/coalesced-writes';
import type { Pool } from '../db/pool';
import { sharedTransactions } from '../db/shared-transaction';
import type { SendGate } from '../flows/gate';
import { NothingToShow } from '../flows/step-data';
import type { Enrollment, FlowEngine } from '../flows/flows';
import type { Logger } from '../logger';
import type { ContextBuilder } from '../render/context';
import { RenderError, type Renderer } from '../render/renderer';
import type { Job, JobStore } from '../schedule/jobs';
import type { JobOutcome } from '../schedule/outcome';
import type { StoreSettings } from '../shop/store-settings';
import { signToken } from '../signing/tokens';
import type { MessageStore, NewMessage } from './messages';
import { TransportError, type Transport } from './transport';

export interface SenderDeps {
  pool: Pool;
  clock: Clock;
  contacts: ContactStore;
  flows: FlowEngine;
  messages: MessageStore;
  renderer: Renderer;
  gate: SendGate;
  jobs: JobStore;
  context: ContextBuilder;
  transport: Transport;
  shopSettings: () => Promise<StoreSettings>;
  secret: string;
  publicUrl: string;
  from: string | null;
  mailDomain: string | null;
}

/** Unsubscribe links must keep working long after the email (CAN-SPAM asks for 30 days at least). */
const UNSUBSCRIBE_TOKEN_TTL_MS = 400 * DAY;

const hostOf = (url: string) => {
  try {
    return new URL(url).hostname;
  } catch {
    return 'localhost';
  }
};

export type Sender = ReturnType<typeof createSender>;

/**
 * Sends one flow step. The order of writes is what makes it exactly-once across crashes:
 * a message row in `sending` exists before the provider is called, and a retry that finds one
 * asks the provider whether it already took the message before sending again.
 */
export function createSender(d: SenderDeps) {
  // Jobs claimed together start together: their first reads go as one query per table.
  const contactById = batchLoader((ids) => d.contacts.getMany(d.pool, ids));
  const enrollmentById = batchLoader((ids) => d.flows.enrollments(d.pool, ids));
  const messageByJob = batchLoader((ids) => d.messages.byJobs(d.pool, ids));
  // The `sending` rows of sends that pass the gate together: one INSERT, one commit, before any
  // of them reaches the provider.
  const createMessage = coalescedWrites((ms: NewMessage[]) => d.messages.createMany(d.pool, ms), (m) => d.messages.create(d.pool, m));

  function unsubscribeUrl(contactId: number, messageId: number): string {
    const token = signToken(d.secret, { p: 'unsubscribe', c: contactId, m: messageId, x: Math.floor((d.clock.now().getTime() + UNSUBSCRIBE_TOKEN_TTL_MS) / 1000) });
    return `${d.publicUrl}/u/${token}`;
  }

  /**
   * Records the provider's id, the timeline entry, the next step and the job's completion in one
   * transaction. If it fails the job stays claimed; its retry finds the message `sending`, asks the
   * provider and lands here again, never sending twice.
   */
  // Sends that end together commit together (group commit); each piece is safe to run again.
  const recordSubmitted = sharedTransactions(d.pool, async (conn, f: { job: Job; enrollment: Enrollment | null; messageId: number; providerId: string; how: string; subject: string | null }) => {
    await d.messages.markSubmitted(conn, f.messageId, f.providerId, f.subject);
    await d.contacts.addTimeline(conn, f.job.contactId!, { kind: 'submitted', flow: f.job.flow, step: f.job.step, detail: { message_id: f.messageId, how: f.how } });
    if (f.enrollment) await d.flows.advance(conn, f.enrollment, f.job.step!);
    return d.jobs.finish(f.job, 'completed', f.how === 'sent' ? null : f.how, null, conn);
  });
  const recordSkipped = sharedTransactions(d.pool, async (conn, f: { job: Job; enrollment: Enrollment | null; reason: string; exit: boolean }) => {
    await d.contacts.addTimeline(conn, f.job.contactId!, { kind: 'skipped', flow: f.job.flow, step: f.job.step, detail: { reason: f.reason } });
    if (f.enrollment?.status !== 'active') return;
    if (f.exit) await d.flows.exit(conn, f.enrollment, f.reason);
    else await d.flows.advance(conn, f.enrollment, f.job.step!);
  });

  async function finishSubmitted(job: Job, enrollment: Enrollment | null, messageId: number, providerId: string, how: string, subject: string | null = null): Promise<JobOutcome> {
    const finished = await recordSubmitted({ job, enrollment, messageId, providerId, how, subject });
    // Not finished: the claim was swept meanwhile and another runner owns the job; its own check
    // of the message finds it submitted.
    return finished ? { status: 'finished' } : { status: 'completed', reason: how };
  }

  /** Not sent: the contact leaves the flow, or (a dropped step) the flow goes on to its next step. */
  async function skip(job: Job, enrollment: Enrollment | null, reason: string, exit: boolean): Promise<JobOutcome> {
    await recordSkipped({ job, enrollment, reason, exit });
    return { status: 'skipped', reason };
  }

  return {
    async handle(job: Job, log: Logger): Promise<JobOutcome> {
      if (job.contactId == null || job.enrollmentId == null || !job.flow || job.step == null) {
        return { status: 'failed', error: 'send job without contact, enrollment, flow or step' };
      }
      const [contact, enrollment, existing] = await Promise.all([contactById(job.contactId), enrollmentById(job.enrollmentId), messageByJob(job.id)]);

      // 1. A previous attempt may have reached the provider: never turn that into a resend.
      if (existing && (existing.status === 'submitted' || existing.status === 'delivered')) {
        return finishSubmitted(job, enrollment, existing.id, existing.providerId ?? '', 'already_submitted');
      }
      if (existing && existing.status === 'sending' && contact) {
        const providerId = await d.transport.findSubmitted({ messageId: existing.id, to: contact.email, since: existing.createdAt });
        if (providerId) {
          log.info({ message: existing.id }, 'recovered a message the provider had already accepted');
          return finishSubmitted(job, enrollment, existing.id, providerId, 'recovered');
        }
      }

      // 2. The send-time gate, on the current state.
      // With the job's A/B variant applied (its template and coupon), for the gate, the data and the render.
      const flow = enrollment ? d.flows.flowForJob(enrollment.flow, job) : null;
      const gate = await d.gate({ db: d.pool, job, now: d.clock.now(), flow, enrollment, contact });
      if (!gate.send) {
        if ('deferUntil' in gate) {
          await d.contacts.addTimeline(d.pool, job.contactId, { kind: 'deferred', flow: job.flow, step: job.step, detail: { reason: gate.reason, until: gate.deferUntil.toISOString() } });
          return { status: 'deferred', until: gate.deferUntil, reason: gate.reason };
        }
        return skip(job, enrollment, gate.reason, gate.exit);
      }
      const step = flow!.steps[job.step - 1];
      if (!step) return skip(job, enrollment, 'step_removed', true);

      // 3. Record the attempt, then render with links that name this message.
      const shop = await d.shopSettings();
      const messageId =
        existing?.id ?? (await createMessage({ jobId: job.id, contactId: contact!.id, flow: job.flow, step: job.step, transport: d.transport.name, subject: '' }));
      const unsubscribe = unsubscribeUrl(contact!.id, messageId);
      let context: Record<string, unknown>;
      try {
        context = await d.context({ contact: contact!, enrollment: enrollment!, flow: flow!, job, messageId, unsubscribeUrl: unsubscribe });
      } catch (err) {
        // Nothing reached the provider: the attempt leaves no message behind.
        await d.messages.discard(d.pool, messageId);
        if (err instanceof NothingToShow) return skip(job, enrollment, err.reason, false);
        if (err instanceof TransportError) return err.kind === 'transient' ? { status: 'retry', error: err.message } : { status: 'failed', error: err.message };
        throw err;
      }
      let rendered;
      try {
        rendered = await d.renderer.render(step.template, context, step.subject ? { subject: step.subject } : {});
      } catch (err) {
        const message = err instanceof RenderError ? err.message : `render failed: ${(err as Error).message}`;
        await d.messages.markFailed(d.pool, messageId, message);
        await d.contacts.addTimeline(d.pool, contact!.id, { kind: 'failed', flow: job.flow, step: job.step, detail: { reason: 'render_failed' } });
        return { status: 'failed', error: message };
      }
      // A row created just now is already `sending`; one left `failed` by an earlier attempt goes
      // back to `sending` before the provider is called again. The subject is kept with the outcome.
      if (existing) await d.messages.markSending(d.pool, messageId, rendered.subject, d.transport.name);

      // 4. Hand it to the provider.
      const mailto = `mailto:unsubscribe@${d.mailDomain ?? hostOf(shop.url)}?subject=unsubscribe`;
      let providerId: string;
      try {
        ({ providerId } = await d.transport.send({
          messageId,
          from: d.from ?? `${shop.name.replace(/[<>"]/g, '')} <no-reply@${d.mailDomain ?? hostOf(shop.url)}>`,
          to: contact!.email,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          tags: [`flow-${job.flow}`, `${job.flow}-step-${job.step}`],
          headers: { 'List-Unsubscribe': `<${unsubscribe}>, <${mailto}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        }));
      } catch (err) {
        const e = err instanceof TransportError ? err : new TransportError('transient', (err as Error).message, true);
        // An ambiguous failure leaves the row in `sending`, so the retry asks the provider first.
        if (!e.ambiguous) await d.messages.markFailed(d.pool, messageId, e.message, rendered.subject);
        if (e.kind === 'permanent') {
          await d.contacts.addTimeline(d.pool, contact!.id, { kind: 'failed', flow: job.flow, step: job.step, detail: { reason: e.message } });
          return { status: 'failed', error: e.message };
        }
        return { status: 'retry', error: e.message };
      }

      // 5. Keep the provider's id. If this write fails the job is retried and step 1 finds the
      //    message in `sending`, asks the provider, and records it without sending again.
      return finishSubmitted(job, enrollment, messageId, providerId, 'sent', rendered.subject);
    },
  };
}
