import { defaultFlows } from '../../../sidecar/src/flows/definitions';
import { dueReminderCollector, nextYear, replenishmentPlan, type PurchaseHistory } from '../../../sidecar/src/flows/replenishment';
import { parseSimulationRange } from '../../../sidecar/src/flows/simulate';

const flow = (settings: Record<string, string | null>) => ({ ...defaultFlows.find((f) => f.id === 'replenishment')!, settings });
const h = (email: string, productId: number, lastDay: string, learnedDays: number | null = null) => ({ email, productId, lastDay, learnedDays });
/** The histories through the collector, as the scan streams them. */
function dueReminders(histories: PurchaseHistory[], ...args: Parameters<typeof dueReminderCollector>) {
  const collector = dueReminderCollector(...args);
  for (const history of histories) collector.add(history);
  return collector.reminders();
}

describe('replenishment dates', () => {
  it('reads cycles and reports what it cannot read', () => {
    const plan = replenishmentPlan(flow({ product_cycles: '12=30, 13, x=4, 14=999', category_cycles: 'Coffee=45', occasion_products: '77', lead_days: '5' }));
    expect([...plan.productCycles]).toEqual([[12, 30], [13, null]]);
    expect([...plan.categoryCycles]).toEqual([['coffee', 45]]);
    expect([...plan.occasionProducts]).toEqual([77]);
    expect(plan.problems).toHaveLength(2);
  });

  it('reminds lead days before the due date, with a week to catch up, and groups a contact\'s products', () => {
    const cycle = (id: number) => (id === 77 ? 'yearly' : id === 13 ? null : 30);
    const rows = [h('a@x', 12, '2026-04-20'), h('a@x', 14, '2026-04-20'), h('b@x', 12, '2026-04-01'), h('c@x', 13, '2026-04-01'), h('d@x', 13, '2026-05-04', 11)];
    expect(dueReminders(rows, cycle, { leadDays: 5, learn: true }, '2026-05-15')).toEqual([
      { email: 'a@x', productIds: [12, 14], dueDay: '2026-05-20', remindDay: '2026-05-15', lastDay: '2026-04-20' },
      { email: 'd@x', productIds: [13], dueDay: '2026-05-15', remindDay: '2026-05-10', lastDay: '2026-05-04' },
    ]);
    // Eight days late is past the week's grace; a learned rhythm is ignored when learning is off.
    expect(dueReminders(rows, cycle, { leadDays: 5, learn: false }, '2026-05-23')).toEqual([]);
  });

  it('brings occasion products back a year later, 29 February on 28 February in a common year', () => {
    expect(nextYear('2028-02-29')).toBe('2029-02-28');
    expect(nextYear('2027-02-28')).toBe('2028-02-28');
    expect(dueReminders([h('e@x', 77, '2028-02-29')], () => 'yearly', { leadDays: 3, learn: true }, '2029-02-25')).toEqual([
      { email: 'e@x', productIds: [77], dueDay: '2029-02-28', remindDay: '2029-02-25', lastDay: '2028-02-29' },
    ]);
  });
});

describe('simulate --from/--to', () => {
  it.each([
    [{ to: '2026-05-01' }, 'date_missing'],
    [{ from: '2026-02-30', to: '2026-05-01' }, 'date_invalid'],
    [{ from: '2026-05-02', to: '2026-05-01' }, 'range_invalid'],
    [{ from: '2026-01-01', to: '2027-01-02' }, 'range_too_long'],
  ])('refuses %j with %s', (input, code) => {
    expect(() => parseSimulationRange(input)).toThrow(expect.objectContaining({ code }));
  });
  it('accepts a year', () => {
    expect(parseSimulationRange({ from: '2026-01-01', to: '2027-01-01' })).toEqual({ from: { year: 2026, month: 1, day: 1 }, to: { year: 2027, month: 1, day: 1 } });
  });
});
