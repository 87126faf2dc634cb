import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import busboy from 'busboy';
import { Router, type Express } from 'express';
import { AppError } from '../errors';
import type { WebhookService } from '../engagement/webhooks';
import type { Logger } from '../logger';
import { MAX_BODY, rawBody } from './signed';

/**
 * Mailgun's webhooks. Mailgun retries every answer but 200 and 406, so: 200 for stored and for
 * duplicates (also for events about messages we do not know), 406 for a genuinely signed payload we
 * will never accept, 401 for forged, stale or replayed signatures.
 */
export function webhooksRouter(d: { webhooks: WebhookService }): Router {
  const r = Router();
  r.post(MAILGUN_INBOUND_PATH, async (req, res) => {
    const result = await d.webhooks.receiveInbound(await readForm(req));
    if (!result.ok) throw new AppError(result.code, result.message, result.status);
    res.status(200).json(answerOf(result));
  });
  r.post(MAILGUN_WEBHOOK_PATH, rawBody, async (req, res) => {
    const result = await d.webhooks.receive(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    if (!result.ok) throw new AppError(result.code, result.message, result.status);
    res.status(200).json(answerOf(result));
  });
  return r;
}

export const MAILGUN_WEBHOOK_PATH = '/v1/webhooks/mailgun';
/** Where a Mailgun route forwards mail sent to the List-Unsubscribe mailto address. */
export const MAILGUN_INBOUND_PATH = '/v1/webhooks/mailgun/inbound';

/**
 * A route's POST is a form: urlencoded, or multipart when the email had attachments (which are
 * skipped). Only the fields are read, within the body limit.
 */
function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let form: busboy.Busboy;
    try {
      form = busboy({ headers: req.headers, limits: { fieldSize: bytesOf(MAX_BODY), fields: 200, files: 0 } });
    } catch {
      reject(new AppError('form_invalid', 'the body is not a form (urlencoded or multipart)', 400));
      return;
    }
    const fields: Record<string, string> = {};
    form.on('field', (name, value) => {
      fields[name] = value;
    });
    form.on('close', () => resolve(fields));
    form.on('error', () => reject(new AppError('form_invalid', 'the form could not be read', 400)));
    req.pipe(form);
  });
}

const answerOf = (result: { duplicate: boolean; outcome: string }) => ({ status: result.duplicate ? 'duplicate' : 'accepted', outcome: result.outcome });
/** The three answers a stored webhook can get, serialised once; ASCII strings, so headers and body go out in one write. */
const ANSWERS = Object.fromEntries(
  (['stored', 'unknown_message', 'duplicate'] as const).map((outcome) => [outcome, JSON.stringify(answerOf({ duplicate: outcome === 'duplicate', outcome }))]),
) as Record<'stored' | 'unknown_message' | 'duplicate', string>;

/** `MAX_BODY` in bytes, as body-parser reads it ('1mb' is 1,048,576). */
function bytesOf(size: string): number {
  const m = /^(\d+)(kb|mb)$/.exec(size);
  if (!m) throw new Error(`unexpected body limit ${size}`);
  return Number(m[1]) * (m[2] === 'mb' ? 1024 * 1024 : 1024);
}

type Take = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The same route for Mailgun's bursts (thousands a second), without Express's per-request work.
 * It takes only the plain case: the exact path, a declared Content-Length within the body limit,
 * no content or transfer encoding; it returns false for anything else, which webhooksRouter then
 * reads, limits and refuses as every route does. Its answers have the error handler's shape.
 */
export function mailgunWebhookFastPath(d: { webhooks: WebhookService; log: Logger }): Take {
  const limit = bytesOf(MAX_BODY);
  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== MAILGUN_WEBHOOK_PATH) return false;
    const h = req.headers;
    const declared = h['content-length'] === undefined ? NaN : Number(h['content-length']);
    if (!(declared <= limit) || h['transfer-encoding'] !== undefined || (h['content-encoding'] ?? 'identity') !== 'identity') return false;
    if (d.log.isLevelEnabled('debug')) {
      const started = process.hrtime.bigint();
      res.on('finish', () => d.log.debug({ req: randomUUID(), method: 'POST', route: MAILGUN_WEBHOOK_PATH, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request'));
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // An aborted request stores nothing and has nobody to answer.
    req.on('error', () => undefined);
    req.on('end', () => {
      d.webhooks.receive(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).then(
        (result) => {
          if (result.ok) send(res, 200, ANSWERS[result.outcome]);
          else send(res, result.status, JSON.stringify({ error: { code: result.code, message: result.message } }));
        },
        (err: unknown) => {
          d.log.error({ err: (err as Error)?.name, code: (err as { code?: string })?.code }, 'unhandled error');
          send(res, 500, JSON.stringify({ error: { code: 'internal', message: 'something went wrong on our side' } }));
        },
      );
    });
    return true;
  };
}

/**
 * Answers Mailgun's webhooks before Express sees the request: its per-request setup (prototype
 * swaps on req and res, the router's walk) cost a third of the route's CPU. The app function calls
 * `app.handle` for every request (Express 4 and 5), so listen(), http.createServer(app) and
 * supertest all go through this.
 */
export function answerMailgunWebhooksFirst(app: Express, d: { webhooks: WebhookService; log: Logger }): void {
  const take = mailgunWebhookFastPath(d);
  const inner = app as unknown as { handle: (req: IncomingMessage, res: ServerResponse, callback?: unknown) => void };
  const handle = inner.handle;
  inner.handle = function (this: unknown, req, res, callback) {
    if (!take(req, res)) handle.call(this, req, res, callback);
  };
}
