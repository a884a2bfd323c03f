// What the ALTER does to the values of a key column, as far as matching rows goes: a ghost row is found by its key
// with values taken from the original, so those values must mean the same row on both tables.
import type { Column } from './types.js';

export type KeyColumnChange =
  /** The same definition. */
  | 'same'
  /** Every value converts to an equal value, or the copy fails on it (out of range, too long): INT -> BIGINT ... */
  | 'preserved'
  /** A string column's charset or collation changes: distinct values may become equal, check byte for byte. */
  | 'recollated'
  /** Values can change (rounding, padding, reinterpretation): a ghost row cannot be found by them. */
  | 'changed';

const INTEGERS: ReadonlySet<string> = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const TEXTS: ReadonlySet<string> = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const BYTES: ReadonlySet<string> = new Set(['varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/** The numbers in a type's parentheses: `decimal(10,2)` -> [10, 2], `datetime(6)` -> [6], `date` -> []. */
function typeNumbers(c: Column): number[] {
  const m = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(c.columnType);
  return m === null ? [] : [Number(m[1]), ...(m[2] === undefined ? [] : [Number(m[2])])];
}

/** DECIMAL's scale (`decimal(10)` has 0), or a temporal type's fractional digits. */
function fraction(c: Column): number {
  const n = typeNumbers(c);
  return c.dataType === 'decimal' ? (n[1] ?? 0) : (n[0] ?? 0);
}

/** BIT's width (`bit` is bit(1)). */
function bits(c: Column): number {
  return typeNumbers(c)[0] ?? 1;
}

/**
 * Collations that compare trailing spaces (NO PAD): MySQL's UCA 9.0.0 ones (`utf8mb4_0900_ai_ci`) and MariaDB's
 * `_nopad_` ones. Under the others (PAD SPACE) `a` and `a ` are one value, so CHAR dropping trailing spaces
 * changes no key.
 */
function noPad(collation: string | null): boolean {
  return collation !== null && /_0900_|_nopad_/i.test(collation);
}

export function keyColumnChange(source: Column, target: Column): KeyColumnChange {
  const [s, t] = [source.dataType, target.dataType];
  const sameText = source.charset === target.charset && source.collation === target.collation;
  if (s === t && source.columnType === target.columnType && sameText) return 'same';
  if (INTEGERS.has(s) && INTEGERS.has(t)) return 'preserved';
  if ((INTEGERS.has(s) || s === 'decimal') && t === 'decimal')
    return s === 'decimal' && fraction(target) < fraction(source) ? 'changed' : 'preserved';
  if (s === 'float' && t === 'double' && !/\(/.test(target.columnType)) return 'preserved';
  if (s === 'bit' && t === 'bit') return bits(target) >= bits(source) ? 'preserved' : 'changed';
  if ((s === t && (s === 'datetime' || s === 'timestamp' || s === 'time')) || (s === 'date' && t === 'datetime')) {
    return s === 'date' || fraction(target) >= fraction(source) ? 'preserved' : 'changed';
  }
  if ((s === 'enum' && t === 'enum') || (s === 'set' && t === 'set')) return 'preserved'; // by member name
  if (TEXTS.has(s) && TEXTS.has(t)) {
    // CHAR drops trailing spaces: only harmless where the collation ignores them anyway.
    const trims = s !== 'char' && t === 'char';
    if (trims && (!sameText || noPad(source.collation))) return 'changed';
    return sameText ? 'preserved' : 'recollated';
  }
  // BINARY pads with zero bytes: only a BINARY of the same length, or a VARBINARY, keeps the bytes.
  if ((BYTES.has(s) || s === 'binary') && BYTES.has(t)) return 'preserved';
  return 'changed';
}
