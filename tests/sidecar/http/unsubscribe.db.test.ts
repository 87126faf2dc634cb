import request from 'supertest';
import type { Row } from '../../../sidecar/src/db/sql';
import { signToken } from '../../../sidecar/src/signing/tokens';
import { event, grantedConsent, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

describe('unsubscribe links', () => {
  let s: TestSidecar;
  let contactId: number;
  beforeAll(async () => {
    s = await startTestSidecar({ label: 'unsub' });
    await signed(request(s.app).post('/v1/events'), JSON.stringify(event('subscriber.created', { email: 'ruth@example.com', consent: grantedConsent })), s.clock).expect(202);
    await s.processEvents();
    const [rows] = await s.db.pool.query<Row[]>("SELECT id FROM wp_retain_contacts WHERE email = 'ruth@example.com'");
    contactId = Number(rows[0]!.id);
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
  });

  const token = (over: Record<string, unknown> = {}) =>
    signToken(TEST_SECRET, { p: 'unsubscribe', c: contactId, m: 1, x: Math.floor(s.clock.now().getTime() / 1000) + 3600, ...over });
  const contact = async () => {
    const [rows] = await s.db.pool.query<Row[]>('SELECT consent_state, unsubscribed_at FROM wp_retain_contacts WHERE id = ?', [contactId]);
    return rows[0]!;
  };

  it('GET shows a confirmation page and changes nothing (link scanners follow GETs)', async () => {
    const res = await request(s.app).get(`/u/${token()}`).expect(200);
    expect(res.text).toContain('ruth@example.com');
    expect(res.text).toContain('<form method="post">');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(await contact()).toMatchObject({ consent_state: 'granted', unsubscribed_at: null });
  });

  it.each([
    ['forged', () => token().replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`), 400],
    ['expired', () => token({ x: Math.floor(s.clock.now().getTime() / 1000) - 1 }), 410],
    ['for another purpose', () => token({ p: 'restore' }), 400],
  ])('a %s token changes nothing', async (_name, make, status) => {
    await request(s.app).get(`/u/${make()}`).expect(status);
    await request(s.app).post(`/u/${make()}`).type('form').send('List-Unsubscribe=One-Click').expect(status);
    expect(await contact()).toMatchObject({ consent_state: 'granted', unsubscribed_at: null });
  });

  it('one-click POST (RFC 8058) unsubscribes at once, without a redirect, and again is a no-op', async () => {
    const t = token();
    const res = await request(s.app).post(`/u/${t}`).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect(res.text).toContain('You are unsubscribed');
    expect(await contact()).toMatchObject({ consent_state: 'revoked' });
    expect((await contact()).unsubscribed_at).not.toBeNull();
    await request(s.app).post(`/u/${t}`).field('List-Unsubscribe', 'One-Click').expect(200); // multipart, as Gmail may send
    const [ledger] = await s.db.pool.query<Row[]>('SELECT state, source FROM wp_retain_consents WHERE contact_id = ? ORDER BY id', [contactId]);
    expect(ledger.map((r) => [r.state, r.source])).toEqual([['granted', 'signup_form'], ['revoked', 'email_link']]);
    const page = await request(s.app).get(`/u/${t}`).expect(200);
    expect(page.text).toContain('You are unsubscribed');
  });
});
