import { describe, expect, it } from 'vitest';
import type { RowEvent } from '../../src/core/binlog/events.js';
import { HeartbeatLag, readChangelogEvent } from '../../src/stages/replay/changelog.js';

const POS = { file: 'binlog.000001', position: 4 };
const insert = (hint: string, value: string): RowEvent => ({
  kind: 'insert',
  database: 'd',
  table: '_t_ghc',
  resume: POS,
  next: POS,
  row: { hint, value },
});

describe('readChangelogEvent', () => {
  it('reads heartbeats and markers, from inserts and updates', () => {
    expect(readChangelogEvent(insert('heartbeat', '1700000000000'))).toEqual({
      kind: 'heartbeat',
      sentAt: 1700000000000,
    });
    expect(readChangelogEvent(insert('heartbeat', 'soon'))).toEqual({ kind: 'heartbeat', sentAt: null });
    expect(readChangelogEvent(insert('marker', 'abc-1'))).toEqual({ kind: 'marker', token: 'abc-1' });
    const update: RowEvent = {
      kind: 'update',
      database: 'd',
      table: '_t_ghc',
      resume: POS,
      next: POS,
      before: { hint: 'marker', value: 'a' },
      after: { hint: 'marker', value: 'b' },
    };
    expect(readChangelogEvent(update)).toEqual({ kind: 'marker', token: 'b' });
  });
  it('ignores deletes and other hints', () => {
    expect(
      readChangelogEvent({
        kind: 'delete',
        database: 'd',
        table: '_t_ghc',
        resume: POS,
        next: POS,
        row: { hint: 'marker', value: 'a' },
      }),
    ).toBeNull();
    expect(readChangelogEvent(insert('state', 'x'))).toBeNull();
  });
});

describe('HeartbeatLag', () => {
  it('is unknown until a heartbeat is read, then the age of the last one when it arrived, never negative', () => {
    const lag = new HeartbeatLag();
    expect([lag.lagMs, lag.lastAt]).toEqual([null, null]);
    lag.observe(1000, 1250);
    expect([lag.lagMs, lag.lastAt]).toEqual([250, 1250]);
    lag.observe(2000, 1990);
    expect([lag.lagMs, lag.lastAt]).toEqual([0, 1990]);
  });
});
