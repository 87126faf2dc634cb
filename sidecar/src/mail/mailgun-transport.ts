import FormData from 'form-data';
import Mailgun from 'mailgun.js';
import type { Logger } from '../logger';
import type { OutgoingMessage, Transport } from './transport';
import { TransportError } from './transport';

export interface MailgunSettings {
  apiKey: string;
  domain: string;
  url: string;
  timeoutMs: number;
}

// Network errors with no connection made: Mailgun cannot have the message.
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * mailgun.js reports network failures as APIError status 400 with the socket error code as the
 * message, so a real 4xx is told apart from a lost connection by that code.
 */
export function classifyMailgunError(err: unknown): TransportError {
  const e = err as { status?: number; message?: string; details?: string; type?: string };
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const message = String(e?.message ?? err);
  const networkCode = /^(E[A-Z_]+|ERR_[A-Z_]+)$/.test(message) ? message : null;
  if (networkCode) {
    return new TransportError('transient', `network error ${networkCode}`, !NEVER_CONNECTED.has(networkCode));
  }
  if (status === 429) return new TransportError('transient', 'Mailgun rate limit (429)', false, 429);
  if (status !== undefined && status >= 500) return new TransportError('transient', `Mailgun ${status}`, false, status);
  // Mailgun's own 4xx text is about our request (bad address, unverified domain), not the recipient's data.
  const detail = typeof e?.details === 'string' ? e.details.slice(0, 300) : '';
  return new TransportError('permanent', `Mailgun ${status ?? '?'}: ${detail || message}`, false, status);
}

export function createMailgunTransport(settings: MailgunSettings, log: Logger): Transport {
  const mg = new Mailgun(FormData).client({ username: 'api', key: settings.apiKey, url: settings.url, timeout: settings.timeoutMs });
  // The Events API is deprecated in favour of Logs, but its filters (event, recipient, begin) are
  // the documented way to find one accepted message; keep mailgun.js's notice out of stdout.
  (mg.events as unknown as { logger: { warn(m: string): void } }).logger = { warn: (m) => log.debug(m) };

  return {
    name: 'mailgun',

    async send(m: OutgoingMessage) {
      const data: Record<string, unknown> = {
        from: m.from,
        to: m.to,
        subject: m.subject,
        html: m.html,
        text: m.text,
        'o:tag': m.tags.slice(0, 10),
        'v:retain_message_id': String(m.messageId),
      };
      for (const [name, value] of Object.entries(m.headers)) data[`h:${name}`] = value;
      if (m.testMode) data['o:testmode'] = 'yes';
      try {
        const res = await mg.messages.create(settings.domain, data as never);
        if (!res.id) throw new TransportError('transient', 'Mailgun answered without a message id', true);
        return { providerId: res.id.replace(/^<|>$/g, '') };
      } catch (err) {
        if (err instanceof TransportError) throw err;
        throw classifyMailgunError(err);
      }
    },

    async findSubmitted({ messageId, to, since }) {
      // Mailgun logs an `accepted` event with our user variables for every message it took.
      const begin = Math.floor(since.getTime() / 1000) - 300;
      try {
        let page = await mg.events.get(settings.domain, { event: 'accepted', recipient: to, begin: String(begin), ascending: 'yes', limit: 300 });
        for (let guard = 0; guard < 20; guard++) {
          for (const item of page.items as Array<{ 'user-variables'?: Record<string, unknown>; message?: { headers?: Record<string, string> } }>) {
            if (String(item['user-variables']?.retain_message_id ?? '') === String(messageId)) {
              return String(item.message?.headers?.['message-id'] ?? `recovered-${messageId}`);
            }
          }
          const next = page.pages?.next?.id;
          if (!next || page.items.length === 0) break;
          page = await mg.events.get(settings.domain, { page: next } as never);
        }
        return null;
      } catch (err) {
        // Without an answer we cannot know; retrying later is safer than sending twice.
        throw classifyMailgunError(err);
      }
    },
  };
}
