import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors';
import type { Logger } from '../logger';

export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: 'no such endpoint' } });
};

/** The one place errors become responses: `{ error: { code, message, details? } }`. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof AppError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
      return;
    }
    const e = err as { type?: string; status?: number; limit?: number };
    if (e?.type === 'entity.too.large') {
      const kb = typeof e.limit === 'number' ? Math.round(e.limit / 1024) : 1024;
      res.status(413).json({ error: { code: 'body_too_large', message: `the body is larger than ${kb >= 1024 ? `${kb / 1024} MB` : `${kb} KB`}` } });
      return;
    }
    if (e?.type === 'request.aborted' || e?.type === 'request.size.invalid') {
      res.status(400).json({ error: { code: 'body_incomplete', message: 'the body ended early' } });
      return;
    }
    (req as { log?: Logger }).log?.error({ err: (err as Error)?.name, code: (err as { code?: string })?.code }, 'unhandled error') ??
      log.error({ err: (err as Error)?.name }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'something went wrong on our side' } });
  };
}
