// The two-connection cut-over (gh-ost's, with the `_t_del` sentry): MariaDB and MySQL before 8.0.13, which refuse
// RENAME TABLE under LOCK TABLES. core/cutover/plan.ts explains each step. Verified on MariaDB 10.11 and MySQL 9.7.
import { sleep } from '../../io/sleep.js';
import { CutOverError, MigrationError, OscError } from '../../core/errors.js';
import {
  createSentry,
  dropSentry,
  dropTable,
  lockForCutOver,
  lockGhostAlone,
  PREPARE_PROBE,
  probeStatement,
  renameForCutOver,
  sentryComment,
  UNLOCK_TABLES,
} from '../../core/sql/ddl.js';
import { kill, LOWER_CASE_TABLE_NAMES_QUERY, processState } from '../../core/sql/server.js';
import { setLockWaitTimeout } from '../../core/sql/session.js';
import { renameLockPlan, type CutOverStep, type RenameLockPlan } from '../../core/cutover/plan.js';
import { describeSqlError, ER_LOCK_WAIT_TIMEOUT, sqlErrno } from '../../io/db/errors.js';
import { openSession, settlesWithin, type Session, type SessionPool } from '../../io/db/pool.js';
import {
  again,
  endConnection,
  LOCK_HOLDER_IDLE_MARGIN_SECONDS,
  settleWatch,
  tablesNow,
  type SettleWatch,
} from './recovery.js';
import type { Attempt, CutOverDeps } from './cutover.js';
import { drainUnderLock } from './under-lock.js';

/** After UNLOCK, B's RENAME has this long beyond the attempt's deadline to report back. */
const RENAME_REPLY_GRACE_MS = 5_000;

/** Reads the server's lock order once; each attempt then creates its own sentry (token in its comment). */
export async function twoConnectionAttempts(deps: CutOverDeps): Promise<Attempt> {
  const locks = await lockPlan(deps);
  deps.logger.debug('cut_over_plan', {
    lock_order: locks.order.join(','),
    first_wait: locks.firstWait,
    queues_on_table: locks.queuesOnTable,
  });
  // Every sentry this run created: `_t_del` carrying one of these comments is provably ours.
  const sentries: string[] = [];
  return (token) => {
    sentries.push(sentryComment(token));
    return attempt(deps, locks, token, sentries);
  };
}

async function lockPlan(deps: CutOverDeps): Promise<RenameLockPlan> {
  const [row] = await deps.pool.rows<{ l: unknown }>(LOWER_CASE_TABLE_NAMES_QUERY);
  const { table, old, ghost } = deps.plan;
  return renameLockPlan(table, old, ghost, Number(row?.l ?? 0));
}

/** What one attempt opened and how far it got: the recovery after a failure reads it. */
interface AttemptState {
  a: Session | null;
  b: Session | null;
  probe: Session | null;
  /** LOCK TABLES was sent (its reply may be lost). */
  lockSent: boolean;
  /** B's RENAME, once sent; settles with 'ok' or the error. */
  rename: SettleWatch | null;
  /** Replay is held at this attempt's marker. */
  held: boolean;
  lockedAt: number;
}

