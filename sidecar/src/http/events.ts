import { Router } from 'express';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import type { IntakeService } from '../intake/intake';
import { rawBody, requireSignature } from './signed';

export function eventsRouter(d: { intake: IntakeService; secret: string; clock: Clock }): Router {
  const r = Router();
  r.post('/v1/events', rawBody, requireSignature(d.secret, d.clock), async (req, res) => {
    if (!req.is('application/json')) throw new AppError('unsupported_media_type', 'send Content-Type: application/json', 415);
    const result = await d.intake.accept((req.body as Buffer).toString('utf8'));
    res.status(202).json(result);
  });
  return r;
}
