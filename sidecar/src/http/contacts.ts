import { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../clock';
import type { PrivacyService } from '../contacts/privacy';
import { badRequest, notFound } from '../errors';
import { rawBody, requireSignature } from './signed';

const emailParam = z.string().trim().toLowerCase().email().max(254);

/** The admin API about one contact, for the plugin's privacy tools and Contact lookup (signed). */
export function contactsRouter(d: { privacy: PrivacyService; secret: string; clock: Clock }): Router {
  const r = Router();
  const signed = [rawBody, requireSignature(d.secret, d.clock)];
  const email = (raw: string) => {
    const parsed = emailParam.safeParse(raw);
    if (!parsed.success) throw badRequest('email_invalid', 'the path must name one e-mail address');
    return parsed.data;
  };

  r.get('/v1/admin/contacts/:email/export', ...signed, async (req, res) => {
    const data = await d.privacy.export(email(String(req.params.email)));
    if (!data) throw notFound('contact_not_found', 'we hold nothing about that address');
    res.json(data);
  });
  r.post('/v1/admin/contacts/:email/erase', ...signed, async (req, res) => {
    res.json(await d.privacy.erase(email(String(req.params.email))));
  });
  r.get('/v1/contacts/:email/timeline', ...signed, async (req, res) => {
    const data = await d.privacy.timeline(email(String(req.params.email)));
    if (!data) throw notFound('contact_not_found', 'no contact with that address');
    res.json(data);
  });
  return r;
}
