import request from 'supertest';
import type { Row } from '../../../sidecar/src/db/sql';
import { signRequest } from '../../../sidecar/src/signing/request-signature';
import { event, grantedConsent, signed, startTestSidecar, TEST_SECRET, type TestSidecar } from '../../support/sidecar';

describe('POST /v1/events', () => {
  let s: TestSidecar;
  beforeAll(async () => {
    s = await startTestSidecar({ label: 'intake' });
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
  });

  const countEvents = async () => {
    const [rows] = await s.db.pool.query<Row[]>('SELECT COUNT(*) AS n FROM wp_retain_events');
    return Number(rows[0]!.n);
  };
  const post = (body: string) => signed(request(s.app).post('/v1/events'), body, s.clock);

  it('stores a signed batch and answers 202 only after it is stored', async () => {
    const batch = { events: [event('subscriber.created', { email: 'Dana@Example.com', consent: grantedConsent }), event('product.viewed', { product_id: 12, email: 'dana@example.com' })] };
    const res = await post(JSON.stringify(batch)).expect(202);
    expect(res.body).toEqual({ accepted: 2, duplicates: 0 });
    const [rows] = await s.db.pool.query<Row[]>('SELECT event_id, type, data FROM wp_retain_events WHERE event_id IN (?)', [batch.events.map((e) => e.id)]);
    expect(rows).toHaveLength(2);
    // Stored normalised: the address is lower-cased at the edge.
    expect(JSON.parse(rows.find((r) => r.type === 'subscriber.created')!.data).email).toBe('dana@example.com');
  });

  it('accepts a single event object as well as a batch', async () => {
    const res = await post(JSON.stringify(event('search.performed', { query: 'oolong', customer_id: 7 }))).expect(202);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('stores the same event id once and acts on it once', async () => {
    const e = event('subscriber.created', { email: 'twice@example.com', consent: grantedConsent });
    await post(JSON.stringify({ events: [e] })).expect(202);
    const again = await post(JSON.stringify({ events: [e, e] })).expect(202);
    expect(again.body).toEqual({ accepted: 2, duplicates: 2 });
    await s.processEvents();
    const [enrollments] = await s.db.pool.query<Row[]>(
      "SELECT e.id FROM wp_retain_enrollments e JOIN wp_retain_contacts c ON c.id = e.contact_id WHERE c.email = 'twice@example.com'",
    );
    expect(enrollments).toHaveLength(1);
    const [consents] = await s.db.pool.query<Row[]>("SELECT k.id FROM wp_retain_consents k JOIN wp_retain_contacts c ON c.id = k.contact_id WHERE c.email = 'twice@example.com'");
    expect(consents).toHaveLength(1);
  });

  it('stores concurrent requests once each, and counts duplicates right when they share a write', async () => {
    const stored = event('product.viewed', { product_id: 7, email: 'race@example.com' });
    await post(JSON.stringify(stored)).expect(202);
    const fresh = Array.from({ length: 30 }, (_, i) => event('product.viewed', { product_id: 100 + i, email: 'race@example.com' }));
    // 30 new events, each sent twice, plus 10 resends of the stored one: 70 requests at once.
    const bodies = [...fresh, ...fresh, ...Array(10).fill(stored)].map((e) => JSON.stringify(e));
    const answers = await Promise.all(bodies.map((b) => post(b).expect(202)));
    const duplicates = answers.reduce((n, r) => n + r.body.duplicates, 0);
    expect(duplicates).toBe(40);
    const [rows] = await s.db.pool.query<Row[]>('SELECT COUNT(*) AS n FROM wp_retain_events WHERE event_id IN (?)', [[stored.id, ...fresh.map((e) => e.id)]]);
    expect(Number(rows[0]!.n)).toBe(31);
  });

  describe('refuses bad input with a stable code and stores nothing', () => {
    const good = JSON.stringify({ events: [event('product.viewed', { product_id: 1, email: 'a@example.com' })] });

    it.each([
      ['no signature', (t: request.Test) => t.set('Content-Type', 'application/json').send(good), 401, 'signature_missing'],
      [
        'a forged signature',
        (t: request.Test) => t.set('Content-Type', 'application/json').set('X-Retain-Timestamp', String(Math.floor(s.clock.now().getTime() / 1000))).set('X-Retain-Signature', signRequest('another-secret-0123456789abcdef0123', Math.floor(s.clock.now().getTime() / 1000), good)).send(good),
        401,
        'signature_invalid',
      ],
      [
        'a signature over other bytes',
        (t: request.Test) => {
          const ts = Math.floor(s.clock.now().getTime() / 1000);
          return t.set('Content-Type', 'application/json').set('X-Retain-Timestamp', String(ts)).set('X-Retain-Signature', signRequest(TEST_SECRET, ts, good)).send(good.replace('a@example', 'b@example'));
        },
        401,
        'signature_invalid',
      ],
      [
        'a stale timestamp',
        (t: request.Test) => {
          const ts = Math.floor(s.clock.now().getTime() / 1000) - 301;
          return t.set('Content-Type', 'application/json').set('X-Retain-Timestamp', String(ts)).set('X-Retain-Signature', signRequest(TEST_SECRET, ts, good)).send(good);
        },
        401,
        'timestamp_stale',
      ],
      ['malformed JSON', (t: request.Test) => signed(t, '{"events": [', s.clock), 400, 'malformed_json'],
      ['a JSON array', (t: request.Test) => signed(t, '[]', s.clock), 400, 'invalid_body'],
      ['an empty batch', (t: request.Test) => signed(t, '{"events": []}', s.clock), 400, 'invalid_body'],
      ['a body over 1 MB', (t: request.Test) => signed(t, JSON.stringify({ events: [event('search.performed', { query: 'x', email: 'a@example.com', pad: 'x'.repeat(1_100_000) })] }), s.clock), 413, 'body_too_large'],
      ['501 events', (t: request.Test) => signed(t, JSON.stringify({ events: Array.from({ length: 501 }, () => event('product.viewed', { product_id: 1, customer_id: 1 })) }), s.clock), 413, 'batch_too_large'],
      ['text/plain', (t: request.Test) => {
        const ts = Math.floor(s.clock.now().getTime() / 1000);
        return t.set('Content-Type', 'text/plain').set('X-Retain-Timestamp', String(ts)).set('X-Retain-Signature', signRequest(TEST_SECRET, ts, good)).send(good);
      }, 415, 'unsupported_media_type'],
      ['an unknown type', (t: request.Test) => signed(t, JSON.stringify({ events: [event('order.exploded', { order_id: 1 })] }), s.clock), 422, 'event_type_unknown'],
    ])('%s', async (_name, build, status, code) => {
      const before = await countEvents();
      const res = await build(request(s.app).post('/v1/events')).expect(status);
      expect(res.body.error.code).toBe(code);
      expect(typeof res.body.error.message).toBe('string');
      expect(await countEvents()).toBe(before);
    });

    it('names the event and the field that is wrong, and rejects the whole batch', async () => {
      const before = await countEvents();
      const batch = { events: [event('product.viewed', { product_id: 3, email: 'ok@example.com' }), event('subscriber.created', { email: 'not-an-email', consent: grantedConsent })] };
      const res = await post(JSON.stringify(batch)).expect(422);
      expect(res.body.error.code).toBe('event_invalid');
      expect(res.body.error.details).toEqual([expect.objectContaining({ index: 1, path: 'data.email' })]);
      expect(await countEvents()).toBe(before);
    });

    it('rejects an envelope without an id or with a bad date', async () => {
      const res = await post(JSON.stringify({ events: [{ type: 'product.viewed', occurred_at: 'yesterday', data: { product_id: 1 } }] })).expect(422);
      expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['id', 'occurred_at']);
    });
  });

  it('answers health without a signature', async () => {
    const res = await request(s.app).get('/v1/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', transport: 'outbox' });
  });

  it('serves the admin status only to signed callers', async () => {
    await request(s.app).get('/v1/admin/status').expect(401);
    const res = await signed(request(s.app).get('/v1/admin/status'), '', s.clock).expect(200);
    expect(res.body.jobs).toEqual(expect.objectContaining({ pending: expect.any(Number) }));
    expect(res.body.shop).toEqual({ skipped: expect.any(Object) });
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await request(s.app).get('/v1/nope').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
