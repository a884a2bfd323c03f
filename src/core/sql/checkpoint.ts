// Statements of the checkpoint table `_<t>_ghk`: one row per name. `checkpoint` holds the run's checkpoint
// (core/checkpoint.ts); `moved <hash>` rows hold the keys of rows replay moved aside and has not re-copied yet, written
// in replay's own transaction so that a crash can never lose one (stages/replay/conflicts.ts).
// The table is not among the tables the binlog reader follows: its writes never reach replay.
import { createHash } from 'node:crypto';
import type { Flavor, Statement } from '../types.js';
import { qualify, quoteId } from './quote.js';

export const CHECKPOINT_ROW = 'checkpoint';
const MOVED_PREFIX = 'moved ';

export function createCheckpointTable(database: string, checkpoint: string): string {
  return (
    `CREATE TABLE ${qualify(database, checkpoint)} (` +
    `${quoteId('name')} VARCHAR(80) CHARACTER SET ascii NOT NULL PRIMARY KEY, ` +
    `${quoteId('value')} LONGTEXT CHARACTER SET utf8mb4 NOT NULL, ` +
    `${quoteId('updated_at')} TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)` +
    `) ENGINE=InnoDB COMMENT='osc checkpoint'`
  );
}

export function writeCheckpointRow(database: string, checkpoint: string, name: string, value: string): Statement {
  return {
    sql: `INSERT INTO ${qualify(database, checkpoint)} (${quoteId('name')}, ${quoteId('value')}) VALUES (?, ?) ON DUPLICATE KEY UPDATE ${quoteId('value')} = ?`,
    params: [name, value, value],
  };
}

export function deleteCheckpointRow(database: string, checkpoint: string, name: string): Statement {
  return { sql: `DELETE FROM ${qualify(database, checkpoint)} WHERE ${quoteId('name')} = ?`, params: [name] };
}

/** Every row: the checkpoint and the moved-aside keys. */
export function readCheckpointRows(database: string, checkpoint: string): string {
  return `SELECT ${quoteId('name')}, ${quoteId('value')} FROM ${qualify(database, checkpoint)} ORDER BY ${quoteId('name')}`;
}

/** The row name of a moved-aside key, from its stored text (a key's text can be long: its SHA-256 keeps the name short). */
export function movedRowName(storedKey: string): string {
  return MOVED_PREFIX + createHash('sha256').update(storedKey, 'utf8').digest('hex');
}

export function isMovedRow(name: string): boolean {
  return name.startsWith(MOVED_PREFIX);
}

/** The server's binary logs, oldest first (both servers; needs REPLICATION CLIENT / BINLOG MONITOR). */
export const SHOW_BINARY_LOGS = 'SHOW BINARY LOGS';

/**
 * The server's identity (core/checkpoint.ts ServerIdentity). MariaDB has no server_uuid (10.11: unknown system
 * variable), MySQL has both (verified on 9.7). No privilege needed.
 */
export function serverIdentitySql(flavor: Flavor): string {
  return flavor === 'mysql'
    ? 'SELECT @@GLOBAL.server_id AS id, @@GLOBAL.server_uuid AS uuid'
    : 'SELECT @@GLOBAL.server_id AS id, NULL AS uuid';
}

/** MySQL: the GTIDs of a set the server has not executed ('' when it has them all); verified on 9.7. */
export function gtidNotExecuted(gtids: string): Statement {
  return { sql: 'SELECT GTID_SUBTRACT(?, @@GLOBAL.gtid_executed) AS missing', params: [gtids] };
}

/** MariaDB: the last GTID of each domain in the server's binary log (needs no privilege; verified on 10.11). */
export const MARIADB_GTID_BINLOG_POS = 'SELECT @@GLOBAL.gtid_binlog_pos AS pos';
