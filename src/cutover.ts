// The atomic cut-over, gh-ost's two-connection algorithm (core/cutover/plan.ts explains each step).
// Verified on MariaDB 10.11 (which refuses RENAME under LOCK TABLES) and MySQL 9.7; the same steps work on
// MySQL 8.0/8.4, so one algorithm serves every flavour.
import { CutOverError, MigrationError, OscError } from './core/errors.js';
import { createSentry, dropSentry, dropTable, lockForCutOver, renameForCutOver } from './core/sql/ddl.js';
import { cutOverBackoffMillis, describeAttempt } from './core/cutover/plan.js';
import type { ConnectionConfig } from './core/config.js';
import { openSession, type Session, type SessionPool } from './io/pool.js';
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
    await deps.applier.idle(deps.signal);
    logger.info('cut_over_attempt', { attempt: describeAttempt(n, retries) });
    try {
      const lockMs = await attempt(deps, n);
      logger.info('cut_over_done', { attempt: describeAttempt(n, retries), lock_ms: lockMs });
      return { attempts: n, lockMs };
    } catch (err) {
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
  let sentry = false;
  let locked = false;
  let held = false;
  let rename: Promise<unknown> | null = null;
  let lockedAt = 0;
  let succeeded = false;
  try {
    a = await openSession(deps.connection);
    b = await openSession(deps.connection);
    await a.run('SET SESSION lock_wait_timeout = ?', [timeoutSeconds]);
    await b.run('SET SESSION lock_wait_timeout = ?', [timeoutSeconds]);
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
    // 4. B queues the swap behind A's lock; DDL waiting on a metadata lock goes before the waiting DML.
    const session = b;
    rename = session.run(renameForCutOver(database, table, old, ghost)).then(
      () => 'ok' as const,
      (err: unknown) => err,
    );
    await waitUntilRenameWaits(pool, session.threadId, rename, timeoutMs);
    // 5. Drop the sentry and unlock: B's RENAME runs first.
    await a.run(dropSentry(database, old));
    sentry = false;
    await a.run('UNLOCK TABLES');
    locked = false;
    const outcome = await rename;
    if (outcome !== 'ok') throw outcome;
    succeeded = true;
    return Date.now() - lockedAt;
  } catch (err) {
    // Unlock first: the sentry (if still there) makes a queued RENAME fail rather than swap.
    if (locked && a) await a.run('UNLOCK TABLES').catch(() => a?.destroy());
    if (rename && b) {
      let outcome = await Promise.race([rename, sleep(timeoutMs + 2000).then(() => 'pending' as const)]);
      if (outcome === 'pending') {
        await pool.run('KILL QUERY ?', [b.threadId]).catch(() => undefined);
        outcome = await rename;
      }
      if (outcome === 'ok') {
        // The swap happened after all (e.g. A's session died after the sentry was dropped).
        succeeded = true;
        return Date.now() - lockedAt;
      }
    }
    // RENAME did not run: _t_del is our sentry (or absent), never the old table.
    if (sentry) await pool.run(dropTable(database, old)).catch(() => undefined);
    throw err;
  } finally {
    // After a successful swap replay stays held: the orchestrator stops it (the original name now holds the ghost).
    if (held && !succeeded) deps.applier.release();
    await a?.close();
    await b?.close();
  }
}

async function waitUntilRenameWaits(pool: SessionPool, threadId: number, rename: Promise<unknown>, timeoutMs: number): Promise<void> {
  let settled: unknown = undefined;
  let done = false;
  void rename.then((v) => {
    settled = v;
    done = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done) {
      throw settled === 'ok'
        ? new MigrationError('INTERNAL', 'RENAME completed while the original table was locked')
        : settled;
    }
    const [row] = await pool.rows<{ STATE: string | null; INFO: string | null }>(
      'SELECT STATE, INFO FROM information_schema.PROCESSLIST WHERE ID = ?',
      [threadId],
    );
    if (row && /metadata lock/i.test(String(row.STATE ?? '')) && /^\s*rename/i.test(String(row.INFO ?? ''))) return;
    await sleep(5);
  }
  throw new MigrationError('CUT_OVER_FAILED', `RENAME was not seen waiting on the metadata lock within ${timeoutMs} ms`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
