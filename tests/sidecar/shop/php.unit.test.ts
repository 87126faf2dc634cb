import { looksSerialized, phpSerialize, phpUnserialize, phpUnserializeNested, toIdList } from '../../../sidecar/src/shop/php';
import { tsvValue } from '../../../sidecar/src/shop/generator/load-writer';

describe('PHP serialized values', () => {
  it('round-trips what the generator writes, counting UTF-8 bytes in s:N:', () => {
    const value = { cart: { k1: { product_id: 12, quantity: 2, line_total: 9.5 } }, name: 'Zoë', ids: [3, 4], on: true, none: null };
    const raw = phpSerialize(value);
    expect(raw).toContain('s:4:"Zoë"');
    const back = phpUnserialize(raw);
    expect(back.ok).toBe(true);
    expect(back.ok && back.value).toEqual({ cart: { k1: { product_id: 12, quantity: 2, line_total: 9.5 } }, name: 'Zoë', ids: [3, 4], on: true, none: null });
  });

  it('tells serialized values from plain strings, as WordPress does', () => {
    expect(looksSerialized('a:0:{}')).toBe(true);
    expect(looksSerialized('N;')).toBe(true);
    expect(looksSerialized('i:5;')).toBe(true);
    expect(looksSerialized('hello')).toBe(false);
    expect(phpUnserialize('hello')).toEqual({ ok: true, value: 'hello' });
    expect(phpUnserialize('')).toEqual({ ok: true, value: null });
    expect(phpUnserialize(null)).toEqual({ ok: true, value: null });
  });

  it('returns corrupt values as errors instead of throwing', () => {
    const r = phpUnserialize('a:2:{i:0;i:12;i:1;');
    expect(r.ok).toBe(false);
  });

  it('decodes objects as plain data and never instantiates a class', () => {
    const r = phpUnserialize('O:16:"WC_Shipping_Rate":1:{s:1:"x";i:1;}');
    expect(r.ok).toBe(true);
    // php-serialize's stand-in: a data holder tagged with the class name, no behaviour of WooCommerce's class.
    expect(r.ok && r.value).toMatchObject({ __PHP_Incomplete_Class_Name: 'WC_Shipping_Rate', x: 1 });
  });

  it('unserializes doubly serialized session values once per call', () => {
    const inner = phpSerialize({ a: 1 });
    const outer = phpSerialize({ cart: inner });
    const first = phpUnserialize(outer);
    expect(first.ok && (first.value as Record<string, unknown>).cart).toBe(inner);
    expect(phpUnserializeNested(inner)).toEqual({ ok: true, value: { a: 1 } });
    expect(phpUnserializeNested(5)).toEqual({ ok: true, value: 5 });
  });

  it('reads id lists in list or map shape, dropping junk', () => {
    expect(toIdList([3, '4', 'x', -1, 0])).toEqual([3, 4]);
    expect(toIdList({ 0: 7, 5: '8' })).toEqual([7, 8]);
    expect(toIdList('nope')).toEqual([]);
  });
});

describe('LOAD DATA text fields (generator)', () => {
  it('escapes the characters LOAD DATA treats specially and writes NULL as \\N', () => {
    expect(tsvValue(null)).toBe('\\N');
    expect(tsvValue(12.5)).toBe('12.5');
    expect(tsvValue(Number.NaN)).toBe('\\N');
    expect(tsvValue('plain')).toBe('plain');
    expect(tsvValue('a\tb\nc\\d\re\0')).toBe('a\\tb\\nc\\\\d\\re\\0');
    expect([tsvValue('\\'), tsvValue('tail\n'), tsvValue('\thead'), tsvValue('')]).toEqual(['\\\\', 'tail\\n', '\\thead', '']);
    expect(tsvValue('Brew &amp; Leaf "Co." it\'s')).toBe('Brew &amp; Leaf "Co." it\'s');
  });
});

describe('the generator\'s backpressure (LoadWriter)', () => {
  it('gives sockets a turn even when the server keeps up', async () => {
    const { LoadWriter } = await import('../../../sidecar/src/shop/generator/load-writer');
    const writer = new LoadWriter({} as never, 'wp_');
    let ioRan = false;
    setImmediate(() => (ioRan = true));
    // A generating loop whose every backpressure() finds the queue empty, for a quarter of a second.
    const until = Date.now() + 250;
    let calls = 0;
    while (Date.now() < until && !ioRan) {
      await writer.backpressure();
      calls++;
    }
    expect(ioRan).toBe(true);
    expect(calls).toBeGreaterThan(0);
  });
});
