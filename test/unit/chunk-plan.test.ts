import { describe, expect, it } from 'vitest';
import { keyIdentity, nextRange, sameKey, startPlan } from '../../src/core/chunk/plan.js';
import type { CopyPlanState } from '../../src/core/chunk/plan.js';

describe('copy plan', () => {
  it('is done at once for an empty table', () => {
    const s = startPlan(null, null);
    expect(s).toEqual({ min: null, max: null, watermark: null, done: true });
    expect(nextRange(s)).toBeNull();
  });
  it('starts at min inclusive, then continues after the watermark', () => {
    let s = startPlan([1], [2500]);
    expect(nextRange(s)).toEqual({ lower: [1], lowerInclusive: true, max: [2500] });
    s = { ...s, watermark: [1000] };
    expect(nextRange(s)).toEqual({ lower: [1000], lowerInclusive: false, max: [2500] });
    s = { ...s, watermark: [2500], done: true };
    expect(nextRange(s)).toBeNull();
  });
  it('handles a one-row table', () => {
    const s = startPlan([7], [7]);
    expect(nextRange(s)).toEqual({ lower: [7], lowerInclusive: true, max: [7] });
  });
  it('resumes from a persisted watermark', () => {
    const saved = JSON.parse(
      JSON.stringify({ ...startPlan(['1', 'a'], ['9', 'z']), watermark: ['5', 'm'] }),
    ) as CopyPlanState;
    expect(nextRange(saved)).toEqual({ lower: ['5', 'm'], lowerInclusive: false, max: ['9', 'z'] });
  });
});

describe('sameKey', () => {
  it('compares numbers, bigints and strings by decimal text', () => {
    expect(sameKey([12, 'a'], ['12', 'a'])).toBe(true);
    expect(sameKey([18446744073709551615n], ['18446744073709551615'])).toBe(true);
    expect(sameKey(['9007199254740993'], ['9007199254740992'])).toBe(false);
    expect(sameKey(['a'], ['A'])).toBe(false);
  });
  it('compares buffers by bytes', () => {
    expect(sameKey([Buffer.from([1, 2])], [Buffer.from([1, 2])])).toBe(true);
    expect(sameKey([Buffer.from([1, 2])], [Buffer.from([1, 3])])).toBe(false);
    expect(sameKey([Buffer.from([1])], [Buffer.from([1, 0])])).toBe(false);
    expect(sameKey([Buffer.from('1')], ['1'])).toBe(false);
  });
  it('treats null as equal only to null', () => {
    expect(sameKey([null], [null])).toBe(true);
    expect(sameKey([null], [0])).toBe(false);
    expect(sameKey([1, 2], [1])).toBe(false);
  });
  it('keyIdentity is equal exactly when sameKey is', () => {
    const values: unknown[] = [
      12,
      12n,
      '12',
      '012',
      1.5,
      '1.50',
      '1.5',
      null,
      undefined,
      Buffer.from('12'),
      Buffer.from('A'),
      Buffer.from('a'),
      new Uint8Array([0x41]),
      'A',
      'a|b',
      ['a', 'b'],
    ];
    for (const a of values) {
      for (const b of values) {
        expect([a, b, keyIdentity([a]) === keyIdentity([b])]).toEqual([a, b, sameKey([a], [b])]);
      }
    }
    // Values cannot run into each other across columns.
    expect(keyIdentity(['a|b', 'c'])).not.toBe(keyIdentity(['a', 'b|c']));
    expect(keyIdentity(['a', 'b'])).not.toBe(keyIdentity(['a,b']));
  });
});
