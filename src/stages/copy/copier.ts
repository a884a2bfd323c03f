// Copies the original's rows into the ghost in chunks along the chunk key. Each chunk is one
// INSERT IGNORE ... SELECT ... FOR SHARE; its warnings are read so that IGNORE never drops data silently.
import { sleep } from '../../io/sleep.js';
import { sameKey, startPlan, type CopyPlanState, type KeyRange } from '../../core/chunk/plan.js';
import { allCopied, finish, handOut, nextSearch, startRanges, type CopyRange } from '../../core/chunk/ranges.js';
import { firstChunkSize, nextChunkSize, type ChunkSizing } from '../../core/chunk/sizer.js';
import { buildCopyChunk, buildKeyBoundary, buildNextBoundary, buildUnmatchedCount } from '../../core/sql/copy.js';
import { COMMIT, MAX_ERROR_COUNT_QUERY, ROLLBACK, SHOW_WARNINGS, START_TRANSACTION } from '../../core/sql/session.js';
import { classifyWarnings, describeWarningProblem } from '../../core/sql/warnings.js';
import { MigrationError, OscError } from '../../core/errors.js';
import type { ChunkKey, KeyValues } from '../../core/types.js';
import type { Db, DbRow, SessionPool } from '../../io/db/pool.js';
import { describeSqlError } from '../../io/db/errors.js';
import { withRetries } from '../../io/db/retry.js';
import type { Logger } from '../../core/log.js';
import type { TablePlan } from '../../plan.js';

export interface ChunkStats {
  /** Rows the chunk was planned to hold. */
  readonly size: number;
  /** Ranges being copied when this one finished, itself included. */
  readonly concurrent: number;
  /** Rows the chunk's SELECT read (copied now, or already in the ghost from replay). */
  readonly rowsRead: number;
  readonly rowsInserted: number;
  readonly durationMs: number;
  readonly state: CopyPlanState;
}

/** What the copy reads of the table plan. */
export type CopyPlan = Pick<TablePlan, 'database' | 'table' | 'ghost' | 'mapping' | 'key' | 'lock'>;

export interface CopierDeps {
  readonly pool: SessionPool;
  readonly plan: CopyPlan;
  /** Read before every chunk: an operator can fix the size or change the target time. */
  readonly sizing: () => ChunkSizing;
  /** Sleep this fraction of each chunk's time after it (gh-ost's --nice-ratio). */
  readonly niceRatio: () => number;
  /** Ranges copied at once (read before each range: an operator can change it). */
  readonly threads: () => number;
  readonly retries: number;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Runs before every chunk: the copy waits here while throttled or while replay's backlog is over its bound. */
  readonly beforeChunk: () => Promise<void>;
  /** Resolves when every binlog event written up to now is applied. */
  readonly catchUp: () => Promise<void>;
  readonly onChunk: (stats: ChunkStats) => void;
  /** Each range as it is handed out, in key order: its upper bound is a boundary the checksum can reuse. */
  readonly onRange?: (range: CopyRange) => void;
  /** Once the key range to copy is fixed (read, or the resumed one), before the first chunk waits or runs. */
  readonly onStart?: (start: { readonly firstChunkRows: number; readonly threads: number }) => void;
}

// A duplicate on another unique key can be transient: the ghost may still hold a row's older image (its change
// is not replayed yet) while the copy reads the newer one. After the replay catches up such a collision is gone;
// one that survives this many catch-ups is real duplicate data. The same holds for a row of the chunk that found
// its ghost key taken by another source row (the ALTER made their keys equal): the other row may be on its way out.
const CONFLICT_RECHECKS = 3;

function keyOf(row: DbRow, key: ChunkKey): KeyValues {
  return key.columns.map((c) => row[c.name]);
}

export async function readKeyRange(
  db: Db,
  plan: Pick<TablePlan, 'database' | 'table' | 'key'>,
): Promise<{ min: KeyValues | null; max: KeyValues | null }> {
  const { database, table, key } = plan;
  const min = await db.rows(...stmt(buildKeyBoundary({ database, table, key, which: 'min' })));
  const max = await db.rows(...stmt(buildKeyBoundary({ database, table, key, which: 'max' })));
  return { min: min[0] ? keyOf(min[0], key) : null, max: max[0] ? keyOf(max[0], key) : null };
}

function stmt(s: { sql: string; params: readonly unknown[] }): [string, readonly unknown[]] {
  return [s.sql, s.params];
}

/**
 * Copies every row between the key's min and max (read now; rows beyond come through the binlog), in ranges of
 * chunk size copied by up to `threads()` workers at once (core/chunk/ranges.ts). Boundary searches run one at a
 * time, in key order, beside the running copies; a worker's failure (after its retries) fails the copy once the
 * others have settled. Returns the plan with its watermark: what a checkpoint persists.
 */
