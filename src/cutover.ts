// The atomic cut-over, gh-ost's two-connection algorithm (core/cutover/plan.ts explains each step).
// Verified on MariaDB 10.11 (which refuses RENAME under LOCK TABLES) and MySQL 9.7; the same steps work on
// MySQL 8.0/8.4, so one algorithm serves every flavour.
import { sleep } from './sleep.js';
import { CutOverError, MigrationError, OscError } from './core/errors.js';
import { createSentry, dropSentry, dropTable, lockForCutOver, renameForCutOver } from './core/sql/ddl.js';
import { cutOverBackoffMillis, describeAttempt } from './core/cutover/plan.js';
import type { ConnectionConfig } from './core/config.js';
import { openSession, sqlErrno, type Session, type SessionPool } from './io/pool.js';
import { qualify } from './core/sql/quote.js';
import type { Applier } from './applier.js';
import { describeSqlError } from './applier.js';
import type { Logger } from './log.js';

export interface CutOverDeps {
  readonly connection: ConnectionConfig;
  readonly pool: SessionPool;
  readonly database: string;
  readonly table: string;
  readonly ghost: string;
  readonly old: string;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly applier: Pick<Applier, 'waitForMarker' | 'release' | 'idle'>;
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
   * Runs while A holds the lock, after the marker is replayed and before B's RENAME is issued: the original can no
   * longer change and replay is held. Counts in the lock time; a failure fails the attempt (nothing swapped).
   */
  readonly beforeRename?: () => Promise<void>;
}

export interface CutOverResult {
  readonly attempts: number;
  /** How long the original table was locked (writes blocked), in ms. */
  readonly lockMs: number;
}

export async function cutOver(deps: CutOverDeps): Promise<CutOverResult> {
  const { retries, logger } = deps;
  for (let n = 1; n <= retries; n++) {
    if (deps.signal.aborted) throw new MigrationError('ABORTED', 'aborted before the cut-over');
    deps.onAttempt?.(n);
    // Replay first, so the time under lock is spent on the few events written while locking.
    await deps.beforeAttempt?.();
    await deps.applier.idle(deps.signal);
    logger.info('cut_over_attempt', { attempt: describeAttempt(n, retries) });
    const began = Date.now();
    try {
      const lockMs = await attempt(deps, n);
      deps.onAttemptDone?.(Date.now() - began, true);
      logger.info('cut_over_done', { attempt: describeAttempt(n, retries), lock_ms: lockMs });
      return { attempts: n, lockMs };
    } catch (err) {
      deps.onAttemptDone?.(Date.now() - began, false);
      if (deps.signal.aborted || (err instanceof OscError && (err.code === 'DATA_CONFLICT' || err.code === 'ABORTED'))) throw err;
      const reason = err instanceof OscError ? err.message : describeSqlError(err);
      logger.warn('cut_over_failed', { attempt: describeAttempt(n, retries), reason, original: 'intact' });
      if (n < retries) await sleep(cutOverBackoffMillis(n), deps.signal);
    }
  }
  throw new CutOverError('CUT_OVER_FAILED', `cut-over failed ${retries} times (see the cut_over_failed lines: usually a long transaction or lock on the table); the original table is untouched`);
}

