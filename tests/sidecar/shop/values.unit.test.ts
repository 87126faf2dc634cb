import { bareStatus, birthdayValue, formatUnits, gmtDate, intId, money, normaliseEmail, sqlUtc, storedStatus, toUnits, unixDate } from '../../../sidecar/src/shop/values';

describe('shop values', () => {
  it('reads UTC DATETIME strings; zero, empty and garbage dates are null', () => {
    expect(gmtDate('2026-11-21 23:00:05')).toEqual(new Date('2026-11-21T23:00:05Z'));
    expect(gmtDate('0000-00-00 00:00:00')).toBeNull();
    expect(gmtDate('')).toBeNull();
    expect(gmtDate(null)).toBeNull();
    expect(gmtDate('not a date')).toBeNull();
    expect(sqlUtc(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02 03:04:05');
  });

  it('reads Unix seconds; zero and junk are null', () => {
    expect(unixDate('1795400000')).toEqual(new Date(1_795_400_000_000));
    expect(unixDate('0')).toBeNull();
    expect(unixDate('x')).toBeNull();
  });

  it('normalises e-mails and statuses', () => {
    expect(normaliseEmail('  Zoë@Example.COM ')).toBe('zoë@example.com');
    expect(normaliseEmail('no-at-sign')).toBeNull();
    expect(normaliseEmail(undefined)).toBeNull();
    expect(storedStatus('Processing')).toBe('wc-processing');
    expect(storedStatus('wc-completed')).toBe('wc-completed');
    expect(bareStatus('wc-on-hold')).toBe('on-hold');
    expect(bareStatus(null)).toBe('');
  });

  it('does money in integer units without floating point', () => {
    expect(toUnits('0.1') + toUnits('0.2')).toBe(toUnits('0.3'));
    expect(toUnits('-12.345678901')).toBe(-1_234_567_890n);
    expect(toUnits('.5')).toBe(50_000_000n);
    expect(toUnits('abc')).toBe(0n);
    expect(toUnits('')).toBe(0n);
    expect(formatUnits(toUnits('2.005'), 2)).toBe('2.01');
    expect(formatUnits(toUnits('-2.005'), 2)).toBe('-2.01');
    expect(formatUnits(toUnits('-0.001'), 2)).toBe('0.00');
    expect(formatUnits(toUnits('1234.5'), 0)).toBe('1235');
    expect(money('19.9', 2)).toBe('19.90');
    expect(money(null, 3)).toBe('0.000');
  });

  it('accepts only real calendar birthdays', () => {
    expect(birthdayValue('1990-02-28')).toBe('1990-02-28');
    expect(birthdayValue('1992-02-29')).toBe('1992-02-29');
    expect(birthdayValue('1990-02-29')).toBeNull();
    expect(birthdayValue('1990-02-30')).toBeNull();
    expect(birthdayValue('1990-13-01')).toBeNull();
    expect(birthdayValue('02/03/1990')).toBeNull();
  });

  it('parses ids: positive integers only', () => {
    expect(intId('42')).toBe(42);
    expect(intId(7)).toBe(7);
    expect(intId('0')).toBe(0);
    expect(intId('-3')).toBe(0);
    expect(intId(null)).toBe(0);
    expect(intId('x')).toBe(0);
  });
});
