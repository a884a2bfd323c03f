// How values are bound, exactly. mysql2 (bigNumberStrings) and zongji (beyond 2^53) hand integer and
// DECIMAL values over as strings; MySQL compares a string with a numeric column as a DOUBLE, so a key
// above 2^53 could match the wrong row. Integers are therefore bound as JS bigints (mysql2 writes them
// unquoted) and DECIMAL values are cast to the column's own precision on the server.
//
// Strings are converted by the server, never in JavaScript. The binlog's bytes arrive as a Buffer, which
// mysql2 sends as a binary literal. Written to a column of the same character set, the server stores
// them as they are (a binary string assigned to a text column is taken in the column's charset), which
// is what INSERT ... SELECT does too. Anywhere else the placeholder tags them with the original column's
// charset, `CONVERT(? USING latin1)`, and the server converts from there as INSERT ... SELECT would.
// A JS string bound to such a placeholder (a key read through mysql2) is converted from the connection's
// utf8mb4, so one placeholder serves both.
import { OscError } from '../errors.js';
import type { Column } from '../types.js';

const TEXT_TYPES: ReadonlySet<string> = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);

/** CHAR, VARCHAR or a TEXT type with a character set: its values are strings in that charset. */
export function isText(c: Column): boolean {
  return TEXT_TYPES.has(c.dataType) && c.charset !== null;
}

/** A charset or collation name from information_schema, checked before it becomes SQL text. */
function sqlName(c: Column, name: string | null): string {
  if (name === null || !/^[A-Za-z0-9_]+$/.test(name)) {
    throw new OscError('INTERNAL', `column ${c.name}: unexpected character set or collation name`);
  }
  return name;
}

/** The original column's value as a string of its own character set. */
function asText(from: Column): string {
  return `CONVERT(? USING ${sqlName(from, from.charset)})`;
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

/** `decimal(20,4) unsigned` -> [20, 4]; `decimal(10)` -> [10, 0]; `decimal` -> MySQL's default [10, 0]. */
function decimalPrecision(c: Column): readonly [number, number] {
  const m = /^(?:decimal|numeric)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?/.exec(c.columnType);
  if (m === null) {
    throw new OscError('INTERNAL', `column ${c.name}: cannot read the precision of type ${c.columnType}`);
  }
  return [Number(m[1] ?? 10), Number(m[2] ?? 0)];
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
    const converted = keyConvertsCharset(c, from) ? `CONVERT(${text} USING ${sqlName(c, c.charset)})` : text;
    return `${converted} COLLATE ${sqlName(c, c.collation)}`;
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
  if (isInteger(c)) {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
    // The value itself is left out of the message: it is row data.
    throw new OscError('INTERNAL', `column ${c.name}: expected an integer key value, got a ${typeof v}`);
  }
  if (isDecimal(c)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return String(v);
    throw new OscError('INTERNAL', `column ${c.name}: expected a decimal key value, got a ${typeof v}`);
  }
  return v;
}
