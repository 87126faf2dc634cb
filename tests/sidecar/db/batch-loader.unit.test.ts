import { batchLoader } from '../../../sidecar/src/db/batch-loader';

describe('the batch loader', () => {
  it('answers the lookups of one turn with one load of the distinct keys, null for what is missing', async () => {
    const calls: number[][] = [];
    const get = batchLoader(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k !== 3).map((k) => [k, `row ${k}`]));
    });
    const first = await Promise.all([get(1), get(2), get(1), get(3)]);
    expect(first).toEqual(['row 1', 'row 2', 'row 1', null]);
    expect(calls).toEqual([[1, 2, 3]]);
    expect(await get(4)).toBe('row 4');
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });

  it('fails every lookup of a batch whose load failed, and loads the next batch afresh', async () => {
    let fail = true;
    const get = batchLoader(async (keys) => {
      if (fail) throw new Error('connection lost');
      return new Map(keys.map((k) => [k, k * 10]));
    });
    const results = await Promise.allSettled([get(1), get(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await Promise.all([get(1), get(2)])).toEqual([10, 20]);
  });
});
