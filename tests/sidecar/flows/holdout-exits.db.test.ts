import request from 'supertest';
import { DAY, HOUR } from '../../../sidecar/src/clock';
import type { Row } from '../../../sidecar/src/db/sql';
import { isHeldOut } from '../../../sidecar/src/flows/experiments';
import type { Enrollment } from '../../../sidecar/src/flows/flows';
import { createSendGate, skip, type GateCheck, type GateInput } from '../../../sidecar/src/flows/gate';
import { startFakeMailgun, type FakeMailgun } from '../../fake-mailgun';
import { placeOrder, someProducts } from '../../support/shop';
import { event, signed, startTestSidecar, type TestSidecar } from '../../support/sidecar';

// A held-out contact meets the same send-time rules as a mailed one and leaves the flow at the same
// point: an order before the cart flow's second step ends both enrollments, with the same reason, so
// the held-out group does not keep contacts a mailed one would have lost (the uplift report counts both).
describe('the cart flow\'s control group and the exit rules', () => {
  let mg: FakeMailgun;
  let s: TestSidecar;
  const people = Array.from({ length: 12 }, (_, i) => `h${i + 1}@example.com`);

  beforeAll(async () => {
    mg = await startFakeMailgun();
    s = await startTestSidecar({ mailgun: mg, label: 'holdout_exits', start: '2026-11-22T10:00:00Z' });
    mg.now = () => s.clock.now().getTime();
  });
  afterAll(async () => {
    await s.close();
    await s.db.drop();
    await mg.close();
  });

  const send = (...events: unknown[]) => signed(request(s.app).post('/v1/events'), JSON.stringify({ events }), s.clock).expect(202);
  const run = async (advanceMs: number) => {
    s.clock.advance(advanceMs);
    await s.runner.runDue();
  };
  const cartMail = (email: string) => mg.messages.filter((m) => m.field('to') === email && m.fields['o:tag']![0] === 'flow-abandoned_cart');
  const timeline = async (id: number) => {
    const [rows] = await s.db.pool.query<Row[]>("SELECT kind, step, detail FROM wp_retain_timeline WHERE contact_id = ? AND flow = 'abandoned_cart' ORDER BY id", [id]);
    return rows.map((r) => `${r.kind}:${r.step ?? ''}:${r.detail ? (JSON.parse(r.detail).reason ?? '') : ''}`);
  };

  it('ends a held-out and a mailed enrollment alike when both order before step 2, and mails only the mailed one', async () => {
    await signed(request(s.app).put('/v1/admin/flows/abandoned_cart'), JSON.stringify({ holdout_percent: 50 }), s.clock).expect(200);
    const optIn = (email: string) => event('consent.changed', { email, consent: { state: 'granted', source: 'account', text: 'Yes, email me', text_version: 'v1' } });
    await send(...people.map(optIn));
    await s.processEvents();
    const [contacts] = await s.db.pool.query<Row[]>('SELECT id, email FROM wp_retain_contacts WHERE email IN (?) ORDER BY id', [people]);
    const flow = s.flows().find((f) => f.id === 'abandoned_cart')!;
    const held = contacts.find((c) => isHeldOut(flow, Number(c.id)) === true)!;
    const mailed = contacts.find((c) => isHeldOut(flow, Number(c.id)) === false)!;
    expect(held).toBeDefined();
    expect(mailed).toBeDefined();

    const [product] = await someProducts(s.db.pool, 'wp_', 1);
    const cart = (email: string) => event('cart.updated', { cart_key: `k-${email}`, email, currency: 'EUR', items: [{ product_id: product!.id, quantity: 1, price: product!.price }] });
    await send(cart(held.email), cart(mailed.email));
    await s.processEvents();
    const [groups] = await s.db.pool.query<Row[]>("SELECT contact_id, holdout FROM wp_retain_enrollments WHERE flow = 'abandoned_cart' ORDER BY contact_id");
    const groupOf = new Map(groups.map((g) => [Number(g.contact_id), Number(g.holdout)]));
    expect([groupOf.get(Number(held.id)), groupOf.get(Number(mailed.id))]).toEqual([1, 0]);

    await run(HOUR); // step 1
    expect(cartMail(mailed.email)).toHaveLength(1);
    expect(cartMail(held.email)).toHaveLength(0);

    // Both order (the shop's order exists; its event has not arrived) before step 2 is due.
    for (const c of [held, mailed]) await placeOrder(s.db.pool, 'wp_', { email: c.email, status: 'pending', createdAt: new Date(s.clock.now().getTime() + HOUR) });
    await run(DAY); // step 2
    await run(3 * DAY); // when step 3 would have been due

    const [ends] = await s.db.pool.query<Row[]>(
      "SELECT contact_id, status, exit_reason FROM wp_retain_enrollments WHERE flow = 'abandoned_cart' AND contact_id IN (?) ORDER BY contact_id",
      [[held.id, mailed.id]],
    );
    expect(ends.map((e) => [e.status, e.exit_reason])).toEqual([['exited', 'ordered'], ['exited', 'ordered']]);
    const [jobs] = await s.db.pool.query<Row[]>("SELECT contact_id, step, status, reason FROM wp_retain_jobs WHERE flow = 'abandoned_cart' AND contact_id = ? ORDER BY step", [held.id]);
    expect(jobs.map((j) => [j.step, j.status, j.reason])).toEqual([[1, 'skipped', 'holdout'], [2, 'skipped', 'ordered']]);

    expect(cartMail(mailed.email)).toHaveLength(1);
    expect(mg.messages.filter((m) => m.field('to') === held.email)).toHaveLength(0);
    // The timeline says why at each step: held out at entry and at step 1, then the order ended it.
    expect(await timeline(Number(held.id))).toEqual(['enrolled::', 'held_out::', 'skipped:1:holdout', 'skipped:2:ordered', 'exited::ordered']);
    expect((await timeline(Number(mailed.id))).filter((t) => !t.startsWith('submitted'))).toEqual(['enrolled::', 'skipped:2:ordered', 'exited::ordered']);
  });

  it('holds the control group out only after every rule: an exit or a wait decides first, and nothing lets it through', async () => {
    const flow = s.flows().find((f) => f.id === 'abandoned_cart')!;
    const at = s.clock.now();
    const enrollment = (holdout: boolean | null): Enrollment => ({ id: 1, key: 'k', flow: flow.id, flowVersion: flow.version, contactId: 1, subject: null, status: 'active', startedAt: at, holdout });
    const input = (holdout: boolean | null) => ({ db: s.db.pool, job: {} as GateInput['job'], now: at, flow, enrollment: enrollment(holdout), contact: null }) as GateInput;
    const exit: GateCheck = async () => skip('ordered');
    const wait: GateCheck = async () => ({ send: false, reason: 'quiet_hours', deferUntil: new Date(at.getTime() + HOUR) });
    expect(await createSendGate([exit])(input(true))).toEqual({ send: false, reason: 'ordered', exit: true });
    expect(await createSendGate([wait])(input(true))).toEqual({ send: false, reason: 'quiet_hours', deferUntil: new Date(at.getTime() + HOUR) });
    expect(await createSendGate([])(input(true))).toEqual({ send: false, reason: 'holdout', exit: false });
    expect(await createSendGate([])(input(false))).toEqual({ send: true });
    expect(await createSendGate([])(input(null))).toEqual({ send: true });
  });
});
