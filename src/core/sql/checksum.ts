// Statements of the checksum (stages/checksum): one per chunk per table, computed by the server, that hash every
// column the ghost takes from the original so that equal data gives equal figures whatever the ALTER changed.
//
// Each row is hashed as CRC32(CONCAT_WS('#', <frame>, <each value>)), the frame making the string a one-to-one
// encoding of the values: each string's length (N for NULL: '' is 0, and a '#' inside a value cannot shift a
// boundary) and each nullable number's ISNULL; a number or date prints without '#' and never empty, so a NOT NULL
// one needs neither (leaving them out saved a quarter of the hashing time here). One string needs no length: put
// last, it is whatever follows the values before it, whose extents the frame gives; only whether it is NULL
// (ISNULL, when it can be) remains to say. Its LENGTH was an eighth of MySQL 9.7's hashing time on the bench's
// table (0.81 s -> 0.71 s per 1M rows; MariaDB 10.11 unchanged at 0.34 s). A chunk's figures are COUNT(*) and
// BIT_XOR of the row hashes. Every value is hashed as the ghost's
// column holds it: the original's value is converted to the ghost column's type first, as storing it there would
// (verified on MariaDB 10.11 and MySQL 9.7, which agree on every form used here):
// - strings: CONVERT(x USING <ghost charset>), then hashed as bytes (CAST AS BINARY, so that no two charsets meet
//   in CONCAT_WS); a CHAR target drops trailing spaces (RTRIM), as CHAR does;
// - DECIMAL: CAST(x AS DECIMAL(p,s)) prints the ghost's scale ('1.50' -> '1.500');
// - DATETIME/TIMESTAMP: CAST(x AS DATETIME(n)) prints the ghost's fraction; both sides read TIMESTAMPs in the
//   session's time zone (osc pins +00:00); DATE and TIME likewise;
// - FLOAT and DOUBLE: as DOUBLE (x + 0e0), whose text is exact (a FLOAT prints 6 digits: distinct values would
//   print alike); a DOUBLE narrowed to FLOAT then differs where the value changed, which is data lost;
// - integers to a wider integer print alike; to an integer from anything else CAST AS SIGNED/UNSIGNED;
// - BIT as its number (x + 0); BINARY(n) targets pad with zero bytes (CAST(x AS BINARY(n)));
// - JSON: MySQL prints it normalised, CAST(x AS JSON) for a text source; MariaDB's JSON is LONGTEXT.
// CAST(x AS DOUBLE) and CAST(x AS FLOAT) exist only on MySQL 8.0.17+ and MariaDB 10.4+ (not used); CAST AS JSON
// only on MySQL (MariaDB 10.11: syntax error, verified).
import { OscError } from '../errors.js';
import type { ChunkKey, Column, ColumnMapping, Flavor, KeyValues, Statement } from '../types.js';
import { ghostMatch, keyColumns, keyEquals, rangeCondition, type ColumnRef } from './copy.js';
import { qualify, quoteId } from './quote.js';
import { asColumnValue, isText, keyRead } from './values.js';

const INTEGERS: ReadonlySet<string> = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const BYTES: ReadonlySet<string> = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

function typeNumbers(c: Column): number[] {
  const m = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(c.columnType);
  return m === null ? [] : [Number(m[1]), ...(m[2] === undefined ? [] : [Number(m[2])])];
}

/** A column holding characters (CHAR, VARCHAR, TEXT, ENUM, SET, MariaDB's JSON): its charset names them. */
function isCharacters(c: Column): boolean {
  return c.charset !== null && c.charset !== 'binary';
}

function safeName(what: string, name: string | null, c: Column): string {
  if (name === null || !/^[A-Za-z0-9_]+$/.test(name))
    throw new OscError('INTERNAL', `column ${c.name}: unusable ${what} ${String(name)}`);
  return name;
}

