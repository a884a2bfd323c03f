// Which columns the copy and the replay carry from the original to the ghost, which unique key of the original
// the copy ranges over, and which unique key of the ghost its rows are matched by.

import { PreflightError } from './errors.js';
import { keyColumnChange } from './key-change.js';
import { rangeProblem } from './sql/values.js';
import {
  isGenerated,
  type ChunkKey,
  type Column,
  type ColumnMapping,
  type Flavor,
  type TableSchema,
  type UniqueKey,
} from './types.js';

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
 * Original columns that reach the ghost, in the original's order, under their new name when renamed.
 * - A column the ALTER drops is gone, even when the ALTER adds (or renames another column to) the same name:
 *   that column is new and gets its default, as with a native ALTER (`dropped`: AlterAnalysis.droppedColumns).
 * - A generated column of the ghost is computed by the server and never written.
 * - A generated column of the original whose ghost column is plain (`MODIFY total INT NULL`) holds real data: it is
 *   copied and replayed like any other. The binlog carries its value: with binlog_row_image=FULL both MySQL 9.7 and
 *   MariaDB 10.11 log STORED and VIRTUAL generated columns in every row image (measured; preflight requires FULL).
 *   Only STORED can be made plain: both servers refuse it for VIRTUAL (MariaDB ER 1907, MySQL ER 3106).
 */
export function mapColumns(
  original: TableSchema,
  ghost: TableSchema,
  renames: ReadonlyMap<string, string>,
  dropped: readonly string[] = [],
): ColumnMapping[] {
  const mapping: ColumnMapping[] = [];
  for (const source of original.columns) {
    if (dropped.some((d) => sameName(d, source.name))) continue;
    const target = findColumn(ghost, renamedTo(renames, source.name));
    if (target === undefined || isGenerated(target)) continue;
    // Two columns onto one would mean osc misread the ALTER: refuse rather than guess which data it keeps.
    const claimed = mapping.find((m) => sameName(m.target.name, target.name));
    if (claimed !== undefined) {
      throw new PreflightError(
        'ALTER_REFUSED',
        `osc cannot tell whether column ${target.name} of the new table takes the data of ${claimed.source.name} or of ${source.name}; ` +
          'split the ALTER: run the column renames and drops separately',
      );
    }
    mapping.push({ source, target });
  }
  return mapping;
}

const INTEGER_TYPES: ReadonlySet<string> = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);

export function isIntegerType(c: Column): boolean {
  return INTEGER_TYPES.has(c.dataType.toLowerCase());
}

function describeKey(key: UniqueKey): string {
  return `${key.name} (${key.columns.join(', ')})`;
}

/**
 * Null when the original's key can identify every row and the copy can range over it: unique over NOT NULL
 * columns, plain or STORED generated (stored values are real data, in the index and in the binlog's row image);
 * else why not.
 */
function originalKeyProblem(original: TableSchema, key: UniqueKey): string | null {
  if (key.columns.length === 0) return 'it has no columns';
  // The index orders prefixes, not values: every chunk would sort the rest of the table.
  if (key.prefixes !== undefined) return 'it indexes a prefix of a column';
  for (const name of key.columns) {
    const c = findColumn(original, name);
    if (c === undefined) return `column ${name} is missing`;
    if (c.nullable)
      return `${c.name} allows NULL${isGenerated(c) ? ' (MariaDB cannot declare a generated column NOT NULL)' : ''}`;
    if (c.generation === 'virtual') return `${c.name} is a VIRTUAL generated column`;
    const range = rangeProblem(c);
    if (range !== null) return range;
  }
  return null;
}

/** One column of a ghost key and the original column whose value it holds. */
interface KeyPart {
  readonly source: Column;
  readonly target: Column;
}

/** A STORED generated column of the original that the ghost computes the same way: same expression and type. */
function computedAlike(c: Column, g: Column | undefined): g is Column {
  return (
    c.generation === 'stored' &&
    g !== undefined &&
    isGenerated(g) &&
    g.generationExpression === c.generationExpression &&
    g.columnType === c.columnType &&
    g.charset === c.charset &&
    g.collation === c.collation
  );
}

