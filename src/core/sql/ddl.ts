// DDL and changelog statements. Identifiers are always quoted; DDL without values is plain SQL text.
import { OscError } from '../errors.js';
import type { Statement } from '../types.js';
import { qualify, quoteId } from './quote.js';

/** The ghost starts as an exact copy of the original's definition. */
export function createGhost(database: string, table: string, ghost: string): string {
  return `CREATE TABLE ${qualify(database, ghost)} LIKE ${qualify(database, table)}`;
}

/**
 * ALTER TABLE <name> <clauses>. This is the one place user SQL is appended to a statement: the
 * clauses are the operator's --alter text, analysed and checked by core/alter.ts, and only ever
 * applied to the ghost.
 */
export function alterTable(database: string, name: string, clauses: string): string {
  const text = clauses.trim();
  if (text === '') throw new OscError('INTERNAL', 'the ALTER clauses are empty');
  return `ALTER TABLE ${qualify(database, name)} ${text}`;
}

/** The changelog: heartbeats and state rows, one per hint. Has a primary key for sql_require_primary_key. */
export function createChangelog(database: string, changelog: string): string {
  return (
    `CREATE TABLE ${qualify(database, changelog)} (` +
    `${quoteId('hint')} VARCHAR(64) NOT NULL PRIMARY KEY, ` +
    `${quoteId('value')} VARCHAR(4096) NOT NULL, ` +
    `${quoteId('updated_at')} TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)` +
    `) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='osc changelog'`
  );
}

/** Upsert one changelog row. The value is repeated rather than using VALUES(), deprecated on MySQL 8+. */
export function writeChangelog(database: string, changelog: string, hint: string, value: string): Statement {
  return {
    sql: `INSERT INTO ${qualify(database, changelog)} (${quoteId('hint')}, ${quoteId('value')}) VALUES (?, ?) ON DUPLICATE KEY UPDATE ${quoteId('value')} = ?`,
    params: [hint, value, value],
  };
}

/** The sentry's COMMENT: the attempt's token tells it apart from any other `_t_del` (the original, after a swap). */
export function sentryComment(token: string): string {
  if (!/^[0-9a-z-]{1,64}$/.test(token))
    throw new OscError('INTERNAL', `a cut-over token must be 1..64 of [0-9a-z-], not '${token}'`);
  return `osc cut-over sentry ${token}`;
}

/** True for the comment of a cut-over sentry of any run (a dead run's sentry is recognised by it). */
export function isSentryComment(comment: string): boolean {
  return /^osc cut-over sentry [0-9a-z-]{1,64}$/.test(comment);
}

/** The cut-over sentry (see core/cutover/plan.ts): its existence makes a premature RENAME fail. */
export function createSentry(database: string, old: string, token: string): string {
  return `CREATE TABLE ${qualify(database, old)} (${quoteId('id')} INT NOT NULL PRIMARY KEY) ENGINE=InnoDB COMMENT='${sentryComment(token)}'`;
}

/**
 * The cut-over's probe: PREPARE of a SELECT on a table takes a plain shared metadata lock on it, which a LOCK TABLES
 * ... WRITE lets through and a pending exclusive request blocks. The text goes through a user variable, so the
 * name needs no quoting inside a string literal.
 */
export function probeStatement(database: string, table: string): Statement {
  return { sql: 'SET @osc_probe = ?', params: [`SELECT 1 FROM ${qualify(database, table)} LIMIT 0`] };
}

export const PREPARE_PROBE = 'PREPARE osc_probe FROM @osc_probe';

/** Which of the given tables exist, with their comments (names compared exactly by the caller). */
export function tablesNamed(database: string, names: readonly string[]): Statement {
  return {
    sql: `SELECT TABLE_NAME AS ${quoteId('name')}, TABLE_COMMENT AS ${quoteId('comment')} FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (${names.map(() => '?').join(', ')})`,
    params: [database, ...names],
  };
}

export function lockForCutOver(database: string, table: string, old: string): string {
  return `LOCK TABLES ${qualify(database, table)} WRITE, ${qualify(database, old)} WRITE`;
}

/**
 * The single-session cut-over's lock (MySQL 8.0.13+): RENAME under LOCK TABLES needs every table it renames locked
 * WRITE, the ghost included; the new name `_t_del` needs no lock.
 */
export function lockForSwap(database: string, table: string, ghost: string): string {
  return `LOCK TABLES ${qualify(database, table)} WRITE, ${qualify(database, ghost)} WRITE`;
}

/** The cut-over's check that no other session holds the ghost (UNLOCK_TABLES right after). */
export function lockGhostAlone(database: string, ghost: string): string {
  return `LOCK TABLES ${qualify(database, ghost)} WRITE`;
}

/** Atomic swap: the original becomes the old table, the ghost takes its name. */
export function renameForCutOver(database: string, table: string, old: string, ghost: string): string {
  return `RENAME TABLE ${qualify(database, table)} TO ${qualify(database, old)}, ${qualify(database, ghost)} TO ${qualify(database, table)}`;
}

export function dropTable(database: string, name: string): string {
  return `DROP TABLE IF EXISTS ${qualify(database, name)}`;
}

/** Run under LOCK TABLES by the session holding the sentry's write lock; no IF EXISTS: it must be there. */
export function dropSentry(database: string, old: string): string {
  return `DROP TABLE ${qualify(database, old)}`;
}

export const UNLOCK_TABLES = 'UNLOCK TABLES';