function sameDefinition(s: Column, t: Column): boolean {
  return (
    s.dataType === t.dataType && s.columnType === t.columnType && s.charset === t.charset && s.collation === t.collation
  );
}

/** `x`, an original value of column s, converted to ghost column t's type as storing it there would. */
function converted(s: Column, t: Column, x: string, flavor: Flavor): string {
  if (sameDefinition(s, t)) return x;
  const type = t.dataType;
  if (isCharacters(t)) {
    const text = `CONVERT(${x} USING ${safeName('charset', t.charset, t)})`;
    return type === 'char' && s.dataType !== 'char' ? `RTRIM(${text})` : text;
  }
  if (INTEGERS.has(type)) {
    if (INTEGERS.has(s.dataType) || s.dataType === 'bit' || s.dataType === 'year') return x;
    return `CAST(${x} AS ${/unsigned/.test(t.columnType) ? 'UNSIGNED' : 'SIGNED'})`;
  }
  if (type === 'decimal') {
    const [p = 10, sc = 0] = typeNumbers(t);
    return `CAST(${x} AS DECIMAL(${p},${sc}))`;
  }
  if (type === 'datetime' || type === 'timestamp') return `CAST(${x} AS DATETIME(${typeNumbers(t)[0] ?? 0}))`;
  if (type === 'time') return `CAST(${x} AS TIME(${typeNumbers(t)[0] ?? 0}))`;
  if (type === 'date') return `CAST(${x} AS DATE)`;
  if (type === 'binary') return `CAST(${x} AS BINARY(${typeNumbers(t)[0] ?? 1}))`;
  if (type === 'json' && flavor === 'mysql' && s.dataType !== 'json') return `CAST(${x} AS JSON)`;
  // FLOAT and DOUBLE (printed as DOUBLE below), BIT, YEAR, blobs, spatial: the value itself.
  return x;
}

/** How ghost column t's value (or a value converted to t's type) is printed for the hash. */
function printed(t: Column, x: string): string {
  if (t.dataType === 'float' || t.dataType === 'double') return `${x} + 0e0`;
  if (t.dataType === 'bit') return `${x} + 0`;
  if (isCharacters(t) || t.dataType === 'json') return `CAST(${x} AS BINARY)`;
  return x;
}

export type ChecksumSide = 'original' | 'ghost';

/** The value hashed for one shared column, on either side: equal exactly when the ghost holds what it should. */
export function hashedValue(m: ColumnMapping, side: ChecksumSide, ref: string, flavor: Flavor): string {
  return printed(m.target, side === 'ghost' ? ref : converted(m.source, m.target, ref, flavor));
}

/** What the frame says about a value: its length (strings, bytes), whether it is NULL (numbers), or nothing. */
export type Framing = 'length' | 'null' | 'none';

// Printed as digits, signs, '.', ':', '-', ' ', 'e' (printed() makes FLOAT/DOUBLE and BIT numbers): never a '#'.
const PLAIN: ReadonlySet<string> = new Set([
  ...INTEGERS,
  'decimal',
  'float',
  'double',
  'bit',
  'year',
  'date',
  'datetime',
  'timestamp',
  'time',
]);

/** The same on both sides: it depends on the mapping, not on the values. */
export function framing(m: ColumnMapping): Framing {
  if (!PLAIN.has(m.target.dataType)) return 'length';
  return m.source.nullable || m.target.nullable ? 'null' : 'none';
}

/** One value of a row's hash: its SQL, its framing, and whether it can be NULL (on either side). */
export interface RowValue {
  readonly sql: string;
  readonly framing: Framing;
  readonly nullable: boolean;
}

