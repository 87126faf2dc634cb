import { createHmac } from 'node:crypto';
import { cartReminderPurpose, isRoleAddress, isValidAddress, kindOf } from '../../../sidecar/src/engagement/hygiene';
import { isMachineOpen, verifyMailgunSignature } from '../../../sidecar/src/engagement/webhooks';

describe('Mailgun webhook signatures', () => {
  const key = 'key-abc';
  const now = new Date('2026-11-22T10:00:00Z');
  const ts = String(now.getTime() / 1000);
  const sign = (timestamp: string, token: string, k = key) => createHmac('sha256', k).update(timestamp + token).digest('hex');

  it('accepts HMAC-SHA256(timestamp + token) with the signing key', () => {
    expect(verifyMailgunSignature(key, { timestamp: ts, token: 't'.repeat(50), signature: sign(ts, 't'.repeat(50)) }, now)).toEqual({ ok: true });
  });
  it.each([
    ['another key', { timestamp: ts, token: 'tok', signature: sign(ts, 'tok', 'other') }, 'signature_invalid'],
    ['a changed token', { timestamp: ts, token: 'tok2', signature: sign(ts, 'tok') }, 'signature_invalid'],
    ['a signature that is not hex', { timestamp: ts, token: 'tok', signature: 'zz' }, 'signature_invalid'],
    ['16 minutes old', { timestamp: String(Number(ts) - 960), token: 'tok', signature: sign(String(Number(ts) - 960), 'tok') }, 'timestamp_stale'],
  ])('refuses %s', (_name, sig, code) => {
    expect(verifyMailgunSignature(key, sig, now)).toMatchObject({ ok: false, code });
  });
  it('accepts a timestamp 14 minutes old', () => {
    const old = String(Number(ts) - 840);
    expect(verifyMailgunSignature(key, { timestamp: old, token: 'tok', signature: sign(old, 'tok') }, now).ok).toBe(true);
  });
  it('tells machine opens from human ones', () => {
    expect(isMachineOpen({ 'client-info': { bot: 'apple', 'client-type': 'email client' } })).toBe(true);
    expect(isMachineOpen({ 'client-info': { 'client-type': 'robot' } })).toBe(true);
    expect(isMachineOpen({ 'client-info': { bot: '', 'client-type': 'browser' } })).toBe(false);
    expect(isMachineOpen({})).toBe(false);
  });
});

describe('sending hygiene', () => {
  it.each(['anna@example.com', 'a.b+tag@sub.example.co.uk', "o'neil@example.ie", 'x@xn--bcher-kva.example'])('%s is a valid address', (a) => {
    expect(isValidAddress(a)).toBe(true);
  });
  it.each(['anna@gmail', 'a b@example.com', 'a@@example.com', '@example.com', 'a@-example.com', 'a..b@example.com', 'a@example.c0m', `${'a'.repeat(65)}@example.com`])(
    '%s is not',
    (a) => expect(isValidAddress(a)).toBe(false),
  );
  it('knows role addresses, with or without a +tag', () => {
    expect(['info@x.com', 'noreply@x.com', 'postmaster@x.com', 'admin+shop@x.com'].every(isRoleAddress)).toBe(true);
    expect(['anna@x.com', 'information@x.com'].some(isRoleAddress)).toBe(false);
  });
  it('maps flows to kinds, preferring a definition\'s own kind', () => {
    expect(kindOf('welcome')).toBe('news');
    expect(kindOf('abandoned_cart')).toBe('reminders');
    expect(kindOf('win_back')).toBe('offers');
    expect(kindOf({ id: 'welcome', kind: 'offers' })).toBe('offers');
    expect(kindOf('order_receipt')).toBeNull();
    expect(cartReminderPurpose({ cartRemindersAs: 'service' })).toBe('service');
  });
});
