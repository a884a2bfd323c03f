// The cut-over's ordered steps and its retry policy. Two algorithms swap the tables; cutOverAlgorithm() picks one.
//
// ## Single session (MySQL 8.0.13 and later)
//
// Since 8.0.13 MySQL lets the session holding LOCK TABLES ... WRITE rename the tables it locked (MySQL 8.0 and 8.4
// Reference Manual, RENAME TABLE: "As of MySQL 8.0.13, you can rename tables locked with a LOCK TABLES statement,
// provided that they are locked with a WRITE lock or are the product of renaming WRITE-locked tables from earlier
// steps in a multiple-table rename operation"). So one session A does it all: LOCK TABLES t WRITE, _t_gho WRITE;
// the marker is written and replayed (replay applies its last batches through A, the only session that may write
// the ghost now); the run lock is checked; RENAME TABLE t TO _t_del, _t_gho TO t; UNLOCK TABLES. Writers queued on
// t wait through the RENAME and, once A unlocks, open the new t. If osc dies anywhere before the RENAME, A's
// session ends, its locks go and nothing was renamed: the original is intact and writable, and the window the
// two-connection algorithm leaves (below) does not exist. No sentry is needed: RENAME never replaces a table, so
// a `_t_del` that exists makes it fail (1050) with the tables where they were.
// Verified on MySQL 9.7: the RENAME works with t and the ghost locked and the name `_t_del` unlocked (without the
// ghost locked it fails, 1100); a writer queued on t is still waiting after the RENAME and, after UNLOCK, writes
// into the new t; with `_t_del` present the RENAME fails and A keeps its locks; under autocommit=0 (never START
// TRANSACTION, which releases the locks) A's COMMIT, ROLLBACK, SAVEPOINT and ALTER TABLE ... AUTO_INCREMENT on the
// ghost keep the locks too (the manual's "SET autocommit = 0 ... LOCK TABLES ... COMMIT ... UNLOCK TABLES").
//
// MariaDB (verified on 10.11) refuses RENAME TABLE under LOCK TABLES (1192, with or without a sentry). ALTER TABLE
// ... RENAME is allowed there, one table per statement: after `ALTER TABLE t RENAME TO _t_del` a writer queued on
// t gets "table doesn't exist" (1146) before the ghost takes the name, so it is no atomic swap. MariaDB, MySQL
// before 8.0.13 and versions osc cannot parse take the two-connection algorithm.
//
// ## Two connections (gh-ost's)
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
// holds it, the attempt fails with the sentry still in place. What is left (osc dying in those microseconds with
// no such session) is why MySQL takes the single-session algorithm.
//
// On any failure B's RENAME is killed, and its end seen in the processlist, before A's locks go; then
// the server says which table is which (a lost reply may hide a RENAME that ran), and `_t_del` is
// dropped only when it is this attempt's sentry (its COMMENT carries the attempt's token).

import { OscError } from '../errors.js';
import { atLeast } from '../server.js';
import type { ServerInfo } from '../types.js';

/** The steps of a two-connection attempt, in order; logged by name. */
export const TWO_CONNECTION_STEPS = [
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

/**
 * The steps of a single-session attempt, in order; logged by name. The names both algorithms share mean the same
 * moment: the original locked, the marker replayed, the last check before the swap, the tables swapped.
 */
export const SINGLE_SESSION_STEPS = [
  // Replay ends the batch it is applying and waits: from the lock on it applies through A (a batch applied by
  // another session would wait for A's lock while A waits for the marker behind that batch).
  'hold-replay',
  // A (autocommit=0): LOCK TABLES t WRITE, _t_gho WRITE. Writers on t now queue; replay applies through A.
  'lock-tables',
  // C: write a marker row to the changelog; every change committed before the lock precedes it.
  'write-marker',
  // Wait until replay (through A) applied the marker: the ghost holds every change made to t.
  'wait-marker-replayed',
  // The run lock is still this run's: no other run can have touched the ghost.
  'check-run-lock',
  // A: RENAME TABLE t TO _t_del, _t_gho TO t, under A's lock: swapped; writers still wait.
  'rename-completes',
  // A: UNLOCK TABLES. The writers queued on t open the new t.
  'unlock',
] as const;

export type CutOverAlgorithm = 'two-connection' | 'single-session';

export type CutOverStep = (typeof TWO_CONNECTION_STEPS)[number] | (typeof SINGLE_SESSION_STEPS)[number];

export const CUT_OVER_STEPS: Readonly<Record<CutOverAlgorithm, readonly CutOverStep[]>> = {
  'two-connection': TWO_CONNECTION_STEPS,
  'single-session': SINGLE_SESSION_STEPS,
};

/**
 * MySQL 8.0.13 and later: one session locks, renames and unlocks (see the top of this file). Everything else
 * (MariaDB, older MySQL, a version string that does not parse, which reads as 0.0.0): two connections.
 */
export function cutOverAlgorithm(server: Pick<ServerInfo, 'flavor' | 'major' | 'minor' | 'patch'>): CutOverAlgorithm {
  return server.flavor === 'mysql' && atLeast(server, 8, 0, 13) ? 'single-session' : 'two-connection';
}

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
