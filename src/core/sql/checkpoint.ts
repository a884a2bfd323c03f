// Statements of the checkpoint table `_<t>_ghk`: one row per name. `checkpoint` holds the run's checkpoint
// (core/checkpoint.ts); `moved <hash>` rows hold the keys of rows replay moved aside and has not re-copied yet, written
// in replay's own transaction so that a crash can never lose one (stages/replay/conflicts.ts).
// The table is not among the tables the binlog reader follows: its writes never reach replay.
import { createHash } from 'node:crypto';
import type { Statement } from '../types.js';
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
