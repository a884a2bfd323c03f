import { describe, expect, it } from 'vitest';
import { noteData, noteWrite, silentFor, type StallClock } from '../../src/core/binlog/stall.js';

const fresh: StallClock = { lastDataAt: 1_000, unseenWriteSince: null };

describe('stall clock', () => {
  it('is not silent before a write it has not shown', () => {
    expect(silentFor(fresh, 60_000)).toBeNull();
  });

  it('counts from the start of the earliest write with no byte after it', () => {
    const a = noteWrite(fresh, 1_500);
    expect(a).toEqual({ lastDataAt: 1_000, unseenWriteSince: 1_500 });
    expect(noteWrite(a, 1_600)).toEqual(a);
    expect(silentFor(a, 6_500)).toBe(5_000);
  });

  it('ignores a write whose bytes may already have arrived (data after its start)', () => {
    expect(noteWrite(fresh, 900)).toEqual(fresh);
    expect(noteWrite(fresh, 1_000)).toEqual(fresh);
  });

  it('any byte ends the silence', () => {
    expect(noteData(noteWrite(fresh, 1_500), 2_000)).toEqual({ lastDataAt: 2_000, unseenWriteSince: null });
  });
});
