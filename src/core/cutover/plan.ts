// The cut-over's ordered steps and its retry policy (gh-ost's two-connection algorithm).
//
// Why two connections: MariaDB refuses RENAME TABLE from a session that holds LOCK TABLES, and a
// RENAME issued without a lock leaves a window where writes reach the original after the ghost
// caught up. So connection A locks the original, connection B queues a RENAME behind that lock,
// and A's UNLOCK hands the table straight to B: no write can slip in between.
//
// The sentry `_<t>_del` makes every failure safe. It exists (created and locked by A) for as long
// as A holds its lock, so B's `RENAME t TO _t_del` can only succeed after A dropped it on purpose.
// If A dies before that, its locks are released and B's RENAME fails because `_t_del` still exists:
// the original stays in place and the attempt is retried.
//
// A race gh-ost's algorithm leaves open, and how osc closes it: the server takes a statement's
// metadata locks one by one in name order, and `_t_del` and `_t_gho` sort before `t`. So B first
// waits on the sentry, and only after A drops it does B take `_t_gho` and queue on `t`. If A
// unlocked right after the drop, writers already queued on `t` could get the table before B and
// commit on the original after the marker: lost to the ghost (measured on MariaDB 10.11: 4 of 20
// swaps with no pause between DROP and UNLOCK). osc therefore unlocks only once B provably holds
// `_t_gho` (a probe on `_t_gho` from C fails or waits) and waits on the metadata lock again (now
// `t`, where a pending RENAME goes before pending DML). On any failure B's RENAME is killed before
// A unlocks, so a failed attempt never swaps.

/** The steps of one attempt, in order; logged by name. */
export const CUT_OVER_STEPS = [
  // A: the sentry table that blocks B's RENAME until A drops it.
  'create-sentry',
  // A: LOCK TABLES t WRITE, _t_del WRITE. Writers on t now queue; failure here: nothing changed.
  'lock-tables',
  // C: write a marker row to the changelog; every change committed before the lock precedes it.
  'write-marker',
  // Wait until the streamer replayed the marker: the ghost holds every change made to t.
  'wait-marker-replayed',
  // B: RENAME TABLE t TO _t_del, _t_gho TO t (its own lock_wait_timeout); it blocks behind A.
  'issue-rename',
  // Wait until the processlist shows B waiting on the metadata lock, so B is first in the queue.
  'wait-rename-blocked',
  // A: DROP TABLE _t_del (allowed: A holds its write lock).
  'drop-sentry',
  // C probes _t_gho until B holds it, then the processlist shows B waiting again: on t.
  'wait-rename-queued-on-table',
  // A: UNLOCK TABLES.
  'unlock',
  // B's RENAME runs before any queued writer: t is now the migrated table, the original is _t_del.
  'rename-completes',
] as const;

export type CutOverStep = (typeof CUT_OVER_STEPS)[number];

const FIRST_BACKOFF_MILLIS = 500;
const MAX_BACKOFF_MILLIS = 5_000;

/** Wait before retrying after failed attempt `attempt` (1-based): 500 ms doubling, capped at 5 s. */
export function cutOverBackoffMillis(attempt: number): number {
  const n = Number.isSafeInteger(attempt) && attempt > 1 ? attempt : 1;
  // Exponent capped too so a large attempt number cannot overflow to Infinity.
  return Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS * 2 ** Math.min(n - 1, 16));
}

/** `attempt 2/60`, as logged for every attempt. */
export function describeAttempt(attempt: number, max: number): string {
  return `attempt ${attempt}/${max}`;
}
