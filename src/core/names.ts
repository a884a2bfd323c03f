// Names of the tables osc creates next to the migrated one, and of its GET_LOCK.
// MySQL and MariaDB limit identifiers (and GET_LOCK names) to 64 characters.

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

const LOCK_PREFIX = 'osc:';

/**
 * The GET_LOCK name that keeps two runs off one table. Long names are replaced by a
 * SHA-256 prefix: deterministic, so every run on the same table computes the same lock.
 */
export function lockName(database: string, table: string): string {
  const plain = `${LOCK_PREFIX}${database}.${table}`;
  if (charLength(plain) <= MAX_IDENTIFIER_LENGTH) return plain;
  const digest = createHash('sha256').update(`${database}.${table}`, 'utf8').digest('hex');
  return LOCK_PREFIX + digest.slice(0, MAX_IDENTIFIER_LENGTH - LOCK_PREFIX.length);
}
