import { ManualClock, MINUTE } from '../../../sidecar/src/clock';
import { backoffMs, createJobStore, type ClaimMode } from '../../../sidecar/src/schedule/jobs';
import { createTestDatabase, type TestDatabase } from '../../support/db';

describe.each<ClaimMode>(['skip-locked', 'update'])('the job table (claim: %s)', (mode) => {
  let db: TestDatabase;
  const clock = new ManualClock('2026-11-22T10:00:00Z');
  beforeAll(async () => {
    db = await createTestDatabase({ label: 'jobs' });
  });
  afterAll(() => db.drop());

  it('enqueues a key once: the second enqueue is a no-op', async () => {
    const jobs = createJobStore(db.pool, db.prefix, clock, mode);
    const job = { key: `dup:${mode}`, kind: 'send', runAt: clock.now(), payload: { n: 1 } };
    expect(await jobs.enqueue(db.pool, job)).toBe(true);
    expect(await jobs.enqueue(db.pool, { ...job, payload: { n: 2 } })).toBe(false);
    expect((await jobs.byKey(`dup:${mode}`))!.payload).toEqual({ n: 1 });
  });

  it('claims only due jobs, and only the claimer can finish one', async () => {
    const jobs = createJobStore(db.pool, db.prefix, clock, mode);
    await jobs.enqueue(db.pool, { key: `later:${mode}`, kind: 'x', runAt: new Date(clock.now().getTime() + MINUTE) });
    const claimed = await jobs.claim('w1', 100);
    expect(claimed.map((j) => j.key)).not.toContain(`later:${mode}`);
    const mine = claimed.find((j) => j.key === `dup:${mode}`)!;
    expect(mine.status).toBe('running');
    expect(await jobs.finish({ ...mine, lockedBy: 'someone-else' }, 'completed', null)).toBe(false);
    expect(await jobs.finish(mine, 'completed', null)).toBe(true);
    expect(await jobs.finish(mine, 'completed', null)).toBe(false);
  });

  it('frees a stale claim so another runner takes the job, and the old claimer can no longer finish it', async () => {
    const jobs = createJobStore(db.pool, db.prefix, clock, mode);
    await jobs.enqueue(db.pool, { key: `stale:${mode}`, kind: 'x', runAt: clock.now() });
    const [first] = (await jobs.claim('crashed', 10)).filter((j) => j.key === `stale:${mode}`);
    expect(first).toBeDefined();
    expect(await jobs.releaseStale(10 * MINUTE)).toBe(0);
    clock.advance(11 * MINUTE);
    expect(await jobs.releaseStale(10 * MINUTE)).toBeGreaterThanOrEqual(1);
    const [again] = (await jobs.claim('healthy', 10)).filter((j) => j.key === `stale:${mode}`);
    expect(again!.attempts).toBe(2);
    expect(await jobs.finish(first!, 'completed', null)).toBe(false);
    expect(await jobs.finish(again!, 'completed', null)).toBe(true);
  });

  it('retries later with back-off, off the due list until then', async () => {
    const jobs = createJobStore(db.pool, db.prefix, clock, mode);
    await jobs.enqueue(db.pool, { key: `retry:${mode}`, kind: 'x', runAt: clock.now() });
    const [job] = (await jobs.claim('w', 10)).filter((j) => j.key === `retry:${mode}`);
    await jobs.retryLater(job!, new Date(clock.now().getTime() + 30_000), 'Mailgun 503');
    expect((await jobs.claim('w', 10)).map((j) => j.key)).not.toContain(`retry:${mode}`);
    clock.advance(30_000);
    expect((await jobs.claim('w', 10)).map((j) => j.key)).toContain(`retry:${mode}`);
  });
});

describe('backoffMs', () => {
  it('doubles from 5 s with jitter in the upper half, capped at an hour', () => {
    expect(backoffMs(1, () => 0)).toBe(2500);
    expect(backoffMs(1, () => 1)).toBe(5000);
    expect(backoffMs(3, () => 1)).toBe(20000);
    expect(backoffMs(30, () => 1)).toBe(3_600_000);
  });
});
