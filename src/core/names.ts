// Names of the tables osc creates next to the migrated one, of its GET_LOCK and of its default control socket.
// MySQL and MariaDB limit identifiers (and GET_LOCK names) to 64 characters; a unix socket path to 107 bytes.

import { createHash } from 'node:crypto';
import { ConfigError } from './errors.js';

export const MAX_IDENTIFIER_LENGTH = 64;

export interface TableNames {
  /** `_<t>_gho`: the new table the copy and the replay fill. */
  readonly ghost: string;
  /** `_<t>_ghc`: heartbeat and state rows. */
  readonly changelog: string;
  /** `_<t>_del`: the original after cut-over (and the cut-over sentry before it). */
  readonly old: string;
  /** `_<t>_ghk`: the run's checkpoint, what `--resume` continues from (core/checkpoint.ts). */
  readonly checkpoint: string;
}

/** Length in characters (code points), as the server counts identifier length. */
function charLength(s: string): number {
  return [...s].length;
}

export function tableNames(table: string): TableNames {
  const names: TableNames = {
    ghost: `_${table}_gho`,
    changelog: `_${table}_ghc`,
    old: `_${table}_del`,
    checkpoint: `_${table}_ghk`,
  };
  for (const [role, name] of Object.entries(names) as [keyof TableNames, string][]) {
    const length = charLength(name);
    if (length > MAX_IDENTIFIER_LENGTH) {
      throw new ConfigError(
        'NAME_TOO_LONG',
        `the ${role} table name ${name} would have ${length} characters; MySQL allows at most ` +
          `${MAX_IDENTIFIER_LENGTH}, so the table name may have at most ${MAX_IDENTIFIER_LENGTH - 5}`,
      );
    }
  }
  return names;
}

/**
 * `<database>.<table>` as one path component and one unambiguous key: database and table names may hold `.` and
 * `/` (verified on MariaDB 10.11 and MySQL 9.7), so those and the escape character `%` become `%2E`, `%2F`, `%25`.
 * Names without them are unchanged.
 */
export function qualifiedKey(database: string, table: string): string {
  const escape = (name: string) => name.replace(/[%./]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${escape(database)}.${escape(table)}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const LOCK_PREFIX = 'osc:';

/**
 * The GET_LOCK name that keeps two runs off one table. Long names are replaced by a
 * SHA-256 prefix: deterministic, so every run on the same table computes the same lock.
 */
export function lockName(database: string, table: string): string {
  const plain = `${LOCK_PREFIX}${qualifiedKey(database, table)}`;
  if (charLength(plain) <= MAX_IDENTIFIER_LENGTH) return plain;
  return LOCK_PREFIX + sha256Hex(`${database}.${table}`).slice(0, MAX_IDENTIFIER_LENGTH - LOCK_PREFIX.length);
}

/** sun_path holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * `/tmp/osc.<database>.<table>.sock`; when that exceeds a socket path's limit (long or non-ASCII names),
 * `/tmp/osc.<40 hex digits of SHA-256>.sock`: deterministic, so `osc ctl --database --table` finds it too.
 */
export function defaultSocketFile(database: string, table: string): string {
  const plain = `/tmp/osc.${qualifiedKey(database, table)}.sock`;
  if (new TextEncoder().encode(plain).length <= MAX_SOCKET_PATH_BYTES) return plain;
  return `/tmp/osc.${sha256Hex(qualifiedKey(database, table)).slice(0, 40)}.sock`;
}
