import request from 'supertest';
import { DAY } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';
import { mailgunSignature, NO_PACING, WEBHOOK_KEY } from '../engagement/mailgun-webhook';

// The mailto: half of List-Unsubscribe: a Mailgun route forwards mail sent to unsubscribe@<domain>
// to POST /v1/webhooks/mailgun/inbound as a form, signed like webhooks.
describe('unsubscribing by email (List-Unsubscribe mailto)', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'inbound', env: { MAILGUN_WEBHOOK_SIGNING_KEY: WEBHOOK_KEY, ...NO_PACING } });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const form = (fields: Record<string, string>, opts: { key?: string; at?: Date; token?: string } = {}) => ({
    recipient: 'unsubscribe@mg.shop.example.test', subject: 'unsubscribe', 'body-plain': '',
    ...mailgunSignature({ at: s.clock.now(), ...opts }), ...fields,
  });
  const postForm = (fields: Record<string, string>) => request(s.app).post('/v1/webhooks/mailgun/inbound').type('form').send(fields);
  const consent = async (email: string) =>
    ((await s.db.pool.query<Row[]>('SELECT consent_state, unsubscribed_at FROM wp_retain_contacts WHERE email = ?', [email]))[0][0] ?? null) as Row | null;
  const signUp = async (email: string) => {
    await signed(request(s.app).post('/v1/events'), JSON.stringify(event('subscriber.created', { email, consent: grantedConsent })), s.clock).expect(202);
    await s.runner.runDue();
  };

  it('unsubscribes the address the email came from, once, and no marketing email follows', async () => {
    await signUp('noa@example.com');
    const mail = form({ from: 'Noa Levi <Noa@Example.com>', sender: 'bounces+x@mailer.example.net' });
    expect((await postForm(mail).expect(200)).body).toMatchObject({ status: 'accepted' });
    expect((await postForm(mail).expect(200)).body).toEqual({ status: 'duplicate', outcome: 'duplicate' });
    await s.runner.runDue();
    expect(await consent('noa@example.com')).toMatchObject({ consent_state: 'revoked' });
    const [ledger] = await s.db.pool.query<Row[]>(
      "SELECT k.source, k.state FROM wp_retain_consents k JOIN wp_retain_contacts c ON c.id = k.contact_id WHERE c.email = 'noa@example.com' ORDER BY k.id",
    );
    expect(ledger.map((r) => `${r.state}:${r.source}`)).toEqual(['granted:signup_form', 'revoked:mailto']);

    const sent = mg.messages.filter((m) => m.field('to') === 'noa@example.com').length;
    s.clock.advance(3 * DAY);
    await s.runner.runDue();
    expect(mg.messages.filter((m) => m.field('to') === 'noa@example.com')).toHaveLength(sent);
  });

  it('reads a multipart form (an email with an attachment) and falls back to the envelope sender', async () => {
    await signUp('dana@example.com');
    const fields = form({ from: 'not an address', sender: 'dana@example.com' });
    let req = request(s.app).post('/v1/webhooks/mailgun/inbound');
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    await req.attach('attachment-1', Buffer.from('hello'), 'note.txt').expect(200);
    await s.runner.runDue();
    expect(await consent('dana@example.com')).toMatchObject({ consent_state: 'revoked' });
  });

  it('refuses forged, stale and replayed forms, and mail to any other address, changing nothing', async () => {
    await signUp('mira@example.com');
    const codes = async (fields: Record<string, string>, status: number) => (await postForm(fields).expect(status)).body.error.code as string;
    expect(await codes(form({ from: 'mira@example.com' }, { key: 'not-the-key' }), 401)).toBe('signature_invalid');
    expect(await codes(form({ from: 'mira@example.com' }, { at: new Date(s.clock.now().getTime() - DAY) }), 401)).toBe('timestamp_stale');
    expect(await codes({ from: 'mira@example.com' }, 401)).toBe('signature_invalid');
    expect(await codes(form({ from: 'mira@example.com', recipient: 'orders@mg.shop.example.test' }), 406)).toBe('inbound_not_unsubscribe');
    expect(await codes(form({ from: 'nobody', sender: '' }), 406)).toBe('event_invalid');
    // The event is named by its token: a replay with other content is the same event, stored once.
    const used = form({ from: 'someone@example.com' });
    await postForm(used).expect(200);
    expect((await postForm({ ...used, from: 'mira@example.com' }).expect(200)).body).toMatchObject({ status: 'duplicate' });
    await s.runner.runDue();
    expect(await consent('mira@example.com')).toMatchObject({ consent_state: 'granted' });
  });
});
