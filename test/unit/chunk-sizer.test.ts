import { describe, expect, it } from 'vitest';
import { defaultSizing, firstChunkSize, nextChunkSize, type ChunkSizing } from '../../src/core/chunk/sizer.js';

const byTime: ChunkSizing = { fixedRows: null, targetSeconds: 0.1, minRows: 100, maxRows: 50_000 };

describe('chunk sizer', () => {
  it('defaults: 0.5 s per chunk, 100..50,000 rows, starting at 1000', () => {
    expect(defaultSizing(null)).toEqual({ ...byTime, targetSeconds: 0.5 });
    expect(firstChunkSize(defaultSizing(null))).toBe(1000);
  });
  it('a fixed --chunk-size disables sizing by time', () => {
    const fixed = defaultSizing(2500);
    expect(firstChunkSize(fixed)).toBe(2500);
    expect(nextChunkSize(fixed, 2500, { rows: 2500, seconds: 10 })).toBe(2500);
    expect(nextChunkSize(fixed, 2500, { rows: 2500, seconds: 0.001 })).toBe(2500);
  });
  it('grows by at most 1.5x per chunk', () => {
    // 1000 rows in 5 ms: 20k rows would fill 0.1 s, but one fast chunk may not balloon the next.
    expect(nextChunkSize(byTime, 1000, { rows: 1000, seconds: 0.005 })).toBe(1500);
    let size = 1000;
    const sizes = [];
    for (let i = 0; i < 10; i++) {
      // A server copying 200k rows/s with 3 ms fixed cost per chunk (19,400 rows fill 0.1 s): growth stops once a
      // chunk takes 0.8x..1.25x of the target (17,083 rows: 0.088 s).
      size = nextChunkSize(byTime, size, { rows: size, seconds: 0.003 + size / 200_000 });
      sizes.push(size);
    }
    expect(sizes).toEqual([1500, 2250, 3375, 5062, 7593, 11389, 17083, 17083, 17083, 17083]);
  });
  it('grows straight to the ideal when it is within 1.5x', () => {
    expect(nextChunkSize(byTime, 10_000, { rows: 10_000, seconds: 0.075 })).toBe(13_333);
  });
  it('keeps the size within 0.8x..1.25x of the target', () => {
    expect(nextChunkSize(byTime, 10_000, { rows: 10_000, seconds: 0.0801 })).toBe(10_000);
    expect(nextChunkSize(byTime, 10_000, { rows: 10_000, seconds: 0.125 })).toBe(10_000);
    expect(nextChunkSize(byTime, 10_000, { rows: 10_000, seconds: 0.079 })).toBe(12_658);
  });
  it('shrinks halfway toward the ideal when a little slow', () => {
    // 0.2 s: ideal 5000, halfway from 10,000.
    expect(nextChunkSize(byTime, 10_000, { rows: 10_000, seconds: 0.2 })).toBe(7500);
    expect(nextChunkSize(byTime, 10_000, { rows: 10_000, seconds: 0.4 })).toBe(6250);
  });
  it('shrinks at once when a chunk overshoots more than 4x', () => {
    expect(nextChunkSize(byTime, 10_000, { rows: 10_000, seconds: 0.41 })).toBe(2439);
    expect(nextChunkSize(byTime, 40_000, { rows: 40_000, seconds: 8 })).toBe(500);
  });
  it('an overshooting chunk that read few rows still shrinks', () => {
    expect(nextChunkSize(byTime, 10_000, { rows: 1000, seconds: 1 })).toBe(100);
  });
  it('ignores a fast chunk that read under half its rows (the last one, a deleted stretch)', () => {
    expect(nextChunkSize(byTime, 10_000, { rows: 4999, seconds: 0.001 })).toBe(10_000);
    expect(nextChunkSize(byTime, 10_000, { rows: 5000, seconds: 0.001 })).toBe(15_000);
  });
  it('keeps the size when nothing was measured', () => {
    expect(nextChunkSize(byTime, 3000, { rows: 0, seconds: 0.5 })).toBe(3000);
    expect(nextChunkSize(byTime, 3000, { rows: 3000, seconds: 0 })).toBe(3000);
  });
  it('stays within the bounds', () => {
    expect(nextChunkSize(byTime, 40_000, { rows: 40_000, seconds: 0.01 })).toBe(50_000);
    expect(nextChunkSize(byTime, 150, { rows: 150, seconds: 0.3 })).toBe(100);
    expect(nextChunkSize({ ...byTime, maxRows: 800 }, 1000, { rows: 1000, seconds: 0.1 })).toBe(800);
  });
  it('rejects unusable settings', () => {
    expect(() => defaultSizing(0)).toThrow('chunk size must be a positive integer, got 0');
    expect(() => defaultSizing(null, 0)).toThrow('chunk time must be positive, got 0');
    expect(() => nextChunkSize({ ...byTime, minRows: 10, maxRows: 5 }, 7, { rows: 7, seconds: 1 })).toThrow(
      'chunk size bounds must be positive integers with min <= max, got 10..5',
    );
  });
});
