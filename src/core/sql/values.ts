// Exact key comparisons: every comparison of a key column with a value goes through this file, so that it orders
// and matches as the index does.
//
// - mysql2 (bigNumberStrings) and zongji (beyond 2^53) hand integer and DECIMAL values over as strings; MySQL
//   compares a string with a numeric column as a DOUBLE, so a key above 2^53 could match the wrong row. Integers
//   are bound as JS bigints (mysql2 writes them unquoted) and DECIMAL values are cast to the column's precision.
// - ENUM and SET are indexed by member number (SET: bit value), not by name: `k >= 'm'` compares names and
//   disagrees with the index order. Ranges compare member numbers; equality compares names (a name means the same
//   member on both tables even when the ALTER reorders them). Neither `k > 2` nor `k > 'm'` can use the index
//   (a full scan, measured on MariaDB 10.11 and MySQL 9.7), while `k IN (3, 4)` and `k = 2` can: a range over
//   such a column is written as the list of member numbers it covers.
// - BIT arrives as bytes; MariaDB 10.11 compares a BIT column with a byte string wrongly (`b > X'0001'` matched no
//   row, `b = X'0002'` missed its row; MySQL 9.7 got both right), so BIT values are bound as integers.
// - A FLOAT prints with 6 significant digits (1999994 reads back as 1999990): read it widened to DOUBLE, whose
//   text is exact, so a bound read from the table is the row's own value.
// - Strings compare in the column's collation, as ORDER BY does (see keyPlaceholder).
//
// Strings are converted by the server, never in JavaScript. The binlog's bytes arrive as a Buffer, which
// mysql2 sends as a binary literal. Written to a column of the same character set, the server stores
// them as they are (a binary string assigned to a text column is taken in the column's charset), which
// is what INSERT ... SELECT does too. Anywhere else the placeholder tags them with the original column's
// charset, `CONVERT(? USING latin1)`, and the server converts from there as INSERT ... SELECT would.
// A JS string bound to such a placeholder (a key read through mysql2) is converted from the connection's
// utf8mb4, so one placeholder serves both. Not exactly, though, for bytes the column's charset leaves undefined
// (cp1251 0x98, cp1250 0x81, greek 0xAE, ...): both servers store them as they are, even in strict mode, and
// read them through utf8mb4 as `?`, which sorts below them. So the copy's range bounds, which must be the rows'
// own keys, read strings as their bytes (keyRead).
import { OscError } from '../errors.js';
import type { Column, Statement } from '../types.js';

const TEXT_TYPES: ReadonlySet<string> = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);

/** CHAR, VARCHAR or a TEXT type with a character set: its values are strings in that charset. */
export function isText(c: Column): boolean {
  return TEXT_TYPES.has(c.dataType) && c.charset !== null;
}

/** The original column's value as a string of its own character set. */
function asText(from: Column): string {
  return `CONVERT(? USING ${checkName('charset', from.charset, from)})`;
}

/**
 * The placeholder for a value of the original's column `from` written to ghost column `to` (INSERT VALUES,
 * UPDATE SET). Spatial values need none either: the server takes its internal format (SRID + WKB) as is.
 */
export function valuePlaceholder(from: Column, to: Column): string {
  if (!isText(from) || (isText(to) && to.charset === from.charset)) return '?';
  return asText(from);
}

/** True when comparing a value of `from` with key column `c` converts it to another character set. */
export function keyConvertsCharset(c: Column, from: Column = c): boolean {
  return isText(from) && c.charset !== null && c.charset !== from.charset;
}

const INTEGER_TYPES: ReadonlySet<string> = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

function isInteger(c: Column): boolean {
  return INTEGER_TYPES.has(c.dataType);
}

function isDecimal(c: Column): boolean {
  return c.dataType === 'decimal' || c.dataType === 'numeric';
}

function isMemberType(c: Column): boolean {
  return c.dataType === 'enum' || c.dataType === 'set';
}

/** `decimal(20,4) unsigned` -> [20, 4]; `decimal(10)` -> [10, 0]; `decimal` -> MySQL's default [10, 0]. */
function decimalPrecision(c: Column): readonly [number, number] {
  const m = /^(?:decimal|numeric)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?/.exec(c.columnType);
  if (m === null) {
    throw new OscError('INTERNAL', `column ${c.name}: cannot read the precision of type ${c.columnType}`);
  }
  return [Number(m[1] ?? 10), Number(m[2] ?? 0)];
}

/** The members of an ENUM or SET as COLUMN_TYPE lists them: `enum('a','it''s')` -> 2. */
function memberCount(c: Column): number {
  const list = /^(?:enum|set)\s*\((.*)\)$/s.exec(c.columnType)?.[1];
  if (list === undefined)
    throw new OscError('INTERNAL', `column ${c.name}: cannot read the members of type ${c.columnType}`);
  return list.match(/'(?:[^'\\]|''|\\.)*'/g)?.length ?? 0;
}

/** The largest member number (ENUM) or bit value (SET) a column can hold; 0 is ENUM's invalid '' member. */
function largestMember(c: Column): number {
  const n = memberCount(c);
  return c.dataType === 'enum' ? n : 2 ** n - 1;
}

// A range over an ENUM or SET becomes a list of member numbers: beyond this many values, the column is not
// chunked on (a SET of 13 or more members; an ENUM of more than 4096).
const MEMBER_RANGE_LIMIT = 4096;

