// The atomic cut-over: bounded attempts of one of two algorithms (core/cutover/plan.ts says which and why), each
// failure leaving the original intact and writable. single-session.ts: MySQL 8.0.13 and later, one session locks,
// renames and unlocks. two-connection.ts: gh-ost's algorithm with its sentry, for MariaDB and older MySQL.
import { randomBytes } from 'node:crypto';
import { sleep } from '../../io/sleep.js';
import { CutOverError, MigrationError, OscError } from '../../core/errors.js';
import {
  cutOverBackoffMillis,
  describeAttempt,
  type CutOverAlgorithm,
  type CutOverStep,
} from '../../core/cutover/plan.js';
import type { ConnectionConfig } from '../../core/config.js';
import { describeSqlError } from '../../io/db/errors.js';
import type { Db, Session, SessionPool } from '../../io/db/pool.js';
import type { Applier } from '../replay/applier.js';
import type { Logger } from '../../core/log.js';
import type { TablePlan } from '../../plan.js';
import { singleSessionAttempts } from './single-session.js';
import { twoConnectionAttempts } from './two-connection.js';

export interface CutOverDeps {
  readonly connection: ConnectionConfig;
  readonly pool: SessionPool;
  /** The tables swapped: the original becomes `old`, the ghost takes the original's name. */
  readonly plan: Pick<TablePlan, 'database' | 'table' | 'ghost' | 'old'>;
  /** cutOverAlgorithm(server): single-session on MySQL 8.0.13+, two-connection elsewhere. */
  readonly algorithm: CutOverAlgorithm;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly applier: Pick<Applier, 'waitForMarker' | 'release' | 'idle' | 'pause' | 'resume'>;
  readonly writeMarker: (token: string) => Promise<void>;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly onAttempt?: (attempt: number) => void;
  /** Runs before each attempt, outside any lock (re-copies rows replay moved aside). */
  readonly beforeAttempt?: () => Promise<void>;
  /** Rows replay moved aside and not yet re-copied: the swap must wait until there are none. */
  readonly movedAsideRows?: () => number;
  /** Each attempt's duration, and whether it swapped the tables. */
  readonly onAttemptDone?: (ms: number, ok: boolean) => void;
  /**
   * Runs under the lock, after the marker is replayed and before the RENAME: the original can no longer change and
   * replay is held. `db` may write the ghost (single-session: the lock holder, the only session that may; two
   * connections: the pool). Counts in the lock time; a failure fails the attempt (nothing swapped).
   */
  readonly beforeRename?: (db: Db) => Promise<void>;
  /** Throws unless this run still holds its run lock; asked under the lock, just before the RENAME. */
  readonly checkRunLock?: () => Promise<void>;
  /** For tests only; the command line never sets it. */
  readonly testing?: CutOverTesting;
}

export interface CutOverTesting {
  /** Awaited as each attempt begins, before osc prepares it (settles conflicts, catches replay up). */
  readonly beforeAttempt?: () => Promise<void>;
  /** gh-ost's order: UNLOCK straight after dropping the sentry (the unlock-order test shows what that loses). */
  readonly unlockRightAfterDrop?: boolean;
  /** Awaited after each step that ran, with the lock holder's session: to look at the tables under the lock, or to stall. */
  readonly afterStep?: (step: CutOverStep, a: Session) => Promise<void>;
}

export interface CutOverResult {
  readonly attempts: number;
  /** How long the original table was locked (writes blocked), in ms. */
  readonly lockMs: number;
}

/** One attempt with this token (`<run>-<n>`, the marker's and the sentry's); resolves with the lock time in ms. */
export type Attempt = (token: string) => Promise<number>;

/** Errors after which another attempt would not help. */
const FINAL_CODES: ReadonlySet<string> = new Set(['DATA_CONFLICT', 'ABORTED', 'RUN_LOCK_LOST', 'CUT_OVER_UNCERTAIN']);

export async function cutOver(deps: CutOverDeps): Promise<CutOverResult> {
  const { retries, logger } = deps;
  logger.info('cut_over_algorithm', { algorithm: deps.algorithm });
  const attempt = deps.algorithm === 'single-session' ? singleSessionAttempts(deps) : await twoConnectionAttempts(deps);
  const run = randomBytes(6).toString('hex');
  for (let n = 1; n <= retries; n++) {
    if (deps.signal.aborted) throw new MigrationError('ABORTED', 'aborted before the cut-over');
    deps.onAttempt?.(n);
    await deps.testing?.beforeAttempt?.();
    // Replay first, so the time under lock is spent on the few events written while locking.
    await deps.beforeAttempt?.();
    await deps.applier.idle(deps.signal);
    // idle() returns early on an abort: a signal that came while replay caught up must not lead to a swap.
    if (deps.signal.aborted) throw new MigrationError('ABORTED', 'aborted before the cut-over');
    logger.info('cut_over_attempt', { attempt: describeAttempt(n, retries) });
    const began = Date.now();
    try {
      const lockMs = await attempt(`${run}-${n}`);
      deps.onAttemptDone?.(Date.now() - began, true);
      logger.info('cut_over_done', { attempt: describeAttempt(n, retries), lock_ms: lockMs });
      return { attempts: n, lockMs };
    } catch (err) {
      deps.onAttemptDone?.(Date.now() - began, false);
      if (deps.signal.aborted || (err instanceof OscError && FINAL_CODES.has(err.code))) throw err;
      const reason = err instanceof OscError ? err.message : describeSqlError(err);
      logger.warn('cut_over_failed', { attempt: describeAttempt(n, retries), reason, original: 'intact' });
      if (n < retries) await sleep(cutOverBackoffMillis(n), deps.signal);
    }
  }
  throw new CutOverError(
    'CUT_OVER_FAILED',
    `cut-over failed ${retries} times (see the cut_over_failed lines: usually a long transaction or lock on the table); the original table is untouched`,
  );
}