async function attempt(deps: CutOverDeps, n: number): Promise<number> {
  const { pool, database, table, ghost, old, timeoutSeconds } = deps;
  const timeoutMs = timeoutSeconds * 1000;
  let a: Session | null = null;
  let b: Session | null = null;
  let probe: Session | null = null;
  let sentry = false;
  let locked = false;
  let held = false;
  let rename: Promise<unknown> | null = null;
  let lockedAt = 0;
  let succeeded = false;
  try {
    a = await openSession(deps.connection);
    b = await openSession(deps.connection);
    probe = await openSession(deps.connection);
    await a.run('SET SESSION lock_wait_timeout = ?', [timeoutSeconds]);
    await b.run('SET SESSION lock_wait_timeout = ?', [timeoutSeconds]);
    // MariaDB takes 0 as "do not wait" (verified on 10.11); MySQL's minimum is 1 s and strict mode refuses 0
    // (verified on 9.7). The probe never waits that long either way: a wait is seen in the processlist.
    const p = probe;
    await p.run('SET SESSION lock_wait_timeout = 0').catch(() => p.run('SET SESSION lock_wait_timeout = 1'));
    // 1. The sentry: while it exists, RENAME ... TO _t_del fails, so the swap cannot happen without A's say.
    await a.run(createSentry(database, old));
    sentry = true;
    // 2. Block writers to the original (and hold the sentry).
    await a.run(lockForCutOver(database, table, old));
    locked = true;
    lockedAt = Date.now();
    // 3. Every change made before the lock is replayed once this marker is; replay then holds.
    const token = `cut-over ${n} ${lockedAt}`;
    const replayed = deps.applier.waitForMarker(token, true, timeoutMs, deps.signal);
    replayed.catch(() => undefined);
    await deps.writeMarker(token);
    await replayed;
    held = true;
    // A row moved aside while replaying up to the marker is not back in the ghost yet: not now.
    if ((deps.movedAsideRows?.() ?? 0) > 0) throw new MigrationError('CUT_OVER_FAILED', 'rows moved aside by replay are waiting to be re-copied');
    await deps.beforeRename?.();
    const deadline = Date.now() + timeoutMs;
    // 4. B queues the swap; it first waits on the sentry A holds.
    const bThread = b.threadId;
    rename = b.run(renameForCutOver(database, table, old, ghost)).then(
      () => 'ok' as const,
      (err: unknown) => err,
    );
    const watch = settleWatch(rename);
    await waitForMetadataLockWait(pool, bThread, watch, deadline);
    // 5. Drop the sentry: B takes _t_del, then _t_gho, then queues on t behind A.
    await a.run(dropSentry(database, old));
    sentry = false;
    // 6. Unlock only once B is queued on t: then B's pending RENAME goes before the pending writers.
    await waitUntilGhostHeld(pool, probe, qualify(database, ghost), watch, deadline);
    await waitForMetadataLockWait(pool, bThread, watch, deadline);
    await a.run('UNLOCK TABLES');
    locked = false;
    const outcome = await rename;
    if (outcome !== 'ok') throw outcome;
    succeeded = true;
    return Date.now() - lockedAt;
  } catch (err) {
    // Kill B's RENAME before unlocking: once the sentry is gone nothing else would stop it.
    if (rename && b) {
      const bThread = b.threadId;
      let outcome = await Promise.race([rename, sleep(20).then(() => 'pending' as const)]);
      if (outcome === 'pending') {
        await pool.run('KILL QUERY ?', [bThread]).catch(() => undefined);
        outcome = await Promise.race([rename, sleep(timeoutMs + 2000).then(() => 'pending' as const)]);
        if (outcome === 'pending') b.destroy();
      }
      if (outcome === 'ok') {
        // The swap happened after all (A's session died after the sentry was dropped): every change was replayed.
        succeeded = true;
        return Date.now() - lockedAt;
      }
    }
    if (locked && a) await a.run('UNLOCK TABLES').catch(() => a?.destroy());
    // RENAME did not run: _t_del is our sentry (or absent), never the old table.
    if (sentry) await pool.run(dropTable(database, old)).catch(() => undefined);
    throw err;
  } finally {
    // After a successful swap replay stays held: the orchestrator stops it (the original name now holds the ghost).
    if (held && !succeeded) deps.applier.release();
    await a?.close();
    await b?.close();
    await probe?.close();
  }
}

interface SettleWatch {
  readonly settled: boolean;
  readonly value: unknown;
}

function settleWatch(p: Promise<unknown>): SettleWatch {
  const w = { settled: false, value: undefined as unknown };
  void p.then((v) => {
    w.settled = true;
    w.value = v;
  });
  return w;
}

function throwIfSettled(rename: SettleWatch): void {
  if (!rename.settled) return;
  throw rename.value === 'ok' ? new MigrationError('INTERNAL', 'RENAME completed while the original table was locked') : rename.value;
}

async function threadState(pool: SessionPool, threadId: number): Promise<string> {
  const [row] = await pool.rows<{ STATE: string | null }>('SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = ?', [threadId]);
  return String(row?.STATE ?? '');
}

const METADATA_LOCK_WAIT = /metadata lock/i;

async function waitForMetadataLockWait(pool: SessionPool, threadId: number, rename: SettleWatch, deadline: number): Promise<void> {
  for (;;) {
    throwIfSettled(rename);
    if (METADATA_LOCK_WAIT.test(await threadState(pool, threadId))) return;
    if (Date.now() > deadline) throw new MigrationError('CUT_OVER_FAILED', 'RENAME was not seen waiting on the metadata lock in time');
    await sleep(2);
  }
}

/**
 * Resolves once someone (B, the only other user of the ghost during cut-over) holds the ghost's metadata lock:
 * the probe's read of it then fails at once (MariaDB, lock_wait_timeout 0) or waits (MySQL, minimum 1 s).
 */
async function waitUntilGhostHeld(pool: SessionPool, probe: Session, ghost: string, rename: SettleWatch, deadline: number): Promise<void> {
  for (;;) {
    throwIfSettled(rename);
    if (Date.now() > deadline) throw new MigrationError('CUT_OVER_FAILED', 'RENAME did not reach the table lock in time');
    const read = settleWatch(probe.run(`SELECT 1 FROM ${ghost} LIMIT 0`).then(() => 'free' as const, (err: unknown) => err));
    for (;;) {
      await sleep(1);
      if (read.settled) break;
      if (METADATA_LOCK_WAIT.test(await threadState(pool, probe.threadId))) {
        await pool.run('KILL QUERY ?', [probe.threadId]).catch(() => undefined);
        while (!read.settled) await sleep(1);
        return;
      }
    }
    if (read.value === 'free') continue;
    if (sqlErrno(read.value) === 1205) return;
    throw read.value;
  }
}

