import { createHash } from 'node:crypto';
import type { FlowDefinition, FlowStep, StepVariant } from './definitions';

// Who gets which arm of an experiment. Assignment is a pure function of the flow, the experiment's
// name and the contact, so the same contact always lands in the same place (on every replica, after
// every restart) and nothing has to be looked up to know it.

/** A number in [0, 1) from a hash of the parts; independent for different parts. */
export function bucket(...parts: Array<string | number>): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** The control group's share, in percent; only marketing flows have one (a service email is owed). */
export function holdoutShare(flow: FlowDefinition): number {
  return flow.purpose === 'marketing' ? Math.min(Math.max(flow.holdoutPercent ?? 0, 0), 50) : 0;
}

/** `null`: the flow has no holdout; otherwise whether this contact is in the control group. */
export function isHeldOut(flow: FlowDefinition, contactId: number): boolean | null {
  const share = holdoutShare(flow);
  if (share <= 0) return null;
  return bucket(flow.id, 'holdout', contactId) * 100 < share;
}

/** The experiment's name: changing it reshuffles contacts, editing a variant's content does not. */
export const experimentKey = (step: FlowStep) => step.experiment ?? (step.variants ?? []).map((v) => v.id).join(',');

/** The variant of a step this contact gets, by weight; `null` when the step has no split. */
export function assignVariant(flowId: string, stepNumber: number, step: FlowStep, contactId: number): StepVariant | null {
  const variants = step.variants ?? [];
  const total = variants.reduce((sum, v) => sum + Math.max(v.weight, 0), 0);
  if (variants.length === 0 || total <= 0) return null;
  let point = bucket(flowId, stepNumber, experimentKey(step), contactId) * total;
  for (const v of variants) {
    if (v.weight <= 0) continue;
    if (point < v.weight) return v;
    point -= v.weight;
  }
  return variants.filter((v) => v.weight > 0).at(-1)!;
}

/** The step as this variant sends it: its template, subject and coupon where it names them. */
export function applyVariant(step: FlowStep, variantId: string | null | undefined): FlowStep {
  const v = variantId ? step.variants?.find((x) => x.id === variantId) : undefined;
  if (!v) return step;
  return { ...step, template: v.template ?? step.template, coupon: v.coupon === undefined ? step.coupon : v.coupon, ...(v.subject ? { subject: v.subject } : {}) };
}

/** The flow with one step replaced by the variant a job was scheduled with (what the sender renders). */
export function flowWithVariant(flow: FlowDefinition, stepNumber: number, variantId: string | null | undefined): FlowDefinition {
  const step = flow.steps[stepNumber - 1];
  if (!step || !variantId) return flow;
  const steps = flow.steps.slice();
  steps[stepNumber - 1] = applyVariant(step, variantId);
  return { ...flow, steps };
}
