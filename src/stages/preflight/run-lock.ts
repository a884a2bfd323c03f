// A named lock held for the whole run on a dedicated connection, so two runs on one table cannot collide.
// GET_LOCK is released by the server when the connection ends, so a crashed run never leaves it behind — and a
// run whose lock connection ended (killed, timed out, network) is no longer protected: it must stop.
import type { ConnectionConfig } from '../../core/config.js';
import { MigrationError, PreflightError } from '../../core/errors.js';
import { getLock, lockHolder, releaseLock } from '../../core/sql/server.js';
import { openSession, type Session } from '../../io/db/pool.js';

export interface RunLock {
  readonly name: string;
  /** Asks the server whether this run still holds the lock; throws MigrationError('RUN_LOCK_LOST') if not. */
  check(): Promise<void>;
  /** `cb` runs once, as soon as the lock is found lost (its connection ended, or a check failed). */
  onLost(cb: (err: MigrationError) => void): void;
  release(): Promise<void>;
}

/** How often the lock is checked; the check also keeps its idle connection alive. */
const CHECK_INTERVAL_MS = 1_000;

export async function acquireRunLock(c: ConnectionConfig, name: string, what: string): Promise<RunLock> {
  const session: Session = await openSession(c);
  try {
    const st = getLock(name);
    const [row] = await session.rows<{ got: number | string | null; holder: number | string | null }>(
      st.sql,
      st.params,
    );
    if (Number(row?.got) !== 1) {
      throw new PreflightError(
        'ALREADY_RUNNING',
        `another osc run is already migrating ${what} (lock '${name}' held by connection ${String(row?.holder ?? '?')}); wait for it to finish or stop it first`,
      );
    }
  } catch (err) {
    await session.close();
    throw err;
  }
  return new HeldLock(session, name, what);
}

class HeldLock implements RunLock {
  private lost: MigrationError | null = null;
  private released = false;
  private readonly listeners: Array<(err: MigrationError) => void> = [];
  private readonly timer: NodeJS.Timeout;
  private checking: Promise<void> | null = null;

  constructor(
    private readonly session: Session,
    readonly name: string,
    private readonly what: string,
  ) {
    this.timer = setInterval(() => void this.check().catch(() => undefined), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  check(): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    // One question at a time on the lock's connection; concurrent callers share it.
    this.checking ??= this.ask().finally(() => (this.checking = null));
    return this.checking;
  }

  onLost(cb: (err: MigrationError) => void): void {
    if (this.lost) cb(this.lost);
    else this.listeners.push(cb);
  }

  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.timer);
    const st = releaseLock(this.name);
    await this.session.rows(st.sql, st.params).catch(() => undefined);
    await this.session.close();
  }

  private async ask(): Promise<void> {
    let held = false;
    let cause: unknown = this.session.lostWith();
    if (cause === null) {
      try {
        const st = lockHolder(this.name);
        const [row] = await this.session.rows<{ holder: number | string | null; me: number | string }>(
          st.sql,
          st.params,
        );
        held = row !== undefined && row.holder !== null && String(row.holder) === String(row.me);
      } catch (err) {
        cause = err;
      }
    }
    if (this.released || (cause === null && held)) return;
    throw this.fail(cause);
  }

  private fail(cause: unknown): MigrationError {
    if (this.lost) return this.lost;
    clearInterval(this.timer);
    const how =
      cause === null ? 'it is no longer held by its connection' : 'its connection ended (killed, timed out or cut off)';
    this.lost = new MigrationError(
      'RUN_LOCK_LOST',
      `the run lock '${this.name}' was lost: ${how}. Another osc run could now start on ${this.what}, so this one stops; the original table is untouched`,
      cause === null ? undefined : { cause },
    );
    for (const cb of this.listeners.splice(0)) cb(this.lost);
    return this.lost;
  }
}
