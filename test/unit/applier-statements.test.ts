// The applier meets a statement event in its queue: a failure while replay is wanted, nothing once replay was
// stopped. The cut-over's own RENAME arrives after the applier is held at the cut-over marker and then stopped.
import { describe, expect, it } from 'vitest';
import { Applier, type ApplierDeps } from '../../src/stages/replay/applier.js';
import { MARKER_HINT } from '../../src/stages/replay/changelog.js';
import type { StreamEvent } from '../../src/core/binlog/events.js';
import { MigrationError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';

const POS = { file: 'binlog.000007', position: 1234 };
const marker: StreamEvent = {
  kind: 'insert',
  database: 'd',
  table: '_t_ghc',
  resume: POS,
  next: POS,
  row: { hint: MARKER_HINT, value: 'cut-over 1' },
};
const rename: StreamEvent = {
  kind: 'statement',
  verdict: { kind: 'RENAME TABLE', database: 'd', table: 't', role: 'original' },
  next: { file: POS.file, position: 1400 },
};

/** An applier over a fixed list of events; no row event reaches the server, so nothing else is needed. */
function applierOver(events: readonly StreamEvent[], failures: Error[]): Applier {
  let i = 0;
  const streamer: ApplierDeps['streamer'] = {
    events: () => ({
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<StreamEvent>> => {
          while (i >= events.length) await new Promise((r) => setTimeout(r, 5));
          return { done: false, value: events[i++] as StreamEvent };
        },
      }),
    }),
    backlog: () => events.length - i,
  };
  return new Applier({
    streamer,
    pool: {} as ApplierDeps['pool'],
    plan: { table: 't', changelog: '_t_ghc', key: {} as ApplierDeps['plan']['key'] },
    dml: {} as ApplierDeps['dml'],
    retries: 1,
    batchSize: () => 10,
    logger: silentLogger,
    conflicts: {} as ApplierDeps['conflicts'],
    onFailure: (err) => failures.push(err),
  });
}

describe('applier and statement events', () => {
  it('a RENAME after the held cut-over marker does not fail a stopped applier', async () => {
    const failures: Error[] = [];
    const applier = applierOver([marker, rename], failures);
    const held = applier.waitForMarker('cut-over 1', true, 5_000);
    void applier.start();
    await held;
    applier.stop();
    await expect(applier.done).resolves.toBeUndefined();
    expect(failures).toEqual([]);
  });

  it('the same statement met by a running applier fails replay with its kind, table and position', async () => {
    const failures: Error[] = [];
    const applier = applierOver([marker, rename], failures);
    const held = applier.waitForMarker('cut-over 1', true, 5_000);
    void applier.start();
    await held;
    applier.release();
    const err = await applier.done.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as MigrationError).code).toBe('BINLOG_STATEMENT');
    expect((err as MigrationError).message).toMatch(
      /^RENAME TABLE d\.t ran during the migration \(binlog binlog\.000007:1400\)/,
    );
    expect(failures).toEqual([err]);
  });
});
