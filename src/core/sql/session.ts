// How osc sets up each of its sessions: the server's own sql_mode, less what would break osc's SQL or change the
// values it reads and writes, plus what osc needs. The user's ALTER runs under the server's mode unchanged
// (io/db/pool.ts runUnderServerMode), so the ghost accepts exactly what a native ALTER would.
import type { Statement } from '../types.js';

/** Read once per session, right after it connects. */
export const SERVER_SQL_MODE_QUERY = 'SELECT @@GLOBAL.sql_mode AS mode';

/**
 * Idle time after which the server ends a session. A DBA may lower the global value to seconds for the
 * application; osc's sessions set the servers' own default instead, and the long-lived ones are kept busy
 * anyway (the admin session pings, the run lock checks itself, the pool closes connections idle for a minute).
 */
export const SESSION_WAIT_TIMEOUT_SECONDS = 28_800;

// Modes removed from osc's sessions, and why:
const REMOVED: Readonly<Record<string, string>> = {
  // osc's SQL is written for the default grammar:
  ANSI_QUOTES: '"x" would name a column instead of being a string',
  PIPES_AS_CONCAT: '|| would concatenate instead of OR',
  IGNORE_SPACE: 'built-in function names would become reserved words',
  HIGH_NOT_PRECEDENCE: 'NOT a BETWEEN b AND c would parse differently',
  NO_BACKSLASH_ESCAPES: "mysql2 escapes values with backslashes (\\'), which this mode would read literally",
  // MariaDB: concatenation and assignment semantics of other databases.
  SIMULTANEOUS_ASSIGNMENT: 'UPDATE ... SET a = b, b = a would read old values',
  // Values written or read back:
  EMPTY_STRING_IS_NULL: "(MariaDB) a '' written by replay would be stored as NULL",
  PAD_CHAR_TO_FULL_LENGTH: 'CHAR values would read back padded with spaces',
  // Rows the original already holds must copy as they are: under these modes a zero date already in the table
  // makes the copy fail (a native in-place ALTER keeps such rows). The ALTER itself still runs under them.
  NO_ZERO_DATE: 'existing zero dates would fail the copy',
  NO_ZERO_IN_DATE: 'existing dates with a zero month or day would fail the copy',
  // MariaDB: SHOW CREATE TABLE would leave out keys', tables' and columns' options.
  NO_KEY_OPTIONS: 'SHOW CREATE TABLE would lose key options',
  NO_TABLE_OPTIONS: 'SHOW CREATE TABLE would lose table options',
  NO_FIELD_OPTIONS: 'SHOW CREATE TABLE would lose column options',
  // Composite modes: the server lists their members too, which are kept or removed one by one above; the name
  // itself would bring every member back (and MariaDB's ORACLE, MSSQL, MAXDB, ... also switch the grammar and
  // the meaning of types such as DATE and TIMESTAMP).
  ANSI: 'composite',
  TRADITIONAL: 'composite',
  DB2: 'composite',
  MAXDB: 'composite',
  MSSQL: 'composite',
  MYSQL323: 'composite',
  MYSQL40: 'composite',
  ORACLE: 'composite',
  POSTGRESQL: 'composite',
};

// Added, in this order:
// STRICT_ALL_TABLES: a value that does not fit is an error, never a silent truncation (IGNORE still turns errors
// into warnings, which the copier reads). NO_AUTO_VALUE_ON_ZERO: an AUTO_INCREMENT key of 0 is copied as 0.
// NO_ENGINE_SUBSTITUTION: a table osc creates is InnoDB or not created at all.
const ADDED = ['STRICT_ALL_TABLES', 'NO_AUTO_VALUE_ON_ZERO', 'NO_ENGINE_SUBSTITUTION'] as const;

// Every other mode is kept, and so works on osc's sessions as on the application's:
// - how values convert (TIME_TRUNCATE_FRACTIONAL, MariaDB's TIME_ROUND_FRACTIONAL, ALLOW_INVALID_DATES,
//   NO_UNSIGNED_SUBTRACTION, ERROR_FOR_DIVISION_BY_ZERO for generated columns): the copy converts as a native
//   ALTER would;
// - what only refuses or affects statements osc does not write (STRICT_TRANS_TABLES, ONLY_FULL_GROUP_BY,
//   REAL_AS_FLOAT, NO_DIR_IN_CREATE, NO_AUTO_CREATE_USER), and modes osc does not know yet.

/**
 * osc's session sql_mode from the server's global one: the server's modes in their order, less the removed
 * ones, then the added ones not already there.
 */
export function sessionSqlMode(serverMode: string): string {
  const modes: string[] = [];
  for (const raw of serverMode.split(',')) {
    const mode = raw.trim().toUpperCase();
    if (mode === '' || Object.hasOwn(REMOVED, mode) || modes.includes(mode)) continue;
    modes.push(mode);
  }
  for (const mode of ADDED) if (!modes.includes(mode)) modes.push(mode);
  return modes.join(',');
}

/** Every osc session: UTC like the binlog reader, the mode above, and the servers' default idle timeout. */
export function sessionSetup(sqlMode: string): Statement {
  return {
    sql: "SET SESSION time_zone = '+00:00', sql_mode = ?, wait_timeout = ?",
    params: [sqlMode, SESSION_WAIT_TIMEOUT_SECONDS],
  };
}

export function setSqlMode(sqlMode: string): Statement {
  return { sql: 'SET SESSION sql_mode = ?', params: [sqlMode] };
}

// Room for every warning of a chunk, so the copier sees them all. MySQL 9.7 needs SESSION_VARIABLES_ADMIN for
// this (verified), MariaDB 10.11 does not: where it is refused the server's own limit stays (MySQL's default
// 1024), and the copier keeps its chunks within that limit.
export const WARNING_ROOM = 'SET SESSION max_error_count = 65535';

/** How many warnings the server reports back for one statement. */
export const MAX_ERROR_COUNT_QUERY = 'SELECT @@session.max_error_count AS m';

export const SHOW_WARNINGS = 'SHOW WARNINGS';

export const START_TRANSACTION = 'START TRANSACTION';
export const COMMIT = 'COMMIT';
export const ROLLBACK = 'ROLLBACK';
/**
 * For a session that holds LOCK TABLES and writes in transactions: START TRANSACTION would release its table locks,
 * COMMIT and ROLLBACK under autocommit=0 do not (MySQL manual, "Interaction of Table Locking and Transactions").
 */
export const AUTOCOMMIT_OFF = 'SET SESSION autocommit = 0';
/** Batched replay: after its DELETE, so that a failed multi-row INSERT undoes only itself. */
export const SAVEPOINT_BATCH = 'SAVEPOINT osc_batch';
export const ROLLBACK_TO_BATCH = 'ROLLBACK TO SAVEPOINT osc_batch';

/** The reader's control connections set the servers' default idle timeout (see SESSION_WAIT_TIMEOUT_SECONDS). */
export function setWaitTimeout(seconds: number): Statement {
  return { sql: 'SET SESSION wait_timeout = ?', params: [seconds] };
}

/** How long the session waits for a metadata lock; with `idleSeconds`, also when the server ends it idle. */
export function setLockWaitTimeout(seconds: number, idleSeconds?: number): Statement {
  return idleSeconds === undefined
    ? { sql: 'SET SESSION lock_wait_timeout = ?', params: [seconds] }
    : { sql: 'SET SESSION lock_wait_timeout = ?, wait_timeout = ?', params: [seconds, idleSeconds] };
}
