import { createHmac } from 'node:crypto';
import { signRequest, verifyRequest } from '../../../sidecar/src/signing/request-signature';

const secret = 'shared-secret-shared-secret-shared-secret';
const now = new Date('2026-11-22T10:00:00Z');
const ts = Math.floor(now.getTime() / 1000);
const body = Buffer.from('{"events":[]}');

describe('request signatures', () => {
  it('is hex HMAC-SHA256 of "timestamp.body", as docs/events.md says', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.{"events":[]}`).digest('hex');
    expect(signRequest(secret, ts, body)).toBe(expected);
  });

  it('accepts a fresh, matching signature', () => {
    expect(verifyRequest(secret, { timestamp: String(ts), signature: signRequest(secret, ts, body) }, body, now)).toEqual({ ok: true });
  });

  it.each([
    ['missing headers', {}, 'signature_missing'],
    ['a signature that is not hex', { timestamp: String(ts), signature: 'zz' }, 'signature_invalid'],
    ['another secret', { timestamp: String(ts), signature: signRequest('other', ts, body) }, 'signature_invalid'],
    ['a timestamp moved after signing', { timestamp: String(ts + 1), signature: signRequest(secret, ts, body) }, 'signature_invalid'],
    ['a timestamp over 5 minutes old', { timestamp: String(ts - 301), signature: signRequest(secret, ts - 301, body) }, 'timestamp_stale'],
    ['a timestamp over 5 minutes ahead', { timestamp: String(ts + 301), signature: signRequest(secret, ts + 301, body) }, 'timestamp_stale'],
  ])('refuses %s', (_name, headers, code) => {
    expect(verifyRequest(secret, headers as { timestamp?: string; signature?: string }, body, now)).toMatchObject({ ok: false, code });
  });

  it('accepts the edge of the window', () => {
    expect(verifyRequest(secret, { timestamp: String(ts - 300), signature: signRequest(secret, ts - 300, body) }, body, now).ok).toBe(true);
  });
});
