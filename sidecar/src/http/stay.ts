import { Router } from 'express';
import type { Clock } from '../clock';
import type { StayService } from '../engagement/stay';
import { notFound } from '../errors';
import { escapeHtml, page } from './pages';
import { rawBody, requireSignature } from './signed';

/**
 * GET /s/:token: "keep me subscribed" from the sunset email. GET /c/:token: the double opt-in
 * confirmation. POST …/restore: an admin's restore (signed).
 */
export function stayRouter(d: { stay: StayService; secret: string; clock: Clock }): Router {
  const r = Router();
  r.get('/s/:token', async (req, res) => {
    const result = await d.stay.viaLink(String(req.params.token));
    res.set('Cache-Control', 'no-store').set('Referrer-Policy', 'no-referrer');
    if (!result.ok) {
      return void res.status(result.code === 'token_expired' ? 410 : 400).type('html').send(page('Link not valid', '<h1>This link is not valid any more</h1>'));
    }
    res.type('html').send(page('Welcome back', `<h1>You are staying with us</h1><p>${escapeHtml(result.email)} keeps getting our emails. Thank you.</p>`));
  });
  r.get('/c/:token', async (req, res) => {
    const result = await d.stay.confirm(String(req.params.token));
    res.set('Cache-Control', 'no-store').set('Referrer-Policy', 'no-referrer');
    if (!result.ok) {
      const status = result.code === 'token_expired' ? 410 : result.code === 'revoked' ? 409 : 400;
      return void res.status(status).type('html').send(page('Link not valid', result.code === 'revoked'
        ? '<h1>You unsubscribed</h1><p>This address unsubscribed after signing up, so we will not write. Sign up again on the shop to change that.</p>'
        : '<h1>This link is not valid any more</h1><p>Sign up again on the shop to get a new one.</p>'));
    }
    res.type('html').send(page('Subscribed', `<h1>You are subscribed</h1><p>${escapeHtml(result.email)} will get our news. Welcome!</p>`));
  });
  r.post('/v1/admin/contacts/:email/restore', rawBody, requireSignature(d.secret, d.clock), async (req, res) => {
    if (!(await d.stay.byAdmin(String(req.params.email).toLowerCase()))) throw notFound('contact_not_found', 'no contact with that address');
    res.json({ restored: true });
  });
  return r;
}
