import { describe, expect, it } from 'vitest';
import { CUT_OVER_STEPS, cutOverBackoffMillis, describeAttempt } from '../../src/core/cutover/plan.js';

describe('cut-over plan', () => {
  it('backs off from 500 ms, doubling, capped at 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 60, 10_000].map(cutOverBackoffMillis)).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
    expect(cutOverBackoffMillis(0)).toBe(500);
  });
  it('describes attempts', () => {
    expect(describeAttempt(2, 60)).toBe('attempt 2/60');
  });
  it('lists the steps in order', () => {
    expect(CUT_OVER_STEPS).toEqual([
      'create-sentry',
      'lock-tables',
      'write-marker',
      'wait-marker-replayed',
      'issue-rename',
      'wait-rename-blocked',
      'drop-sentry',
      'wait-rename-queued-on-table',
      'unlock',
      'rename-completes',
    ]);
  });
});
