// Which columns the copy and the replay carry from the original to the ghost, and which
// unique key both tables share so that chunks and replayed rows can be matched.

import { rangeProblem } from './sql/values.js';
import { isGenerated, type ChunkKey, type Column, type ColumnMapping, type Flavor, type TableSchema, type UniqueKey } from './types.js';

/** Column and key names are case-insensitive in MySQL and MariaDB. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function findColumn(schema: TableSchema, name: string): Column | undefined {
  return schema.columns.find((c) => sameName(c.name, name));
}

function renamedTo(renames: ReadonlyMap<string, string>, name: string): string {
  for (const [from, to] of renames) {
    if (sameName(from, name)) return to;
  }
  return name;
}

/**
 * Original columns that reach the ghost, in the original's order, under their new name when
 * renamed. Generated columns are left out on either side: the ghost computes its own.
 */
export function mapColumns(
  original: TableSchema,
  ghost: TableSchema,
  renames: ReadonlyMap<string, string>,
): ColumnMapping[] {
  const mapping: ColumnMapping[] = [];
  for (const source of original.columns) {
    if (isGenerated(source)) continue;
    const target = findColumn(ghost, renamedTo(renames, source.name));
    if (target === undefined || isGenerated(target)) continue;
    mapping.push({ source, target });
  }
  return mapping;
}

const INTEGER_TYPES: ReadonlySet<string> = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);

export function isIntegerType(c: Column): boolean {
  return INTEGER_TYPES.has(c.dataType.toLowerCase());
}

/** Why one usable key of the original has no twin on the ghost; null when it has one. */
interface KeyMatch {
  readonly key: ChunkKey | null;
  readonly problem: string | null;
}

function describeKey(key: UniqueKey): string {
  return `${key.name} (${key.columns.join(', ')})`;
}

/** Unique over NOT NULL, non-generated columns of the original that the copy can range over. */
function usableOnOriginal(original: TableSchema, key: UniqueKey): boolean {
  return (
    key.columns.length > 0 &&
    key.columns.every((name) => {
      const c = findColumn(original, name);
      return c !== undefined && !c.nullable && !isGenerated(c) && rangeProblem(c) === null;
    })
  );
}

function matchOnGhost(ghost: TableSchema, key: UniqueKey, mapping: readonly ColumnMapping[]): KeyMatch {
  const pairs: ColumnMapping[] = [];
  for (const name of key.columns) {
    const pair = mapping.find((m) => sameName(m.source.name, name));
    if (pair === undefined) return { key: null, problem: `${describeKey(key)}: column ${name} is not carried over` };
    pairs.push(pair);
  }
  const targetNames = pairs.map((p) => p.target.name);
  const twins = ghost.uniqueKeys.filter(
    (g) => g.columns.length === targetNames.length && g.columns.every((c, i) => sameName(c, targetNames[i] as string)),
  );
  if (twins.length === 0) {
    return { key: null, problem: `${describeKey(key)}: the new table has no unique key over (${targetNames.join(', ')})` };
  }
  const nullable = pairs.filter((p) => p.target.nullable).map((p) => p.target.name);
  if (nullable.length > 0) {
    return { key: null, problem: `${describeKey(key)}: the new table allows NULL in ${nullable.join(', ')}` };
  }
  const twin =
    twins.find((g) => g.primary) ??
    twins.find((g) => sameName(g.name, key.name)) ??
    [...twins].sort((a, b) => compareText(a.name, b.name))[0];
  if (twin === undefined) return { key: null, problem: null }; // unreachable: twins is not empty
  return {
    key: {
      name: key.name,
      ghostName: twin.name,
      columns: pairs.map((p) => p.source),
      ghostColumns: pairs.map((p) => p.target),
    },
    problem: null,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Candidate {
  readonly key: ChunkKey;
  readonly primary: boolean;
}

/** PRIMARY first, then fewer columns, then all-integer keys, then by name. */
function preference(x: Candidate, y: Candidate): number {
  const primary = Number(y.primary) - Number(x.primary);
  if (primary !== 0) return primary;
  const a = x.key;
  const b = y.key;
  if (a.columns.length !== b.columns.length) return a.columns.length - b.columns.length;
  const integer = Number(b.columns.every(isIntegerType)) - Number(a.columns.every(isIntegerType));
  if (integer !== 0) return integer;
  return compareText(a.name, b.name);
}

/**
 * The key to chunk the copy along and to match replayed rows by: unique over NOT NULL
 * columns on both tables, over the same (possibly renamed) columns in the same order.
 */
export function chooseChunkKey(
  original: TableSchema,
  ghost: TableSchema,
  mapping: readonly ColumnMapping[],
): ChunkKey | null {
  const candidates: Candidate[] = [];
  for (const key of original.uniqueKeys) {
    if (!usableOnOriginal(original, key)) continue;
    const match = matchOnGhost(ghost, key, mapping);
    if (match.key !== null) candidates.push({ key: match.key, primary: key.primary });
  }
  candidates.sort(preference);
  return candidates[0]?.key ?? null;
}

/** A specific sentence for PreflightError('NO_SHARED_UNIQUE_KEY') when chooseChunkKey found none. */
export function describeKeyProblem(
  original: TableSchema,
  ghost: TableSchema,
  mapping: readonly ColumnMapping[],
): string {
  if (original.uniqueKeys.length === 0) {
    return 'the table has no PRIMARY KEY or UNIQUE key; add a PRIMARY KEY first: osc needs one to copy rows in chunks and to match replayed changes';
  }
  const usable = original.uniqueKeys.filter((k) => usableOnOriginal(original, k));
  if (usable.length === 0) {
    return (
      `the table has no unique key over NOT NULL columns (${original.uniqueKeys.map(describeKey).join(', ')} ` +
      'allow NULL or use generated columns); add a PRIMARY KEY, or a UNIQUE key over NOT NULL columns, first'
    );
  }
  const problems = usable.map((k) => matchOnGhost(ghost, k, mapping).problem).filter((p): p is string => p !== null);
  return (
    `the ALTER drops or changes every unique key the original has (${problems.join('; ')}); ` +
    'keep one unchanged so rows can be matched'
  );
}

/**
 * Types the binlog reader decodes exactly (measured on MariaDB 10.11 and MySQL 9.7, see
 * shared/servers.md). Anything else (VECTOR, geometry, MariaDB UUID/INET4/INET6 ...) would
 * be replayed wrongly or garble the row, so preflight refuses it.
 */
export const REPLAYABLE_TYPES: readonly string[] = [
  'tinyint', 'smallint', 'mediumint', 'int', 'bigint',
  'decimal', 'float', 'double', 'bit',
  'date', 'datetime', 'timestamp', 'time', 'year',
  'char', 'varchar', 'binary', 'varbinary',
  'tinyblob', 'blob', 'mediumblob', 'longblob',
  'tinytext', 'text', 'mediumtext', 'longtext',
  'enum', 'set', 'json',
];

const REPLAYABLE: ReadonlySet<string> = new Set(REPLAYABLE_TYPES);

/**
 * Columns osc cannot replay exactly. The allow-list is the same on both flavours today; the
 * flavour is part of the signature so a flavour-specific type does not change callers.
 * Generated columns are never replayed (the ghost computes them), so they never count.
 */
export function unsupportedColumns(schema: TableSchema, _flavor: Flavor): Column[] {
  return schema.columns.filter((c) => !isGenerated(c) && !REPLAYABLE.has(c.dataType.toLowerCase()));
}
