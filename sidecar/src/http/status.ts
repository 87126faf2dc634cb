import { Router } from 'express';
import type { Clock } from '../clock';
import { notFound } from '../errors';
import type { StatusService } from '../ops/status';
import { rawBody, requireSignature } from './signed';

export function statusRouter(d: { status: StatusService; secret: string; clock: Clock }): Router {
  const r = Router();
  const signed = [rawBody, requireSignature(d.secret, d.clock)];
  r.get('/v1/health', async (_req, res) => {
    const health = await d.status.health();
    res.status(health.status === 'ok' ? 200 : 503).json(health);
  });
  r.get('/v1/admin/status', ...signed, async (_req, res) => {
    res.json(await d.status.details());
  });
  r.get('/v1/carts/:cartKey', ...signed, async (req, res) => {
    const cart = await d.status.cart(String(req.params.cartKey));
    if (!cart) throw notFound('cart_not_found', 'no cart with that key');
    res.json(cart);
  });
  return r;
}
