import request from 'supertest';
import { DAY } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { assignVariant, isHeldOut } from '../../../sidecar/src/flows/experiments';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

// The engine's side of experiments: a holdout decided once at enrollment, an A/B variant fixed per
// contact, both on the timeline; held-out contacts go through the schedule and are never mailed.
describe('experiments in the engine: holdouts and A/B variants', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  const people = Array.from({ length: 30 }, (_, i) => `x${i + 1}@example.com`);

  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'experiments', env: { RETAIN_FREQUENCY_CAP: 'off', RETAIN_QUIET_HOURS: 'off' } });
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const put = (id: string, body: unknown) => signed(request(s.app).put(`/v1/admin/flows/${id}`), JSON.stringify(body), s.clock);
  const welcomeTest = {
    holdout_percent: 30,
    steps: [{ delay: '0', variants: [{ id: 'a', weight: 1 }, { id: 'b', template: 'flows/welcome/2', weight: 1 }] }, { delay: '3d' }],
  };

  it('takes a holdout and an A/B split through PUT /v1/admin/flows, and refuses a variant without a template', async () => {
    const bad = await put('welcome', { steps: [{ delay: '0', variants: [{ id: 'a' }, { id: 'b', template: 'flows/welcome/nope' }] }] }).expect(422);
    expect(bad.body.error.code).toBe('flow_invalid');
    expect((await put('welcome', { holdout_percent: 80 }).expect(422)).body.error.code).toBe('flow_invalid');
    expect((await put('welcome', { steps: [{ delay: '0', variants: [{ id: 'a' }, { id: 'a' }] }] }).expect(422)).body.error.code).toBe('flow_invalid');
    const res = await put('welcome', welcomeTest).expect(200);
    expect(res.body.flow).toMatchObject({ holdout_percent: 30, steps: [{ step: 1, variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 1, template: 'flows/welcome/2' }] }, { step: 2 }] });
  });

  it('holds out a share of contacts at enrollment, and mails the others the variant they were given', async () => {
    await signed(request(s.app).post('/v1/events'), JSON.stringify({ events: people.map((email) => event('subscriber.created', { email, consent: grantedConsent })) }), s.clock).expect(202);
    await s.runner.runDue();

    const [rows] = await s.db.pool.query<Row[]>(
      `SELECT c.id, c.email, e.holdout, j.status, j.reason, j.payload FROM wp_retain_contacts c
         JOIN wp_retain_enrollments e ON e.contact_id = c.id AND e.flow = 'welcome'
         JOIN wp_retain_jobs j ON j.enrollment_id = e.id AND j.step = 1 ORDER BY c.id`,
    );
    expect(rows).toHaveLength(30);
    const flow = s.flows().find((f) => f.id === 'welcome')!;
    const held = rows.filter((r) => r.holdout === 1);
    const mailed = rows.filter((r) => r.holdout === 0);
    // Both groups are there (30 contacts at 30 %), and the group is the contact's, by the hash.
    expect(held.length).toBeGreaterThan(0);
    expect(mailed.length).toBeGreaterThan(0);
    for (const r of rows) expect(isHeldOut(flow, Number(r.id))).toBe(r.holdout === 1);

    for (const r of held) {
      expect(r).toMatchObject({ status: 'skipped', reason: 'holdout' });
      expect(JSON.parse(r.payload).variant).toBeUndefined();
      expect(mg.messages.filter((m) => m.field('to') === r.email)).toHaveLength(0);
      const [timeline] = await s.db.pool.query<Row[]>('SELECT kind, detail FROM wp_retain_timeline WHERE contact_id = ? ORDER BY id', [r.id]);
      expect(timeline.map((t) => t.kind)).toEqual(['event', 'enrolled', 'held_out', 'skipped']);
      expect(JSON.parse(timeline[2]!.detail)).toEqual({ note: 'control group of welcome, 30%', percent: 30 });
      expect(JSON.parse(timeline[3]!.detail)).toEqual({ reason: 'holdout' });
    }
    const seen = new Set<string>();
    for (const r of mailed) {
      const variant = JSON.parse(r.payload).variant as string;
      seen.add(variant);
      expect(variant).toBe(assignVariant('welcome', 1, flow.steps[0]!, Number(r.id))!.id);
      const mail = mg.messages.filter((m) => m.field('to') === r.email);
      expect(mail).toHaveLength(1);
      expect(mail[0]!.field('subject')).toMatch(variant === 'a' ? /^Welcome to Brew & Leaf Co\./ : /^Getting the most out of Brew & Leaf Co\./);
      const [timeline] = await s.db.pool.query<Row[]>("SELECT kind, step, detail FROM wp_retain_timeline WHERE contact_id = ? AND kind = 'variant'", [r.id]);
      expect(timeline).toEqual([{ kind: 'variant', step: 1, detail: JSON.stringify({ variant, experiment: 'a,b' }) }]);
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('takes held-out contacts through every step on schedule, sending nothing, and reports both experiments', async () => {
    s.clock.advance(3 * DAY);
    await s.runner.runDue();
    const [rows] = await s.db.pool.query<Row[]>(
      `SELECT e.holdout, e.status AS enrollment, j.status, j.reason FROM wp_retain_enrollments e
         JOIN wp_retain_jobs j ON j.enrollment_id = e.id AND j.step = 2 WHERE e.flow = 'welcome'`,
    );
    expect(rows).toHaveLength(30);
    for (const r of rows) {
      expect(r.enrollment).toBe('completed');
      expect({ status: r.status, reason: r.reason }).toEqual(r.holdout === 1 ? { status: 'skipped', reason: 'holdout' } : { status: 'completed', reason: null });
    }
    const mailed = rows.filter((r) => r.holdout === 0).length;
    expect(mg.messages).toHaveLength(2 * mailed);

    const report = await s.reports.build({ from: { year: 2026, month: 11, day: 20 }, to: { year: 2026, month: 11, day: 30 } });
    const ab = report.experiments.find((e) => e.kind === 'ab')!;
    expect(ab).toMatchObject({ flow: 'welcome', step: 1, experiment: 'a,b', verdict: null });
    expect(ab.groups.reduce((n, g) => n + g.contacts, 0)).toBe(mailed);
    const holdout = report.experiments.find((e) => e.kind === 'holdout')!;
    expect(holdout.groups.map((g) => [g.id, g.contacts])).toEqual([['mailed', mailed], ['held_out', 30 - mailed]]);
    expect(holdout.verdict).toBeNull();
  });

  it('keeps a contact in the same variant when a split is re-weighted, and reshuffles only under a new experiment name', async () => {
    const flow = s.flows().find((f) => f.id === 'welcome')!;
    const step = flow.steps[0]!;
    const reweighted = { ...step, variants: [{ id: 'a', weight: 0 }, { id: 'b', weight: 1 }] };
    const renamed = { ...step, experiment: 'second' };
    let moved = 0;
    for (let id = 1; id <= 200; id++) {
      const before = assignVariant('welcome', 1, step, id)!.id;
      expect(assignVariant('welcome', 1, step, id)!.id).toBe(before);
      expect(assignVariant('welcome', 1, reweighted, id)!.id).toBe('b');
      if (assignVariant('welcome', 1, renamed, id)!.id !== before) moved++;
    }
    expect(moved).toBeGreaterThan(50);
  });
  it('tests a subject line alone: the variant sends the same body under its own subject, and a broken subject is refused', async () => {
    const bad = await put('welcome', { holdout_percent: 0, steps: [{ delay: '0', variants: [{ id: 'a' }, { id: 'b', subject: '{{ customer.first_name' }] }, { delay: '3d' }] }).expect(422);
    expect(bad.body.error).toMatchObject({ code: 'flow_invalid', details: [expect.objectContaining({ path: 'steps.0.variants.b.subject' })] });
    await put('welcome', {
      holdout_percent: 0,
      steps: [{ delay: '0', experiment: 'subject', variants: [{ id: 'plain' }, { id: 'named', subject: '{{ customer.first_name }}, your welcome gift is inside' }] }, { delay: '3d' }],
    }).expect(200);
    const subjects = Array.from({ length: 12 }, (_, i) => `s${i + 1}@example.com`);
    await signed(request(s.app).post('/v1/events'), JSON.stringify({ events: subjects.map((email, i) => event('subscriber.created', { email, first_name: `Sam${i + 1}`, consent: grantedConsent })) }), s.clock).expect(202);
    await s.runner.runDue();
    const [rows] = await s.db.pool.query<Row[]>(
      `SELECT c.email, c.first_name, j.payload FROM wp_retain_contacts c JOIN wp_retain_jobs j ON j.contact_id = c.id AND j.flow = 'welcome' AND j.step = 1 WHERE c.email IN (?)`,
      [subjects],
    );
    const seen = new Set<string>();
    for (const r of rows) {
      const variant = JSON.parse(r.payload).variant as string;
      seen.add(variant);
      const [mail] = mg.messages.filter((m) => m.field('to') === r.email);
      expect(mail!.field('subject')).toBe(variant === 'named' ? `${r.first_name}, your welcome gift is inside` : `Welcome to Brew & Leaf Co., ${r.first_name}`);
      expect(mail!.field('text')).toContain(`Welcome, ${r.first_name}!`);
    }
    expect([...seen].sort()).toEqual(['named', 'plain']);
  });
});
