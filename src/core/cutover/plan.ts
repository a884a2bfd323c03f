// The cut-over's ordered steps and its retry policy (gh-ost's two-connection algorithm).
//
// Why two connections: MariaDB refuses RENAME TABLE from a session that holds LOCK TABLES, and a
// RENAME issued without a lock leaves a window where writes reach the original after the ghost
// caught up. So connection A locks the original, connection B queues a RENAME behind that lock,
// and A's UNLOCK hands the table straight to B: no write can slip in between.
//
// The sentry `_<t>_del` makes every failure safe. It exists (created and locked by A) for as long
// as A holds its lock, so B's `RENAME t TO _t_del` can only succeed after A dropped it on purpose.
// If A dies at any point, its locks are released and B's RENAME fails because `_t_del` still exists:
// the original stays in place and the attempt is retried. If B dies or times out
// (lock_wait_timeout), A drops the sentry and unlocks: writes resume on the original, nothing moved.
// The RENAME itself is atomic: both tables swap, or neither does.

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
  // A: DROP TABLE _t_del (allowed: A holds its write lock), then UNLOCK TABLES.
  'drop-sentry-unlock',
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
