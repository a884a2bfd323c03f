// The checksum of ghost against original before the swap. At a consistent point (snapshot.ts) both tables are read
// chunk by chunk along the chunk key, in parallel sessions, one statement per chunk per table (core/sql/checksum.ts
// says what is hashed); writes and replay go on meanwhile. A chunk that differs is repaired: its ghost rows are
// deleted and the range copied again from the original through the copy's own path, then checked again at a fresh
// consistent point; one that still differs after MAX_REPAIRS repairs fails the migration with its range named.
// In join mode (the ALTER changes how the key orders) a chunk finds the ghost's rows through the original's, so
// rows of the ghost that are no row of the original's are counted apart (ghostExtras), deleted and looked for again.
//
// A pass over the chunks can stop before its end and go on at a new consistent point from the chunks not yet
// checked: when a session's connection is lost (at most MAX_REOPENS times), and when a pause for load outlasts
// PAUSE_HOLD_MS (the snapshots are released meanwhile). A chunk found equal at one point stays proven: replay
// keeps it equal after that point, as it does between the checksum and the swap.
import {
  afterCheck,
  chunkFigures,
  describeRange,
  EXTRAS_PER_REPAIR,
  MAX_REOPENS,
  chunksAlong,
  nextChunk,
  NO_CHECKSUM,
  PAUSE_HOLD_MS,
  rangeOfKeys,
  sameFigures,
} from '../../core/checksum/verdict.js';
import type { ChecksumProgress, ChunkFigures } from '../../core/checksum/verdict.js';
import { firstChunkSize, nextChunkSize, type ChunkSizing } from '../../core/chunk/sizer.js';
import { describeAttempt } from '../../core/cutover/plan.js';
import { MigrationError, OscError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import {
  buildChunkChecksum,
  buildDeleteGhostExtras,
  buildDeleteGhostRange,
  buildGhostExtras,
  buildRangeEdge,
  ghostRangeColumns,
  WHOLE_TABLE,
  type ChecksumTarget,
  type ChunkRange,
} from '../../core/sql/checksum.js';
import { buildExactCount, buildKeyBoundary, buildNextBoundary } from '../../core/sql/copy.js';
import type { KeyValues } from '../../core/types.js';
import type { ConnectionConfig } from '../../core/config.js';
import { describeSqlError, isConnectionLost } from '../../io/db/errors.js';
import { openSession, settlesWithin, type Db, type DbRow, type Session, type SessionPool } from '../../io/db/pool.js';
import { withRetries } from '../../io/db/retry.js';
import type { TablePlan } from '../../plan.js';
import { openSnapshots, type SnapshotReplay } from './snapshot.js';

/** For tests only; the command line never sets it. */
export interface ChecksumTesting {
  /** A cut-over postponed longer than this after the last checksum gets a fresh one (RECHECK_AFTER_MS). */
  readonly recheckAfterMs?: number;
  /**
   * Awaited after each chunk check: chunks checked in this pass, the connection id of the session that checked it,
   * and those of all the checksum's sessions.
   */
  readonly afterChunk?: (chunk: {
    readonly checked: number;
    readonly threadId: number;
    readonly threadIds: readonly number[];
  }) => Promise<void>;
}

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
  /**
   * The upper bounds of the copy's ranges, in key order, when this process copied the whole table: a full pass
   * then checks those ranges (and all above the last) instead of searching its own boundaries, a scan of the
   * original's key that cost about a tenth of the checksum (MariaDB 10.11: 92 ms per million rows against 331 ms
   * for hashing one table's). Null: planned as it goes (a resumed run).
   */
  readonly boundaries?: readonly KeyValues[] | null;
  /** Waits while the load calls for it (not for replica lag: the checksum writes nothing to the binlog). */
  readonly waitWhileLoaded: () => Promise<void>;
  /** Copies the original's rows from `first` to `last` (inclusive) into the ghost: the copy's own path. */
  readonly copyRange: (first: KeyValues, last: KeyValues) => Promise<void>;
  readonly onProgress: (p: ChecksumProgress) => void;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly testing?: ChecksumTesting;
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
  logger.info('checksum_start', {
    mode: joinMode ? 'join' : 'range',
    chunks: deps.boundaries ? 'copy-ranges' : 'searched',
    threads: deps.threads,
  });
  const sessions = new CheckSessions(deps, (lockMs) =>
    report({ lockMs: Math.max(lockMs, progress.lockMs ?? 0), snapshots: progress.snapshots + 1 }),
  );
  try {
    // By range text: a full pass after an extras repair plans its chunks anew.
    const repairs = new Map<string, number>();
    let extrasRepairs = 0;
    let chunks = 0;
    let rowsCounted = false;
    let todo: readonly ChunkRange[] | 'all' = 'all';
    for (;;) {
      const countRows = todo === 'all' && !rowsCounted;
      const pass = await checkPass(deps, target, sessions, todo, joinMode && todo === 'all', (c) =>
        report({
          chunksDone: progress.chunksDone + 1,
          chunksTotal: Math.max(progress.chunksTotal, progress.chunksDone + 1),
          // Rows of the table: a chunk checked again does not count twice.
          rowsChecked: progress.rowsChecked + (countRows ? c.original.rows : 0),
          mismatches: progress.mismatches + (sameFigures(c.original, c.ghost) ? 0 : 1),
        }),
      );
      if (todo === 'all') {
        chunks = pass.checked.length;
        rowsCounted = true;
      }
      const differing = pass.checked.filter((c) => !sameFigures(c.original, c.ghost)).map((c) => c.range);
      if (differing.length === 0 && pass.extras.length === 0) break;
      for (const range of differing) {
        const where = describeRange(plan.key.columns, range);
        const done = repairs.get(where) ?? 0;
        if (afterCheck(false, done) === 'fail') {
          throw new MigrationError(
            'CHECKSUM_FAILED',
            `the new table still differs from the original in key range ${where} after ${done} repairs: ` +
              'its data does not survive the ALTER (a lossy conversion, or duplicates for a new UNIQUE key); the original table is untouched',
          );
        }
        logger.warn('checksum_repair', { range: where, repair: done + 1 });
        await repairing(where, () => repair(deps, target, range));
        repairs.set(where, done + 1);
        report({ repairs: progress.repairs + 1 });
      }
      if (pass.extras.length > 0) {
        report({ mismatches: progress.mismatches + 1 });
        const where = describeRange(plan.key.ghostColumns, rangeOfKeys(pass.extras) ?? WHOLE_TABLE);
        if (afterCheck(false, extrasRepairs) === 'fail') {
          throw new MigrationError(
            'CHECKSUM_FAILED',
            `the new table still holds rows that are no row of the original (${pass.extras.length} of them, key range ${where}) after ${extrasRepairs} repairs; the original table is untouched`,
          );
        }
        logger.warn('checksum_repair', { extra_rows: pass.extras.length, range: where, repair: extrasRepairs + 1 });
        await repairing(where, () => deleteExtras(deps, target, pass.extras));
        extrasRepairs++;
        report({ repairs: progress.repairs + 1 });
      }
      // The repaired chunks are checked again at a fresh consistent point; after extra rows went, every chunk is,
      // so that no row is missed that a deletion took by a mistaken match.
      todo = pass.extras.length > 0 ? 'all' : differing;
      report({ chunksTotal: progress.chunksDone + (todo === 'all' ? 0 : todo.length) });
    }
    report({});
    logger.info('checksum_done', {
      rows: progress.rowsChecked,
      chunks,
      mismatches: progress.mismatches,
      repairs: progress.repairs,
      snapshots: progress.snapshots,
      seconds: progress.seconds.toFixed(1),
      lock_ms: progress.lockMs ?? 0,
    });
    return { ...progress, chunks };
  } finally {
    sessions.destroy();
  }
}

