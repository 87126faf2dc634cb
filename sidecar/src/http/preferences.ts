import express, { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../clock';
import { KINDS } from '../engagement/hygiene';
import { preferenceChangeSchema, type PreferenceService, type PreferenceView } from '../engagement/preferences';
import { AppError, badRequest, unprocessable } from '../errors';
import { escapeHtml, page } from './pages';
import { rawBody, requireSignature } from './signed';

const LABELS: Record<(typeof KINDS)[number], string> = { offers: 'Offers and discounts', reminders: 'Reminders about carts and products', news: 'News and tips' };

const problem = (code: string) =>
  code === 'token_expired'
    ? page('Link expired', '<h1>This link has expired</h1><p>Use the link in a more recent email from us.</p>')
    : page('Link not valid', '<h1>This link is not valid</h1><p>Use the link in the email itself.</p>');

function preferencesPage(v: PreferenceView, saved: boolean): string {
  const kinds = KINDS.map((k) => `<label><input type="checkbox" name="kinds" value="${k}"${v.kinds[k] ? ' checked' : ''}> ${LABELS[k]}</label><br>`).join('');
  const status = !v.subscribed
    ? '<p>You get no marketing email from us.</p><form method="post"><input type="hidden" name="action" value="subscribe"><button>Subscribe again</button></form>'
    : v.pausedUntil
      ? `<p>Paused until ${escapeHtml(v.pausedUntil.toISOString().slice(0, 10))}.</p><form method="post"><input type="hidden" name="action" value="resume"><button>Resume now</button></form>`
      : '<form method="post"><input type="hidden" name="action" value="pause"><button>Pause for 30 days</button></form>';
  return page('Email preferences', `<h1>Email preferences</h1><p>${escapeHtml(v.email)}</p>${saved ? '<p><strong>Saved.</strong></p>' : ''}
    <h2>What we send you</h2><form method="post"><input type="hidden" name="action" value="kinds">${kinds}<button>Save</button></form>
    <h2>Pause or stop</h2>${status}
    ${v.subscribed ? '<form method="post"><input type="hidden" name="action" value="unsubscribe"><button>Unsubscribe from all</button></form>' : ''}`);
}

/** A form posts `kinds` once per ticked box, or not at all when none is ticked. */
const formChange = (body: Record<string, unknown>) => {
  if (body.action !== 'kinds') return body;
  const kinds = body.kinds === undefined ? [] : Array.isArray(body.kinds) ? body.kinds : [body.kinds];
  return { action: 'kinds', kinds };
};

const cursorQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

/** The preference centre (signed link, no login) and the consent-changes feed for the plugin (signed request). */
export function preferencesRouter(d: { preferences: PreferenceService; secret: string; clock: Clock }): Router {
  const r = Router();
  r.get('/p/:token', async (req, res) => {
    const result = await d.preferences.show(req.params.token);
    res.set('Cache-Control', 'no-store').set('Referrer-Policy', 'no-referrer');
    if (!result.ok) return void res.status(result.code === 'token_expired' ? 410 : 400).type('html').send(problem(result.code));
    res.type('html').send(preferencesPage(result.view, false));
  });

  r.post('/p/:token', express.urlencoded({ extended: false, limit: '16kb' }), express.json({ limit: '16kb' }), async (req, res) => {
    const json = Boolean(req.is('application/json'));
    const parsed = preferenceChangeSchema.safeParse(json ? req.body : formChange((req.body ?? {}) as Record<string, unknown>));
    if (!parsed.success) throw unprocessable('preferences_invalid', 'action must be unsubscribe, subscribe, pause, resume, or kinds with a list of offers, reminders, news');
    const result = await d.preferences.change(req.params.token, parsed.data);
    res.set('Cache-Control', 'no-store');
    if (!result.ok) {
      if (json) throw new AppError(result.code, result.code === 'contact_missing' ? 'no such contact' : 'the link is not valid', result.code === 'token_expired' ? 410 : 400);
      return void res.status(result.code === 'token_expired' ? 410 : 400).type('html').send(problem(result.code));
    }
    if (json) return void res.json({ changed: result.changed, preferences: result.view });
    res.type('html').send(preferencesPage(result.view, true));
  });

  r.get('/v1/admin/consent-changes', rawBody, requireSignature(d.secret, d.clock), async (req, res) => {
    const parsed = cursorQuery.safeParse(req.query);
    if (!parsed.success) throw badRequest('cursor_invalid', 'after and limit must be whole numbers (limit 1–1000)');
    res.json(await d.preferences.changes(parsed.data.after, parsed.data.limit));
  });
  return r;
}