/** One attempt; resolves with the time writes were blocked when the tables were swapped. */
async function attempt(
  deps: CutOverDeps,
  locks: RenameLockPlan,
  token: string,
  sentries: readonly string[],
): Promise<number> {
  const { pool, timeoutSeconds } = deps;
  const { database, table, ghost, old } = deps.plan;
  const timeoutMs = timeoutSeconds * 1000;
  const st: AttemptState = { a: null, b: null, probe: null, lockSent: false, rename: null, held: false, lockedAt: 0 };
  // Replay may go on only once the tables are known to be where they were.
  let releaseReplay = false;
  let clean = false;
  try {
    const a = (st.a = await openSession(deps.connection));
    const b = (st.b = await openSession(deps.connection));
    // Each step by its name in TWO_CONNECTION_STEPS, as it completes (with --verbose): where an attempt stopped is in the log.
    const step = async (name: CutOverStep) => {
      deps.logger.debug('cut_over_step', { step: name });
      await deps.testing?.afterStep?.(name, a);
    };
    const aTimeouts = setLockWaitTimeout(timeoutSeconds, timeoutSeconds + LOCK_HOLDER_IDLE_MARGIN_SECONDS);
    await a.run(aTimeouts.sql, aTimeouts.params);
    const bTimeout = setLockWaitTimeout(timeoutSeconds);
    await b.run(bTimeout.sql, bTimeout.params);
    const probe = (st.probe = await openSession(deps.connection));
    // MariaDB takes 0 as "do not wait" (verified on 10.11); MySQL's minimum is 1 s and strict mode refuses 0
    // (verified on 9.7). The probe never waits that long either way: a wait is seen in the processlist.
    const [zero, one] = [setLockWaitTimeout(0), setLockWaitTimeout(1)];
    await probe.run(zero.sql, zero.params).catch(() => probe.run(one.sql, one.params));
    // 1. The sentry: while it exists, RENAME ... TO _t_del fails, so the swap cannot happen without A's say.
    await a.run(createSentry(database, old, token));
    await step('create-sentry');
    // 2. Block writers to the original (and hold the sentry). From here on every wait ends by one deadline.
    st.lockSent = true;
    await a.run(lockForCutOver(database, table, old));
    st.lockedAt = Date.now();
    const deadline = st.lockedAt + timeoutMs;
    await step('lock-tables');
    // 3-4. The marker replayed, the checks; the ghost is not locked here, so the hook may write it on any session.
    await drainUnderLock(deps, token, timeoutMs, step, () => (st.held = true), pool);
    // 5. B queues the swap; it first waits on the sentry A holds (or on t, when t sorts first).
    const rename = (st.rename = settleWatch(
      b.run(renameForCutOver(database, table, old, ghost)).then(() => 'ok' as const),
    ));
    await step('issue-rename');
    await waitUntilQueued(pool, probe, database, locks.firstWait, rename, deadline);
    await step('wait-rename-blocked');
    // Once the sentry is gone only A keeps B from the table: nobody else may hold B up on the ghost meanwhile.
    await probe.run(lockGhostAlone(database, ghost)).catch((err: unknown) => {
      throw new MigrationError(
        'CUT_OVER_FAILED',
        `another session holds a lock on ${ghost} (${describeSqlError(err)}); the sentry stays until it is free`,
        { cause: err },
      );
    });
    await probe.run(UNLOCK_TABLES);
    await step('check-ghost-free');
    // 6. Drop the sentry. When t sorts last, B now takes _t_del, then _t_gho, then queues on t behind A.
    await a.run(dropSentry(database, old));
    await step('drop-sentry');
    // 7. Unlock only once B is queued on t: then B's pending RENAME goes before the pending writers.
    if (locks.queuesOnTable === 'after-drop' && deps.testing?.unlockRightAfterDrop !== true) {
      await waitUntilQueued(pool, probe, database, table, rename, deadline);
      await step('wait-rename-queued-on-table');
    }
    await a.run(UNLOCK_TABLES);
    await step('unlock');
    if (!(await settlesWithin(rename.promise, Math.max(0, deadline - Date.now()) + RENAME_REPLY_GRACE_MS))) {
      if (rename.state === 'rejected') throw rename.error;
      throw new MigrationError('CUT_OVER_FAILED', 'RENAME did not report back after the unlock');
    }
    await step('rename-completes');
    clean = true;
    return Date.now() - st.lockedAt;
  } catch (err) {
    const verdict = await recover(deps, st, sentries, err);
    if (verdict === 'swapped') {
      deps.logger.warn('cut_over_swapped_after_error', {
        reason: err instanceof OscError ? err.message : describeSqlError(err),
      });
      return Date.now() - st.lockedAt;
    }
    releaseReplay = true;
    throw err;
  } finally {
    // After a swap replay stays held: the orchestrator stops it (the original name now holds the ghost).
    if (st.held && releaseReplay) deps.applier.release();
    // After a failure the sessions may be killed or half-open: their sockets are just closed (B is gone by now).
    const sessions = [st.a, st.b, st.probe].filter((s): s is Session => s !== null);
    if (clean) await Promise.all(sessions.map((s) => s.close()));
    else for (const s of sessions) s.destroy();
  }
}