/** A repair's failure names the range it was repairing. */
async function repairing(where: string, fn: () => Promise<void>): Promise<void> {
  await fn().catch((err: unknown) => {
    if (!(err instanceof OscError) || err.code === 'ABORTED') throw err;
    throw new MigrationError(err.code, `repairing key range ${where}: ${err.message}`, { cause: err });
  });
}

/** The checksum's sessions: opened afresh at each consistent point, closed when it is released. */
class CheckSessions {
  current: readonly Session[] = [];
  private reopens = 0;

  constructor(
    private readonly deps: ChecksumDeps,
    private readonly onLock: (ms: number) => void,
  ) {}

  async open(): Promise<void> {
    const opened: Session[] = [];
    try {
      for (let i = 0; i < Math.max(1, this.deps.threads); i++) opened.push(await openSession(this.deps.connection));
    } catch (err) {
      for (const s of opened) s.destroy();
      throw err;
    }
    this.current = opened;
    const { plan, lockTimeoutSeconds } = this.deps;
    this.onLock(await openSnapshots({ ...this.deps, plan, timeoutSeconds: lockTimeoutSeconds }, opened));
  }

  /** Ends the snapshots (closing a session rolls its read-only transaction back). */
  async release(): Promise<void> {
    const closing = this.current;
    this.current = [];
    await Promise.all(closing.map((s) => s.close()));
  }

