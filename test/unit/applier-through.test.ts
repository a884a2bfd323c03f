// The single-session cut-over drives replay: pause() waits for the batch under way and starts none, resume(session)
// applies the next batches through the lock holder's session (COMMIT, never START TRANSACTION, which would release
// its table locks), and a failure there fails the marker wait and leaves the batch to the pool once the session is
// withdrawn.
import { describe, expect, it } from 'vitest';
import { Applier, type ApplierDeps } from '../../src/stages/replay/applier.js';
import { MARKER_HINT } from '../../src/stages/replay/changelog.js';
import type { StreamEvent } from '../../src/core/binlog/events.js';
import { silentLogger } from '../../src/core/log.js';
import type { Db } from '../../src/io/db/pool.js';

const POS = { file: 'binlog.000007', position: 1234 };
const insert = (id: number): StreamEvent => ({
  kind: 'insert',
  database: 'd',
  table: 't',
  resume: POS,
  next: POS,
  row: { id },
});
const marker = (token: string): StreamEvent => ({
  kind: 'insert',
  database: 'd',
  table: '_t_ghc',
  resume: POS,
  next: POS,
  row: { hint: MARKER_HINT, value: token },
});

/** A session that logs its statements; `hold` keeps a statement waiting until released, `fail` rejects it. */
function fakeDb(log: string[], opts: { hold?: string; fail?: string } = {}): Db & { release(): void } {
  let release = (): void => undefined;
  const held = new Promise<void>((r) => (release = r));
  const run = async (sql: string) => {
    log.push(sql);
    if (sql === opts.hold) await held;
    if (sql === opts.fail) throw Object.assign(new Error('lost'), { errno: 2013, code: 'PROTOCOL_CONNECTION_LOST' });
    return { warningStatus: 0, affectedRows: 1 } as never;
  };
  return { run, rows: () => Promise.resolve([]), release };
}

function applierOver(events: StreamEvent[], pool: Db): Applier {
  let i = 0;
  const streamer: ApplierDeps['streamer'] = {
    events: () => ({
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<StreamEvent>> => {
          while (i >= events.length) await new Promise((r) => setTimeout(r, 2));
          return { done: false, value: events[i++] as StreamEvent };
        },
      }),
    }),
    backlog: () => events.length - i,
  };
  const statement = (verb: string) => (row: Record<string, unknown>) => ({
    sql: `${verb} ${String(row['id'])}`,
    params: [],
  });
  return new Applier({
    streamer,
    pool: { ...pool, withSession: (fn: (s: Db) => Promise<unknown>) => fn(pool) } as unknown as ApplierDeps['pool'],
    plan: { table: 't', changelog: '_t_ghc', key: {} as ApplierDeps['plan']['key'] },
    dml: { deleteByKey: statement('DELETE'), insert: statement('INSERT'), harmlessWarnings: new Set() } as never,
    retries: 1,
    batchSize: () => 10,
    logger: silentLogger,
    conflicts: { size: 0 } as ApplierDeps['conflicts'],
  });
}

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('replay driven by the single-session cut-over', () => {
  it('pause() waits for the batch under way; resume(session) applies the next ones through that session', async () => {
    const poolLog: string[] = [];
    const lockLog: string[] = [];
    const pool = fakeDb(poolLog, { hold: 'INSERT 1' });
    const events: StreamEvent[] = [insert(1)];
    const applier = applierOver(events, pool);
    void applier.start();
    await tick();
    let paused = false;
    const pausing = applier.pause().then(() => (paused = true));
    await tick();
    expect(paused).toBe(false);
    pool.release();
    await pausing;
    expect(poolLog).toEqual(['START TRANSACTION', 'DELETE 1', 'INSERT 1', 'COMMIT']);
    events.push(insert(2));
    await tick();
    expect([...poolLog, ...lockLog]).toHaveLength(4);
    const marked = applier.waitForMarker('m1', true, 5_000);
    applier.resume(fakeDb(lockLog));
    events.push(marker('m1'));
    await marked;
    expect(lockLog).toEqual(['DELETE 2', 'INSERT 2', 'COMMIT']);
    expect(poolLog).toHaveLength(4);
    expect(applier.stats().applied.insert).toBe(2);
    applier.stop();
  });

  it('a failure through the session fails the marker wait; the batch goes to the pool once the session is withdrawn', async () => {
    const poolLog: string[] = [];
    const lockLog: string[] = [];
    const events: StreamEvent[] = [];
    const applier = applierOver(events, fakeDb(poolLog));
    void applier.start();
    await applier.pause();
    applier.resume(fakeDb(lockLog, { fail: 'INSERT 3' }));
    const marked = applier.waitForMarker('m2', true, 5_000);
    events.push(insert(3), marker('m2'));
    await expect(marked).rejects.toMatchObject({ code: 'CUT_OVER_FAILED' });
    expect(lockLog).toEqual(['DELETE 3', 'INSERT 3', 'ROLLBACK']);
    await tick();
    expect(poolLog).toEqual([]);
    applier.resume(null);
    await applier.idle();
    expect(poolLog).toEqual(['START TRANSACTION', 'DELETE 3', 'INSERT 3', 'COMMIT']);
    expect(applier.stats().applied.insert).toBe(1);
    applier.stop();
  });
});
