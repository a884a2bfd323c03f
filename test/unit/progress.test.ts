import { describe, expect, it } from 'vitest';
import { etaSeconds, formatDuration, percent, renderStatusLine, rowsPerSecond } from '../../src/core/progress.js';
import type { ProgressSnapshot } from '../../src/core/progress.js';
import { COPYING } from '../support/snapshots.js';

const base: ProgressSnapshot = COPYING;

describe('progress arithmetic', () => {
  it('percent', () => {
    expect(percent(12000, 200000)).toBe(6);
    expect(percent(1, 3)).toBe(33.3);
    expect(percent(2, 3)).toBe(66.7);
    expect(percent(500, 400)).toBe(100);
    expect(percent(0, 0)).toBe(0);
    expect(percent(0, 0, true)).toBe(100);
    expect(percent(10, 1000, true)).toBe(100);
  });
  it('rowsPerSecond', () => {
    expect(rowsPerSecond(12000, 5)).toBe(2400);
    expect(rowsPerSecond(100, 0)).toBe(0);
  });
  it('etaSeconds', () => {
    expect(etaSeconds(12000, 200000, 2400)).toBe(78);
    expect(etaSeconds(12000, 200000, 0)).toBeNull();
    expect(etaSeconds(0, 0, 100)).toBeNull();
    expect(etaSeconds(300, 200, 100)).toBe(0);
  });
  it('formatDuration', () => {
    expect(formatDuration(3723)).toBe('1h02m03s');
    expect(formatDuration(245)).toBe('4m05s');
    expect(formatDuration(7)).toBe('7s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59.9)).toBe('59s');
    expect(formatDuration(36000)).toBe('10h00m00s');
    expect(formatDuration(-3)).toBe('0s');
  });
});

describe('renderStatusLine', () => {
  it('renders a copy in progress', () => {
    expect(renderStatusLine(base)).toBe(
      'phase=copy copied=12000/200000 pct=6.0% rate=2400/s eta=1m18s backlog=3 applied=512 lag=0.2s binlog=binlog.000003:1234',
    );
  });
  it('adds the throttle reason, quoted', () => {
    expect(renderStatusLine({ ...base, throttleReason: 'replica lag 3.2s > 1.5s' })).toBe(
      'phase=copy copied=12000/200000 pct=6.0% rate=2400/s eta=1m18s backlog=3 applied=512 lag=0.2s binlog=binlog.000003:1234 throttled="replica lag 3.2s > 1.5s"',
    );
  });
  it('prints unknowns as dashes', () => {
    expect(
      renderStatusLine({ ...base, copySeconds: 0, rowsCopied: 0, heartbeatLagSeconds: null, binlogPosition: null }),
    ).toBe('phase=copy copied=0/200000 pct=0.0% rate=0/s eta=- backlog=3 applied=512 lag=- binlog=-');
  });
  it('shows a finished copy and cut-over attempts', () => {
    expect(
      renderStatusLine({ ...base, phase: 'cutover', rowsCopied: 199500, copySeconds: 80, cutOverAttempts: 2 }),
    ).toBe(
      'phase=cutover copied=199500/200000 pct=100.0% rate=2494/s eta=0s backlog=3 applied=512 lag=0.2s binlog=binlog.000003:1234 cutover_attempts=2',
    );
  });
  it('shows the checksum: chunks compared of planned, repairs, and mismatches once one differed', () => {
    const checksum = {
      chunksDone: 4,
      chunksTotal: 9,
      rowsChecked: 80000,
      mismatches: 0,
      repairs: 0,
      snapshots: 1,
      seconds: 2,
      lockMs: 3,
    };
    const at = { ...base, phase: 'checksum' as const, rowsCopied: 200000, copySeconds: 80 };
    expect(renderStatusLine({ ...at, checksum })).toBe(
      'phase=checksum copied=200000/200000 pct=100.0% rate=2500/s eta=0s backlog=3 applied=512 lag=0.2s binlog=binlog.000003:1234 checksum=4/9 repairs=0',
    );
    expect(renderStatusLine({ ...at, checksum: { ...checksum, mismatches: 2, repairs: 1 } })).toMatch(
      / checksum=4\/9 repairs=1 mismatches=2$/,
    );
    // A pause for load released the snapshots, a new point opened.
    expect(renderStatusLine({ ...at, checksum: { ...checksum, snapshots: 2 } })).toMatch(
      / checksum=4\/9 repairs=0 snapshots=2$/,
    );
  });
});
