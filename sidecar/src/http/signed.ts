import express, { type RequestHandler } from 'express';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from '../signing/request-signature';

export const MAX_BODY = '1mb';

/** Keeps the exact bytes: the signature covers them, not a re-serialisation. */
export const rawBody = express.raw({ type: () => true, limit: MAX_BODY });
/** The same for an edited template: a whole email template is a few KB; 256 KB leaves room. */
export const rawTemplateBody = express.raw({ type: () => true, limit: '256kb' });

/** Refuses requests not signed with the shared secret (docs/events.md). */
export function requireSignature(secret: string, clock: Clock): RequestHandler {
  return (req, _res, next) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifyRequest(secret, { timestamp: req.get(TIMESTAMP_HEADER), signature: req.get(SIGNATURE_HEADER) }, body, clock.now());
    if (!check.ok) return next(new AppError(check.code, check.message, 401));
    next();
  };
}
