import { ManualClock } from '../../../sidecar/src/clock';
import { createContactStore, emailHash, type Contact } from '../../../sidecar/src/contacts/contacts';
import type { FlowDefinition } from '../../../sidecar/src/flows/definitions';
import { defaultFlows } from '../../../sidecar/src/flows/definitions';
import type { Enrollment } from '../../../sidecar/src/flows/flows';
import { coreChecks, createSendGate } from '../../../sidecar/src/flows/gate';
import type { Job } from '../../../sidecar/src/schedule/jobs';
import { createTestDatabase, type TestDatabase } from '../../support/db';

// The sends a claim starts together read the suppression list with one query; each must still get
// the answer for its own address.
describe('the send gate reading the suppression list for many sends at once', () => {
  let db: TestDatabase;
  let suppressionReads = 0;
  beforeAll(async () => {
    db = await createTestDatabase({ label: 'gate_supp' });
    const query = db.pool.query.bind(db.pool);
    db.pool.query = ((sql: string, ...rest: unknown[]) => {
      if (/^\s*SELECT[\s\S]*retain_suppressions/.test(String(sql))) suppressionReads++;
      return (query as (...a: unknown[]) => unknown)(sql, ...rest);
    }) as typeof db.pool.query;
  });
  afterAll(() => db.drop());

  const welcome = defaultFlows.find((f) => f.id === 'welcome')! as FlowDefinition;
  const at = new Date('2026-11-22T10:00:00Z');
  const contact = (id: number, email: string): Contact => ({
    id, email, customerId: null, firstName: null, lastName: null, locale: null, country: null, birthday: null,
    consentState: 'granted', unsubscribedAt: null, unengagedAt: null, pausedUntil: null, kindsOff: null, createdAt: at,
  });
  const enrollment = (id: number, contactId: number): Enrollment => ({ id, key: `welcome:${contactId}`, flow: 'welcome', flowVersion: 1, contactId, subject: null, status: 'active', startedAt: at, holdout: null });
  const job = (id: number, contactId: number): Job => ({
    id, key: `k${id}`, kind: 'send', contactId, enrollmentId: id, flow: 'welcome', step: 1, payload: {}, runAt: at, status: 'running', attempts: 1, maxAttempts: 8, lockedBy: 't', lockedAt: at,
  });

  it('skips the suppressed address and lets the others through, with one read for the turn', async () => {
    await db.pool.query('INSERT INTO wp_retain_suppressions (email_hash, reason, source, created_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)', [
      emailHash('Bounced@Example.com'), 'bounced', 'webhook', at, emailHash('complained@example.com'), 'complained', 'webhook', at,
    ]);
    const gate = createSendGate(coreChecks(createContactStore('wp_', new ManualClock('2026-11-22T00:00:00Z'))));
    const emails = ['ok1@example.com', 'bounced@example.com', 'ok2@example.com', 'Complained@example.com'];
    suppressionReads = 0;
    const decisions = await Promise.all(
      emails.map((email, i) => gate({ db: db.pool, job: job(i + 1, i + 1), now: at, flow: welcome, enrollment: enrollment(i + 1, i + 1), contact: contact(i + 1, email) })),
    );
    expect(decisions).toEqual([
      { send: true },
      { send: false, reason: 'suppressed_bounced', exit: true },
      { send: true },
      { send: false, reason: 'suppressed_complained', exit: true },
    ]);
    expect(suppressionReads).toBe(1);

    // A later send reads the list afresh: an address suppressed meanwhile is caught.
    await db.pool.query('INSERT INTO wp_retain_suppressions (email_hash, reason, source, created_at) VALUES (?, ?, ?, ?)', [emailHash('ok1@example.com'), 'unsubscribed', 'webhook', at]);
    expect(await gate({ db: db.pool, job: job(9, 1), now: at, flow: welcome, enrollment: enrollment(9, 1), contact: contact(1, 'ok1@example.com') })).toEqual({ send: false, reason: 'suppressed_unsubscribed', exit: true });
    expect(suppressionReads).toBe(2);
  });
});
