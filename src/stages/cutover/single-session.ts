// The single-session cut-over (MySQL 8.0.13 and later): one session locks the original and the ghost, lets replay
// finish through it, renames both and unlocks. core/cutover/plan.ts explains why and what was verified where.
// Verified on MySQL 9.7; the statements used are those the 8.0 and 8.4 manuals document for 8.0.13 and later.
import { CutOverError, OscError } from '../../core/errors.js';
import { lockForSwap, renameForCutOver, UNLOCK_TABLES } from '../../core/sql/ddl.js';
import { AUTOCOMMIT_OFF, setLockWaitTimeout } from '../../core/sql/session.js';
import type { CutOverStep } from '../../core/cutover/plan.js';
import { describeSqlError } from '../../io/db/errors.js';
import { openSession, type Session } from '../../io/db/pool.js';
import {
  endConnection,
  LOCK_HOLDER_IDLE_MARGIN_SECONDS,
  settleWatch,
  tablesNow,
  type SettleWatch,
} from './recovery.js';
import type { Attempt, CutOverDeps } from './cutover.js';
import { drainUnderLock } from './under-lock.js';

export function singleSessionAttempts(deps: CutOverDeps): Attempt {
  return (token) => attempt(deps, token);
}

/** What one attempt opened and how far it got: the recovery after a failure reads it. */
interface AttemptState {
  a: Session | null;
  /** LOCK TABLES was sent (its reply may be lost): A may hold the tables. */
  lockSent: boolean;
  /** The RENAME, once sent. */
  rename: SettleWatch | null;
  /** Replay is held at this attempt's marker. */
  held: boolean;
  lockedAt: number;
}

/** One attempt; resolves with the time writes were blocked when the tables were swapped. */
async function attempt(deps: CutOverDeps, token: string): Promise<number> {
  const { applier, timeoutSeconds } = deps;
  const { database, table, ghost, old } = deps.plan;
  const timeoutMs = timeoutSeconds * 1000;
  const st: AttemptState = { a: null, lockSent: false, rename: null, held: false, lockedAt: 0 };
  let releaseReplay = false;
  let clean = false;
  try {
    const a = (st.a = await openSession(deps.connection));
    // Each step by its name in SINGLE_SESSION_STEPS, as it completes (with --verbose).
    const step = async (name: CutOverStep) => {
      deps.logger.debug('cut_over_step', { step: name });
      await deps.testing?.afterStep?.(name, a);
    };
    // 1. No replay batch may be under way on another session once A holds the ghost.
    await applier.pause();
    await step('hold-replay');
    // The idle limit frees the tables should osc's host vanish: the server ends A, which renamed nothing yet. (Set
    // after the pause, which waits for a batch of any length.)
    const timeouts = setLockWaitTimeout(timeoutSeconds, timeoutSeconds + LOCK_HOLDER_IDLE_MARGIN_SECONDS);
    await a.run(timeouts.sql, timeouts.params);
    // Replay's transactions on A end with COMMIT, which keeps the table locks (START TRANSACTION would drop them).
    await a.run(AUTOCOMMIT_OFF);
    // 2. Writers to the original queue from here on; the ghost is A's alone, so replay goes on through A.
    st.lockSent = true;
    await a.run(lockForSwap(database, table, ghost));
    st.lockedAt = Date.now();
    applier.resume(a);
    await step('lock-tables');
    // 3-4. The marker replayed through A (the ghost is A's alone), the checks, the hook on A.
    await drainUnderLock(deps, token, timeoutMs, step, () => (st.held = true), a);
    // 5. The swap, atomic and under A's lock: writers queued on t still wait. A `_t_del` that exists fails it (1050).
    // It may wait for another session's shared lock (a HANDLER, say) only until the attempt's deadline (MySQL's
    // lock_wait_timeout is at least 1 s).
    const left = setLockWaitTimeout(Math.max(1, Math.ceil((st.lockedAt + timeoutMs - Date.now()) / 1000)));
    await a.run(left.sql, left.params);
    const rename = (st.rename = settleWatch(a.run(renameForCutOver(database, table, old, ghost))));
    await rename.promise;
    await step('rename-completes');
    // 6. The writers queued on t get the new t.
    await a.run(UNLOCK_TABLES);
    const lockMs = Date.now() - st.lockedAt;
    await step('unlock');
    clean = true;
    return lockMs;
  } catch (err) {
    const verdict = await recover(deps, st, err);
    if (verdict === 'swapped') {
      deps.logger.warn('cut_over_swapped_after_error', {
        reason: err instanceof OscError ? err.message : describeSqlError(err),
      });
      return Date.now() - st.lockedAt;
    }
    releaseReplay = true;
    throw err;
  } finally {
    // Replay goes on through the pool; after a swap it stays held at the marker until the orchestrator stops it.
    applier.resume(null);
    if (st.held && releaseReplay) applier.release();
    if (clean) await st.a?.close();
    else st.a?.destroy();
  }
}

/**
 * After a failed attempt: ends A (its locks go with it and the server rolls back what replay left open on it), then
 * asks the server which table is which (a RENAME whose reply was lost may have run). A RENAME that returned is a swap
 * whatever failed after it (the UNLOCK: A's end frees the tables). Throws CUT_OVER_UNCERTAIN when the state cannot
 * be established (the ghost gone, say): nothing is touched then.
 */
async function recover(deps: CutOverDeps, st: AttemptState, cause: unknown): Promise<'swapped' | 'intact'> {
  const { pool } = deps;
  const { table, ghost, old } = deps.plan;
  if (st.rename?.state === 'resolved') return 'swapped';
  try {
    // Replay may be applying a batch through A: it fails with A and is applied again on the pool.
    deps.applier.resume(null);
    if (st.a !== null && st.lockSent) await endConnection(pool, st.a.threadId);
    const verdict = await tablesNow(pool, deps.plan, []);
    if (verdict.state === 'unknown') {
      throw new CutOverError(
        'CUT_OVER_UNCERTAIN',
        `after a failed cut-over attempt the server shows only [${verdict.found.join(', ')}] of ${table}, ${ghost} and ${old}; nothing was touched: check the tables by hand`,
        { cause },
      );
    }
    return verdict.state;
  } catch (err) {
    if (err instanceof CutOverError && err.code === 'CUT_OVER_UNCERTAIN') throw err;
    throw new CutOverError(
      'CUT_OVER_UNCERTAIN',
      `a cut-over attempt failed (${cause instanceof OscError ? cause.message : describeSqlError(cause)}) and whether the tables were swapped cannot be established (${describeSqlError(err)}); nothing was touched: check ${table}, ${ghost} and ${old} by hand`,
      { cause: err },
    );
  }
}
