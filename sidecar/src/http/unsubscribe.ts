import express, { Router } from 'express';
import type { UnsubscribeService } from '../engagement/unsubscribe';
import { escapeHtml, page } from './pages';

const problem = (code: string) =>
  code === 'token_expired'
    ? page('Link expired', '<h1>This link has expired</h1><p>Use the unsubscribe link in a more recent email from us.</p>')
    : page('Link not valid', '<h1>This link is not valid</h1><p>It may have been shortened or changed. Use the unsubscribe link in the email itself.</p>');

/**
 * GET shows a confirmation page and changes nothing (link scanners follow GETs). POST unsubscribes
 * at once, for the button on that page and for one-click (RFC 8058), which sends
 * `List-Unsubscribe=One-Click` as a form and must not be redirected.
 */
export function unsubscribeRouter(d: { unsubscribe: UnsubscribeService }): Router {
  const r = Router();
  r.get('/u/:token', async (req, res) => {
    const result = await d.unsubscribe.preview(req.params.token);
    res.set('Cache-Control', 'no-store').set('Referrer-Policy', 'no-referrer');
    if (!result.ok) return void res.status(result.code === 'token_expired' ? 410 : 400).type('html').send(problem(result.code));
    if (result.already) return void res.type('html').send(page('Unsubscribed', `<h1>You are unsubscribed</h1><p>${escapeHtml(result.email)} gets no more marketing email from us.</p>`));
    res.type('html').send(
      page('Unsubscribe', `<h1>Unsubscribe?</h1><p>${escapeHtml(result.email)} will get no more marketing email from us.</p>
        <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`),
    );
  });
  r.post('/u/:token', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const result = await d.unsubscribe.unsubscribe(req.params.token);
    res.set('Cache-Control', 'no-store');
    if (!result.ok) return void res.status(result.code === 'token_expired' ? 410 : 400).type('html').send(problem(result.code));
    res.status(200).type('html').send(page('Unsubscribed', `<h1>You are unsubscribed</h1><p>${escapeHtml(result.email)} gets no more marketing email from us.</p>`));
  });
  return r;
}
