import { Router } from 'express';
import type { Clock } from '../clock';
import { parseDeliverabilityDate, type DeliverabilityService } from '../engagement/deliverability';
import { rawBody, requireSignature } from './signed';

export function deliverabilityRouter(d: { deliverability: DeliverabilityService; secret: string; clock: Clock }): Router {
  const r = Router();
  r.get('/v1/admin/deliverability', rawBody, requireSignature(d.secret, d.clock), async (req, res) => {
    res.json(await d.deliverability.build(parseDeliverabilityDate(req.query as Record<string, unknown>)));
  });
  return r;
}
