import { decide, parseCampaign, type Touch } from '../../../sidecar/src/reports/attribution';
import { offsetAt, offsetSegments, parseLocalDate, utcBounds } from '../../../sidecar/src/reports/days';
import { formatUnits, toUnits } from '../../../sidecar/src/reports/money';

const touch = (flow: string, step: number, id = 1): Touch => ({ messageId: id, flow, step, at: new Date('2026-11-10T10:00:00Z') });

describe('attribution rules', () => {
  it('parses <flow>-<step> campaigns', () => {
    expect(parseCampaign('abandoned_cart-3')).toEqual({ flow: 'abandoned_cart', step: 3 });
    expect(parseCampaign('spring-sale')).toBeNull();
    expect(parseCampaign(undefined)).toBeNull();
  });

  it('credits the last click, confirmed when the order names the same step', () => {
    expect(decide({ lastClick: touch('welcome', 1), campaignMessage: null })).toEqual({ basis: 'click', credited: touch('welcome', 1), confirmed: false });
    expect(decide({ utmSource: 'Retain', utmCampaign: 'welcome-1', lastClick: touch('welcome', 1), campaignMessage: touch('welcome', 1) }))
      .toEqual({ basis: 'click', credited: touch('welcome', 1), confirmed: true });
  });

  it("prefers the step the order's own campaign names over an older click on another", () => {
    expect(decide({ utmSource: 'retain', utmCampaign: 'win_back-2', lastClick: touch('welcome', 1), campaignMessage: touch('win_back', 2, 7) }))
      .toEqual({ basis: 'utm', credited: touch('win_back', 2, 7), confirmed: true });
  });

  it('gives nothing when another source came last, or nothing was clicked', () => {
    expect(decide({ utmSource: 'google', lastClick: touch('welcome', 1), campaignMessage: null })).toEqual({ basis: 'other_source', credited: null, confirmed: false });
    expect(decide({ utmSource: 'retain', utmCampaign: 'welcome-1', lastClick: null, campaignMessage: null })).toEqual({ basis: 'no_click', credited: null, confirmed: false });
    // Typing the address is not a click on something else.
    expect(decide({ utmSource: '(direct)', lastClick: touch('welcome', 1), campaignMessage: null }).basis).toBe('click');
  });
});

describe('shop days', () => {
  it('validates dates', () => {
    expect(parseLocalDate('2026-02-29')).toBeNull();
    expect(parseLocalDate('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
  });

  it('splits a range at a daylight-saving change, to the minute', () => {
    // Berlin leaves summer time at 01:00 UTC on 25 October 2026.
    const { start, end } = utcBounds({ year: 2026, month: 10, day: 24 }, { year: 2026, month: 10, day: 26 }, 'Europe/Berlin');
    expect(start.toISOString()).toBe('2026-10-23T22:00:00.000Z');
    expect(end.toISOString()).toBe('2026-10-26T23:00:00.000Z');
    expect(offsetSegments(start, end, 'Europe/Berlin')).toEqual([
      { from: start, to: new Date('2026-10-25T01:00:00Z'), offsetMinutes: 120 },
      { from: new Date('2026-10-25T01:00:00Z'), to: end, offsetMinutes: 60 },
    ]);
    expect(offsetSegments(start, end, '+05:30')).toEqual([{ from: start, to: end, offsetMinutes: 330 }]);
    expect(offsetAt(new Date('2026-07-01T00:00:00Z'), 'Asia/Kathmandu')).toBe(345);
  });
});

describe('money', () => {
  it('adds exactly and rounds half away from zero only when shown', () => {
    const sum = toUnits('0.10000000') + toUnits('0.2') + toUnits('19.995');
    expect(formatUnits(sum, 2)).toBe('20.30');
    expect(formatUnits(toUnits('1.005'), 2)).toBe('1.01');
    expect(formatUnits(toUnits('-2.5'), 0)).toBe('-3');
    expect(formatUnits(toUnits('0'), 3)).toBe('0.000');
    expect(formatUnits(toUnits('1234567890123.45678901'), 8)).toBe('1234567890123.45678901');
  });
});
