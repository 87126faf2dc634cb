import { Router, type RequestHandler } from 'express';
import { listOutbox, readOutboxEntry } from '../mail/outbox-transport';
import { escapeHtml, page } from './pages';

// The outbox holds real addresses, so it is shown only to requests from this machine.
const loopbackOnly: RequestHandler = (req, res, next) => {
  const ip = req.socket.remoteAddress ?? '';
  if (ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1') return next();
  res.status(403).json({ error: { code: 'forbidden', message: 'the outbox is only shown on this machine' } });
};

export function outboxRouter(dir: string): Router {
  const r = Router();
  r.use('/outbox', loopbackOnly);
  r.get('/outbox', async (_req, res) => {
    const entries = await listOutbox(dir);
    const rows = entries
      .map((e) => `<tr><td>${e.messageId}</td><td>${escapeHtml(e.date.slice(0, 19).replace('T', ' '))}</td><td>${escapeHtml(e.to)}</td>
        <td><a href="/outbox/${e.messageId}">${escapeHtml(e.subject)}</a></td><td>${escapeHtml(e.tags.join(' '))}</td></tr>`)
      .join('');
    res.type('html').send(
      page('Outbox', `<h1>Outbox</h1><p>${entries.length} message(s) in <code>${escapeHtml(dir)}</code>, newest first. Each is also an .eml file there.</p>
        <table><tr><th>#</th><th>UTC</th><th>to</th><th>subject</th><th>tags</th></tr>${rows}</table>`),
    );
  });
  r.get('/outbox/:id', async (req, res) => {
    const entry = await readOutboxEntry(dir, Number(req.params.id));
    if (!entry) return void res.status(404).json({ error: { code: 'not_found', message: 'no such message' } });
    res.type('html').send(entry.html);
  });
  r.get('/outbox/:id/text', async (req, res) => {
    const entry = await readOutboxEntry(dir, Number(req.params.id));
    if (!entry) return void res.status(404).json({ error: { code: 'not_found', message: 'no such message' } });
    res.type('text/plain').send(entry.text);
  });
  return r;
}