export async function copyRows(deps: CopierDeps, initial?: CopyPlanState): Promise<CopyPlanState> {
  // How many warnings the server reports back for one statement (max_error_count): a chunk planned larger runs in a
  // transaction that is rolled back when its warnings overflow this, and is then copied in parts that fit.
  const [limit] = await deps.pool.rows<{ m: string | number }>(MAX_ERROR_COUNT_QUERY);
  const room = Math.max(1, Number(limit?.m ?? 64));
  let state = startRanges(
    initial ??
      (await (async () => {
        const { min, max } = await readKeyRange(deps.pool, deps.plan);
        return startPlan(min, max);
      })()),
  );
  const { database, table, ghost, mapping, key, lock } = deps.plan;
  let size = firstChunkSize(deps.sizing());
  deps.onStart?.({ firstChunkRows: size, threads: deps.threads() });
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;

  const copyRange = async (range: CopyRange, planned: number, started: number): Promise<void> => {
    const result =
      (await copyPart(range.id, range.lower, range.lowerInclusive, range.upper, planned > room)) ??
      (await copyInParts(range));
    const concurrent = inFlight.size;
    state = finish(state, range.id);
    const durationMs = Date.now() - started;
    deps.onChunk({ ...result, size: planned, concurrent, durationMs, state: state.plan });
    size = nextChunkSize(deps.sizing(), planned, { rows: result.rowsRead, seconds: durationMs / 1000 });
    const nice = deps.niceRatio();
    if (nice > 0 && !allCopied(state)) await sleep(durationMs * nice, deps.signal);
  };

  /** One INSERT ... SELECT over lower..upper; null when `atomic` and its warnings overflowed (rolled back). */
  const copyPart = (chunk: number, lower: KeyValues, lowerInclusive: boolean, upper: KeyValues, atomic: boolean) => {
    const rows = { lower, lowerInclusive, upper };
    const copy = buildCopyChunk({ database, table, ghost, mapping, key, ...rows, lock });
    const unmatched = buildUnmatchedCount({ database, table, ghost, key, rows });
    return copyChunk(deps, copy, unmatched, chunk, atomic);
  };

  /** A range whose warnings overflowed `room`: copied again in consecutive parts of `room` rows. */
  const copyInParts = async (range: CopyRange): Promise<{ rowsRead: number; rowsInserted: number }> => {
    deps.logger.info('copy_chunk_split', { chunk: range.id, rows_per_part: room });
    const total = { rowsRead: 0, rowsInserted: 0 };
    let lower = range.lower;
    let lowerInclusive = range.lowerInclusive;
    for (let last = false; !last;) {
      const search = { lower, lowerInclusive, max: range.upper };
      const [boundary] = await withRetries(deps.retries, () =>
        deps.pool.rows(...stmt(buildNextBoundary({ database, table, key, range: search, chunkSize: room }))),
      );
      const upper = boundary ? keyOf(boundary, key) : range.upper;
      last = boundary === undefined || sameKey(upper, range.upper);
      const part = await copyPart(range.id, lower, lowerInclusive, upper, false);
      if (part === null) throw new OscError('INTERNAL', 'a part of a split chunk overflowed without a transaction');
      total.rowsRead += part.rowsRead;
      total.rowsInserted += part.rowsInserted;
      lower = upper;
      lowerInclusive = false;
    }
    return total;
  };

  /** The next range, handed out with its planned size; its boundary query overlaps the copies in flight. */
  const searchNext = async (search: KeyRange): Promise<{ range: CopyRange; planned: number }> => {
    const planned = size;
    const boundary = await withRetries(deps.retries, () =>
      deps.pool.rows(...stmt(buildNextBoundary({ database, table, key, range: search, chunkSize: planned }))),
    );
    // handOut reads the state as it is now: ranges may have finished while the query ran.
    const next = handOut(state, boundary[0] ? keyOf(boundary[0], key) : search.max, !boundary[0]);
    state = next.state;
    deps.onRange?.(next.range);
    return { range: next.range, planned };
  };

  let ready: { range: CopyRange; planned: number } | null = null;
  for (;;) {
    if (failure === null && deps.signal.aborted) failure = new MigrationError('ABORTED', 'aborted during the row copy');
    if (failure !== null) {
      await Promise.allSettled(inFlight);
      throw failure instanceof Error
        ? failure
        : new MigrationError('COPY_FAILED', `the row copy failed: ${describeSqlError(failure)}`);
    }
    if (allCopied(state)) break;
    const search = ready === null ? nextSearch(state) : null;
    if (search !== null) {
      try {
        ready = await searchNext(search);
      } catch (err) {
        failure = err;
      }
      continue;
    }
    if (ready === null || inFlight.size >= Math.max(1, deps.threads())) {
      // Every range is handed out, or every worker is busy: wait for one to finish.
      if (inFlight.size === 0) throw new MigrationError('INTERNAL', 'the copy has ranges open and none running');
      await Promise.race(inFlight);
      continue;
    }
    try {
      await deps.beforeChunk();
    } catch (err) {
      failure = err;
      continue;
    }
    if (deps.signal.aborted) continue;
    const { range, planned } = ready;
    ready = null;
    const work: Promise<void> = copyRange(range, planned, Date.now())
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  }
  return state.plan;
}

