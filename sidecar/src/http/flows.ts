import { Router } from 'express';
import type { Clock } from '../clock';
import { AppError, notFound } from '../errors';
import type { FlowRegistry } from '../flows/registry';
import { rawBody, requireSignature } from './signed';

const describeFlow = (f: ReturnType<FlowRegistry['flows']>[number]) => ({
  id: f.id, name: f.name, version: f.version, enabled: f.enabled, kind: f.kind, purpose: f.purpose, priority: f.priority,
  trigger: f.scan ? { scan: f.scan } : { events: f.triggers }, exits: f.exits,
  // The same shape PUT takes, so a form can send back what it was given.
  steps: f.steps.map((s, i) => ({
    step: i + 1, delay_seconds: s.delayMs / 1000, template: s.template,
    coupon: s.coupon && { type: s.coupon.type, amount: s.coupon.amount, expires_in_days: s.coupon.expiresInDays, free_shipping: s.coupon.freeShipping },
    ...(s.variants ? {
      experiment: s.experiment,
      variants: s.variants.map((v) => ({
        id: v.id, weight: v.weight, ...(v.template ? { template: v.template } : {}), ...(v.subject ? { subject: v.subject } : {}),
        ...(v.coupon !== undefined ? { coupon: v.coupon && { type: v.coupon.type, amount: v.coupon.amount, expires_in_days: v.coupon.expiresInDays, free_shipping: v.coupon.freeShipping } } : {}),
      })),
    } : {}),
  })),
  holdout_percent: f.holdoutPercent ?? 0,
  settings: f.settings,
});

/** The plugin's Flows page: list the flows in force, and change one (signed). */
export function flowsRouter(d: { flowRegistry: FlowRegistry; secret: string; clock: Clock }): Router {
  const r = Router();
  const signed = [rawBody, requireSignature(d.secret, d.clock)];
  r.get('/v1/admin/flows', ...signed, (_req, res) => {
    res.json({ flows: d.flowRegistry.flows().map(describeFlow) });
  });
  r.put('/v1/admin/flows/:id', ...signed, async (req, res) => {
    let body: unknown;
    try {
      body = JSON.parse((req.body as Buffer).toString('utf8') || '{}');
    } catch {
      throw new AppError('malformed_json', 'the body is not valid JSON', 400);
    }
    const result = await d.flowRegistry.save(String(req.params.id), body);
    if (!result.ok) {
      if (result.code === 'flow_unknown') throw notFound('flow_unknown', 'no such flow');
      throw new AppError('flow_invalid', 'the flow settings are not valid', 422, result.details);
    }
    res.json({ flow: describeFlow(result.flow), note: 'Contacts already in this flow keep the steps already scheduled; the change applies from their next step.' });
  });
  return r;
}
