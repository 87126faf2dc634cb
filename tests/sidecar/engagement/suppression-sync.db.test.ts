import request from 'supertest';
import { emailHash } from '../../../sidecar/src/contacts/contacts';
import type { Row } from '../../../sidecar/src/db/sql';
import { SuppressionSyncError, type SuppressionSync } from '../../../sidecar/src/engagement/suppression-sync';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';
import { NO_PACING } from './mailgun-webhook';

// `npx retain suppressions sync` against MariaDB and the fake Mailgun, through the real mailgun.js.
describe('suppression sync with Mailgun', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  let sync: SuppressionSync;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'supsync', env: NO_PACING });
    sync = s.suppressionSync!;
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const rows = async (sql: string, args: unknown[] = []) => (await s.db.pool.query<Row[]>(sql, args))[0];
  const count = async (table: string) => Number((await rows(`SELECT COUNT(*) AS n FROM wp_${table}`))[0]!.n);
  const suppression = async (email: string) => (await rows('SELECT reason, source FROM wp_retain_suppressions WHERE email_hash = ?', [emailHash(email)]))[0] ?? null;
  const ledger = async (email: string) =>
    (await rows('SELECT k.state, k.source, k.event_id FROM wp_retain_consents k JOIN wp_retain_contacts c ON c.id = k.contact_id WHERE c.email = ? ORDER BY k.id', [email])).map((r) => `${r.state}:${r.source}`);
  const subscribe = async (...emails: string[]) => {
    const events = emails.map((email) => event('subscriber.created', { email, consent: grantedConsent }));
    await signed(request(s.app).post('/v1/events'), JSON.stringify({ events }), s.clock).expect(202);
    await s.processEvents();
  };
  const at = (iso: string) => new Date(iso).toUTCString().replace('GMT', 'UTC');

  it('pulls every list over several pages, revokes consent, and pushes what Mailgun lacks; a dry run first changes nothing', async () => {
    // Contacts subscribe at the test clock's 10:00 UTC on 2026-11-22.
    await subscribe('carol@example.com', 'dave@example.com', 'erin@example.com', 'hal@example.com', 'frank@example.com', 'gina@example.com');
    // Ours: two suppressions Mailgun lacks, and one erased contact's hash-only suppression.
    const ins = 'INSERT INTO wp_retain_suppressions (email_hash, reason, source, created_at) VALUES (?, ?, ?, ?)';
    await s.db.pool.query(ins, [emailHash('frank@example.com'), 'bounced', 'mailgun', new Date('2026-11-20T08:00:00Z')]);
    await s.db.pool.query(ins, [emailHash('gina@example.com'), 'complained', 'mailgun', new Date('2026-11-20T08:00:00Z')]);
    await s.db.pool.query(ins, [emailHash('gone@example.com'), 'erased', 'privacy_request', new Date('2026-11-20T08:00:00Z')]);

    // Theirs: 2,500 bounces (three full pages of 1000 and the empty one after), as Mailgun sends them.
    for (let i = 0; i < 2500; i++) mg.suppressions.bounces.push({ address: `b${String(i).padStart(4, '0')}@bounce.example`, code: '550', error: 'No such mailbox', created_at: at('2026-11-01T00:00:00Z') });
    mg.suppressions.complaints.push({ address: 'Carol@Example.com', created_at: at('2026-11-22T11:00:00Z') });
    mg.suppressions.unsubscribes.push(
      { address: 'dave@example.com', tags: ['*'], created_at: at('2026-11-22T11:00:00Z') },
      // Only one tag: Mailgun still delivers the rest, so consent goes but no suppression.
      { address: 'erin@example.com', tags: ['newsletter'], created_at: at('2026-11-22T11:00:00Z') },
      // Recorded before hal's newer sign-up: the later decision stands.
      { address: 'hal@example.com', tags: ['*'], created_at: at('2026-11-22T09:00:00Z') },
    );
    const suppressionsBefore = await count('retain_suppressions');
    const consentsBefore = await count('retain_consents');

    const dry = await sync.run({ dryRun: true });
    expect(await count('retain_suppressions')).toBe(suppressionsBefore);
    expect(await count('retain_consents')).toBe(consentsBefore);
    expect(mg.suppressions.bounces).toHaveLength(2500);

    const requestsBefore = mg.suppressionRequests;
    const summary = await sync.run();
    // bounces: 4 GETs (1000, 1000, 500, empty); complaints 2; unsubscribes 2; then 2 batch creates.
    expect(mg.suppressionRequests - requestsBefore).toBe(10);
    const expected = {
      pulled: { bounces: 2500, complaints: 1, unsubscribes: 3 },
      newSuppressions: 2500 + 1 + 2, // carol, dave and hal (an all-mail unsubscribe); not erin
      consentRevoked: 3, // carol, dave, erin; not hal
      pushed: { bounces: 1, complaints: 1, unsubscribes: 0 },
      skippedHashOnly: 1,
    };
    expect(summary).toEqual({ dryRun: false, ...expected });
    expect(dry).toEqual({ dryRun: true, ...expected });

    expect(await count('retain_suppressions')).toBe(suppressionsBefore + 2503);
    expect(await suppression('b1234@bounce.example')).toEqual({ reason: 'bounced', source: 'mailgun_sync' });
    expect(await suppression('carol@example.com')).toEqual({ reason: 'complained', source: 'mailgun_sync' });
    expect(await suppression('dave@example.com')).toEqual({ reason: 'unsubscribed', source: 'mailgun_sync' });
    expect(await suppression('erin@example.com')).toBeNull();
    expect(await ledger('carol@example.com')).toEqual(['granted:signup_form', 'revoked:import']);
    expect(await ledger('erin@example.com')).toEqual(['granted:signup_form', 'revoked:import']);
    expect(await ledger('hal@example.com')).toEqual(['granted:signup_form']);
    const [carol] = await rows("SELECT consent_state, unsubscribed_at FROM wp_retain_contacts WHERE email = 'carol@example.com'");
    expect(carol).toMatchObject({ consent_state: 'revoked', unsubscribed_at: new Date('2026-11-22T11:00:00Z') });

    // Pushed in Mailgun's shapes, each to the matching list.
    expect(mg.suppressions.bounces.find((b) => b.address === 'frank@example.com')).toMatchObject({ code: '550' });
    expect(mg.suppressions.complaints.map((c) => c.address)).toContain('gina@example.com');
    expect(mg.suppressions.bounces.some((b) => String(b.address).startsWith('gone'))).toBe(false);
  });

  it('is idempotent: a second run changes nothing here and pushes nothing', async () => {
    const before = { suppressions: await count('retain_suppressions'), consents: await count('retain_consents'), timeline: await count('retain_timeline') };
    const summary = await sync.run();
    expect(summary).toMatchObject({ newSuppressions: 0, consentRevoked: 0, pushed: { bounces: 0, complaints: 0, unsubscribes: 0 }, skippedHashOnly: 1 });
    expect(summary.pulled).toEqual({ bounces: 2501, complaints: 2, unsubscribes: 3 });
    expect({ suppressions: await count('retain_suppressions'), consents: await count('retain_consents'), timeline: await count('retain_timeline') }).toEqual(before);
  });

  it('a 5xx mid-paging leaves nothing applied, and the re-run completes', async () => {
    mg.suppressions.bounces.push({ address: 'late@bounce.example', code: 550, error: '', created_at: at('2026-11-21T00:00:00Z') });
    mg.suppressions.complaints.push({ address: 'zed@example.com', created_at: at('2026-11-21T00:00:00Z') });
    const before = await count('retain_suppressions');
    mg.failSuppressions(2, 1, { kind: 'status', status: 503 }); // the second page of bounces
    const err = await sync.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SuppressionSyncError);
    expect(err).toMatchObject({ code: 'mailgun_unavailable', message: expect.stringContaining('bounces (page 2)') });
    expect(await count('retain_suppressions')).toBe(before);

    const summary = await sync.run();
    expect(summary.newSuppressions).toBe(2);
    expect(await suppression('late@bounce.example')).toEqual({ reason: 'bounced', source: 'mailgun_sync' });
  });

  it('rejects an entry of an unknown shape clearly, naming where it is, and changes nothing', async () => {
    const before = { suppressions: await count('retain_suppressions'), posts: mg.suppressions.bounces.length };
    mg.suppressions.complaints.push({ address: 'new@example.com', created_at: at('2026-11-21T00:00:00Z') }, { email: 'zz@example.com', created_at: at('2026-11-21T00:00:00Z') });
    await expect(sync.run()).rejects.toMatchObject({ code: 'mailgun_entry_invalid', message: expect.stringMatching(/^complaints page 1 item \d+: "address" is missing or not an e-mail address; nothing was changed$/) });
    mg.suppressions.complaints.pop();
    mg.suppressions.unsubscribes.push({ address: 'when@example.com', tags: ['*'], created_at: 'not a date' });
    await expect(sync.run()).rejects.toMatchObject({ code: 'mailgun_entry_invalid', message: expect.stringContaining('"created_at" is not a date') });
    mg.suppressions.unsubscribes.pop();
    expect(await count('retain_suppressions')).toBe(before.suppressions);
    expect(mg.suppressions.bounces.length).toBe(before.posts);
    expect((await sync.run()).newSuppressions).toBe(1);
  });
});
