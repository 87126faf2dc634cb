import request from 'supertest';
import { DAY } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { signToken } from '../../../sidecar/src/signing/tokens';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';
import { NO_PACING } from '../engagement/mailgun-webhook';

describe('the preference centre, the consent-changes feed and the hygiene checks', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'prefs', env: NO_PACING });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const one = async (sql: string, args: unknown[] = []) => ((await s.db.pool.query<Row[]>(sql, args))[0][0] ?? null) as Row | null;
  const sentTo = (email: string) => mg.messages.filter((m) => m.field('to') === email).length;
  async function subscribe(email: string): Promise<number> {
    await signed(request(s.app).post('/v1/events'), JSON.stringify(event('subscriber.created', { email, consent: grantedConsent })), s.clock).expect(202);
    await s.runner.runDue();
    return Number((await one('SELECT id FROM wp_retain_contacts WHERE email = ?', [email]))!.id);
  }
  const token = (contactId: number, over: Record<string, unknown> = {}) =>
    signToken(TEST_SECRET, { p: 'preferences', c: contactId, x: Math.floor(s.clock.now().getTime() / 1000) + 3600, ...over });
  const change = (contactId: number, body: unknown) => request(s.app).post(`/p/${token(contactId)}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
  const lastSkip = async (contactId: number) => {
    const row = await one("SELECT detail FROM wp_retain_timeline WHERE contact_id = ? AND kind = 'skipped' ORDER BY id DESC LIMIT 1", [contactId]);
    return row ? JSON.parse(row.detail).reason : null;
  };
  /** Moves past the welcome series' second step and runs it. */
  const runEmailTwo = async () => {
    s.clock.advance(3 * DAY + 1000);
    await s.runner.runDue();
  };

  it('shows the page for a good link and refuses bad ones, changing nothing', async () => {
    const id = await subscribe('pia@example.com');
    const page = await request(s.app).get(`/p/${token(id)}`).expect(200);
    expect(page.text).toContain('pia@example.com');
    expect(page.text).toContain('value="offers" checked');
    await request(s.app).get(`/p/${token(id, { p: 'unsubscribe' })}`).expect(400);
    await request(s.app).get(`/p/${token(id, { x: 1 })}`).expect(410);
    expect((await change(id, { action: 'shout' }).expect(422)).body.error.code).toBe('preferences_invalid');
    expect((await change(id, { action: 'kinds', kinds: ['spam'] }).expect(422)).body.error.code).toBe('preferences_invalid');
    const forged = await request(s.app).post(`/p/${token(id).slice(0, -2)}xx`).set('Content-Type', 'application/json').send('{"action":"unsubscribe"}').expect(400);
    expect(forged.body.error.code).toBe('token_invalid');
    expect(await one('SELECT consent_state, paused_until, kinds_off FROM wp_retain_contacts WHERE id = ?', [id])).toEqual({ consent_state: 'granted', paused_until: null, kinds_off: null });
  });

  it('a pause is honoured by the gate: email 2 is skipped with the reason', async () => {
    const id = await subscribe('paula@example.com');
    const res = await change(id, { action: 'pause' }).expect(200);
    expect(res.body).toMatchObject({ changed: true, preferences: { subscribed: true, pausedUntil: new Date(s.clock.now().getTime() + 30 * DAY).toISOString() } });
    await runEmailTwo();
    expect(sentTo('paula@example.com')).toBe(1);
    expect(await lastSkip(id)).toBe('paused');
  });

  it('kinds are honoured by the gate: with news off, the welcome series (news) stops', async () => {
    const id = await subscribe('kim@example.com');
    // A form posts one `kinds` per ticked box.
    await request(s.app).post(`/p/${token(id)}`).type('form').send('action=kinds&kinds=offers&kinds=reminders').expect(200);
    expect(await one('SELECT kinds_off FROM wp_retain_contacts WHERE id = ?', [id])).toEqual({ kinds_off: 'news' });
    await runEmailTwo();
    expect(sentTo('kim@example.com')).toBe(1);
    expect(await lastSkip(id)).toBe('kind_off_news');
  });

  it('keeps the consent history through opt-in, opt-out and re-opt-in, and the plugin can follow it', async () => {
    const id = await subscribe('olga@example.com');
    const feed = (after: number) => signed(request(s.app).get(`/v1/admin/consent-changes?after=${after}`), '', s.clock);
    await request(s.app).get('/v1/admin/consent-changes').expect(401);
    expect((await feed(-1).expect(400)).body.error.code).toBe('cursor_invalid');
    const start = (await feed(0).expect(200)).body.next as number;

    await change(id, { action: 'unsubscribe' }).expect(200);
    expect((await change(id, { action: 'unsubscribe' }).expect(200)).body.changed).toBe(false);
    await change(id, { action: 'subscribe' }).expect(200);
    await change(id, { action: 'kinds', kinds: ['news'] }).expect(200);

    const ledger = (await s.db.pool.query<Row[]>('SELECT purpose, state, source FROM wp_retain_consents WHERE contact_id = ? ORDER BY id', [id]))[0];
    expect(ledger.map((r) => [r.purpose, r.state, r.source])).toEqual([
      ['marketing', 'granted', 'signup_form'],
      ['marketing', 'revoked', 'preference_centre'],
      ['marketing', 'granted', 'preference_centre'],
      ['kind:offers', 'revoked', 'preference_centre'],
      ['kind:reminders', 'revoked', 'preference_centre'],
    ]);
    expect(await one('SELECT consent_state, unsubscribed_at FROM wp_retain_contacts WHERE id = ?', [id])).toEqual({ consent_state: 'granted', unsubscribed_at: null });

    const body = (await feed(start).expect(200)).body;
    expect(body.changes.map((c: Record<string, unknown>) => [c.email, c.purpose, c.state])).toEqual([
      ['olga@example.com', 'marketing', 'revoked'],
      ['olga@example.com', 'marketing', 'granted'],
      ['olga@example.com', 'kind:offers', 'revoked'],
      ['olga@example.com', 'kind:reminders', 'revoked'],
    ]);
    expect((await feed(body.next).expect(200)).body).toEqual({ changes: [], next: body.next });
  });

  it('skips role addresses for marketing email, with the reason on the timeline', async () => {
    const id = await subscribe('info@example.com');
    expect(sentTo('info@example.com')).toBe(0);
    expect(await lastSkip(id)).toBe('role_address');
  });

  it('sends to role addresses when RETAIN_SKIP_ROLE_ADDRESSES=false', async () => {
    const other = await startTestSidecar({ mailgun: mg, label: 'prefs-roles', env: { RETAIN_SKIP_ROLE_ADDRESSES: 'false', ...NO_PACING } });
    try {
      await signed(request(other.app).post('/v1/events'), JSON.stringify(event('subscriber.created', { email: 'sales@example.org', consent: grantedConsent })), other.clock).expect(202);
      await other.runner.runDue();
      expect(sentTo('sales@example.org')).toBe(1);
    } finally {
      await other.close();
      await other.db.drop();
    }
  });
});
