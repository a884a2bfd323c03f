// Statements of the row copy: key boundaries, the next chunk's upper bound, and the chunked
// INSERT IGNORE ... SELECT into the ghost. Key values are always read, compared and bound through values.ts, so
// that every key type compares exactly and in the index's order.
import { OscError } from '../errors.js';
import type { ChunkKey, Column, ColumnMapping, KeyValues, Statement } from '../types.js';
import { columnList, qualify, quoteId } from './quote.js';
import { asColumnValue, exactTerm, keyParam, keyPlaceholder, keyRead, rangeTerm } from './values.js';

export type RangeOp = '>' | '>=' | '<' | '<=';
export type ReadLock = 'FOR SHARE' | 'LOCK IN SHARE MODE';

const STRICT: Readonly<Record<RangeOp, '>' | '<'>> = { '>': '>', '>=': '>', '<': '<', '<=': '<' };

/** How a statement refers to a column: bare, or qualified by a table alias. */
export type ColumnRef = (c: Column) => string;

const bare: ColumnRef = (c) => quoteId(c.name);

function checkBound(columns: readonly Column[], values: KeyValues): void {
  if (columns.length === 0) throw new OscError('INTERNAL', 'a chunking key needs at least one column');
  if (values.length !== columns.length) {
    throw new OscError('INTERNAL', `a key bound has ${values.length} values for ${columns.length} key columns`);
  }
}

/**
 * Lexicographic comparison of a composite key with a bound, in the expanded form indexes can use:
 * (a, b) > (x, y)  ->  ((`a` > ?) OR (`a` = ? AND `b` > ?)); a > x  ->  (`a` > ?). Only the
 * last column's term is inclusive for `>=` / `<=`. Always parenthesised, safe to AND.
 * The bound was read with keyRead(c, ref, true): ENUM and SET compare by member number, strings as their bytes.
 */
export function rangeCondition(
  columns: readonly Column[],
  op: RangeOp,
  bound: KeyValues,
  ref: ColumnRef = bare,
): Statement {
  checkBound(columns, bound);
  const terms: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < columns.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j <= i; j++) {
      const c = columns[j]!;
      const term = rangeTerm(c, ref(c), j < i ? '=' : i === columns.length - 1 ? op : STRICT[op], bound[j]);
      parts.push(term.sql);
      params.push(...term.params);
    }
    terms.push(`(${parts.join(' AND ')})`);
  }
  return { sql: terms.length === 1 ? terms[0]! : `(${terms.join(' OR ')})`, params };
}

/**
 * `a` = ? AND `b` = ? for one exact key (values as read with keyRead(c, ref, false), or from the binlog); `from`
 * names the columns the values come from, when not `columns` (a string is then converted from their charset).
 */
export function keyEquals(
  columns: readonly Column[],
  key: KeyValues,
  ref: ColumnRef = bare,
  from: readonly Column[] = columns,
): Statement {
  checkBound(columns, key);
  if (from.length !== columns.length)
    throw new OscError('INTERNAL', `a key has ${from.length} source columns for ${columns.length} key columns`);
  return {
    sql: columns.map((c, i) => `${ref(c)} = ${keyPlaceholder(c, from[i])}`).join(' AND '),
    params: columns.map((c, i) => keyParam(c, key[i], from[i])),
  };
}

/** The select list that reads key columns exactly (see keyRead), each under its own name. */
export function keyColumns(columns: readonly Column[], order: boolean): string {
  return columns
    .map((c) => {
      const read = keyRead(c, quoteId(c.name), order);
      return read === quoteId(c.name) ? read : `${read} AS ${quoteId(c.name)}`;
    })
    .join(', ');
}

function orderBy(database: string, table: string, key: ChunkKey, dir: 'ASC' | 'DESC'): string {
  // Qualified: a select expression aliased as the column (`k` + 0 AS `k`) would otherwise be what ORDER BY sorts
  // by, and the index could not deliver that order (a filesort of the whole range, measured on both servers).
  return key.columns.map((c) => `${qualify(database, table)}.${quoteId(c.name)} ${dir}`).join(', ');
}

function source(database: string, table: string, key: ChunkKey): string {
  return `${qualify(database, table)} FORCE INDEX (${quoteId(key.name)})`;
}

export interface BoundaryArgs {
  readonly database: string;
  readonly table: string;
  readonly key: ChunkKey;
  readonly which: 'min' | 'max';
}

