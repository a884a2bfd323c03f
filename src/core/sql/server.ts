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
  return { sql: `SHOW GLOBAL STATUS WHERE ${quoteId('Variable_name')} IN (${placeholders(names.length)})`, params: names };
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
  return { sql: `SELECT ${quoteId('value')} FROM ${qualify(database, changelog)} WHERE ${quoteId('hint')} = ?`, params: [hint] };
}