/** Null when the copy can range over column `c`; else why not. */
export function rangeProblem(c: Column): string | null {
  if (isMemberType(c) && largestMember(c) + 1 > MEMBER_RANGE_LIMIT) {
    return `${c.dataType.toUpperCase()} column ${c.name} has too many values to range over (more than ${MEMBER_RANGE_LIMIT})`;
  }
  return null;
}

function integerParam(c: Column, v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (c.dataType === 'bit' && Buffer.isBuffer(v)) return v.length === 0 ? 0n : BigInt(`0x${v.toString('hex')}`);
  // The value itself is left out of the message: it is row data.
  throw new OscError('INTERNAL', `column ${c.name}: expected ${what}, got a ${typeof v}`);
}

/**
 * The placeholder for a value of the original's column `from` (by default `c` itself) compared with key
 * column `c` in a WHERE clause. A string is converted to `c`'s charset and compared in `c`'s collation,
 * as `c`'s index compares: the explicit COLLATE also settles which side's collation wins, which two
 * strings of equal coercibility (a column, a CONVERT()) in different collations could not.
 */
export function keyPlaceholder(c: Column, from: Column = c): string {
  if (isText(from)) {
    const text = asText(from);
    if (c.charset === null) return text;
    const converted = keyConvertsCharset(c, from)
      ? `CONVERT(${text} USING ${checkName('charset', c.charset, c)})`
      : text;
    return `${converted} COLLATE ${checkName('collation', c.collation, c)}`;
  }
  if (isDecimal(c)) {
    const [p, s] = decimalPrecision(c);
    return `CAST(? AS DECIMAL(${p},${s}))`;
  }
  return '?';
}

/** The parameter to bind for a value of `from` compared with key column `c` (see keyPlaceholder). */
export function keyParam(c: Column, v: unknown, from: Column = c): unknown {
  if (v === null || v === undefined || isText(from)) return v;
  if (isInteger(c)) return integerParam(c, v, 'an integer key value');
  if (c.dataType === 'bit') return integerParam(c, v, 'a BIT key value');
  if (isDecimal(c)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return String(v);
    throw new OscError('INTERNAL', `column ${c.name}: expected a decimal key value, got a ${typeof v}`);
  }
  return v;
}

/**
 * How to SELECT key column `c` (at `ref`) so that the value compares exactly: for a range bound (`order`), ENUM
 * and SET as their member number and strings as their bytes (a Buffer); for equality, as their name and text.
 * FLOAT widened to DOUBLE either way.
 */
export function keyRead(c: Column, ref: string, order: boolean): string {
  if (order && isMemberType(c)) return `${ref} + 0`;
  if (order && isText(c)) return `CAST(${ref} AS BINARY)`;
  if (c.dataType === 'float') return `${ref} + 0e0`;
  return ref;
}

export type KeyOp = '=' | '>' | '>=' | '<' | '<=';

function coveredMembers(c: Column, op: KeyOp, bound: bigint): bigint[] {
  const top = BigInt(largestMember(c));
  const [from, to] =
    op === '>'
      ? [bound + 1n, top]
      : op === '>='
        ? [bound, top]
        : op === '<'
          ? [0n, bound - 1n]
          : op === '<='
            ? [0n, bound]
            : [bound, bound];
  const out: bigint[] = [];
  for (let v = from < 0n ? 0n : from; v <= to && v <= top; v++) out.push(v);
  return out;
}

/**
 * `ref op value` in the index's order, for the copy's ranges: `value` was read with keyRead(c, ref, true). An ENUM
 * or SET compares member numbers, a range as the list of numbers it covers (FALSE when none).
 */
export function rangeTerm(c: Column, ref: string, op: KeyOp, value: unknown): Statement {
  if (!isMemberType(c)) return { sql: `${ref} ${op} ${keyPlaceholder(c)}`, params: [keyParam(c, value)] };
  const bound = integerParam(c, value, 'a member number');
  if (op === '=') return { sql: `${ref} = ?`, params: [bound] };
  const members = coveredMembers(c, op, bound);
  if (members.length === 0) return { sql: 'FALSE', params: [] };
  return { sql: `${ref} IN (${members.map(() => '?').join(', ')})`, params: members };
}

function checkName(what: string, name: string | null, c: Column): string {
  // Charset and collation names come from information_schema; they are spliced into SQL, so hold them to form.
  if (name === null || !/^[A-Za-z0-9_]+$/.test(name))
    throw new OscError('INTERNAL', `column ${c.name}: unusable ${what} ${String(name)}`);
  return name;
}

/** `value` (SQL) converted to string column `c`'s charset and collation, as storing it in `c` would. */
export function asColumnValue(c: Column, value: string): string {
  return `CONVERT(${value} USING ${checkName('charset', c.charset, c)}) COLLATE ${checkName('collation', c.collation, c)}`;
}

/**
 * True when string column `c` (at `ref`) holds `value` (SQL) byte for byte, once converted to its charset: where
 * the column's collation calls distinct values equal, this tells them apart.
 */
export function exactTerm(c: Column, ref: string, value: string): string {
  return `CAST(${ref} AS BINARY) = CAST(CONVERT(${value} USING ${checkName('charset', c.charset, c)}) AS BINARY)`;
}
