// Replay under a trickle of events: they are applied in few transactions, not one commit per event, and none waits
// long. (On MySQL every commit syncs the binary log by default: one per event queued replay's commits with the
// copy's.)
import { describe, expect, it } from 'vitest';
import { Applier, type ApplierDeps } from '../../src/stages/replay/applier.js';
import type { StreamEvent } from '../../src/core/binlog/events.js';
import { silentLogger } from '../../src/core/log.js';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import type { ChunkKey } from '../../src/core/types.js';
import type { Db, SessionPool } from '../../src/io/db/pool.js';
import { col } from '../support/columns.js';

const id = col('id', 'int', 'int unsigned');
const key: ChunkKey = {
  name: 'PRIMARY',
  ghostName: 'PRIMARY',
  columns: [id],
  ghostColumns: [id],
  ghostSources: [id],
  exactColumns: [],
};
const dml = createDmlBuilder({ database: 'd', ghost: '_t_gho', mapping: [{ source: id, target: id }], key });
const POS = { file: 'binlog.000001', position: 4 };
const insert = (n: number): StreamEvent => ({
  kind: 'insert',
  database: 'd',
  table: 't',
  resume: POS,
  next: POS,
  row: { id: n },
});

/** Events that arrive one every `gapMs`, as a steady write load's do; a session that counts COMMITs. */
function trickle(count: number, gapMs: number) {
  const arrivedAt = Array.from({ length: count }, (_, i) => Date.now() + 20 + i * gapMs);
  let taken = 0;
  const streamer: ApplierDeps['streamer'] = {
    events: () => ({
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<StreamEvent>> => {
          for (;;) {
            const at = arrivedAt[taken];
            if (at !== undefined && at <= Date.now()) return { done: false, value: insert(taken++) };
            await new Promise((r) => setTimeout(r, 1));
          }
        },
      }),
    }),
    backlog: () => arrivedAt.filter((at, i) => i >= taken && at <= Date.now()).length,
  };
  const commits: number[] = [];
  const session = {
    run: (sql: string) => {
      if (sql === 'COMMIT') commits.push(Date.now());
      return Promise.resolve({ affectedRows: 1, warningStatus: 0 });
    },
    rows: () => Promise.resolve([]),
  } as unknown as Db;
  const pool = { withSession: <T>(fn: (s: Db) => Promise<T>) => fn(session) } as unknown as SessionPool;
  const applier = new Applier({
    streamer,
    pool,
    plan: { table: 't', changelog: '_t_ghc', key },
    dml,
    retries: 1,
    batchSize: () => 1000,
    logger: silentLogger,
    conflicts: { size: 0 } as unknown as ApplierDeps['conflicts'],
  });
  return { applier, commits, lastArrival: arrivedAt[count - 1]! };
}

describe('replay under a trickle of events', () => {
  it('applies events 1 ms apart in transactions of many, each within about 20 ms of its first event', async () => {
    const { applier, commits, lastArrival } = trickle(200, 1);
    void applier.start('batched');
    while (applier.stats().applied.insert < 200) await new Promise((r) => setTimeout(r, 5));
    applier.stop();
    // One commit per event before; now a commit at most every ~20 ms of a 200 ms stream (timers are coarse).
    expect(commits.length).toBeLessThanOrEqual(30);
    expect(commits.length).toBeGreaterThan(1);
    // The last event waited only the linger after the stream went quiet.
    expect(commits.at(-1)! - lastArrival).toBeLessThan(100);
  });
});
