// The checksum of ghost against original before the swap. At a consistent point (snapshot.ts) both tables are read
// chunk by chunk along the chunk key, in parallel sessions, one statement per chunk per table (core/sql/checksum.ts
// says what is hashed); writes and replay go on meanwhile. A chunk that differs is repaired: its ghost rows are
// deleted and the range copied again from the original through the copy's own path, then checked again at a fresh
// consistent point; one that still differs after MAX_REPAIRS repairs fails the migration with its range named.
import {
  afterCheck,
  chunkFigures,
  describeRange,
  nextChunk,
  NO_CHECKSUM,
  sameFigures,
} from '../../core/checksum/verdict.js';
import type { ChecksumProgress, ChunkFigures } from '../../core/checksum/verdict.js';
import { firstChunkSize, nextChunkSize, type ChunkSizing } from '../../core/chunk/sizer.js';
import { MigrationError, OscError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import {
  buildChunkChecksum,
  buildDeleteGhostRange,
  buildRangeEdge,
  ghostRangeColumns,
  WHOLE_TABLE,
  type ChecksumTarget,
  type ChunkRange,
} from '../../core/sql/checksum.js';
import { buildExactCount, buildKeyBoundary, buildNextBoundary } from '../../core/sql/copy.js';
import type { KeyValues } from '../../core/types.js';
import type { ConnectionConfig } from '../../core/config.js';
import { describeSqlError } from '../../io/db/errors.js';
import { openSession, type Db, type DbRow, type Session, type SessionPool } from '../../io/db/pool.js';
import { withRetries } from '../../io/db/retry.js';
import type { TablePlan } from '../../plan.js';
import { openSnapshots, type SnapshotReplay } from './snapshot.js';

export interface ChecksumDeps {
  readonly connection: ConnectionConfig;
  readonly pool: SessionPool;
  readonly plan: Pick<TablePlan, 'database' | 'table' | 'ghost' | 'mapping' | 'key' | 'server'>;
  readonly replay: SnapshotReplay;
  /** The cut-over's lock budget, which the consistent point's lock keeps to. */
  readonly lockTimeoutSeconds: number;
  readonly retries: number;
  /** Sessions reading chunks at once. */
  readonly threads: number;
  /** The copy's sizing (rows per chunk, or a target time per chunk). */
  readonly sizing: () => ChunkSizing;
  /** Waits while the load calls for it (not for replica lag: the checksum writes nothing to the binlog). */
  readonly waitWhileLoaded: () => Promise<void>;
  /** Copies the original's rows from `first` to `last` (inclusive) into the ghost: the copy's own path. */
  readonly copyRange: (first: KeyValues, last: KeyValues) => Promise<void>;
  readonly onProgress: (p: ChecksumProgress) => void;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

export interface ChecksumResult extends ChecksumProgress {
  readonly chunks: number;
}

interface Checked {
  readonly range: ChunkRange;
  readonly original: ChunkFigures;
  readonly ghost: ChunkFigures;
}

function stmt(s: { sql: string; params: readonly unknown[] }): [string, readonly unknown[]] {
  return [s.sql, s.params];
}

/** Proves the ghost holds what the original holds, repairing what differs; throws CHECKSUM_FAILED when it cannot. */
export async function verifyGhost(deps: ChecksumDeps): Promise<ChecksumResult> {
  const { plan, logger } = deps;
  const target: ChecksumTarget = { ...plan, flavor: plan.server.flavor };
  const started = Date.now();
  let progress: ChecksumProgress = NO_CHECKSUM;
  const report = (change: Partial<ChecksumProgress>) => {
    progress = { ...progress, ...change, seconds: (Date.now() - started) / 1000 };
    deps.onProgress(progress);
  };
  const joinMode = ghostRangeColumns(plan.key, plan.mapping) === null;
  logger.info('checksum_start', { mode: joinMode ? 'join' : 'range', threads: deps.threads });
  const sessions: Session[] = [];
  try {
    for (let i = 0; i < Math.max(1, deps.threads); i++) sessions.push(await openSession(deps.connection));
    const repairs = new Map<ChunkRange, number>();
    let chunks = 0;
    let todo: readonly ChunkRange[] | 'all' = 'all';
    for (;;) {
      const lockMs = await openSnapshots({ ...deps, plan, timeoutSeconds: deps.lockTimeoutSeconds }, sessions);
      report({ lockMs: Math.max(lockMs, progress.lockMs ?? 0) });
      const checked = await checkChunks(deps, target, sessions, todo, (c) =>
        report({
          chunksDone: progress.chunksDone + 1,
          chunksTotal: Math.max(progress.chunksTotal, progress.chunksDone + 1),
          // Rows of the table: a repaired chunk checked again does not count twice.
          rowsChecked: progress.rowsChecked + (todo === 'all' ? c.original.rows : 0),
          mismatches: progress.mismatches + (sameFigures(c.original, c.ghost) ? 0 : 1),
        }),
      );
      if (todo === 'all') {
        chunks = checked.length;
        if (joinMode) await checkGhostTotal(target, sessions[0]!, checked);
      }
      await Promise.all(sessions.map((s) => s.run('COMMIT')));
      const differing = checked.filter((c) => !sameFigures(c.original, c.ghost)).map((c) => c.range);
      if (differing.length === 0) break;
      for (const range of differing) {
        const done = repairs.get(range) ?? 0;
        if (afterCheck(false, done) === 'fail') {
          throw new MigrationError(
            'CHECKSUM_FAILED',
            `the new table still differs from the original in key range ${describeRange(plan.key.columns, range)} after ${done} repairs: ` +
              'its data does not survive the ALTER (a lossy conversion, or duplicates for a new UNIQUE key); the original table is untouched',
          );
        }
        const where = describeRange(plan.key.columns, range);
        logger.warn('checksum_repair', { range: where, repair: done + 1 });
        await repair(deps, target, range).catch((err: unknown) => {
          if (!(err instanceof OscError) || err.code === 'ABORTED') throw err;
          throw new MigrationError(err.code, `repairing key range ${where}: ${err.message}`, { cause: err });
        });
        repairs.set(range, done + 1);
        report({ repairs: progress.repairs + 1 });
      }
      // Only the repaired chunks are checked again, at a fresh consistent point.
      todo = differing;
      report({ chunksTotal: progress.chunksDone + differing.length });
    }
    report({});
    logger.info('checksum_done', {
      rows: progress.rowsChecked,
      chunks,
      mismatches: progress.mismatches,
      repairs: progress.repairs,
      seconds: progress.seconds.toFixed(1),
      lock_ms: progress.lockMs ?? 0,
    });
    return { ...progress, chunks };
  } finally {
    for (const s of sessions) s.destroy();
  }
}

/**
 * Checks the given chunks, or all of them (planned as they go, sized by time like the copy's), on the sessions in
 * parallel; each session reads its chunks in its own snapshot.
 */
async function checkChunks(
  deps: ChecksumDeps,
  target: ChecksumTarget,
  sessions: readonly Session[],
  todo: readonly ChunkRange[] | 'all',
  onChunk: (c: Checked) => void,
): Promise<Checked[]> {
  const plan = todo === 'all' ? await planner(deps, target, sessions[0]!) : listed(todo);
  const checked: Checked[] = [];
  const worker = async (s: Session): Promise<void> => {
    for (;;) {
      await deps.waitWhileLoaded();
      if (deps.signal.aborted) throw new MigrationError('ABORTED', 'aborted during the checksum');
      const next = await plan.next(s);
      if (next === null) return;
      const began = Date.now();
      const [o] = await s.rows(...stmt(buildChunkChecksum(target, 'original', next.range)));
      const [g] = await s.rows(...stmt(buildChunkChecksum(target, 'ghost', next.range)));
      const c: Checked = { range: next.range, original: chunkFigures(o), ghost: chunkFigures(g) };
      plan.measured(next.planned, c.original.rows, (Date.now() - began) / 1000);
      checked.push(c);
      onChunk(c);
    }
  };
  const results = await Promise.allSettled(sessions.map(worker));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    const err: unknown = failed.reason;
    throw err instanceof MigrationError
      ? err
      : new MigrationError('CHECKSUM_FAILED', `the checksum failed: ${describeSqlError(err)}`, { cause: err });
  }
  return checked;
}

interface ChunkPlanner {
  /** The next chunk and the rows it was planned to hold; null when every chunk is handed out. */
  next(s: Db): Promise<{ range: ChunkRange; planned: number } | null>;
  measured(planned: number, rows: number, seconds: number): void;
}

function listed(ranges: readonly ChunkRange[]): ChunkPlanner {
  const queue = [...ranges];
  return {
    next: () => Promise.resolve(queue.length === 0 ? null : { range: queue.shift()!, planned: 0 }),
    measured: () => undefined,
  };
}

/** Chunks along the key in the snapshot, each from the previous one's upper bound, one search at a time. */
async function planner(deps: ChecksumDeps, target: ChecksumTarget, first: Db): Promise<ChunkPlanner> {
  const { database, table, key } = target;
  const [minRow] = await first.rows(...stmt(buildKeyBoundary({ database, table, key, which: 'min' })));
  const [maxRow] = await first.rows(...stmt(buildKeyBoundary({ database, table, key, which: 'max' })));
  const keyOf = (row: DbRow): KeyValues => key.columns.map((c) => row[c.name]);
  const min = minRow === undefined ? null : keyOf(minRow);
  const max = maxRow === undefined ? null : keyOf(maxRow);
  let previous: ChunkRange | null = null;
  let done = false;
  let size = firstChunkSize(deps.sizing());
  let chain: Promise<unknown> = Promise.resolve();
  const search = async (s: Db): Promise<{ range: ChunkRange; planned: number } | null> => {
    if (done) return null;
    if (min === null || max === null) {
      done = true;
      return { range: WHOLE_TABLE, planned: size };
    }
    const planned = size;
    const lower: { key: KeyValues; inclusive: boolean } = previous?.upper
      ? { key: previous.upper, inclusive: false }
      : { key: min, inclusive: true };
    const [row] = await s.rows(
      ...stmt(
        buildNextBoundary({
          database,
          table,
          key,
          range: { lower: lower.key, lowerInclusive: lower.inclusive, max },
          chunkSize: planned,
        }),
      ),
    );
    const range = nextChunk(previous, row === undefined ? null : keyOf(row));
    previous = range;
    if (range.upper === null) done = true;
    return { range, planned };
  };
  return {
    next(s) {
      const result = chain.then(() => search(s));
      chain = result.catch(() => undefined);
      return result;
    },
    measured(planned, rows, seconds) {
      size = nextChunkSize(deps.sizing(), planned, { rows, seconds });
    },
  };
}

/** Join mode: the chunks find only the ghost's rows matching the original's, so extra rows show in the total. */
async function checkGhostTotal(target: ChecksumTarget, s: Db, checked: readonly Checked[]): Promise<void> {
  const [row] = await s.rows<{ n: unknown }>(
    ...stmt(buildExactCount({ database: target.database, table: target.ghost })),
  );
  const ghostRows = Number(row?.n ?? 0);
  const originalRows = checked.reduce((sum, c) => sum + c.original.rows, 0);
  if (ghostRows !== originalRows) {
    throw new MigrationError(
      'CHECKSUM_FAILED',
      `the new table holds ${ghostRows} rows where the original holds ${originalRows} at the same instant, and the ALTER changes how key ${target.key.name} orders its values, so the checksum cannot tell which; the original table is untouched`,
    );
  }
}

/**
 * The ghost's rows of the range go, then the original's rows of it are copied again. The original's edges are read
 * after the delete: a row the delete took that the original still holds then lies within them and is copied back,
 * and one written later reaches the ghost through replay, as during the copy.
 */
async function repair(deps: ChecksumDeps, target: ChecksumTarget, range: ChunkRange): Promise<void> {
  const { pool, retries } = deps;
  await deps.waitWhileLoaded();
  await withRetries(retries, () => pool.run(...stmt(buildDeleteGhostRange(target, range))), undefined, deps.signal);
  const keyOf = (row: DbRow): KeyValues => target.key.columns.map((c) => row[c.name]);
  const [first] = await withRetries(retries, () => pool.rows(...stmt(buildRangeEdge(target, range, 'first'))));
  const [last] = await withRetries(retries, () => pool.rows(...stmt(buildRangeEdge(target, range, 'last'))));
  if (first === undefined || last === undefined) return;
  await deps.copyRange(keyOf(first), keyOf(last));
}
