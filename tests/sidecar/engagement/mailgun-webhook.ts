import { createHmac, randomBytes } from 'node:crypto';

// Builds Mailgun webhook bodies the way Mailgun signs them, for the engagement tests and the bench.
/** These tests are about deliverability and consent, not pacing: frequency caps and quiet hours off. */
export const NO_PACING = { RETAIN_FREQUENCY_CAP: 'off', RETAIN_QUIET_HOURS: 'off' };

export const WEBHOOK_KEY = 'whsec-test-0123456789abcdef';

/** Mailgun's signature fields: HMAC-SHA256 of timestamp + token with the signing key. */
export function mailgunSignature(opts: { key?: string; at?: Date; token?: string; signature?: string } = {}): { timestamp: string; token: string; signature: string } {
  const timestamp = String(Math.floor((opts.at ?? new Date()).getTime() / 1000));
  const token = opts.token ?? randomBytes(25).toString('hex');
  const signature = opts.signature ?? createHmac('sha256', opts.key ?? WEBHOOK_KEY).update(timestamp + token).digest('hex');
  return { timestamp, token, signature };
}

export function mailgunWebhook(
  eventData: Record<string, unknown>,
  opts: { key?: string; at?: Date; token?: string; signature?: string } = {},
): Record<string, unknown> {
  return { signature: mailgunSignature(opts), 'event-data': eventData };
}

let n = 0;
export function eventData(event: string, recipient: string, messageId: number | null, extra: Record<string, unknown> = {}, at = new Date()): Record<string, unknown> {
  return {
    id: `mg-${Date.now().toString(36)}-${(++n).toString(36)}-${randomBytes(4).toString('hex')}`,
    event,
    timestamp: at.getTime() / 1000,
    recipient,
    'user-variables': messageId == null ? {} : { retain_message_id: String(messageId) },
    message: { headers: { 'message-id': `unknown-${n}@mg.example.test` } },
    ...extra,
  };
}
