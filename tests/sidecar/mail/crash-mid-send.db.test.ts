import type { Row } from '../../../sidecar/src/db/sql';
import { signedHeaders } from '../../../sidecar/src/signing/request-signature';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { startChildSidecar, type ChildSidecar } from '../../support/child-sidecar';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { seedShop } from '../../support/shop';
import { event, grantedConsent, MAILGUN_DOMAIN, TEST_SECRET } from '../../support/sidecar';

// A sidecar process is SIGKILLed at the worst moments of a send, then another one starts on the
// same database. Nothing may be lost and nothing sent twice.
describe('a sidecar killed mid-send', () => {
  let mg: FakeMailgun;
  let db: TestDatabase;
  const running: ChildSidecar[] = [];

  beforeAll(async () => {
    mg = await startFakeMailgun();
    db = await createTestDatabase({ label: 'crash' });
    await seedShop(db.url, db.pool, db.prefix);
  });
  afterAll(async () => {
    for (const c of running) await c.kill().catch(() => undefined);
    await db.drop();
    await mg.close();
  });
  beforeEach(() => mg.reset());

  const env = () => ({
    RETAIN_SHOP_DB_URL: db.url,
    RETAIN_SECRET: TEST_SECRET,
    RETAIN_PUBLIC_URL: 'https://retain.shop.example.test',
    MAILGUN_API_KEY: mg.apiKey,
    MAILGUN_DOMAIN,
    MAILGUN_URL: mg.url,
    RETAIN_POLL_SECONDS: '1',
    RETAIN_CLAIM_TIMEOUT_SECONDS: '2',
    // Real time here: the night must not defer these sends.
    RETAIN_QUIET_HOURS: 'off',
  });
  const start = async () => {
    const c = await startChildSidecar(env());
    running.push(c);
    return c;
  };
  const subscribe = async (sidecar: ChildSidecar, email: string) => {
    const body = JSON.stringify(event('subscriber.created', { email, consent: grantedConsent }, { occurred_at: new Date().toISOString() }));
    const res = await fetch(`${sidecar.url}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...signedHeaders(TEST_SECRET, body, new Date()) }, body });
    expect(res.status).toBe(202);
  };
  const state = async (email: string) => {
    const [rows] = await db.pool.query<Row[]>(
      'SELECT j.status, m.status AS message FROM wp_retain_jobs j JOIN wp_retain_contacts c ON c.id = j.contact_id LEFT JOIN wp_retain_messages m ON m.job_id = j.id WHERE c.email = ? AND j.step = 1',
      [email],
    );
    return rows[0];
  };
  const waitFor = async (what: () => Promise<boolean>, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!(await what())) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('between Mailgun accepting and the status write: the restart records it, no resend', async () => {
    const first = await start();
    const killed = new Promise<void>((resolve) => {
      mg.onMessage = () => {
        mg.onMessage = null;
        void first.kill().then(resolve);
      };
    });
    mg.failNext(1, { kind: 'accept-then-hang' });
    await subscribe(first, 'killed-after@example.com');
    await killed;
    expect(await state('killed-after@example.com')).toEqual({ status: 'running', message: 'sending' });

    await start();
    await waitFor(async () => (await state('killed-after@example.com'))?.status === 'completed');
    expect(await state('killed-after@example.com')).toEqual({ status: 'completed', message: 'submitted' });
    expect(mg.messages.filter((m) => m.field('to') === 'killed-after@example.com')).toHaveLength(1);
    expect(mg.requests).toBe(1);
  });

  it('after the claim, before Mailgun took it: the restart sends it, once', async () => {
    const first = await start();
    const killed = new Promise<void>((resolve) => {
      mg.onMessage = () => {
        mg.onMessage = null;
        void first.kill().then(resolve);
      };
    });
    mg.failNext(1, { kind: 'hang' });
    await subscribe(first, 'killed-before@example.com');
    await killed;
    expect(mg.messages).toHaveLength(0);

    await start();
    await waitFor(async () => (await state('killed-before@example.com'))?.status === 'completed');
    expect(mg.messages.filter((m) => m.field('to') === 'killed-before@example.com')).toHaveLength(1);
  });

  it('drains in-flight work and exits 0 on SIGTERM', async () => {
    const c = await start();
    await subscribe(c, 'graceful@example.com');
    await waitFor(async () => (await state('graceful@example.com'))?.status === 'completed');
    expect(await c.stop()).toBe(0);
    running.splice(running.indexOf(c), 1);
    for (const other of running) await other.kill();
    running.length = 0;
  });
});
