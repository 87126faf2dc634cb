import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { HOUR } from '../../../sidecar/src/clock';
import { emailHash } from '../../../sidecar/src/contacts/contacts';
import type { Row } from '../../../sidecar/src/db/sql';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';
import { eventData, mailgunWebhook, NO_PACING, WEBHOOK_KEY } from '../engagement/mailgun-webhook';

describe('POST /v1/webhooks/mailgun', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'webhooks', env: { MAILGUN_WEBHOOK_SIGNING_KEY: WEBHOOK_KEY, ...NO_PACING } });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const post = (body: unknown) => request(s.app).post('/v1/webhooks/mailgun').set('Content-Type', 'application/json').send(JSON.stringify(body));
  const hook = (data: Record<string, unknown>, opts: Parameters<typeof mailgunWebhook>[1] = {}) => mailgunWebhook(data, { at: s.clock.now(), ...opts });
  const ev = (type: string, email: string, messageId: number | null, extra: Record<string, unknown> = {}) => eventData(type, email, messageId, extra, s.clock.now());
  const one = async (sql: string, args: unknown[] = []) => ((await s.db.pool.query<Row[]>(sql, args))[0][0] ?? null) as Row | null;

  /** Signs a contact up and sends them the welcome email; returns the contact's and the message's ids. */
  async function subscribed(email: string): Promise<{ contactId: number; messageId: number }> {
    await signed(request(s.app).post('/v1/events'), JSON.stringify(event('subscriber.created', { email, consent: grantedConsent })), s.clock).expect(202);
    await s.runner.runDue();
    const row = await one('SELECT m.id, m.contact_id, m.status FROM wp_retain_messages m JOIN wp_retain_contacts c ON c.id = m.contact_id WHERE c.email = ?', [email]);
    expect(row).toMatchObject({ status: 'submitted' });
    return { contactId: Number(row!.contact_id), messageId: Number(row!.id) };
  }
  const suppression = (email: string) => one('SELECT reason, source FROM wp_retain_suppressions WHERE email_hash = ?', [emailHash(email)]);
  const providerEvents = async () => Number((await one('SELECT COUNT(*) AS n FROM wp_retain_provider_events'))!.n);

  it('answers 503 with a clear code while no signing key is configured', async () => {
    const bare = await startTestSidecar({ label: 'webhooks-off' });
    try {
      const res = await request(bare.app).post('/v1/webhooks/mailgun').set('Content-Type', 'application/json').send(JSON.stringify(hook(ev('delivered', 'a@example.com', null)))).expect(503);
      expect(res.body.error.code).toBe('webhooks_not_configured');
    } finally {
      await bare.close();
      await bare.db.drop();
    }
  });

  it('marks a message delivered once, and a redelivery of the same event is a duplicate', async () => {
    const { messageId } = await subscribed('dora@example.com');
    const body = hook(ev('delivered', 'dora@example.com', messageId));
    expect((await post(body).expect(200)).body).toEqual({ status: 'accepted', outcome: 'stored' });
    // Mailgun retries with the same signature when our answer was lost.
    expect((await post(body).expect(200)).body).toEqual({ status: 'duplicate', outcome: 'duplicate' });
    await s.processEvents();
    expect(await one('SELECT status, delivered_at FROM wp_retain_messages WHERE id = ?', [messageId])).toMatchObject({ status: 'delivered', delivered_at: s.clock.now() });
    expect(await one('SELECT outcome, recipient FROM wp_retain_provider_events WHERE message_id = ?', [messageId])).toEqual({ outcome: 'delivered', recipient: null });
  });

  it('finds the message by Mailgun message-id when our variable is missing', async () => {
    const { messageId } = await subscribed('mid@example.com');
    const providerId = String((await one('SELECT provider_id FROM wp_retain_messages WHERE id = ?', [messageId]))!.provider_id);
    await post(hook(ev('delivered', 'mid@example.com', null, { message: { headers: { 'message-id': providerId } } }))).expect(200, { status: 'accepted', outcome: 'stored' });
    await s.processEvents();
    expect(await one('SELECT status FROM wp_retain_messages WHERE id = ?', [messageId])).toEqual({ status: 'delivered' });
  });

  it.each([
    ['a forged signature', () => hook(ev('delivered', 'x@example.com', null), { key: 'not-the-key' }), 'signature_invalid'],
    ['no signature', () => ({ 'event-data': ev('delivered', 'x@example.com', null) }), 'signature_invalid'],
    ['a stale timestamp', () => hook(ev('delivered', 'x@example.com', null), { at: new Date(s.clock.now().getTime() - 20 * 60_000) }), 'timestamp_stale'],
    ['a timestamp from the future', () => hook(ev('delivered', 'x@example.com', null), { at: new Date(s.clock.now().getTime() + 20 * 60_000) }), 'timestamp_stale'],
  ])('refuses %s with 401 and stores nothing', async (_name, make, code) => {
    const before = await providerEvents();
    expect((await post(make()).expect(401)).body.error.code).toBe(code);
    expect(await providerEvents()).toBe(before);
  });

  it('refuses a replayed token for another event with 401', async () => {
    const first = hook(ev('delivered', 'x@example.com', null));
    await post(first).expect(200);
    const token = (first.signature as { token: string }).token;
    const replay = hook(ev('complained', 'x@example.com', null), { token });
    expect((await post(replay).expect(401)).body.error.code).toBe('token_replayed');
    await s.processEvents();
    expect(await suppression('x@example.com')).toBeNull();
  });

  it('answers 406 to a signed payload it will never accept, and 400 to a body that is not JSON', async () => {
    const before = await providerEvents();
    expect((await post(hook({ event: 'delivered' })).expect(406)).body.error.code).toBe('event_invalid');
    expect((await post(hook({ ...ev('failed', 'x@example.com', null), recipient: undefined })).expect(406)).body.error.code).toBe('event_invalid');
    expect((await request(s.app).post('/v1/webhooks/mailgun').set('Content-Type', 'application/json').send('{nope').expect(400)).body.error.code).toBe('malformed_json');
    expect(await providerEvents()).toBe(before);
  });

  it('records an event about a message we do not know with 200, so Mailgun stops retrying', async () => {
    const res = await post(hook(ev('delivered', 'stranger@example.com', 999_999))).expect(200);
    expect(res.body).toEqual({ status: 'accepted', outcome: 'unknown_message' });
    await s.processEvents();
    expect(await one("SELECT outcome FROM wp_retain_provider_events WHERE outcome LIKE 'delivered%' ORDER BY id DESC LIMIT 1")).toEqual({ outcome: 'delivered_unknown_message' });
  });

  it('keeps human and machine opens apart, and clicks, on the message and the contact', async () => {
    const { contactId, messageId } = await subscribed('opal@example.com');
    await post(hook(ev('opened', 'opal@example.com', messageId, { 'client-info': { 'client-type': 'email client', bot: 'apple' } }))).expect(200);
    await s.processEvents();
    let contact = await one('SELECT last_open_at, last_machine_open_at, last_click_at FROM wp_retain_contacts WHERE id = ?', [contactId]);
    expect(contact).toEqual({ last_open_at: null, last_machine_open_at: s.clock.now(), last_click_at: null });
    s.clock.advance(HOUR);
    await post(hook(ev('opened', 'opal@example.com', messageId, { 'client-info': { 'client-type': 'browser', bot: '' } }))).expect(200);
    await post(hook(ev('clicked', 'opal@example.com', messageId, { url: 'https://shop.example.test/p/1' }))).expect(200);
    await s.processEvents();
    contact = await one('SELECT last_open_at, last_click_at FROM wp_retain_contacts WHERE id = ?', [contactId]);
    expect(contact).toEqual({ last_open_at: s.clock.now(), last_click_at: s.clock.now() });
    const message = await one('SELECT opened_at, machine_opened_at, clicked_at FROM wp_retain_messages WHERE id = ?', [messageId]);
    expect(message!.opened_at).toEqual(s.clock.now());
    expect(message!.machine_opened_at).toEqual(new Date(s.clock.now().getTime() - HOUR));
    expect((await one('SELECT machine FROM wp_retain_provider_events WHERE message_id = ? AND event = ? ORDER BY id LIMIT 1', [messageId, 'opened']))!.machine).toBe(1);
  });

  it('suppresses at once on a permanent failure, with a timeline entry, and the gate then skips the address', async () => {
    const { contactId, messageId } = await subscribed('hard@example.com');
    await post(hook(ev('failed', 'hard@example.com', messageId, { severity: 'permanent', reason: 'bounce' }))).expect(200);
    await s.processEvents();
    expect(await suppression('hard@example.com')).toEqual({ reason: 'bounced', source: 'mailgun' });
    expect(await one('SELECT bounced_at FROM wp_retain_messages WHERE id = ?', [messageId])).toEqual({ bounced_at: s.clock.now() });
    const timeline = (await s.db.pool.query<Row[]>('SELECT kind, detail FROM wp_retain_timeline WHERE contact_id = ? ORDER BY id', [contactId]))[0];
    expect(timeline.at(-1)).toMatchObject({ kind: 'suppressed' });
    expect(JSON.parse(timeline.at(-1)!.detail)).toMatchObject({ reason: 'bounced', source: 'mailgun', message_id: messageId });
    // Email 2 of the welcome series is skipped, not sent.
    const sentTo = () => mg.messages.filter((m) => m.field('to') === 'hard@example.com').length;
    expect(sentTo()).toBe(1);
    s.clock.advance(3 * 24 * HOUR + 1000);
    await s.runner.runDue();
    expect(sentTo()).toBe(1);
    const last = (await s.db.pool.query<Row[]>("SELECT detail FROM wp_retain_timeline WHERE contact_id = ? AND kind = 'skipped' ORDER BY id DESC LIMIT 1", [contactId]))[0][0]!;
    expect(JSON.parse(last.detail)).toEqual({ reason: 'suppressed_bounced' });
  });

  it('suppresses a complaint at once and records the revocation in the consent ledger', async () => {
    const { contactId, messageId } = await subscribed('spam@example.com');
    await post(hook(ev('complained', 'spam@example.com', messageId))).expect(200);
    await s.processEvents();
    expect(await suppression('spam@example.com')).toEqual({ reason: 'complained', source: 'mailgun' });
    expect(await one('SELECT consent_state FROM wp_retain_contacts WHERE id = ?', [contactId])).toEqual({ consent_state: 'revoked' });
    const ledger = (await s.db.pool.query<Row[]>('SELECT state, source FROM wp_retain_consents WHERE contact_id = ? ORDER BY id', [contactId]))[0];
    expect(ledger.map((r) => [r.state, r.source])).toEqual([['granted', 'signup_form'], ['revoked', 'mailgun']]);
  });

  it('unsubscribes on an unsubscribed event (consent revoked, source mailgun) without suppressing', async () => {
    const { contactId, messageId } = await subscribed('bye@example.com');
    await post(hook(ev('unsubscribed', 'bye@example.com', messageId))).expect(200);
    await post(hook(ev('unsubscribed', 'bye@example.com', messageId))).expect(200);
    await s.processEvents();
    const contact = await one('SELECT consent_state, unsubscribed_at FROM wp_retain_contacts WHERE id = ?', [contactId]);
    expect(contact).toEqual({ consent_state: 'revoked', unsubscribed_at: s.clock.now() });
    expect(await suppression('bye@example.com')).toBeNull();
    const outcomes = (await s.db.pool.query<Row[]>("SELECT outcome FROM wp_retain_provider_events WHERE message_id = ? AND event = 'unsubscribed' ORDER BY id", [messageId]))[0];
    expect(outcomes.map((r) => r.outcome)).toEqual(['unsubscribed', 'unsubscribed_already_unsubscribed']);
  });

  it('does not suppress on temporary failures, unless they repeat for the same address within 72 hours', async () => {
    const { messageId } = await subscribed('soft@example.com');
    const fail = () => post(hook(ev('failed', 'soft@example.com', messageId, { severity: 'temporary', reason: 'generic' }))).expect(200);
    await fail();
    s.clock.advance(40 * HOUR);
    await fail();
    await s.processEvents();
    expect(await suppression('soft@example.com')).toBeNull();
    // The first failure is now more than 72 hours old: two in the window are not enough.
    s.clock.advance(40 * HOUR);
    await fail();
    await s.processEvents();
    expect(await suppression('soft@example.com')).toBeNull();
    s.clock.advance(HOUR);
    await fail();
    await s.processEvents();
    expect(await suppression('soft@example.com')).toEqual({ reason: 'soft_bounced', source: 'mailgun' });
  });

  it('does not count temporary failures from before a delivery', async () => {
    const { messageId } = await subscribed('flaky@example.com');
    const send = (type: string, extra: Record<string, unknown> = {}) => post(hook(ev(type, 'flaky@example.com', messageId, extra))).expect(200);
    await send('failed', { severity: 'temporary' });
    await send('failed', { severity: 'temporary' });
    s.clock.advance(HOUR);
    await send('delivered');
    s.clock.advance(HOUR);
    await send('failed', { severity: 'temporary' });
    await s.processEvents();
    expect(await suppression('flaky@example.com')).toBeNull();
  });

  it('answers a concurrent mix of new events, redeliveries and replayed tokens each exactly', async () => {
    const earlier = Array.from({ length: 20 }, () => hook(ev('delivered', 'mix@example.com', null)));
    for (const body of earlier) await post(body).expect(200);
    const before = await providerEvents();
    const tokenOf = (body: Record<string, unknown>) => (body.signature as { token: string }).token;
    // Stored together, so batches hold new rows beside rows the unique keys refuse.
    const cases: Array<[string, Record<string, unknown>]> = [
      ...Array.from({ length: 40 }, (): [string, Record<string, unknown>] => ['new', hook(ev('opened', 'mix@example.com', null))]),
      ...earlier.slice(0, 8).map((body): [string, Record<string, unknown>] => ['redelivered', body]),
      ...earlier.slice(8, 14).map((body): [string, Record<string, unknown>] => ['redelivered', hook(body['event-data'] as Record<string, unknown>)]),
      ...earlier.slice(14).map((body): [string, Record<string, unknown>] => ['replayed', hook(ev('complained', 'mix@example.com', null), { token: tokenOf(body) })]),
    ];
    const mixed = cases.map((c, i) => cases[(i * 7) % cases.length]!);
    expect(new Set(mixed).size).toBe(cases.length);
    const answers = await Promise.all(mixed.map(([, body]) => post(body)));
    answers.forEach((res, i) => {
      const kind = mixed[i]![0];
      if (kind === 'new') expect([res.status, res.body]).toEqual([200, { status: 'accepted', outcome: 'unknown_message' }]);
      else if (kind === 'redelivered') expect([res.status, res.body]).toEqual([200, { status: 'duplicate', outcome: 'duplicate' }]);
      else expect([res.status, res.body.error.code]).toEqual([401, 'token_replayed']);
    });
    expect(await providerEvents()).toBe(before + 40);
  });

  it('takes a gzip-encoded webhook through the general route, and refuses a body over 1 MB with 413', async () => {
    const body = hook(ev('delivered', 'zipped@example.com', null));
    // Not the fast path's plain case: body-parser inflates it, as before.
    const res = await request(s.app).post('/v1/webhooks/mailgun').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip')
      .serialize((bytes: unknown) => bytes as string).send(gzipSync(JSON.stringify(body))).expect(200);
    expect(res.body).toEqual({ status: 'accepted', outcome: 'unknown_message' });
    expect((await post(body).expect(200)).body).toEqual({ status: 'duplicate', outcome: 'duplicate' });
    const before = await providerEvents();
    const huge = hook(ev('delivered', 'huge@example.com', null, { padding: 'x'.repeat(1024 * 1024) }));
    expect((await post(huge).expect(413)).body.error.code).toBe('body_too_large');
    expect(await providerEvents()).toBe(before);
  });

  it('accepts a burst of concurrent events without losing one', async () => {
    const { messageId } = await subscribed('burst@example.com');
    const bodies = Array.from({ length: 300 }, (_v, i) => hook(ev(i % 2 ? 'opened' : 'clicked', 'burst@example.com', messageId)));
    const results = await Promise.all(bodies.map((b) => post(b)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(Number((await one('SELECT COUNT(*) AS n FROM wp_retain_provider_events WHERE message_id = ?', [messageId]))!.n)).toBe(300);
    await s.processEvents();
    expect(Number((await one('SELECT COUNT(*) AS n FROM wp_retain_provider_events WHERE processed_at IS NULL'))!.n)).toBe(0);
  });
});
