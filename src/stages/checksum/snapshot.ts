// The checksum's consistent point: both tables read at one logical instant while writes and replay go on.
// Under a brief lock on the original (writers wait, as in the cut-over; readers go on) replay is drained to a
// marker and held, every checksum session opens its snapshot, and the lock goes. The cut-over's pieces serve:
// its lock-wait bound, the applier's held marker, the changelog marker, UNLOCK TABLES.
import { randomBytes } from 'node:crypto';
import { cutOverBackoffMillis, describeAttempt } from '../../core/cutover/plan.js';
import { MigrationError, OscError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { lockForSnapshot, SNAPSHOT_ISOLATION, START_SNAPSHOT } from '../../core/sql/checksum.js';
import { UNLOCK_TABLES } from '../../core/sql/ddl.js';
import { setLockWaitTimeout } from '../../core/sql/session.js';
import type { ConnectionConfig } from '../../core/config.js';
import { describeSqlError, isConnectionLost } from '../../io/db/errors.js';
import { openSession, type Session } from '../../io/db/pool.js';
import { sleep } from '../../io/sleep.js';
import type { TablePlan } from '../../plan.js';
import type { Applier } from '../replay/applier.js';

/** What the consistent point needs of replay (stages/replay/replay.ts). */
export interface SnapshotReplay {
  readonly control: Pick<Applier, 'waitForMarker' | 'release'>;
  writeMarker(token: string): Promise<void>;
  settleConflicts(signal: AbortSignal): Promise<void>;
  catchUpBeforeLock(signal: AbortSignal): Promise<void>;
  movedAsideRows(): number;
}

export interface SnapshotDeps {
  readonly connection: ConnectionConfig;
  readonly plan: Pick<TablePlan, 'database' | 'table'>;
  readonly replay: SnapshotReplay;
  /** The cut-over's lock budget (--cut-over-lock-timeout-seconds): the lock and the marker wait within it. */
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** As in the cut-over: the lock session ends by itself shortly after the lock budget should osc vanish. */
const IDLE_MARGIN_SECONDS = 5;

/**
 * Opens a REPEATABLE READ snapshot on each session at one consistent point; resolves with how long the original
 * was locked (ms). Retried like the cut-over (a long transaction on the table makes the lock wait time out); a lost
 * connection is thrown as it is, for the caller to open new sessions.
 */
export async function openSnapshots(deps: SnapshotDeps, sessions: readonly Session[]): Promise<number> {
  const { retries, logger, signal } = deps;
  for (let n = 1; ; n++) {
    if (signal.aborted) throw new MigrationError('ABORTED', 'aborted before the checksum');
    // Replay first, so the time under lock is spent on the few events written while locking.
    await deps.replay.settleConflicts(signal);
    await deps.replay.catchUpBeforeLock(signal);
    try {
      const lockMs = await attempt(deps, sessions);
      logger.info('checksum_snapshot', { attempt: describeAttempt(n, retries), lock_ms: lockMs });
      return lockMs;
    } catch (err) {
      if (signal.aborted || (err instanceof OscError && err.code === 'ABORTED')) throw err;
      // A checksum session is gone: retrying on it cannot succeed; the checksum opens new ones (checksum.ts).
      if (isConnectionLost(err)) throw err;
      const reason = err instanceof OscError ? err.message : describeSqlError(err);
      logger.warn('checksum_snapshot_failed', { attempt: describeAttempt(n, retries), reason });
      if (n >= retries) {
        throw new MigrationError(
          'CHECKSUM_FAILED',
          `the checksum could not open its consistent snapshot in ${retries} attempts (${reason}); the original table is untouched`,
          { cause: err },
        );
      }
      await sleep(cutOverBackoffMillis(n), signal);
    }
  }
}

async function attempt(deps: SnapshotDeps, sessions: readonly Session[]): Promise<number> {
  const { database, table } = deps.plan;
  const timeoutMs = deps.timeoutSeconds * 1000;
  for (const s of sessions) await s.run(SNAPSHOT_ISOLATION);
  const a = await openSession(deps.connection);
  let held = false;
  let clean = false;
  try {
    const bound = setLockWaitTimeout(deps.timeoutSeconds, deps.timeoutSeconds + IDLE_MARGIN_SECONDS);
    await a.run(bound.sql, bound.params);
    await a.run(lockForSnapshot(database, table));
    const lockedAt = Date.now();
    // Every change made before the lock is on the ghost once this marker is replayed; replay then holds.
    const token = `checksum-${randomBytes(6).toString('hex')}`;
    const replayed = deps.replay.control.waitForMarker(token, true, timeoutMs, deps.signal);
    replayed.catch(() => undefined);
    await deps.replay.writeMarker(token);
    await replayed;
    held = true;
    // A row replay moved aside is not back on the ghost yet: the tables would differ for no fault of the copy.
    if (deps.replay.movedAsideRows() > 0)
      throw new MigrationError('CHECKSUM_FAILED', 'rows moved aside by replay are waiting to be re-copied');
    await Promise.all(sessions.map((s) => s.run(START_SNAPSHOT)));
    await a.run(UNLOCK_TABLES);
    const lockMs = Date.now() - lockedAt;
    clean = true;
    return lockMs;
  } finally {
    if (held) deps.replay.control.release();
    // Closing the session ends its lock; a session in an unknown state is just dropped.
    if (clean) await a.close();
    else a.destroy();
  }
}
