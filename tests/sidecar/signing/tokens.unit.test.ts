import { signToken, verifyToken } from '../../../sidecar/src/signing/tokens';

const secret = 'token-secret-token-secret-token-secret';
const now = new Date('2026-11-22T10:00:00Z');
const later = Math.floor(now.getTime() / 1000) + 3600;

describe('signed link tokens', () => {
  it('round-trips its payload for the right purpose', () => {
    const t = signToken(secret, { p: 'unsubscribe', x: later, c: 7, m: 9 });
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/); // base64url, no padding
    expect(verifyToken(secret, t, 'unsubscribe', now)).toEqual({ ok: true, payload: { p: 'unsubscribe', x: later, c: 7, m: 9 } });
  });

  it('refuses a forged, altered, re-purposed or expired token', () => {
    const t = signToken(secret, { p: 'unsubscribe', x: later, c: 7 });
    const [body, sig] = t.split('.');
    const altered = `${Buffer.from(JSON.stringify({ p: 'unsubscribe', x: later, c: 8 })).toString('base64url')}.${sig}`;
    expect(verifyToken('another-secret', t, 'unsubscribe', now)).toEqual({ ok: false, code: 'token_invalid' });
    expect(verifyToken(secret, altered, 'unsubscribe', now)).toEqual({ ok: false, code: 'token_invalid' });
    expect(verifyToken(secret, `${body}.`, 'unsubscribe', now)).toEqual({ ok: false, code: 'token_invalid' });
    expect(verifyToken(secret, 'garbage', 'unsubscribe', now)).toEqual({ ok: false, code: 'token_invalid' });
    expect(verifyToken(secret, t, 'restore', now)).toEqual({ ok: false, code: 'token_invalid' });
    expect(verifyToken(secret, t, 'unsubscribe', new Date((later + 1) * 1000))).toEqual({ ok: false, code: 'token_expired' });
  });
});
