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
// metadata locks one by one in name order (renameLockPlan below). When `t` sorts after `_t_del` and
// `_t_gho` (most names), B first waits on the sentry, and only after A drops it does B take `_t_gho`
// and queue on `t`. If A unlocked right after the drop, writers already queued on `t` could get the
// table before B and commit on the original after the marker: lost to the ghost (measured on MariaDB
// 10.11: 4 of 20 swaps with no pause between DROP and UNLOCK, and every swap while another session
// reads the ghost, which holds B up on `_t_gho`). osc therefore unlocks only once B's exclusive
// request on `t` is pending, where it goes before pending DML. The proof is C's PREPARE of a SELECT on
// `t`: its plain shared lock passes A's LOCK TABLES ... WRITE and is blocked only by a pending (or
// granted) exclusive lock. (B's state in the processlist cannot tell which lock B waits for, and still
// reads "waiting" for a moment after a lock was granted to it.) When `t` sorts first (upper case with
// lower_case_table_names=0, digits, `$`), B's first wait is already on `t`.
//
// A dying between the sentry's drop and B's queueing on `t` (killed, its network cut, osc's host gone) would let
// B through behind the writers A held back: their writes, committed on the original after the marker, would be
// lost. That window lasts microseconds unless another session holds a lock on the ghost, which B then waits for
// (measured: a transaction that read the ghost, A killed, then the transaction ended: rows lost on MariaDB
// 10.11). So before dropping the sentry C takes and releases a write lock on the ghost: when another session
// holds it, the attempt fails with the sentry still in place.
//
// On any failure B's RENAME is killed, and its end seen in the processlist, before A's locks go; then
// the server says which table is which (a lost reply may hide a RENAME that ran), and `_t_del` is
// dropped only when it is this attempt's sentry (its COMMENT carries the attempt's token).

import { OscError } from '../errors.js';

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
  // The run lock is still this run's: no other run can have touched the ghost.
  'check-run-lock',
  // B: RENAME TABLE t TO _t_del, _t_gho TO t (its own lock_wait_timeout); it blocks behind A.
  'issue-rename',
  // Wait until C's probe shows B's request pending on its first name (the sentry, or t when t sorts first).
  'wait-rename-blocked',
  // C: LOCK TABLES _t_gho WRITE, then UNLOCK: no other session holds the ghost (see "A dying" above).
  'check-ghost-free',
  // A: DROP TABLE _t_del (allowed: A holds its write lock).
  'drop-sentry',
  // Only when t sorts last: C's probe shows B's request pending on t (B took _t_del and _t_gho first).
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

export interface RenameLockPlan {
  /** The three names in the order the server takes RENAME TABLE's metadata locks on them. */
  readonly order: readonly [string, string, string];
  /** Where B first waits behind A, before the sentry is dropped: the sentry, or t when t sorts first. */
  readonly firstWait: string;
  /**
   * When B's request on t becomes pending, which A must see before UNLOCK: 'before-drop' when t sorts first (B's
   * first wait), 'after-drop' when t sorts last (B takes the sentry's name and the ghost first, once the sentry is
   * dropped, maybe behind another session reading the ghost).
   */
  readonly queuesOnTable: 'before-drop' | 'after-drop';
}

/**
 * In which order `RENAME TABLE t TO old, ghost TO t` locks its names, and so what A waits for before UNLOCK.
 * The server sorts a statement's metadata lock requests by key, whose table part is the name's UTF-8 bytes
 * compared byte by byte, a prefix first (verified on MariaDB 10.11 and MySQL 9.7). With lower_case_table_names
 * 1 or 2 the key holds the lower-cased name: only ASCII letters matter here, since every other character that
 * changes case is above `_` (0x5F) in both cases. For osc's own names (`_t_del`, `_t_gho`) t is first or last.
 */
export function renameLockPlan(table: string, old: string, ghost: string, lowerCaseTableNames: number): RenameLockPlan {
  const key = (name: string) => utf8(lowerCaseTableNames === 0 ? name : name.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  const sorted = [table, old, ghost]
    .map((name) => ({ name, key: key(name) }))
    .sort((a, b) => compareBytes(a.key, b.key));
  const order = sorted.map((s) => s.name) as [string, string, string];
  if (order[0] === table) return { order, firstWait: table, queuesOnTable: 'before-drop' };
  if (order[2] === table) return { order, firstWait: old, queuesOnTable: 'after-drop' };
  throw new OscError(
    'INTERNAL',
    `the table name ${table} sorts between ${order[0]} and ${order[2]}; the cut-over cannot tell when to unlock`,
  );
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** A table the server reports under one of the three names (name compared exactly, whatever the server's collation). */
export interface FoundTable {
  readonly name: string;
  readonly comment: string;
}

export type TablesVerdict =
  // t is the ghost and `_t_del` the original: the RENAME ran.
  | { readonly state: 'swapped' }
  // t and the ghost are where they were; `_t_del` is dropped only when it is one of this run's sentries.
  | { readonly state: 'intact'; readonly dropOld: boolean }
  // Anything else (a name missing): touch nothing.
  | { readonly state: 'unknown'; readonly found: readonly string[] };

/**
 * Which table is which after an attempt whose outcome was not seen (a lost reply, a lost connection, an error
 * after the RENAME was sent), once B can no longer run. RENAME is atomic, so the three names hold either the
 * original, the ghost and maybe the sentry, or the ghost (as t) and the original (as `_t_del`).
 */
export function judgeTables(
  found: readonly FoundTable[],
  names: { readonly table: string; readonly ghost: string; readonly old: string },
  sentryComments: readonly string[],
): TablesVerdict {
  const get = (name: string) => found.find((f) => f.name === name);
  const old = get(names.old);
  const oldIsSentry = old !== undefined && sentryComments.includes(old.comment);
  const hasTable = get(names.table) !== undefined;
  const hasGhost = get(names.ghost) !== undefined;
  if (hasTable && hasGhost) return { state: 'intact', dropOld: oldIsSentry };
  if (hasTable && !hasGhost && old !== undefined && !oldIsSentry) return { state: 'swapped' };
  return { state: 'unknown', found: [names.table, names.ghost, names.old].filter((n) => get(n) !== undefined) };
}
