import { describe, expect, it } from 'vitest';
import {
  afterCheck,
  chunkFigures,
  BoundaryKeeper,
  chunksAlong,
  describeRange,
  MAX_REPAIRS,
  nextChunk,
  rangeOfKeys,
  RECHECK_AFTER_MS,
  recheckDue,
  sameFigures,
} from '../../src/core/checksum/verdict.js';
import { col } from '../support/columns.js';

describe('checksum decisions', () => {
  it('chains chunks from an open start to an open end', () => {
    const first = nextChunk(null, [100]);
    expect(first).toEqual({ lower: null, upper: [100] });
    const second = nextChunk(first, [200]);
    expect(second).toEqual({ lower: { key: [100], inclusive: false }, upper: [200] });
    const last = nextChunk(second, null);
    expect(last).toEqual({ lower: { key: [200], inclusive: false }, upper: null });
    expect(() => nextChunk(last, [300])).toThrow(/no chunk follows/);
  });
  it("chunks along the copy's boundaries: each range, then one open above the last", () => {
    expect(chunksAlong([[100], [200]])).toEqual([
      { lower: null, upper: [100] },
      { lower: { key: [100], inclusive: false }, upper: [200] },
      { lower: { key: [200], inclusive: false }, upper: null },
    ]);
    // Composite keys keep their tuples; an empty table (no range copied) is one open chunk.
    expect(chunksAlong([[1, 'a']])).toEqual([
      { lower: null, upper: [1, 'a'] },
      { lower: { key: [1, 'a'], inclusive: false }, upper: null },
    ]);
    expect(chunksAlong([])).toEqual([{ lower: null, upper: null }]);
  });
  it("keeps at most so many of the copy's boundaries, thinning them by half", () => {
    const k = new BoundaryKeeper(4);
    for (let i = 1; i <= 3; i++) k.add([i * 10]);
    expect(k.boundaries).toEqual([[10], [20], [30]]);
    // The fourth reaches the bound: every second one stays, and from now on every second range's.
    k.add([40]);
    expect(k.boundaries).toEqual([[10], [30]]);
    for (let i = 5; i <= 8; i++) k.add([i * 10]);
    expect(k.boundaries).toEqual([[10], [50]]);
    for (let i = 9; i <= 100; i++) k.add([i * 10]);
    expect(k.boundaries.length).toBeLessThan(4);
    const flat = k.boundaries.map((b) => Number(b[0]));
    expect(flat).toEqual([...flat].sort((a, b) => a - b));
    expect(() => new BoundaryKeeper(1)).toThrow(/bad boundary bound/);
  });
  it('compares rows and hash as the server printed them', () => {
    const a = chunkFigures({ n: 10, h: '18446744073709551615' });
    expect(a).toEqual({ rows: 10, hash: '18446744073709551615' });
    expect(sameFigures(a, chunkFigures({ n: '10', h: '18446744073709551615' }))).toBe(true);
    expect(sameFigures(a, chunkFigures({ n: 10, h: 0 }))).toBe(false);
    expect(sameFigures(chunkFigures({ n: 0, h: null }), chunkFigures({ n: 0, h: '0' }))).toBe(true);
    expect(() => chunkFigures(undefined)).toThrow(/no row/);
  });
  it(`repairs a differing chunk up to ${MAX_REPAIRS} times, then fails`, () => {
    expect(afterCheck(true, 0)).toBe('done');
    expect(afterCheck(true, MAX_REPAIRS)).toBe('done');
    expect(afterCheck(false, 0)).toBe('repair');
    expect(afterCheck(false, MAX_REPAIRS - 1)).toBe('repair');
    expect(afterCheck(false, MAX_REPAIRS)).toBe('fail');
  });
  it('checks again before a swap postponed for longer than a few minutes', () => {
    expect(recheckDue(0, RECHECK_AFTER_MS)).toBe(false);
    expect(recheckDue(0, RECHECK_AFTER_MS + 1)).toBe(true);
    expect(recheckDue(0, 1001, 1000)).toBe(true);
    expect(recheckDue(0, 1000, 1000)).toBe(false);
  });
  it('names extra rows by the range of their keys', () => {
    expect(rangeOfKeys([])).toBeNull();
    const r = rangeOfKeys([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(r).toEqual({ lower: { key: [1, 2], inclusive: true }, upper: [5, 6] });
    expect(describeRange([col('b'), col('a')], r!)).toBe('(b, a) from (1, 2) to (5, 6)');
  });
  it('names a key range by its columns and bounds, values cut short', () => {
    expect(describeRange([col('id')], { lower: { key: [100], inclusive: false }, upper: [200] })).toBe(
      'id from 100 (exclusive) to 200',
    );
    expect(
      describeRange([col('a'), col('b')], { lower: null, upper: ['x'.repeat(50), Buffer.from('ff', 'hex')] }),
    ).toBe(`(a, b) from the start to (${'x'.repeat(40)}…, 0xff)`);
    expect(describeRange([col('id')], { lower: { key: [5], inclusive: true }, upper: null })).toBe(
      'id from 5 to the end',
    );
  });
});
