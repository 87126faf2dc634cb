import request from 'supertest';
import type { Row } from '../../../sidecar/src/db/sql';
import type { ClaimMode } from '../../../sidecar/src/schedule/jobs';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { createTestDatabase } from '../../support/db';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

describe.each<ClaimMode>(['skip-locked', 'update'])('two sidecars on one database (claim: %s)', (claimMode) => {
  let mg: FakeMailgun;
  let a: TestSidecar;
  let b: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    const db = await createTestDatabase({ label: `race${claimMode === 'update' ? 'u' : 's'}` });
    a = await startTestSidecar({ mailgun: mg, db, build: { claimMode, workerId: 'a' } });
    b = await startTestSidecar({ mailgun: mg, db, build: { claimMode, workerId: 'b' } });
    b.clock.set(a.clock.now());
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await a.db.drop();
    await mg.close();
  });

  it('never send the same email twice, and between them send every one', async () => {
    const contacts = 150;
    const events = Array.from({ length: contacts }, (_, i) => event('subscriber.created', { email: `racer${i}@example.com`, consent: grantedConsent }));
    // Half the events through each sidecar, both processing and sending at once.
    await Promise.all([
      signed(request(a.app).post('/v1/events'), JSON.stringify({ events: events.slice(0, 75) }), a.clock).expect(202),
      signed(request(b.app).post('/v1/events'), JSON.stringify({ events: events.slice(75) }), b.clock).expect(202),
    ]);
    // Four runs at once, two per sidecar; which of them gets the jobs is the race itself.
    const ran = await Promise.all([a.runner.runDue(), b.runner.runDue(), a.runner.runDue(), b.runner.runDue()]);
    expect(ran.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
    await Promise.all([a.runner.runDue(), b.runner.runDue()]);

    const recipients = mg.messages.map((m) => m.field('to'));
    expect(recipients).toHaveLength(contacts);
    expect(new Set(recipients).size).toBe(contacts);
    const [jobs] = await a.db.pool.query<Row[]>("SELECT status, COUNT(*) AS n, COUNT(DISTINCT locked_by) AS holders FROM wp_retain_jobs WHERE step = 1 GROUP BY status");
    expect(jobs).toEqual([expect.objectContaining({ status: 'completed', n: contacts })]);
    const [byWorker] = await a.db.pool.query<Row[]>('SELECT COUNT(*) AS n FROM wp_retain_messages');
    expect(Number(byWorker[0]!.n)).toBe(contacts);
  });
});
