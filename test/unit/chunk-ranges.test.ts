import { describe, expect, it } from 'vitest';
import { startPlan } from '../../src/core/chunk/plan.js';
import { allCopied, finish, handOut, nextSearch, startRanges, type RangesState } from '../../src/core/chunk/ranges.js';

/** Hands out ranges of 10 keys over 1..max, as boundary queries would find them. */
function handOutAll(s: RangesState, max: number): RangesState {
  for (let search = nextSearch(s); search !== null; search = nextSearch(s)) {
    const from = Number(search.lower[0]) + (search.lowerInclusive ? 0 : 1);
    const upper = Math.min(max, from + 9);
    s = handOut(s, [upper], upper === max).state;
  }
  return s;
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n, ...p.slice(i)]));
}

describe('parallel copy ranges', () => {
  it('hands ranges out in key order, each after the previous upper bound', () => {
    let s = startRanges(startPlan([1], [25]));
    expect(nextSearch(s)).toEqual({ lower: [1], lowerInclusive: true, max: [25] });
    const a = handOut(s, [10], false);
    expect(a.range).toEqual({ id: 1, lower: [1], lowerInclusive: true, upper: [10] });
    s = a.state;
    expect(nextSearch(s)).toEqual({ lower: [10], lowerInclusive: false, max: [25] });
    const b = handOut(s, [20], false);
    expect(b.range).toEqual({ id: 2, lower: [10], lowerInclusive: false, upper: [20] });
    const c = handOut(b.state, [25], true);
    expect(c.range).toEqual({ id: 3, lower: [20], lowerInclusive: false, upper: [25] });
    expect(nextSearch(c.state)).toBeNull();
    expect(c.state.open.filter((o) => o.status === 'running')).toHaveLength(3);
    expect(() => handOut(c.state, [30], false)).toThrow('no range left to hand out');
  });
  it('an upper bound equal to max ends the handing out even if not flagged', () => {
    const s = handOut(startRanges(startPlan([1], [5])), [5n], false).state;
    expect(nextSearch(s)).toBeNull();
  });
  it('the watermark moves only over the contiguous finished prefix', () => {
    let s = handOutAll(startRanges(startPlan([1], [40])), 40); // ranges 1..4: [1,10] (10,20] (20,30] (30,40]
    s = finish(s, 3);
    expect(s.plan.watermark).toBeNull();
    s = finish(s, 2);
    expect(s.plan.watermark).toBeNull();
    s = finish(s, 1);
    expect(s.plan).toEqual({ min: [1], max: [40], watermark: [30], done: false });
    expect(s.open.map((o) => o.range.id)).toEqual([4]);
    expect(allCopied(s)).toBe(false);
    s = finish(s, 4);
    expect(s.plan).toEqual({ min: [1], max: [40], watermark: [40], done: true });
    expect(allCopied(s)).toBe(true);
  });
  it('the last range finishing first does not mark the copy done', () => {
    let s = handOutAll(startRanges(startPlan([1], [20])), 20);
    s = finish(s, 2);
    expect(s.plan.done).toBe(false);
    expect(allCopied(s)).toBe(false);
  });
  it('not done while ranges are still to be handed out', () => {
    let s = handOut(startRanges(startPlan([1], [40])), [10], false).state;
    s = finish(s, 1);
    expect(s.plan).toEqual({ min: [1], max: [40], watermark: [10], done: false });
    expect(allCopied(s)).toBe(false);
    expect(nextSearch(s)).toEqual({ lower: [10], lowerInclusive: false, max: [40] });
  });
  it('every finishing order of five ranges: the watermark is the end of the finished prefix', () => {
    const uppers = [10, 20, 30, 40, 50];
    const start = handOutAll(startRanges(startPlan([1], [50])), 50);
    for (const order of permutations(5)) {
      let s = start;
      const finished = new Set<number>();
      for (const id of order) {
        s = finish(s, id);
        finished.add(id);
        let prefix = 0;
        while (finished.has(prefix + 1)) prefix++;
        expect(s.plan.watermark).toEqual(prefix === 0 ? null : [uppers[prefix - 1]]);
        expect(s.open.map((o) => o.range.id)).toEqual([1, 2, 3, 4, 5].slice(prefix));
        expect(s.plan.done).toBe(prefix === 5);
      }
    }
  });
  it('refuses events out of turn', () => {
    let s = handOutAll(startRanges(startPlan([1], [20])), 20);
    expect(() => finish(s, 9)).toThrow('copy range 9 is not open');
    s = finish(s, 2);
    expect(() => finish(s, 2)).toThrow('copy range 2 is finished, not running');
    s = finish(s, 1);
    expect(() => finish(s, 1)).toThrow('copy range 1 is not open');
  });
  it('resumes after a checkpoint: ranges start after its watermark', () => {
    const checkpoint = { ...startPlan([1], [40]), watermark: [20] };
    let s = startRanges(checkpoint);
    expect(nextSearch(s)).toEqual({ lower: [20], lowerInclusive: false, max: [40] });
    s = handOutAll(s, 40);
    expect(s.open.map((o) => [o.range.lower, o.range.upper])).toEqual([
      [[20], [30]],
      [[30], [40]],
    ]);
    s = finish(finish(s, 2), 1);
    expect(s.plan).toEqual({ min: [1], max: [40], watermark: [40], done: true });
  });
  it('an empty table has nothing to hand out and is copied', () => {
    const s = startRanges(startPlan(null, null));
    expect(nextSearch(s)).toBeNull();
    expect(allCopied(s)).toBe(true);
  });
});