/** The smallest or largest key of the table; no row means an empty table. */
export function buildKeyBoundary(a: BoundaryArgs): Statement {
  const dir = a.which === 'min' ? 'ASC' : 'DESC';
  return {
    sql: `SELECT ${keyColumns(a.key.columns, true)} FROM ${source(a.database, a.table, a.key)} ORDER BY ${orderBy(a.database, a.table, a.key, dir)} LIMIT 1`,
    params: [],
  };
}

export interface NextBoundaryArgs {
  readonly database: string;
  readonly table: string;
  readonly key: ChunkKey;
  readonly range: { readonly lower: KeyValues; readonly lowerInclusive: boolean; readonly max: KeyValues };
  readonly chunkSize: number;
}

/**
 * The key of the chunkSize-th row after `lower`, not beyond max; no row means the chunk runs to max.
 * OFFSET is a validated integer literal: prepared-statement placeholders in LIMIT differ across servers.
 */
export function buildNextBoundary(a: NextBoundaryArgs): Statement {
  if (!Number.isSafeInteger(a.chunkSize) || a.chunkSize < 1) {
    throw new OscError('INTERNAL', `chunk size must be a positive integer, got ${a.chunkSize}`);
  }
  const lower = rangeCondition(a.key.columns, a.range.lowerInclusive ? '>=' : '>', a.range.lower);
  const upper = rangeCondition(a.key.columns, '<=', a.range.max);
  return {
    sql:
      `SELECT ${keyColumns(a.key.columns, true)} FROM ${source(a.database, a.table, a.key)}` +
      ` WHERE ${lower.sql} AND ${upper.sql} ORDER BY ${orderBy(a.database, a.table, a.key, 'ASC')} LIMIT 1 OFFSET ${a.chunkSize - 1}`,
    params: [...lower.params, ...upper.params],
  };
}

interface CopyTarget {
  readonly database: string;
  readonly table: string;
  readonly ghost: string;
  readonly mapping: readonly ColumnMapping[];
  readonly key: ChunkKey;
  readonly lock: ReadLock;
}

function insertSelect(t: CopyTarget): string {
  if (t.mapping.length === 0) throw new OscError('INTERNAL', 'the column mapping is empty');
  return (
    `INSERT IGNORE INTO ${qualify(t.database, t.ghost)} (${columnList(t.mapping.map((m) => m.target.name))})` +
    ` SELECT ${columnList(t.mapping.map((m) => m.source.name))} FROM ${source(t.database, t.table, t.key)}`
  );
}

export interface CopyChunkArgs extends CopyTarget {
  readonly lower: KeyValues;
  readonly lowerInclusive: boolean;
  readonly upper: KeyValues;
}

/** Copies the rows between lower and upper (inclusive), skipping rows the ghost already holds. */
export function buildCopyChunk(a: CopyChunkArgs): Statement {
  const lower = rangeCondition(a.key.columns, a.lowerInclusive ? '>=' : '>', a.lower);
  const upper = rangeCondition(a.key.columns, '<=', a.upper);
  return {
    sql: `${insertSelect(a)} WHERE ${lower.sql} AND ${upper.sql} ${a.lock}`,
    params: [...lower.params, ...upper.params],
  };
}

export interface CopyKeysArgs extends CopyTarget {
  readonly keys: readonly KeyValues[];
}

/** Copies individual rows by exact key (re-copying rows, e.g. after a conflict). */
export function buildCopyKeys(a: CopyKeysArgs): Statement {
  if (a.keys.length === 0) throw new OscError('INTERNAL', 'no keys to copy');
  const conds = a.keys.map((k) => keyEquals(a.key.columns, k));
  return {
    sql: `${insertSelect(a)} WHERE ${conds.map((c) => `(${c.sql})`).join(' OR ')} ${a.lock}`,
    params: conds.flatMap((c) => c.params),
  };
}

export interface TableRef {
  readonly database: string;
  readonly table: string;
}

export function buildExactCount(a: TableRef): Statement {
  return { sql: `SELECT COUNT(*) AS n FROM ${qualify(a.database, a.table)}`, params: [] };
}

/** InnoDB's row estimate: cheap, often off by tens of percent. */
export function buildEstimate(a: TableRef): Statement {
  return {
    sql: 'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    params: [a.database, a.table],
  };
}

