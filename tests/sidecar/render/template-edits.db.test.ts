import request from 'supertest';
import { buildSidecar, type Sidecar } from '../../../sidecar/src/deps';
import { createLogger } from '../../../sidecar/src/logger';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { event, grantedConsent, signed, startTestSidecar, testConfig, type TestSidecar } from '../../support/sidecar';

const WELCOME_1 = '/v1/admin/templates/welcome/1';

describe("store admins' edited templates", () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'template_edits' });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const call = (method: 'get' | 'put' | 'delete' | 'post', path: string, body: unknown = '') =>
    signed(request(s.app)[method](path), typeof body === 'string' ? body : JSON.stringify(body), s.clock);
  const withSubject = (source: string, subject: string) => source.replace(/^subject: .*$/m, `subject: "${subject}"`);

  it('lists every flow step and serves the shipped file until an edit is saved', async () => {
    const list = (await call('get', '/v1/admin/templates').expect(200)).body.templates as Array<Record<string, unknown>>;
    expect(list).toContainEqual({ flow: 'welcome', step: 1, template: 'flows/welcome/1', overridden: false, updated_at: null });
    expect(list.find((t) => t.flow === 'abandoned_cart' && t.step === 3)).toBeDefined();
    const one = (await call('get', WELCOME_1).expect(200)).body;
    expect(one.overridden).toBe(false);
    expect(one.source).toBe(one.default_source);
    expect(one.source).toMatch(/^---\nsubject: /);
  });

  it('refuses a broken edit with each problem at its line and column, and saves nothing', async () => {
    const { default_source: original } = (await call('get', WELCOME_1).expect(200)).body as { default_source: string };
    const lines = original.split('\n');
    const bodyStart = lines.indexOf('---', 1) + 1;
    // A tag Liquid does not know, two lines into the body.
    lines.splice(bodyStart + 2, 0, '<p>{% frobnicate %}</p>');
    const res = await call('put', WELCOME_1, { source: lines.join('\n') }).expect(422);
    expect(res.body.error.code).toBe('template_invalid');
    const problems = res.body.error.details.problems as Array<{ kind: string; line: number | null; column: number | null }>;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.kind).toBe('syntax');
    expect(problems[0]).toMatchObject({ line: bodyStart + 3, column: 4 });

    const unknown = original.replace('{% block content %}', '{% block content %}<p>{{ customer.shoe_size }}</p>');
    const res2 = await call('put', WELCOME_1, { source: unknown }).expect(422);
    expect(res2.body.error.details.problems).toContainEqual(expect.objectContaining({ kind: 'unknown_variable', message: 'unknown variable "customer.shoe_size"' }));
    expect((await call('get', WELCOME_1).expect(200)).body.overridden).toBe(false);
  });

  it('refuses bad requests with stable codes', async () => {
    await request(s.app).put(WELCOME_1).send({ source: 'x' }).expect(401);
    expect((await call('put', WELCOME_1, '{"source": ').expect(400)).body.error.code).toBe('malformed_json');
    expect((await call('put', WELCOME_1, { source: '' }).expect(400)).body.error.code).toBe('request_invalid');
    expect((await call('put', WELCOME_1, { source: 'x', extra: 1 }).expect(400)).body.error.code).toBe('request_invalid');
    expect((await call('get', '/v1/admin/templates/welcome/9').expect(404)).body.error.code).toBe('template_not_found');
    expect((await call('get', '/v1/admin/templates/Welcome!/1').expect(400)).body.error.code).toBe('request_invalid');
    expect((await call('put', WELCOME_1, { source: 'x'.repeat(300 * 1024) }).expect(413)).body.error.code).toBe('body_too_large');
  });

  it('previews an unsaved edit, then sends the saved one, then the shipped one again once restored', async () => {
    const { source } = (await call('get', WELCOME_1).expect(200)).body as { source: string };
    const edited = withSubject(source, "{{ customer.first_name }}, you're in at {{ shop.name }}");

    const preview = (await call('post', '/v1/admin/templates/preview', { flow: 'welcome', step: 1, source: edited }).expect(200)).body;
    expect(preview.subject).toBe("Dana, you're in at Brew & Leaf Co.");
    const broken = (await call('post', '/v1/admin/templates/preview', { flow: 'welcome', step: 1, source: edited.replace('{% endblock %}', '') }).expect(422)).body;
    expect(broken.error.code).toBe('template_invalid');
    expect((await call('get', WELCOME_1).expect(200)).body.overridden).toBe(false);

    const saved = (await call('put', WELCOME_1, { source: edited }).expect(200)).body;
    expect(saved).toMatchObject({ overridden: true, source: edited, updated_at: s.clock.now().toISOString() });

    await call('post', '/v1/events', { events: [event('subscriber.created', { email: 'mira@example.com', first_name: 'Mira', consent: grantedConsent })] }).expect(202);
    await s.runner.runDue();
    expect(mg.messages.filter((m) => m.field('to') === 'mira@example.com').map((m) => m.field('subject'))).toEqual(["Mira, you're in at Brew & Leaf Co."]);

    const restored = (await call('delete', WELCOME_1).expect(200)).body;
    expect(restored).toMatchObject({ overridden: false, updated_at: null });
    expect(restored.source).toBe(restored.default_source);
    await call('post', '/v1/events', { events: [event('subscriber.created', { email: 'yael@example.com', first_name: 'Yael', consent: grantedConsent })] }).expect(202);
    await s.runner.runDue();
    expect(mg.messages.filter((m) => m.field('to') === 'yael@example.com').map((m) => m.field('subject'))).toEqual(['Welcome to Brew & Leaf Co., Yael']);
  });

  it('reaches a second sidecar on the same database at its next tick, and leaves it on restore', async () => {
    let other: Sidecar | null = null;
    try {
      const config = testConfig(s.db, {}, mg);
      other = await buildSidecar(config, createLogger(config.logLevel), { clock: s.clock });
      const otherGet = () => signed(request(other!.app).get(WELCOME_1), '', s.clock).expect(200);
      const { source } = (await call('get', WELCOME_1).expect(200)).body as { source: string };
      s.clock.advance(1000);
      await call('put', WELCOME_1, { source: withSubject(source, 'Hello from the other replica') }).expect(200);
      expect((await otherGet()).body.overridden).toBe(false);
      await other.runner.runDue();
      expect((await otherGet()).body).toMatchObject({ overridden: true });
      expect((await otherGet()).body.source).toContain('Hello from the other replica');

      await call('delete', WELCOME_1).expect(200);
      await other.runner.runDue();
      expect((await otherGet()).body.overridden).toBe(false);
    } finally {
      await other?.close();
    }
  });
});
