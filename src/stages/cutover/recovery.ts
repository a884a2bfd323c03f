// What both cut-over algorithms use to end an attempt safely: KILL a connection and see it gone, ask the server
// which table is which, watch a statement's outcome.
import { sleep } from '../../io/sleep.js';
import { CutOverError } from '../../core/errors.js';
import { judgeTables, type FoundTable, type TablesVerdict } from '../../core/cutover/plan.js';
import { tablesNamed } from '../../core/sql/ddl.js';
import { kill, processPresent } from '../../core/sql/server.js';
import { withRetries } from '../../io/db/retry.js';
import type { SessionPool } from '../../io/db/pool.js';
import type { TablePlan } from '../../plan.js';

/**
 * The lock holder's server-side idle limit, over the lock timeout: it is never idle longer than that while osc runs,
 * so if osc's host freezes or vanishes the server ends the session by itself and the application's tables are free.
 */
export const LOCK_HOLDER_IDLE_MARGIN_SECONDS = 5;
const RECOVERY_TRIES = 3;
/** How long a KILLed connection may take to leave the processlist. */
const KILL_CONFIRM_MS = 10_000;

/** The recovery's reads and drops are idempotent: a lost pool connection is worth another try, not a stop. */
export function again<T>(fn: () => Promise<T>): Promise<T> {
  return withRetries(RECOVERY_TRIES, fn);
}

/** KILLs a connection of osc's user and waits until the processlist no longer shows it. */
export async function endConnection(pool: SessionPool, threadId: number): Promise<void> {
  const deadline = Date.now() + KILL_CONFIRM_MS;
  for (let n = 0; ; n++) {
    // Sent again now and then, in case a KILL was lost with its pool connection. An unknown thread (1094) is
    // already gone: the processlist says so.
    const killIt = kill(threadId);
    if (n % 25 === 0) await pool.run(killIt.sql, killIt.params).catch(() => undefined);
    const present = processPresent(threadId);
    const rows = await again(() => pool.rows(present.sql, present.params));
    if (rows.length === 0) return;
    if (Date.now() > deadline)
      throw new CutOverError(
        'CUT_OVER_UNCERTAIN',
        `connection ${threadId} is still there ${KILL_CONFIRM_MS} ms after KILL`,
      );
    await sleep(10);
  }
}

/** Which table is which, read from the server once no RENAME of the attempt can run any more. */
export async function tablesNow(
  pool: SessionPool,
  plan: Pick<TablePlan, 'database' | 'table' | 'ghost' | 'old'>,
  sentries: readonly string[],
): Promise<TablesVerdict> {
  const { database, table, ghost, old } = plan;
  const q = tablesNamed(database, [table, ghost, old]);
  const found = await again(() => pool.rows<{ name: string; comment: string | null }>(q.sql, q.params));
  return judgeTables(
    found.map((r): FoundTable => ({ name: r.name, comment: r.comment ?? '' })),
    { table, ghost, old },
    sentries,
  );
}

export interface SettleWatch {
  readonly promise: Promise<unknown>;
  readonly state: 'pending' | 'resolved' | 'rejected';
  /** The rejection, once rejected. */
  readonly error: unknown;
}

export function settleWatch(p: Promise<unknown>): SettleWatch {
  const w: { promise: Promise<unknown>; state: SettleWatch['state']; error: unknown } = {
    promise: p,
    state: 'pending',
    error: undefined,
  };
  p.then(
    () => {
      w.state = 'resolved';
    },
    (err: unknown) => {
      w.state = 'rejected';
      w.error = err;
    },
  );
  return w;
}