  /** A session's connection was lost: the others are dropped too, a new point opens next, a bounded number of times. */
  lost(err: unknown): void {
    this.destroy();
    this.reopens++;
    const reason = describeSqlError(err);
    if (this.reopens > MAX_REOPENS) {
      throw new MigrationError(
        'CHECKSUM_FAILED',
        `the checksum lost a session's connection ${this.reopens} times (${reason}); the original table is untouched`,
        { cause: err },
      );
    }
    this.deps.logger.warn('checksum_reopen', { reason, attempt: describeAttempt(this.reopens, MAX_REOPENS) });
  }

  destroy(): void {
    for (const s of this.current) s.destroy();
    this.current = [];
  }
}

interface PassResult {
  readonly checked: readonly Checked[];
  /** Join mode: keys of ghost rows that are no row of the original's (EXTRAS_PER_REPAIR at most). */
  readonly extras: readonly KeyValues[];
}

/** Why a pass stopped before its end: a long pause for load, or a lost connection. */
type Stop = 'paused' | { readonly lost: unknown };

/**
 * Checks the given chunks, or all of them (planned as they go, sized by time like the copy's), on the sessions in
 * parallel, each in its own snapshot of one consistent point; stopped, it goes on at a new point.
 */
async function checkPass(
  deps: ChecksumDeps,
  target: ChecksumTarget,
  sessions: CheckSessions,
  todo: readonly ChunkRange[] | 'all',
  findExtras: boolean,
  onChunk: (c: Checked) => void,
): Promise<PassResult> {
  const source =
    todo !== 'all' ? listed(todo) : deps.boundaries ? listed(chunksAlong(deps.boundaries)) : planner(deps, target);
  const checked: Checked[] = [];
  let points = 0;
  for (;;) {
    let stop: Stop | null;
    try {
      // No snapshot is opened while the server is loaded.
      await deps.waitWhileLoaded();
      await sessions.open();
      points++;
      stop = await checkChunks(deps, target, sessions.current, source, checked, onChunk);
      if (stop === null) {
        const extras = findExtras ? await ghostExtras(target, sessions.current[0]!, points === 1 ? checked : null) : [];
        await sessions.release();
        return { checked, extras };
      }
    } catch (err) {
      if (!isConnectionLost(err)) throw err;
      stop = { lost: err };
    }
    if (stop === 'paused') {
      deps.logger.info('checksum_release', { reason: 'paused for load', chunks_left: source.left() });
      await sessions.release();
    } else sessions.lost(stop.lost);
  }
}

/** Waits while loaded; false when that lasts longer than ms (the wait then goes on by itself, harmlessly). */
function loadPassesWithin(deps: ChecksumDeps, ms: number): Promise<boolean> {
  const waiting = deps.waitWhileLoaded();
  waiting.catch(() => undefined);
  return settlesWithin(waiting, ms);
}