export interface UnmatchedArgs {
  readonly database: string;
  readonly table: string;
  readonly ghost: string;
  readonly key: ChunkKey;
  /** The original's rows to check: a chunk's range, or exact keys (values of key.columns). */
  readonly rows:
    | { readonly lower: KeyValues; readonly lowerInclusive: boolean; readonly upper: KeyValues }
    | { readonly keys: readonly KeyValues[] };
}

const ORIGINAL = quoteId('o');
const GHOST = quoteId('g');

/**
 * The terms (to AND) by which the ghost's row (table alias `ghost`) is an original row's own (columns at `o`): its
 * matching key holds their values as the copy converts them, byte for byte in key.exactColumns.
 */
export function ghostMatch(key: ChunkKey, o: ColumnRef, ghost: string): string[] {
  const exact = new Set(key.exactColumns.map((n) => n.toLowerCase()));
  return key.ghostColumns.flatMap((g, i) => {
    const src = key.ghostSources[i];
    if (src === undefined) throw new OscError('INTERNAL', `ghost key column ${quoteId(g.name)} has no source column`);
    const ref = `${ghost}.${quoteId(g.name)}`;
    const converted = g.charset !== null && (g.charset !== src.charset || g.collation !== src.collation);
    const terms = [`${ref} = ${converted ? asColumnValue(g, o(src)) : o(src)}`];
    if (exact.has(g.name.toLowerCase())) terms.push(exactTerm(g, ref, o(src)));
    return terms;
  });
}

/**
 * How many of the given rows of the original have no row of their own in the ghost: none whose matching key holds
 * their values as the copy converts them, byte for byte in key.exactColumns. A duplicate on the ghost's key is then
 * another source row that the ALTER made equal to this one (or, for a moment, an older image replay still holds).
 */
export function buildUnmatchedCount(a: UnmatchedArgs): Statement {
  const { key } = a;
  const o: ColumnRef = (c) => `${ORIGINAL}.${quoteId(c.name)}`;
  const match = ghostMatch(key, o, GHOST);
  let where: Statement;
  if ('keys' in a.rows) {
    if (a.rows.keys.length === 0) throw new OscError('INTERNAL', 'no keys to check');
    const conds = a.rows.keys.map((k) => keyEquals(key.columns, k, o));
    where = { sql: `(${conds.map((c) => `(${c.sql})`).join(' OR ')})`, params: conds.flatMap((c) => c.params) };
  } else {
    const lower = rangeCondition(key.columns, a.rows.lowerInclusive ? '>=' : '>', a.rows.lower, o);
    const upper = rangeCondition(key.columns, '<=', a.rows.upper, o);
    where = { sql: `${lower.sql} AND ${upper.sql}`, params: [...lower.params, ...upper.params] };
  }
  return {
    sql:
      `SELECT COUNT(*) AS n FROM ${qualify(a.database, a.table)} AS ${ORIGINAL} FORCE INDEX (${quoteId(key.name)})` +
      ` WHERE ${where.sql} AND NOT EXISTS (SELECT 1 FROM ${qualify(a.database, a.ghost)} AS ${GHOST} WHERE ${match.join(' AND ')})`,
    params: where.params,
  };
}

export interface GhostRowsArgs {
  readonly database: string;
  readonly ghost: string;
  /** The ghost's key columns: read back (exactly, see keyColumns) for each row found. */
  readonly key: readonly Column[];
  /** Ghost columns and the values (an original row's image) they must hold; `from` the columns those come from. */
  readonly columns: readonly Column[];
  readonly values: KeyValues;
  readonly from: readonly Column[];
}

/**
 * Replay's conflict check: the ghost rows holding these values, by their key. A locking read (FOR UPDATE), so
 * it sees the rows as they are now, not as the transaction's snapshot saw them.
 */
export function buildLockGhostRows(a: GhostRowsArgs): Statement {
  const where = keyEquals(a.columns, a.values, bare, a.from);
  return {
    sql: `SELECT ${keyColumns(a.key, false)} FROM ${qualify(a.database, a.ghost)} WHERE ${where.sql} FOR UPDATE`,
    params: where.params,
  };
}

/** Deletes one ghost row by its key (values as buildLockGhostRows read them). */
export function buildDeleteGhostRow(a: {
  readonly database: string;
  readonly ghost: string;
  readonly key: readonly Column[];
  readonly values: KeyValues;
}): Statement {
  const where = keyEquals(a.key, a.values);
  return { sql: `DELETE FROM ${qualify(a.database, a.ghost)} WHERE ${where.sql}`, params: where.params };
}
