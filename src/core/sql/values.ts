// Exact key comparisons. mysql2 (bigNumberStrings) and zongji (beyond 2^53) hand integer and DECIMAL
// values over as strings; MySQL compares a string with a numeric column as a DOUBLE, so a key above
// 2^53 could match the wrong row. Integers are therefore bound as JS bigints (mysql2 writes them
// unquoted) and DECIMAL values are cast to the column's own precision on the server.
import { OscError } from '../errors.js';
import type { Column } from '../types.js';

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

/** The placeholder for a value compared with key column `c` in a WHERE clause. */
export function keyPlaceholder(c: Column): string {
  if (isDecimal(c)) {
    const [p, s] = decimalPrecision(c);
    return `CAST(? AS DECIMAL(${p},${s}))`;
  }
  return '?';
}

/** The parameter to bind for a value compared with key column `c` (see keyPlaceholder). */
export function keyParam(c: Column, v: unknown): unknown {
  if (v === null || v === undefined) return v;
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
