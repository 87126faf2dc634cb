import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { DAY, MINUTE } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, MAILGUN_DOMAIN, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

describe('the welcome series, end to end', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'welcome' });
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });
  beforeEach(() => mg.reset());

  const send = (...events: unknown[]) => signed(request(s.app).post('/v1/events'), JSON.stringify({ events }), s.clock).expect(202);
  const to = (email: string) => mg.messages.filter((m) => m.field('to') === email);
  const jobsFor = async (email: string) => {
    const [rows] = await s.db.pool.query<Row[]>(
      'SELECT j.step, j.status, j.reason FROM wp_retain_jobs j JOIN wp_retain_contacts c ON c.id = j.contact_id WHERE c.email = ? ORDER BY j.step',
      [email],
    );
    return rows.map((r) => ({ step: r.step, status: r.status, reason: r.reason }));
  };

  it('sends email 1 at once and email 2 three days later, through mailgun.js', async () => {
    await send(event('subscriber.created', { email: 'dana@example.com', first_name: 'Dana', consent: grantedConsent }));
    await s.runner.runDue();

    const [first] = to('dana@example.com');
    expect(first).toBeDefined();
    expect(first!.domain).toBe(MAILGUN_DOMAIN);
    expect(first!.field('subject')).toBe('Welcome to Brew & Leaf Co., Dana');
    expect(first!.fields['o:tag']).toEqual(['flow-welcome', 'welcome-step-1']);
    expect(first!.field('v:retain_message_id')).toMatch(/^\d+$/);
    expect(first!.field('h:List-Unsubscribe')).toMatch(/^<https:\/\/retain\.shop\.example\.test\/u\/[\w-]+\.[\w-]+>, <mailto:unsubscribe@mg\.shop\.example\.test\?subject=unsubscribe>$/);
    expect(first!.field('h:List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const html = first!.field('html')!;
    expect(html).toContain('Brew &amp; Leaf Co.');
    expect(html).toContain('Kastanienallee 12, 10435 Berlin, DE');
    expect(html).toMatch(/href="https:\/\/retain\.shop\.example\.test\/u\//);
    expect(html).toContain('style="'); // CSS inlined for mail clients
    expect(first!.field('text')).toContain('Welcome, Dana!');
    expect(first!.field('text')).toContain('Unsubscribe');

    s.clock.advance(3 * DAY - MINUTE);
    await s.runner.runDue();
    expect(to('dana@example.com')).toHaveLength(1);

    s.clock.advance(MINUTE);
    await s.runner.runDue();
    const all = to('dana@example.com');
    expect(all).toHaveLength(2);
    expect(all[1]!.field('subject')).toBe('Getting the most out of Brew & Leaf Co.');
    expect(await jobsFor('dana@example.com')).toEqual([
      { step: 1, status: 'completed', reason: null },
      { step: 2, status: 'completed', reason: null },
    ]);
    const [enr] = await s.db.pool.query<Row[]>("SELECT e.status FROM wp_retain_enrollments e JOIN wp_retain_contacts c ON c.id = e.contact_id WHERE c.email = 'dana@example.com'");
    expect(enr[0]!.status).toBe('completed');
  });

  it('sends no email 2 to a contact who unsubscribed in between, and says why', async () => {
    await send(event('customer.created', { customer_id: 41, email: 'eli@example.com', marketing_consent: { ...grantedConsent, source: 'checkout' } }));
    await s.runner.runDue();
    const [first] = to('eli@example.com');
    const link = /<(https:[^>]+)>/.exec(first!.field('h:List-Unsubscribe')!)![1]!;
    const unsubscribePath = new URL(link).pathname;
    await request(s.app).post(unsubscribePath).type('form').send('List-Unsubscribe=One-Click').expect(200);

    s.clock.advance(3 * DAY);
    await s.runner.runDue();
    expect(to('eli@example.com')).toHaveLength(1);
    expect(await jobsFor('eli@example.com')).toEqual([
      { step: 1, status: 'completed', reason: null },
      { step: 2, status: 'skipped', reason: 'unsubscribed' },
    ]);
    const [timeline] = await s.db.pool.query<Row[]>("SELECT t.kind, t.detail FROM wp_retain_timeline t JOIN wp_retain_contacts c ON c.id = t.contact_id WHERE c.email = 'eli@example.com' ORDER BY t.at, t.id");
    expect(timeline.map((t) => t.kind)).toEqual(['event', 'enrolled', 'submitted', 'unsubscribed', 'skipped', 'exited']);
    expect(JSON.parse(timeline[4]!.detail)).toEqual({ reason: 'unsubscribed' });
    expect(JSON.parse(timeline[5]!.detail)).toEqual({ reason: 'unsubscribed' });
  });

  it('does not enroll a customer who gave no marketing consent', async () => {
    await send(event('customer.created', { customer_id: 42, email: 'quiet@example.com' }));
    await s.runner.runDue();
    expect(to('quiet@example.com')).toHaveLength(0);
    expect(await jobsFor('quiet@example.com')).toEqual([]);
  });

  it('enrolls a contact once, even when they sign up again and register later', async () => {
    await send(event('subscriber.created', { email: 'once@example.com', consent: grantedConsent }));
    await send(event('subscriber.created', { email: 'once@example.com', consent: grantedConsent }));
    await send(event('customer.created', { customer_id: 43, email: 'once@example.com', marketing_consent: grantedConsent }));
    await s.runner.runDue();
    expect(to('once@example.com')).toHaveLength(1);
  });
});

describe('the welcome series with delays from RETAIN_FLOWS_FILE', () => {
  let s: TestSidecar;
  afterAll(async () => {
    await s.close();
    await s.db.drop();
  });

  it('uses the configured delays and discount code', async () => {
    const file = path.join(tmpdir(), `flows-${process.pid}.yaml`);
    writeFileSync(file, 'flows:\n  welcome:\n    steps:\n      - delay: 10m\n      - delay: 1d\n    settings:\n      discount_code: WELCOME10\n      discount_text: 10% off\n');
    s = await startTestSidecar({ label: 'welcomefile', env: { RETAIN_FLOWS_FILE: file } });
    await signed(request(s.app).post('/v1/events'), JSON.stringify(event('subscriber.created', { email: 'fin@example.com', consent: grantedConsent })), s.clock).expect(202);
    expect(await s.runner.runDue()).toBe(0);
    s.clock.advance(10 * MINUTE);
    expect(await s.runner.runDue()).toBe(1);
    s.clock.advance(DAY - 10 * MINUTE);
    expect(await s.runner.runDue()).toBe(1);
    const [messages] = await s.db.pool.query<Row[]>('SELECT step, status, transport FROM wp_retain_messages ORDER BY step');
    expect(messages.map((m) => [m.step, m.status, m.transport])).toEqual([[1, 'submitted', 'outbox'], [2, 'submitted', 'outbox']]);
    const outbox = await request(s.app).get('/outbox').expect(200);
    expect(outbox.text).toContain('Welcome to Brew &amp; Leaf Co.');
    const id = /href="\/outbox\/(\d+)"/.exec(outbox.text)![1];
    const body = await request(s.app).get(`/outbox/${id}`).expect(200);
    expect(body.text).toContain('WELCOME10');
  });
});