/**
 * After a failed attempt: makes sure B's RENAME can no longer run, then frees A's locks, then asks the server which
 * table is which, and drops `_t_del` only when it is this run's sentry. Throws CUT_OVER_UNCERTAIN when any of
 * that cannot be established: nothing is touched then.
 */
async function recover(
  deps: CutOverDeps,
  st: AttemptState,
  sentries: readonly string[],
  cause: unknown,
): Promise<'swapped' | 'intact'> {
  const { pool } = deps;
  const { database, table, ghost, old } = deps.plan;
  try {
    // B first: once A's locks go, a RENAME still pending would run (the server runs it even after B's client is gone).
    if (st.rename !== null && st.b !== null && st.rename.state !== 'resolved') await endConnection(pool, st.b.threadId);
    if (st.a !== null) {
      const a = st.a;
      const unlocked = !st.lockSent || (a.lostWith() === null && (await settlesWithin(a.run(UNLOCK_TABLES), 2_000)));
      if (!unlocked) await endConnection(pool, a.threadId);
    }
    const verdict = await tablesNow(pool, deps.plan, sentries);
    if (verdict.state === 'unknown') {
      throw new CutOverError(
        'CUT_OVER_UNCERTAIN',
        `after a failed cut-over attempt the server shows only [${verdict.found.join(', ')}] of ${table}, ${ghost} and ${old}; nothing was touched: check the tables by hand`,
        { cause },
      );
    }
    if (verdict.state === 'intact' && verdict.dropOld) await again(() => pool.run(dropTable(database, old)));
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

function throwIfSettled(rename: SettleWatch): void {
  if (rename.state === 'resolved')
    throw new MigrationError('INTERNAL', 'RENAME completed while the original table was locked');
  if (rename.state === 'rejected') throw rename.error;
}

async function threadState(pool: SessionPool, threadId: number): Promise<string> {
  const st = processState(threadId);
  const [row] = await pool.rows<{ STATE: string | null }>(st.sql, st.params);
  return String(row?.STATE ?? '');
}

const METADATA_LOCK_WAIT = /metadata lock/i;

/**
 * Resolves once an exclusive metadata lock request on `name` is pending: B's, the only one during the cut-over.
 * The probe prepares a SELECT on it, which takes a plain shared lock: A's LOCK TABLES ... WRITE lets it through,
 * a pending (or granted) exclusive request blocks it (verified on MariaDB 10.11 and MySQL 9.7). Blocked, the probe
 * fails at once (MariaDB, lock_wait_timeout 0) or is seen waiting in the processlist (MySQL, minimum 1 s).
 */
async function waitUntilQueued(
  pool: SessionPool,
  probe: Session,
  database: string,
  name: string,
  rename: SettleWatch,
  deadline: number,
): Promise<void> {
  const st = probeStatement(database, name);
  await probe.run(st.sql, st.params);
  for (;;) {
    throwIfSettled(rename);
    if (Date.now() > deadline)
      throw new MigrationError('CUT_OVER_FAILED', `RENAME was not seen queued on ${name} in time`);
    const read = settleWatch(probe.run(PREPARE_PROBE));
    for (;;) {
      await sleep(1);
      if (read.state !== 'pending') break;
      if (METADATA_LOCK_WAIT.test(await threadState(pool, probe.threadId))) {
        const killQuery = kill(probe.threadId, 'query');
        await pool.run(killQuery.sql, killQuery.params).catch(() => undefined);
        while (read.state === 'pending') await sleep(1);
        return;
      }
    }
    if (read.state === 'resolved') continue;
    if (sqlErrno(read.error) === ER_LOCK_WAIT_TIMEOUT) return;
    throw read.error;
  }
}