/** Checks chunks of `source` until none is left (null), or until a worker meets a long pause or a lost connection. */
async function checkChunks(
  deps: ChecksumDeps,
  target: ChecksumTarget,
  sessions: readonly Session[],
  source: ChunkSource,
  checked: Checked[],
  onChunk: (c: Checked) => void,
): Promise<Stop | null> {
  let stop: Stop | null = null;
  const worker = async (s: Session): Promise<void> => {
    while (stop === null) {
      if (!(await loadPassesWithin(deps, PAUSE_HOLD_MS))) {
        stop ??= 'paused';
        return;
      }
      if (deps.signal.aborted) throw new MigrationError('ABORTED', 'aborted during the checksum');
      if (stop !== null) return;
      const next = await source.next(s);
      if (next === null) return;
      const began = Date.now();
      let c: Checked;
      try {
        const [o] = await s.rows(...stmt(buildChunkChecksum(target, 'original', next.range)));
        const [g] = await s.rows(...stmt(buildChunkChecksum(target, 'ghost', next.range)));
        c = { range: next.range, original: chunkFigures(o), ghost: chunkFigures(g) };
      } catch (err) {
        source.putBack(next.range);
        throw err;
      }
      source.measured(next.planned, c.original.rows, (Date.now() - began) / 1000);
      checked.push(c);
      onChunk(c);
      await deps.testing?.afterChunk?.({
        checked: checked.length,
        threadId: s.threadId,
        threadIds: sessions.map((x) => x.threadId),
      });
    }
  };
  const results = await Promise.allSettled(
    sessions.map((s) =>
      worker(s).catch((err: unknown) => {
        if (!isConnectionLost(err)) throw err;
        stop ??= { lost: err };
      }),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    const err: unknown = failed.reason;
    throw err instanceof MigrationError
      ? err
      : new MigrationError('CHECKSUM_FAILED', `the checksum failed: ${describeSqlError(err)}`, { cause: err });
  }
  return stop;
}

interface ChunkSource {
  /** The next chunk and the rows it was planned to hold (0: not planned now); null when every chunk is handed out. */
  next(s: Db): Promise<{ range: ChunkRange; planned: number } | null>;
  measured(planned: number, rows: number, seconds: number): void;
  /** A chunk handed out whose check did not finish: handed out again first. */
  putBack(range: ChunkRange): void;
  /** Chunks known to be left (the planner's are known only when reached). */
  left(): number;
}

function listed(ranges: readonly ChunkRange[]): ChunkSource {
  const queue = [...ranges];
  return {
    next: () => Promise.resolve(queue.length === 0 ? null : { range: queue.shift()!, planned: 0 }),
    measured: () => undefined,
    putBack: (range) => queue.unshift(range),
    left: () => queue.length,
  };
}

/**
 * Chunks along the key, each from the previous one's upper bound, one search at a time, in the snapshot of the
 * session asking. The key's ends are read once: a later point's rows beyond them are in the open last chunk.
 */
function planner(deps: ChecksumDeps, target: ChecksumTarget): ChunkSource {
  const { database, table, key } = target;
  const keyOf = (row: DbRow): KeyValues => key.columns.map((c) => row[c.name]);
  let ends: { min: KeyValues | null; max: KeyValues | null } | null = null;
  const returned: ChunkRange[] = [];
  let previous: ChunkRange | null = null;
  let done = false;
  let size = firstChunkSize(deps.sizing());
  let chain: Promise<unknown> = Promise.resolve();
  const search = async (s: Db): Promise<{ range: ChunkRange; planned: number } | null> => {
    const again = returned.shift();
    if (again !== undefined) return { range: again, planned: 0 };
    if (done) return null;
    if (ends === null) {
      const [minRow] = await s.rows(...stmt(buildKeyBoundary({ database, table, key, which: 'min' })));
      const [maxRow] = await s.rows(...stmt(buildKeyBoundary({ database, table, key, which: 'max' })));
      ends = { min: minRow === undefined ? null : keyOf(minRow), max: maxRow === undefined ? null : keyOf(maxRow) };
    }
    const { min, max } = ends;
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
      if (planned > 0) size = nextChunkSize(deps.sizing(), planned, { rows, seconds });
    },
    putBack: (range) => returned.push(range),
    left: () => returned.length,
  };
}

/**
 * Join mode: the ghost's rows that are no row of the original's, in the session's snapshot. The chunks count the
 * ghost rows matching the original's, one each: when every chunk was read at this one point, extra rows exist
 * exactly when the ghost holds more than that, and a count is all it takes to know there are none.
 */
async function ghostExtras(target: ChecksumTarget, s: Db, onePoint: readonly Checked[] | null): Promise<KeyValues[]> {
  if (onePoint !== null) {
    const [row] = await s.rows<{ n: unknown }>(
      ...stmt(buildExactCount({ database: target.database, table: target.ghost })),
    );
    const matched = onePoint.reduce((sum, c) => sum + c.ghost.rows, 0);
    if (Number(row?.n ?? 0) <= matched) return [];
  }
  const rows = await s.rows(...stmt(buildGhostExtras(target, EXTRAS_PER_REPAIR)));
  return rows.map((r) => target.key.ghostColumns.map((c) => r[c.name]));
}

/** Keys per DELETE of extra rows. */
const EXTRAS_PER_DELETE = 100;

async function deleteExtras(deps: ChecksumDeps, target: ChecksumTarget, keys: readonly KeyValues[]): Promise<void> {
  await deps.waitWhileLoaded();
  for (let i = 0; i < keys.length; i += EXTRAS_PER_DELETE) {
    const batch = buildDeleteGhostExtras(target, keys.slice(i, i + EXTRAS_PER_DELETE));
    await withRetries(deps.retries, () => deps.pool.run(...stmt(batch)), undefined, deps.signal);
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