/** CRC32 of one row: the frame first, then the values, the last length-framed one moved to the end, unframed. */
export function rowHash(values: readonly RowValue[]): string {
  if (values.length === 0) throw new OscError('INTERNAL', 'a checksum needs at least one column');
  const lastText = values.findLastIndex((v) => v.framing === 'length');
  const ordered = [...values.filter((_, i) => i !== lastText), ...values.filter((_, i) => i === lastText)];
  const frame = values.flatMap((v, i) => {
    if (i === lastText) return v.nullable ? [`ISNULL(${v.sql})`] : [];
    return v.framing === 'length'
      ? [`COALESCE(LENGTH(${v.sql}), 'N')`]
      : v.framing === 'null'
        ? [`ISNULL(${v.sql})`]
        : [];
  });
  return `CRC32(CONCAT_WS('#', ${[...frame, ...ordered.map((v) => v.sql)].join(', ')}))`;
}

/**
 * The ghost's columns holding the chunk key's values, in the original key's order, when the ghost's own key index
 * starts with them and orders them as the original's index does: a chunk's range then reads the ghost by the same
 * bounds. Null otherwise (a recollated string, a reordered ENUM, a key led by another column): the ghost's rows
 * are then found through the original's (join mode).
 */
export function ghostRangeColumns(key: ChunkKey, mapping: readonly ColumnMapping[]): Column[] | null {
  const out: Column[] = [];
  for (const [i, c] of key.columns.entries()) {
    const g = key.ghostColumns[i];
    const source = key.ghostSources[i];
    if (g === undefined || source === undefined || source.name.toLowerCase() !== c.name.toLowerCase()) return null;
    if (!mapping.some((m) => m.target.name.toLowerCase() === g.name.toLowerCase())) {
      // A STORED generated key column computed alike on both tables (schema.ts): the same definition.
      if (!sameDefinition(c, g)) return null;
    } else if (!orderKept(c, g)) return null;
    out.push(g);
  }
  return out;
}

/** Values of s keep their order (and equality) as values of t. */
function orderKept(s: Column, t: Column): boolean {
  if (sameDefinition(s, t)) return true;
  const [a, b] = [s.dataType, t.dataType];
  if (INTEGERS.has(a) && INTEGERS.has(b)) return true;
  if ((INTEGERS.has(a) || a === 'decimal') && b === 'decimal') return true;
  if (a === 'float' && b === 'double') return true;
  if (a === 'bit' && b === 'bit') return true;
  if ((a === b && (a === 'datetime' || a === 'timestamp' || a === 'time')) || (a === 'date' && b === 'datetime'))
    return true;
  // Strings in the same charset and collation; bytes compare as bytes.
  if (isText(s) && isText(t)) return s.charset === t.charset && s.collation === t.collation;
  return BYTES.has(a) && BYTES.has(b) && b !== 'binary';
}

/** A chunk of the checksum along the chunk key: null bounds are open (the first and the last chunk). */
export interface ChunkRange {
  readonly lower: { readonly key: KeyValues; readonly inclusive: boolean } | null;
  /** Inclusive. */
  readonly upper: KeyValues | null;
}

export const WHOLE_TABLE: ChunkRange = Object.freeze({ lower: null, upper: null });

export interface ChecksumTarget {
  readonly database: string;
  readonly table: string;
  readonly ghost: string;
  readonly mapping: readonly ColumnMapping[];
  readonly key: ChunkKey;
  readonly flavor: Flavor;
}

const ORIGINAL = quoteId('o');
const GHOST = quoteId('g');

