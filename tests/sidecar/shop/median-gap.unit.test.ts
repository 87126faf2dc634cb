import { medianGap } from '../../../sidecar/src/shop/lifecycle';

// The learned re-order rhythm: the median gap between a contact's purchase days of one product,
// as the purchase-history query hands them over (sorted, distinct, comma-separated).
describe('medianGap', () => {
  it('is the middle gap, or the mean of the middle two', () => {
    expect(medianGap('2026-01-01,2026-01-11,2026-01-23')).toBe(11); // gaps 10, 12
    expect(medianGap('2026-01-01,2026-01-31,2026-02-10,2026-03-12')).toBe(30); // gaps 30, 10, 30
    expect(medianGap('2026-01-01,2026-01-08,2026-01-10,2026-02-09,2026-02-19')).toBe(8.5); // gaps 7, 2, 30, 10
  });

  it('counts calendar days across a leap day and a year end', () => {
    expect(medianGap('2024-02-27,2024-03-01,2024-03-04')).toBe(3);
    expect(medianGap('2025-12-30,2026-01-02,2026-01-05')).toBe(3);
  });

  it('has no rhythm below three days, or for what is not a list of days', () => {
    expect(medianGap('2026-01-01,2026-02-01')).toBeNull();
    expect(medianGap(null)).toBeNull();
    expect(medianGap('2026-01-01,yesterday,2026-02-01')).toBeNull();
    expect(medianGap(Buffer.from('2026-01-01,2026-01-11,2026-01-23'))).toBe(11);
  });
});
