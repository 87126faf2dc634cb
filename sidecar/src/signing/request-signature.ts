import { createHmac, timingSafeEqual } from 'node:crypto';

// Requests between the plugin and the sidecar (both ways) are signed as in docs/events.md:
// hex HMAC-SHA256 of `timestamp + "." + raw body`, with the timestamp in Unix seconds.

export const TIMESTAMP_HEADER = 'x-retain-timestamp';
export const SIGNATURE_HEADER = 'x-retain-signature';
export const MAX_SKEW_SECONDS = 300;

export function signRequest(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export function signedHeaders(secret: string, body: string | Buffer, now: Date): Record<string, string> {
  const ts = Math.floor(now.getTime() / 1000);
  return { 'X-Retain-Timestamp': String(ts), 'X-Retain-Signature': signRequest(secret, ts, body) };
}

export type SignatureCheck = { ok: true } | { ok: false; code: 'signature_missing' | 'signature_invalid' | 'timestamp_stale'; message: string };

export function verifyRequest(
  secret: string,
  headers: { timestamp?: string | undefined; signature?: string | undefined },
  body: Buffer,
  now: Date,
): SignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, code: 'signature_missing', message: 'X-Retain-Timestamp and X-Retain-Signature are required' };
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/i.test(signature)) {
    return { ok: false, code: 'signature_invalid', message: 'the signature does not match' };
  }
  const expected = Buffer.from(signRequest(secret, Number(timestamp), body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return { ok: false, code: 'signature_invalid', message: 'the signature does not match' };
  }
  // Checked after the HMAC so an unsigned caller learns nothing about our clock.
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return { ok: false, code: 'timestamp_stale', message: `the timestamp is more than ${MAX_SKEW_SECONDS} s from the server's clock` };
  }
  return { ok: true };
}
