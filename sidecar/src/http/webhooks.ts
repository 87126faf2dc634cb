import { Router } from 'express';
import { AppError } from '../errors';
import type { WebhookService } from '../engagement/webhooks';
import { rawBody } from './signed';

/**
 * Mailgun's webhooks. Mailgun retries every answer but 200 and 406, so: 200 for stored and for
 * duplicates (also for events about messages we do not know), 406 for a genuinely signed payload we
 * will never accept, 401 for forged, stale or replayed signatures.
 */
export function webhooksRouter(d: { webhooks: WebhookService }): Router {
  const r = Router();
  r.post('/v1/webhooks/mailgun', rawBody, async (req, res) => {
    const result = await d.webhooks.receive(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    if (!result.ok) throw new AppError(result.code, result.message, result.status);
    res.status(200).json({ status: result.duplicate ? 'duplicate' : 'accepted', outcome: result.outcome });
  });
  return r;
}
