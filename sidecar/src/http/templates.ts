import { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../clock';
import { AppError, badRequest, unprocessable } from '../errors';
import { TransportError } from '../mail/transport';
import { RenderError } from '../render/renderer';
import type { PreviewService } from '../render/preview';
import type { TemplateStore } from '../render/template-store';
import { rawBody, rawTemplateBody, requireSignature } from './signed';

const target = {
  flow: z.string().regex(/^[a-z0-9_]{1,64}$/),
  step: z.number().int().min(1).max(20),
  email: z.string().trim().toLowerCase().email().max(254).optional(),
};
/** An edited template's whole file text; the route's body limit (256 KB) caps it first. */
const source = z.string().min(1).max(256 * 1024);
const previewBody = z.object({ ...target, locale: z.string().regex(/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/).optional(), source: source.optional() }).strict();
const saveBody = z.object({ source }).strict();
const stepParams = z.object({ flow: target.flow, step: z.coerce.number().int().min(1).max(20) });
const testSendBody = z.object({ ...target, to: z.string().trim().email().max(254) }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : '');
  } catch {
    throw badRequest('malformed_json', 'the body is not JSON');
  }
  const r = schema.safeParse(json);
  if (!r.success) throw badRequest('request_invalid', r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

/** A template that does not render is the admin's to fix (422); a refused send is the provider's (502). */
function asAppError(err: unknown): never {
  if (err instanceof RenderError) throw unprocessable('render_failed', err.message);
  if (err instanceof TransportError) throw new AppError('send_failed', 'the mail provider did not accept the test email', 502);
  throw err;
}

function stepOf(params: unknown): { flow: string; step: number } {
  const r = stepParams.safeParse(params);
  if (!r.success) throw badRequest('request_invalid', 'the path names no flow step (/v1/admin/templates/<flow>/<step>)');
  return r.data;
}

/**
 * Edited templates (list, read, save validated, restore the shipped one), preview and test send of
 * a flow step's email; signed like every /v1/admin route.
 */
export function templatesRouter(d: { previews: PreviewService; templates: TemplateStore; secret: string; clock: Clock }): Router {
  const r = Router();
  const signed = [rawBody, requireSignature(d.secret, d.clock)];
  const signedTemplate = [rawTemplateBody, requireSignature(d.secret, d.clock)];
  r.get('/v1/admin/templates', ...signed, (_req, res) => {
    res.json({ templates: d.templates.list() });
  });
  r.get('/v1/admin/templates/:flow/:step', ...signed, (req, res) => {
    const { flow, step } = stepOf(req.params);
    res.json(d.templates.get(flow, step));
  });
  r.put('/v1/admin/templates/:flow/:step', ...signedTemplate, async (req, res) => {
    const { flow, step } = stepOf(req.params);
    res.json(await d.templates.save(flow, step, parse(saveBody, req.body).source));
  });
  r.delete('/v1/admin/templates/:flow/:step', ...signed, async (req, res) => {
    const { flow, step } = stepOf(req.params);
    res.json(await d.templates.restore(flow, step));
  });
  r.post('/v1/admin/templates/preview', ...signedTemplate, async (req, res) => {
    const { subject, preheader, html, text, language, direction } = await d.previews.preview(parse(previewBody, req.body)).catch(asAppError);
    res.json({ subject, preheader, html, text, language, direction });
  });
  r.post('/v1/admin/templates/test-send', ...signed, async (req, res) => {
    res.json(await d.previews.testSend(parse(testSendBody, req.body)).catch(asAppError));
  });
  return r;
}
