import request from 'supertest';
import type { Row } from '../../../sidecar/src/db/sql';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

describe('when Mailgun fails', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'mgfail' });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });
  beforeEach(() => mg.reset());

  const subscribe = (email: string) =>
    signed(request(s.app).post('/v1/events'), JSON.stringify(event('subscriber.created', { email, consent: grantedConsent })), s.clock).expect(202);
  const job = async (email: string) => {
    const [rows] = await s.db.pool.query<Row[]>(
      'SELECT j.status, j.attempts, j.run_at, j.last_error, m.status AS message, m.provider_id FROM wp_retain_jobs j JOIN wp_retain_contacts c ON c.id = j.contact_id LEFT JOIN wp_retain_messages m ON m.job_id = j.id WHERE c.email = ? AND j.step = 1',
      [email],
    );
    return rows[0]!;
  };
  /** Moves the clock to the job's retry time and runs it. */
  const runRetry = async (email: string) => {
    s.clock.set((await job(email)).run_at);
    await s.runner.runDue();
  };

  it('retries a 429 with back-off, then sends once', async () => {
    mg.failNext(1, { kind: 'status', status: 429, body: { message: 'rate limited' } });
    await subscribe('rate@example.com');
    await s.runner.runDue();
    const after429 = await job('rate@example.com');
    expect(after429).toMatchObject({ status: 'pending', attempts: 1, message: 'failed', last_error: 'Mailgun rate limit (429)' });
    expect(after429.run_at.getTime()).toBeGreaterThan(s.clock.now().getTime());
    await runRetry('rate@example.com');
    expect(await job('rate@example.com')).toMatchObject({ status: 'completed', attempts: 2, message: 'submitted' });
    expect(mg.messages.filter((m) => m.field('to') === 'rate@example.com')).toHaveLength(1);
  });

  it('retries 5xx and a dropped connection', async () => {
    mg.failNext(1, { kind: 'status', status: 503 });
    mg.failNext(1, { kind: 'drop' });
    await subscribe('flaky@example.com');
    await s.runner.runDue();
    expect(await job('flaky@example.com')).toMatchObject({ status: 'pending', last_error: 'Mailgun 503' });
    await runRetry('flaky@example.com');
    expect(await job('flaky@example.com')).toMatchObject({ status: 'pending', attempts: 2 });
    await runRetry('flaky@example.com');
    expect(await job('flaky@example.com')).toMatchObject({ status: 'completed', attempts: 3, message: 'submitted' });
    expect(mg.messages.filter((m) => m.field('to') === 'flaky@example.com')).toHaveLength(1);
  });

  it('fails a 400 at once with the reason, and does not retry', async () => {
    mg.failNext(1, { kind: 'status', status: 400, body: { message: "'from' parameter is not a valid address" } });
    await subscribe('bad@example.com');
    await s.runner.runDue();
    const j = await job('bad@example.com');
    expect(j).toMatchObject({ status: 'failed', attempts: 1, message: 'failed' });
    expect(j.last_error).toContain("'from' parameter is not a valid address");
    s.clock.advance(24 * 3600_000);
    await s.runner.runDue();
    expect(mg.requests).toBe(1);
  });

  it('after a timeout, asks Mailgun before sending again: an accepted message is not resent', async () => {
    mg.failNext(1, { kind: 'accept-then-hang' });
    await subscribe('slow@example.com');
    await s.runner.runDue();
    expect(await job('slow@example.com')).toMatchObject({ status: 'pending', message: 'sending' });
    await runRetry('slow@example.com');
    const j = await job('slow@example.com');
    expect(j).toMatchObject({ status: 'completed', message: 'submitted' });
    expect(j.provider_id).toBe(mg.messages[0]!.id.replace(/^<|>$/g, ''));
    expect(mg.messages.filter((m) => m.field('to') === 'slow@example.com')).toHaveLength(1);
    expect(mg.requests).toBe(1);
  });

  it('after a timeout where Mailgun took nothing, sends again', async () => {
    mg.failNext(1, { kind: 'hang' });
    await subscribe('lost@example.com');
    await s.runner.runDue();
    expect(await job('lost@example.com')).toMatchObject({ status: 'pending', message: 'sending' });
    await runRetry('lost@example.com');
    expect(await job('lost@example.com')).toMatchObject({ status: 'completed', message: 'submitted' });
    expect(mg.messages.filter((m) => m.field('to') === 'lost@example.com')).toHaveLength(1);
  });

  it('gives up after the attempt limit and keeps the last error', async () => {
    mg.failNext(8, { kind: 'status', status: 500 });
    await subscribe('down@example.com');
    await s.runner.runDue();
    for (let i = 0; i < 7; i++) await runRetry('down@example.com');
    const j = await job('down@example.com');
    expect(j).toMatchObject({ status: 'failed', attempts: 8 });
    expect(j.last_error).toContain('gave up after 8 attempts: Mailgun 500');
    expect(mg.messages).toHaveLength(0);
  });
});