/**
 * The ghost column holding original column `c`'s value: its mapping target, or for a STORED generated column the
 * ghost's generated column of that name computed the same way.
 */
function counterpart(ghost: TableSchema, mapping: readonly ColumnMapping[], c: Column): KeyPart | string {
  const m = mapping.find((x) => sameName(x.source.name, c.name));
  if (m !== undefined) return { source: c, target: m.target };
  if (c.generation !== 'stored') return `column ${c.name} is not carried over`;
  const g = findColumn(ghost, c.name);
  return computedAlike(c, g)
    ? { source: c, target: g }
    : `the new table computes generated column ${c.name} differently`;
}

/** The original column whose value ghost column `g` holds (see counterpart), or null. */
function sourceOf(original: TableSchema, mapping: readonly ColumnMapping[], g: Column): Column | null {
  const m = mapping.find((x) => sameName(x.target.name, g.name));
  if (m !== undefined) return m.source;
  const c = findColumn(original, g.name);
  return c !== undefined && computedAlike(c, g) ? c : null;
}

/** A ghost key that holds every column of original key `key` (parts: their counterparts); null and why when not. */
function matchOnGhost(
  original: TableSchema,
  ghost: TableSchema,
  mapping: readonly ColumnMapping[],
  key: UniqueKey,
  parts: readonly KeyPart[],
  g: UniqueKey,
): { key: ChunkKey | null; problem: string | null } {
  const holds = parts.every((p) => g.columns.some((n) => sameName(n, p.target.name)));
  if (!holds) return { key: null, problem: null };
  const columns: Column[] = [];
  const sources: Column[] = [];
  const exact: string[] = [];
  for (const name of g.columns) {
    const target = findColumn(ghost, name);
    const part = parts.find((p) => sameName(p.target.name, name));
    const source = part?.source ?? (target === undefined ? null : sourceOf(original, mapping, target));
    if (target === undefined || source === null) {
      return {
        key: null,
        problem: `the new table's unique key ${describeKey(g)} holds ${name}, which the original does not have`,
      };
    }
    if (target.nullable)
      return { key: null, problem: `the new table's unique key ${describeKey(g)} allows NULL in ${target.name}` };
    // A prefix of a column of the original key: distinct values of the original can share it.
    if (part !== undefined && (g.prefixes?.[g.columns.indexOf(name)] ?? null) !== null) {
      return {
        key: null,
        problem: `the new table's unique key ${describeKey(g)} indexes only a prefix of ${target.name}`,
      };
    }
    const change = keyColumnChange(source, target);
    if (change === 'changed') {
      return {
        key: null,
        problem: `the ALTER changes key column ${source.name} from ${source.columnType} to ${target.columnType}, so its values cannot find their rows`,
      };
    }
    // Distinct values of the original's key made equal could be two rows; of another column, they cannot.
    if (change === 'recollated' && part !== undefined) exact.push(target.name);
    columns.push(target);
    sources.push(source);
  }
  return {
    key: {
      name: key.name,
      ghostName: g.name,
      columns: parts.map((p) => p.source),
      ghostColumns: columns,
      ghostSources: sources,
      exactColumns: exact,
    },
    problem: null,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** For one key of the original: its best match on the ghost, or why there is none. */
function bestMatch(
  original: TableSchema,
  ghost: TableSchema,
  mapping: readonly ColumnMapping[],
  key: UniqueKey,
): ChunkKey | string {
  const parts: KeyPart[] = [];
  for (const name of key.columns) {
    const c = findColumn(original, name);
    if (c === undefined) return `${describeKey(key)}: column ${name} is missing`;
    const part = counterpart(ghost, mapping, c);
    if (typeof part === 'string') return `${describeKey(key)}: ${part}`;
    parts.push(part);
  }
  const matches: ChunkKey[] = [];
  const problems: string[] = [];
  for (const g of ghost.uniqueKeys) {
    const m = matchOnGhost(original, ghost, mapping, key, parts, g);
    if (m.key !== null) matches.push(m.key);
    else if (m.problem !== null) problems.push(m.problem);
  }
  // The same columns first (no extra column to carry), then the ghost's PRIMARY, the same name, by name.
  const rank = (k: ChunkKey) => [
    Number(k.ghostColumns.length !== k.columns.length),
    Number(k.ghostName !== 'PRIMARY'),
    Number(!sameName(k.ghostName, key.name)),
  ];
  matches.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    return compareText(a.ghostName, b.ghostName);
  });
  const best = matches[0];
  if (best !== undefined) return best;
  const targets = parts.map((p) => p.target.name).join(', ');
  return `${describeKey(key)}: ${problems[0] ?? `the new table has no unique key over (${targets}), alone or with more columns`}`;
}

