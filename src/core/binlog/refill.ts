// Batched replay (batch.ts) writes an update that keeps its key as DELETE + INSERT, so every ghost column outside
// the mapping (one the ALTER adds) is filled by the server again, as for an insert. That changes nothing for a
// constant default; it would change data for a column the server fills anew on each write: AUTO_INCREMENT, an
// expression default (CURRENT_TIMESTAMP, UUID()) or ON UPDATE. For a ghost with such a column, replay keeps its
// per-event statements (to-dml.ts: an UPDATE for an update), as before batching. From information_schema.COLUMNS,
// as each server prints it (measured):
//   MySQL 9.7:     EXTRA 'auto_increment', 'DEFAULT_GENERATED' for an expression default, 'on update CURRENT_TIMESTAMP';
//                  COLUMN_DEFAULT holds a string literal unquoted, so EXTRA alone tells an expression.
//   MariaDB 10.11: EXTRA 'auto_increment', 'on update current_timestamp()'; COLUMN_DEFAULT holds a literal quoted
//                  ('x'), a number bare, NULL as 'NULL' (or SQL NULL: no default), an expression as its text.
// Generated columns are computed from the row itself: the same either way.
import { generationOf } from '../generation.js';
import type { Flavor } from '../types.js';

export interface ColumnDefault {
  readonly name: string;
  /** COLUMN_DEFAULT as printed. */
  readonly default: string | null;
  readonly extra: string;
}

const CONSTANT_MARIADB = /^(?:NULL|'.*'|[bx]'.*'|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/is;

function refilled(c: ColumnDefault, flavor: Flavor): boolean {
  const extra = c.extra.toLowerCase();
  if (/\bauto_increment\b|\bdefault_generated\b|\bon update\b/.test(extra)) return true;
  if (generationOf(c.extra, null).generation !== null) return false;
  return flavor === 'mariadb' && c.default !== null && !CONSTANT_MARIADB.test(c.default.trim());
}

/** The ghost's columns outside the mapping that the server fills anew on every insert (names as on the ghost). */
export function refilledColumns(
  ghost: readonly ColumnDefault[],
  mappedTargets: readonly string[],
  flavor: Flavor,
): string[] {
  const mapped = new Set(mappedTargets.map((n) => n.toLowerCase()));
  return ghost.filter((c) => !mapped.has(c.name.toLowerCase()) && refilled(c, flavor)).map((c) => c.name);
}
