import { createHmac, timingSafeEqual } from 'node:crypto';

// Links that act (unsubscribe, cart restore, preferences) carry a signed, expiring token:
//   base64url(payload) "." base64url(HMAC-SHA256(secret, "retain-token." + base64url(payload)))
// The plugin verifies `restore` tokens with the same scheme (docs/events.md).

export type TokenPurpose = 'unsubscribe' | 'restore' | 'preferences' | 'confirm' | 'feedback' | 'stay';

export interface TokenPayload {
  p: TokenPurpose;
  /** Expiry, Unix seconds. */
  x: number;
  [field: string]: unknown;
}

export type TokenCheck<T> = { ok: true; payload: T } | { ok: false; code: 'token_invalid' | 'token_expired' };

const mac = (secret: string, body: string) => createHmac('sha256', secret).update(`retain-token.${body}`).digest();

export function signToken(secret: string, payload: TokenPayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

export function verifyToken<T extends TokenPayload>(secret: string, token: string, purpose: TokenPurpose, now: Date): TokenCheck<T> {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined || token.length > 2048) return { ok: false, code: 'token_invalid' };
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, code: 'token_invalid' };
  let payload: T;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return { ok: false, code: 'token_invalid' };
  }
  if (payload.p !== purpose || typeof payload.x !== 'number') return { ok: false, code: 'token_invalid' };
  if (payload.x * 1000 < now.getTime()) return { ok: false, code: 'token_expired' };
  return { ok: true, payload };
}