type Stmt = { sql: string; params: readonly unknown[] };

/**
 * How many rows of the chunk found their ghost key held by another source row; 0 without a doubt: a duplicate on
 * the ghost's key is then the same row, written first by replay. Only a key whose charset or collation changes can
 * make two rows of the original meet there (key.exactColumns).
 */
async function unmatchedRows(deps: CopierDeps, duplicates: number, unmatched: Stmt): Promise<number> {
  if (duplicates === 0 || deps.plan.key.exactColumns.length === 0) return 0;
  const [row] = await withRetries(deps.retries, () =>
    deps.pool.rows<{ n: string | number }>(unmatched.sql, unmatched.params),
  );
  return Number(row?.n ?? 0);
}

/**
 * Copies one chunk and judges its warnings. `atomic`: in a transaction, rolled back (and null returned) when the
 * warnings overflow what the server reports back, since an unseen warning could hide changed data.
 */
async function copyChunk(
  deps: CopierDeps,
  copy: Stmt,
  unmatched: Stmt,
  chunk: number,
  atomic: boolean,
): Promise<{ rowsRead: number; rowsInserted: number } | null> {
  for (let check = 0; ; check++) {
    const outcome = await withRetries(
      deps.retries,
      () =>
        deps.pool.withSession(async (s) => {
          if (atomic) await s.run(START_TRANSACTION);
          try {
            const res = await s.run(copy.sql, copy.params);
            const warnings =
              res.warningStatus > 0
                ? await s.rows<{ Level: string; Code: number; Message: string }>(SHOW_WARNINGS)
                : [];
            const overflow = warnings.length < res.warningStatus;
            if (atomic) await s.run(overflow ? ROLLBACK : COMMIT);
            return { res, warnings, overflow };
          } catch (err) {
            if (atomic) await s.run(ROLLBACK).catch(() => undefined);
            throw err;
          }
        }),
      (attempt, err) =>
        deps.logger.warn('copy_retry', { attempt, retries: deps.retries, error: describeSqlError(err) }),
      deps.signal,
    ).catch((err: unknown) => {
      throw err instanceof OscError
        ? err
        : new MigrationError('COPY_FAILED', `copying a chunk failed: ${describeSqlError(err)}`, { cause: err });
    });
    const { res, warnings, overflow } = outcome;
    if (overflow && atomic) {
      deps.logger.info('copy_warnings_overflow', { chunk, warnings: res.warningStatus, reported: warnings.length });
      return null;
    }
    if (overflow) {
      throw new MigrationError(
        'COPY_FAILED',
        `a chunk raised ${res.warningStatus} warnings, more than the server reports back (${warnings.length}); rerun with a smaller --chunk-size`,
      );
    }
    const verdict = classifyWarnings(warnings, { name: deps.plan.key.name, ghostName: deps.plan.key.ghostName });
    if (verdict.problems.length > 0) {
      throw new MigrationError(
        'COPY_FAILED',
        `copying a chunk would change data: ${describeWarningProblem(verdict)}; nothing was lost, the original table is untouched`,
      );
    }
    const rowsRead = recordsOf(res.info) ?? res.affectedRows;
    const collided = await unmatchedRows(deps, verdict.duplicatesOnChunkKey, unmatched);
    if (verdict.otherDuplicateKeys.length === 0 && collided === 0) return { rowsRead, rowsInserted: res.affectedRows };
    if (check >= CONFLICT_RECHECKS) {
      if (collided > 0) {
        throw new MigrationError(
          'DATA_CONFLICT',
          `${collided} rows of chunk ${chunk} of the copy collide on key '${deps.plan.key.ghostName}' of the new table with other rows: the ALTER changes the character set or collation of ${deps.plan.key.exactColumns.join(', ')} and makes distinct values equal (a plain ALTER would fail with a duplicate-key error); make the values distinct first or change the ALTER; the original table is untouched`,
        );
      }
      throw new MigrationError(
        'DATA_CONFLICT',
        `rows of the table collide on unique key ${verdict.otherDuplicateKeys.map((k) => `'${k}'`).join(', ')} of the new table: the data has duplicate values for a UNIQUE key the ALTER adds or changes; remove the duplicates or change the ALTER; the original table is untouched`,
      );
    }
    deps.logger.info('copy_conflict_recheck', {
      keys: [...verdict.otherDuplicateKeys, ...(collided > 0 ? [deps.plan.key.ghostName] : [])].join(','),
      check: check + 1,
    });
    await deps.catchUp();
  }
}

/** `Records: 1000  Duplicates: 3  Warnings: 3` -> 1000 */
export function recordsOf(info: string | undefined): number | null {
  const m = /Records:\s*(\d+)/.exec(info ?? '');
  return m ? Number(m[1]) : null;
}