interface Candidate {
  readonly key: ChunkKey;
  readonly primary: boolean;
}

/** Keys matched without a byte-for-byte check first, then PRIMARY, fewer columns, all-integer keys, by name. */
function preference(x: Candidate, y: Candidate): number {
  const exact = Number(x.key.exactColumns.length > 0) - Number(y.key.exactColumns.length > 0);
  if (exact !== 0) return exact;
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
 * The key to chunk the copy along (a unique key of the original over NOT NULL columns) and the ghost's unique
 * key to match rows by: over the same (possibly renamed) columns, or over more of them, whose values survive the
 * ALTER (see key-change.ts).
 */
export function chooseChunkKey(
  original: TableSchema,
  ghost: TableSchema,
  mapping: readonly ColumnMapping[],
): ChunkKey | null {
  const candidates: Candidate[] = [];
  for (const key of original.uniqueKeys) {
    if (originalKeyProblem(original, key) !== null) continue;
    const match = bestMatch(original, ghost, mapping, key);
    if (typeof match !== 'string') candidates.push({ key: match, primary: key.primary });
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
  const usable = original.uniqueKeys.filter((k) => originalKeyProblem(original, k) === null);
  if (usable.length === 0) {
    const why = original.uniqueKeys.map((k) => `${describeKey(k)}: ${originalKeyProblem(original, k) ?? ''}`);
    return (
      `the table has no unique key osc can copy along (${why.join('; ')}); ` +
      'add a PRIMARY KEY, or a UNIQUE key over NOT NULL columns, first'
    );
  }
  const problems = usable
    .map((k) => bestMatch(original, ghost, mapping, k))
    .filter((p): p is string => typeof p === 'string');
  return (
    `the ALTER drops or changes every unique key the original has (${problems.join('; ')}); ` +
    'keep one whose values stay the same so rows can be matched'
  );
}

/**
 * Types the binlog reader decodes exactly (measured on MariaDB 10.11 and MySQL 9.7, see
 * shared/servers.md). Strings and spatial values are replayed from the binlog's bytes (see
 * io/binlog/exact.ts): spatial ones in the server's internal format, which it takes back as is
 * (GEOMETRYCOLLECTION is 'geomcollection' in MySQL 8+). Anything else (VECTOR, MariaDB
 * UUID/INET4/INET6 ...) would be replayed wrongly or garble the row, so preflight refuses it.
 */
export const REPLAYABLE_TYPES: readonly string[] = [
  'tinyint',
  'smallint',
  'mediumint',
  'int',
  'bigint',
  'decimal',
  'float',
  'double',
  'bit',
  'date',
  'datetime',
  'timestamp',
  'time',
  'year',
  'char',
  'varchar',
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'enum',
  'set',
  'json',
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
];

const REPLAYABLE: ReadonlySet<string> = new Set(REPLAYABLE_TYPES);

/**
 * Columns osc cannot replay exactly. The allow-list is the same on both flavours today; the
 * flavour is part of the signature so a flavour-specific type does not change callers.
 * Generated columns count too: every row image carries them (see mapColumns), the reader decodes
 * them with the rest of the row, and one the ALTER makes plain is replayed.
 */
export function unsupportedColumns(schema: TableSchema, _flavor: Flavor): Column[] {
  return schema.columns.filter((c) => !REPLAYABLE.has(c.dataType.toLowerCase()));
}