function rangeWhere(columns: readonly Column[], range: ChunkRange, ref?: ColumnRef): Statement {
  const parts: Statement[] = [];
  if (range.lower !== null)
    parts.push(rangeCondition(columns, range.lower.inclusive ? '>=' : '>', range.lower.key, ref));
  if (range.upper !== null) parts.push(rangeCondition(columns, '<=', range.upper, ref));
  if (parts.length === 0) return { sql: 'TRUE', params: [] };
  return { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
}

function figures(t: ChecksumTarget, side: ChecksumSide, ref: ColumnRef): string {
  const values = t.mapping.map((m) => ({
    sql: hashedValue(m, side, ref(side === 'ghost' ? m.target : m.source), t.flavor),
    framing: framing(m),
    nullable: m.source.nullable || m.target.nullable,
  }));
  return `COUNT(*) AS ${quoteId('n')}, COALESCE(BIT_XOR(${rowHash(values)}), 0) AS ${quoteId('h')}`;
}

function originalFrom(t: ChecksumTarget, alias: string): string {
  return `${qualify(t.database, t.table)}${alias === '' ? '' : ` AS ${alias}`} FORCE INDEX (${quoteId(t.key.name)})`;
}

/**
 * A chunk's figures (`n` rows, hash `h`) on one side, read in the session's snapshot. The ghost's rows are those in
 * the same key range (ghostRangeColumns), or in join mode those matching the original's rows of the range by key.
 */
export function buildChunkChecksum(t: ChecksumTarget, side: ChecksumSide, range: ChunkRange): Statement {
  const bare: ColumnRef = (c) => quoteId(c.name);
  if (side === 'original') {
    const where = rangeWhere(t.key.columns, range);
    return {
      sql: `SELECT ${figures(t, side, bare)} FROM ${originalFrom(t, '')} WHERE ${where.sql}`,
      params: where.params,
    };
  }
  const ghostKey = ghostRangeColumns(t.key, t.mapping);
  if (ghostKey !== null) {
    const where = rangeWhere(ghostKey, range);
    return {
      sql: `SELECT ${figures(t, side, bare)} FROM ${qualify(t.database, t.ghost)} FORCE INDEX (${quoteId(t.key.ghostName)}) WHERE ${where.sql}`,
      params: where.params,
    };
  }
  const o: ColumnRef = (c) => `${ORIGINAL}.${quoteId(c.name)}`;
  const g: ColumnRef = (c) => `${GHOST}.${quoteId(c.name)}`;
  const where = rangeWhere(t.key.columns, range, o);
  return {
    sql:
      `SELECT ${figures(t, side, g)} FROM ${originalFrom(t, ORIGINAL)}` +
      ` JOIN ${qualify(t.database, t.ghost)} AS ${GHOST} ON ${ghostMatch(t.key, o, GHOST).join(' AND ')} WHERE ${where.sql}`,
    params: where.params,
  };
}

/** Repair, first step: the ghost's rows of the range go (in join mode: those matching the original's rows of it). */
export function buildDeleteGhostRange(t: ChecksumTarget, range: ChunkRange): Statement {
  const ghostKey = ghostRangeColumns(t.key, t.mapping);
  if (ghostKey !== null) {
    const where = rangeWhere(ghostKey, range);
    return { sql: `DELETE FROM ${qualify(t.database, t.ghost)} WHERE ${where.sql}`, params: where.params };
  }
  const o: ColumnRef = (c) => `${ORIGINAL}.${quoteId(c.name)}`;
  const where = rangeWhere(t.key.columns, range, o);
  // The ghost by its qualified name, not an alias: both servers resolve an alias in a DELETE list against the
  // default database, and osc's sessions have none (error 1046, verified on MariaDB 10.11 and MySQL 9.7).
  const ghost = qualify(t.database, t.ghost);
  return {
    sql:
      `DELETE ${ghost} FROM ${ghost} JOIN ${originalFrom(t, ORIGINAL)}` +
      ` ON ${ghostMatch(t.key, o, ghost).join(' AND ')} WHERE ${where.sql}`,
    params: where.params,
  };
}

/**
 * Join mode: the terms by which the original's row (`o`) is a ghost row's (`g`) own, as ghostMatch says, led by the
 * original's key columns equal to the ghost's values converted back, so that the lookup goes by the original's key.
 */
function originalOf(key: ChunkKey, ghost: string): string {
  const o: ColumnRef = (c) => `${ORIGINAL}.${quoteId(c.name)}`;
  const lookup = key.columns.map((c) => {
    const i = key.ghostSources.findIndex((s) => s.name.toLowerCase() === c.name.toLowerCase());
    const g = key.ghostColumns[i];
    if (g === undefined) throw new OscError('INTERNAL', `key column ${quoteId(c.name)} is not in the ghost key`);
    const ref = `${ghost}.${quoteId(g.name)}`;
    const converted = c.charset !== null && (c.charset !== g.charset || c.collation !== g.collation);
    return `${o(c)} = ${converted ? asColumnValue(c, ref) : ref}`;
  });
  return [...lookup, ...ghostMatch(key, o, ghost)].join(' AND ');
}

/** The ghost's row (at `ghost`, an alias or the qualified name) is no row of the original's. */
function unmatched(t: ChecksumTarget, ghost: string): string {
  return `NOT EXISTS (SELECT 1 FROM ${originalFrom(t, ORIGINAL)} WHERE ${originalOf(t.key, ghost)})`;
}

/**
 * Join mode: the keys of ghost rows that are no row of the original's (extra rows), in the ghost's key order, read
 * exactly (for buildDeleteGhostExtras). In a checksum session, so at its consistent point.
 */
export function buildGhostExtras(t: ChecksumTarget, limit: number): Statement {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new OscError('INTERNAL', `bad limit ${limit}`);
  const cols = t.key.ghostColumns;
  const read = cols.map((c) => `${keyRead(c, `${GHOST}.${quoteId(c.name)}`, false)} AS ${quoteId(c.name)}`).join(', ');
  const order = cols.map((c) => `${GHOST}.${quoteId(c.name)}`).join(', ');
  return {
    sql:
      `SELECT ${read} FROM ${qualify(t.database, t.ghost)} AS ${GHOST} FORCE INDEX (${quoteId(t.key.ghostName)})` +
      ` WHERE ${unmatched(t, GHOST)} ORDER BY ${order} LIMIT ${limit}`,
    params: [],
  };
}

/**
 * Join mode's repair of extra rows: these ghost rows go, each only while it is still no row of the original's (a
 * row the original holds by now stays: replay or the copy put it there).
 */
export function buildDeleteGhostExtras(t: ChecksumTarget, keys: readonly KeyValues[]): Statement {
  if (keys.length === 0) throw new OscError('INTERNAL', 'no keys to delete');
  const ghost = qualify(t.database, t.ghost);
  const g: ColumnRef = (c) => `${ghost}.${quoteId(c.name)}`;
  const conds = keys.map((k) => keyEquals(t.key.ghostColumns, k, g));
  return {
    sql:
      `DELETE ${ghost} FROM ${ghost}` +
      ` WHERE (${conds.map((c) => `(${c.sql})`).join(' OR ')}) AND ${unmatched(t, ghost)}`,
    params: conds.flatMap((c) => c.params),
  };
}

/** The first or last key of the original within the range (read exactly, for the copy's bounds); none: empty. */
export function buildRangeEdge(
  t: Pick<ChecksumTarget, 'database' | 'table' | 'key'>,
  range: ChunkRange,
  which: 'first' | 'last',
): Statement {
  const where = rangeWhere(t.key.columns, range);
  const dir = which === 'first' ? 'ASC' : 'DESC';
  const order = t.key.columns.map((c) => `${qualify(t.database, t.table)}.${quoteId(c.name)} ${dir}`).join(', ');
  return {
    sql: `SELECT ${keyColumns(t.key.columns, true)} FROM ${qualify(t.database, t.table)} FORCE INDEX (${quoteId(t.key.name)}) WHERE ${where.sql} ORDER BY ${order} LIMIT 1`,
    params: where.params,
  };
}

/** The consistent point's lock: writers wait, readers go on (the cut-over's lock also holds its sentry). */
export function lockForSnapshot(database: string, table: string): string {
  return `LOCK TABLES ${qualify(database, table)} READ`;
}

/** Each checksum session's transaction: one read view of both tables. */
export const SNAPSHOT_ISOLATION = 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ';
export const START_SNAPSHOT = 'START TRANSACTION WITH CONSISTENT SNAPSHOT';
