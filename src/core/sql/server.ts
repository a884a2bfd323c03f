// Statements that read the server's state: variables, status, replication, and the few table facts SHOW gives.
// Where the flavours differ, the builder says which servers each form was verified on.
import { atLeast } from '../server.js';
import type { ServerInfo, Statement } from '../types.js';
import { qualify, quoteId } from './quote.js';

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Global variables by name. */
export function globalVariables(names: readonly string[]): Statement {
  return { sql: `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${placeholders(names.length)})`, params: names };
}

/** Global status variables by name (max-load, critical-load). */
export function globalStatus(names: readonly string[]): Statement {
  return {
    sql: `SHOW GLOBAL STATUS WHERE ${quoteId('Variable_name')} IN (${placeholders(names.length)})`,
    params: names,
  };
}

// MySQL 8.0.22 added SHOW REPLICA STATUS; 9.x removed SHOW SLAVE STATUS (verified on 9.7).
// MariaDB keeps SHOW SLAVE STATUS (verified on 10.11).
export function replicaStatusSql(s: ServerInfo): string {
  return s.flavor === 'mysql' && atLeast(s, 8, 0, 22) ? 'SHOW REPLICA STATUS' : 'SHOW SLAVE STATUS';
}

// MySQL 8.2 added SHOW BINARY LOG STATUS and 8.4/9.x removed SHOW MASTER STATUS (verified on 9.7);
// MariaDB answers SHOW MASTER STATUS (verified on 10.11).
export function binlogStatusSql(s: ServerInfo): string {
  return s.flavor === 'mysql' && atLeast(s, 8, 2) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
}

// SHOW REPLICAS arrived in MySQL 8.0.22 (SHOW SLAVE HOSTS is gone in 9.7); MariaDB 10.11 keeps SHOW SLAVE HOSTS.
export function discoverySql(s: ServerInfo): string {
  return s.flavor === 'mysql' && atLeast(s, 8, 0, 22) ? 'SHOW REPLICAS' : 'SHOW SLAVE HOSTS';
}

/** The table's definition, AUTO_INCREMENT counter included (information_schema may show a cached one). */
export function showCreateTable(database: string, table: string): string {
  return `SHOW CREATE TABLE ${qualify(database, table)}`;
}

/** One changelog row's value (the heartbeat, read on a replica). */
export function readChangelog(database: string, changelog: string, hint: string): Statement {
  return {
    sql: `SELECT ${quoteId('value')} FROM ${qualify(database, changelog)} WHERE ${quoteId('hint')} = ?`,
    params: [hint],
  };
}

export const SERVER_VERSION_QUERY = 'SELECT VERSION() AS v';
/** The account the server matched (user@host), for exact GRANT advice. */
export const CURRENT_USER_QUERY = 'SELECT CURRENT_USER() AS u';
export const SHOW_GRANTS = 'SHOW GRANTS';
export const LOWER_CASE_TABLE_NAMES_QUERY = 'SELECT @@lower_case_table_names AS l';

/** Engine, type and InnoDB's row estimate of one table; no row when it does not exist. */
export function tableInfo(database: string, table: string): Statement {
  return {
    sql: 'SELECT ENGINE, TABLE_TYPE, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    params: [database, table],
  };
}

export function tableColumns(database: string, table: string): Statement {
  return {
    sql:
      'SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, EXTRA, GENERATION_EXPRESSION AS GEN, CHARACTER_SET_NAME AS CS, COLLATION_NAME AS COLL' +
      ' FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    params: [database, table],
  };
}

/** The columns (and prefix lengths) of the table's unique keys, in key order. */
export function uniqueKeyParts(database: string, table: string): Statement {
  return {
    sql:
      'SELECT INDEX_NAME, COLUMN_NAME, SEQ_IN_INDEX, SUB_PART FROM information_schema.STATISTICS' +
      ' WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX',
    params: [database, table],
  };
}

/** Foreign keys in either direction: of the table, and of other tables pointing at it. */
export function foreignKeys(database: string, table: string): Statement {
  return {
    sql:
      "SELECT DISTINCT CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME) AS d FROM information_schema.KEY_COLUMN_USAGE" +
      ' WHERE REFERENCED_TABLE_NAME IS NOT NULL' +
      ' AND ((TABLE_SCHEMA = ? AND TABLE_NAME = ?) OR (REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?))',
    params: [database, table, database, table],
  };
}

export function triggers(database: string, table: string): Statement {
  return {
    sql: 'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?',
    params: [database, table],
  };
}

// EXTRA is 'auto_increment' (MariaDB 10.11, MySQL 9.7), with ' INVISIBLE' / ', INVISIBLE' after it for such columns.
export function autoIncrementColumn(database: string, table: string): Statement {
  return {
    sql: "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'",
    params: [database, table],
  };
}

/** A named lock (GET_LOCK) without waiting, and who holds it. */
export function getLock(name: string): Statement {
  return { sql: 'SELECT GET_LOCK(?, 0) AS got, IS_USED_LOCK(?) AS holder', params: [name, name] };
}

/** Who holds the named lock, and this connection's id: the lock is ours when they are equal. */
export function lockHolder(name: string): Statement {
  return { sql: 'SELECT IS_USED_LOCK(?) AS holder, CONNECTION_ID() AS me', params: [name] };
}

export function releaseLock(name: string): Statement {
  return { sql: 'SELECT RELEASE_LOCK(?) AS r', params: [name] };
}

/** Ends a connection (`query`: only its running statement). */
export function kill(threadId: number, what: 'connection' | 'query' = 'connection'): Statement {
  return { sql: what === 'query' ? 'KILL QUERY ?' : 'KILL ?', params: [threadId] };
}

/** A row while the connection is still in the processlist. */
export function processPresent(threadId: number): Statement {
  return { sql: 'SELECT 1 AS present FROM information_schema.PROCESSLIST WHERE ID = ?', params: [threadId] };
}

/** What the connection is waiting for (`Waiting for table metadata lock`, ...). */
export function processState(threadId: number): Statement {
  return { sql: 'SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = ?', params: [threadId] };
}

/** Each column's default and EXTRA (core/binlog/refill.ts reads them). */
export function columnDefaults(database: string, table: string): Statement {
  return {
    sql: 'SELECT COLUMN_NAME, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    params: [database, table],
  };
}
