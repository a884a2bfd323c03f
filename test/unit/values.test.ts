import { describe, expect, it } from 'vitest';
import {
  asColumnValue,
  exactTerm,
  isText,
  keyConvertsCharset,
  keyParam,
  keyPlaceholder,
  keyRead,
  rangeProblem,
  rangeTerm,
  valuePlaceholder,
} from '../../src/core/sql/values.js';
import type { Column } from '../../src/core/types.js';

const col = (dataType: string, columnType: string): Column => ({
  name: 'k',
  dataType,
  columnType,
  nullable: false,
  generation: null,
  generationExpression: null,
  charset: null,
  collation: null,
});
const text = (dataType: string, charset: string, collation: string): Column => ({
  ...col(dataType, dataType),
  charset,
  collation,
});
const latin1 = text('varchar', 'latin1', 'latin1_swedish_ci');
const latin1Bin = text('varchar', 'latin1', 'latin1_bin');
const utf8 = text('varchar', 'utf8mb4', 'utf8mb4_0900_ai_ci');
const ucs2Text = text('mediumtext', 'ucs2', 'ucs2_general_ci');

describe('isText', () => {
  it('is CHAR, VARCHAR and the TEXT types with a charset; not ENUM, SET, binaries or JSON', () => {
    for (const t of ['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext'])
      expect(isText(text(t, 'latin1', 'latin1_bin'))).toBe(true);
    expect(isText(text('enum', 'latin1', 'latin1_bin'))).toBe(false);
    expect(isText(text('set', 'latin1', 'latin1_bin'))).toBe(false);
    expect(isText(col('varbinary', 'varbinary(4)'))).toBe(false);
    expect(isText(col('json', 'json'))).toBe(false);
    expect(isText(col('varchar', 'varchar(4)'))).toBe(false); // no charset known
  });
});

describe('valuePlaceholder', () => {
  it('binds the bytes as they are into a text column of the same charset', () => {
    expect(valuePlaceholder(latin1, latin1Bin)).toBe('?');
    expect(valuePlaceholder(ucs2Text, text('varchar', 'ucs2', 'ucs2_bin'))).toBe('?');
  });
  it("tags them with the original's charset for any other target", () => {
    expect(valuePlaceholder(latin1, utf8)).toBe('CONVERT(? USING latin1)');
    expect(valuePlaceholder(ucs2Text, col('varbinary', 'varbinary(8)'))).toBe('CONVERT(? USING ucs2)');
    expect(valuePlaceholder(latin1, text('enum', 'latin1', 'latin1_swedish_ci'))).toBe('CONVERT(? USING latin1)');
  });
  it('needs nothing for other types, spatial included', () => {
    expect(valuePlaceholder(col('int', 'int'), col('bigint', 'bigint'))).toBe('?');
    expect(valuePlaceholder(col('point', 'point'), col('geometry', 'geometry'))).toBe('?');
    expect(valuePlaceholder(text('enum', 'latin1', 'latin1_bin'), utf8)).toBe('?');
  });
  it('refuses a charset name that is not a plain identifier', () => {
    expect(() => valuePlaceholder(text('varchar', 'latin1) x', 'latin1_bin'), utf8)).toThrow(
      'column k: unusable charset',
    );
  });
});

describe('keyPlaceholder', () => {
  it("compares a string in the key column's own collation", () => {
    expect(keyPlaceholder(latin1)).toBe('CONVERT(? USING latin1) COLLATE latin1_swedish_ci');
    expect(keyPlaceholder(latin1Bin, latin1)).toBe('CONVERT(? USING latin1) COLLATE latin1_bin');
  });
  it("converts a string of another charset to the key column's first", () => {
    expect(keyPlaceholder(utf8, latin1)).toBe(
      'CONVERT(CONVERT(? USING latin1) USING utf8mb4) COLLATE utf8mb4_0900_ai_ci',
    );
    expect(keyPlaceholder(text('char', 'ucs2', 'ucs2_bin'), latin1)).toBe(
      'CONVERT(CONVERT(? USING latin1) USING ucs2) COLLATE ucs2_bin',
    );
  });
  it('compares with a binary or numeric key column without a collation', () => {
    expect(keyPlaceholder(col('varbinary', 'varbinary(8)'), latin1)).toBe('CONVERT(? USING latin1)');
    expect(keyPlaceholder(col('int', 'int'), latin1)).toBe('CONVERT(? USING latin1)');
  });
  it('uses a plain placeholder for integers, strings and binaries', () => {
    expect(keyPlaceholder(col('bigint', 'bigint unsigned'))).toBe('?');
    expect(keyPlaceholder(col('varchar', 'varchar(20)'))).toBe('?');
    expect(keyPlaceholder(col('varbinary', 'varbinary(16)'))).toBe('?');
  });
  it('casts decimals to the column precision', () => {
    expect(keyPlaceholder(col('decimal', 'decimal(20,4)'))).toBe('CAST(? AS DECIMAL(20,4))');
    expect(keyPlaceholder(col('decimal', 'decimal(12,0) unsigned'))).toBe('CAST(? AS DECIMAL(12,0))');
    expect(keyPlaceholder(col('decimal', 'decimal(10)'))).toBe('CAST(? AS DECIMAL(10,0))');
  });
});

describe('keyConvertsCharset', () => {
  it('is true only when a string meets a key column of another charset', () => {
    expect(keyConvertsCharset(latin1)).toBe(false);
    expect(keyConvertsCharset(latin1Bin, latin1)).toBe(false);
    expect(keyConvertsCharset(utf8, latin1)).toBe(true);
    expect(keyConvertsCharset(col('varbinary', 'varbinary(8)'), latin1)).toBe(false);
    expect(keyConvertsCharset(utf8, col('int', 'int'))).toBe(false);
  });
});

describe('keyParam', () => {
  it("passes a string column's value as it is, bytes or text, whatever the key column", () => {
    const bytes = Buffer.from([0x81, 0x41]);
    expect(keyParam(latin1, bytes)).toBe(bytes);
    expect(keyParam(col('int', 'int'), bytes, latin1)).toBe(bytes);
    expect(keyParam(utf8, 'Jörg', latin1)).toBe('Jörg');
  });
  it('turns integer values into bigints, exactly', () => {
    const u = col('bigint', 'bigint unsigned');
    expect(keyParam(u, '18446744073709551615')).toBe(18446744073709551615n);
    expect(keyParam(u, 9007199254740993n)).toBe(9007199254740993n);
    expect(keyParam(col('int', 'int'), 42)).toBe(42n);
    expect(keyParam(col('tinyint', 'tinyint'), '-128')).toBe(-128n);
    expect(keyParam(col('mediumint', 'mediumint unsigned'), '0')).toBe(0n);
  });
  it('refuses non-integers for integer columns without echoing the value', () => {
    expect(() => keyParam(col('int', 'int'), 1.5)).toThrow('column k: expected an integer key value, got a number');
    expect(() => keyParam(col('int', 'int'), 'abc')).toThrow('column k: expected an integer key value, got a string');
  });
  it('passes decimals as strings', () => {
    expect(keyParam(col('decimal', 'decimal(20,4)'), '12345678901234567.1234')).toBe('12345678901234567.1234');
    expect(keyParam(col('decimal', 'decimal(5,2)'), 1.5)).toBe('1.5');
  });
  it('binds BIT values as integers, from bytes too (MariaDB compares BIT with bytes wrongly)', () => {
    const bit = col('bit', 'bit(24)');
    expect(keyParam(bit, Buffer.from([0x01, 0x00, 0xff]))).toBe(0x0100ffn);
    expect(keyParam(bit, Buffer.alloc(0))).toBe(0n);
    expect(keyParam(bit, '4095')).toBe(4095n);
    expect(() => keyParam(bit, 'x')).toThrow('column k: expected a BIT key value, got a string');
  });
  it('leaves other types unchanged', () => {
    const b = Buffer.from([1, 2]);
    expect(keyParam(col('varbinary', 'varbinary(2)'), b)).toBe(b);
    expect(keyParam(col('datetime', 'datetime(6)'), '2024-01-02 03:04:05.000006')).toBe('2024-01-02 03:04:05.000006');
    expect(keyParam(col('varchar', 'varchar(5)'), '007')).toBe('007');
  });
});

const enumCol = col('enum', "enum('z','a','it''s')");
const setCol = col('set', "set('d','c','b')");

describe('keyRead', () => {
  it('reads ENUM and SET bounds as member numbers, names for equality', () => {
    expect(keyRead(enumCol, '`k`', true)).toBe('`k` + 0');
    expect(keyRead(setCol, '`o`.`k`', true)).toBe('`o`.`k` + 0');
    expect(keyRead(enumCol, '`k`', false)).toBe('`k`');
  });
  it('reads FLOAT widened to DOUBLE, everything else as it is', () => {
    expect(keyRead(col('float', 'float'), '`k`', true)).toBe('`k` + 0e0');
    expect(keyRead(col('float', 'float'), '`k`', false)).toBe('`k` + 0e0');
    expect(keyRead(col('double', 'double'), '`k`', true)).toBe('`k`');
    expect(keyRead(col('bit', 'bit(8)'), '`k`', true)).toBe('`k`');
    expect(keyRead(col('varbinary', 'varbinary(8)'), '`k`', true)).toBe('`k`');
  });
  it('reads string bounds as their bytes (bytes the charset leaves undefined would come back as ?), text for equality', () => {
    expect(keyRead(latin1, '`k`', true)).toBe('CAST(`k` AS BINARY)');
    expect(keyRead(text('char', 'cp1251', 'cp1251_general_ci'), '`o`.`k`', true)).toBe('CAST(`o`.`k` AS BINARY)');
    expect(keyRead(latin1, '`k`', false)).toBe('`k`');
  });
});

describe('rangeTerm', () => {
  it('compares other types with the operator and the key placeholder', () => {
    expect(rangeTerm(col('decimal', 'decimal(6,2)'), '`k`', '>=', '1.50')).toEqual({
      sql: '`k` >= CAST(? AS DECIMAL(6,2))',
      params: ['1.50'],
    });
    expect(rangeTerm(col('bigint', 'bigint'), '`k`', '=', '9007199254740993')).toEqual({
      sql: '`k` = ?',
      params: [9007199254740993n],
    });
  });
  it('ENUM: equality by member number, a range as the member numbers it covers (0 is the invalid member)', () => {
    expect(rangeTerm(enumCol, '`k`', '=', 2)).toEqual({ sql: '`k` = ?', params: [2n] });
    expect(rangeTerm(enumCol, '`k`', '>', '1')).toEqual({ sql: '`k` IN (?, ?)', params: [2n, 3n] });
    expect(rangeTerm(enumCol, '`k`', '>=', 1)).toEqual({ sql: '`k` IN (?, ?, ?)', params: [1n, 2n, 3n] });
    expect(rangeTerm(enumCol, '`k`', '<', 2)).toEqual({ sql: '`k` IN (?, ?)', params: [0n, 1n] });
    expect(rangeTerm(enumCol, '`k`', '<=', 1n)).toEqual({ sql: '`k` IN (?, ?)', params: [0n, 1n] });
    expect(rangeTerm(enumCol, '`k`', '>', 3)).toEqual({ sql: 'FALSE', params: [] });
    expect(rangeTerm(enumCol, '`k`', '<', 0)).toEqual({ sql: 'FALSE', params: [] });
  });
  it('SET: by bit value, up to every member set', () => {
    expect(rangeTerm(setCol, '`k`', '>', 5)).toEqual({ sql: '`k` IN (?, ?)', params: [6n, 7n] });
  });
  it('refuses a member name where a member number is due, without echoing it', () => {
    expect(() => rangeTerm(enumCol, '`k`', '>', 'a')).toThrow('column k: expected a member number, got a string');
  });
});

describe('rangeProblem', () => {
  it('refuses a member type with more than 4096 values', () => {
    expect(rangeProblem(setCol)).toBeNull();
    expect(rangeProblem(col('set', `set(${Array.from({ length: 12 }, (_, i) => `'m${i}'`).join(',')})`))).toBeNull();
    expect(rangeProblem(col('set', `set(${Array.from({ length: 13 }, (_, i) => `'m${i}'`).join(',')})`))).toBe(
      'SET column k has too many values to range over (more than 4096)',
    );
    expect(rangeProblem(col('int', 'int'))).toBeNull();
  });
});

describe('asColumnValue and exactTerm', () => {
  const ci: Column = { ...col('varchar', 'varchar(10)'), charset: 'utf8mb4', collation: 'utf8mb4_general_ci' };
  it('convert to the column charset and collation; compare bytes', () => {
    expect(asColumnValue(ci, '`o`.`k`')).toBe('CONVERT(`o`.`k` USING utf8mb4) COLLATE utf8mb4_general_ci');
    expect(exactTerm(ci, '`g`.`k`', '?')).toBe('CAST(`g`.`k` AS BINARY) = CAST(CONVERT(? USING utf8mb4) AS BINARY)');
  });
  it('refuse a charset or collation name that is not a plain word', () => {
    expect(() => asColumnValue({ ...ci, collation: 'x; DROP' }, '?')).toThrow('column k: unusable collation x; DROP');
    expect(() => exactTerm({ ...ci, charset: null }, '?', '?')).toThrow('column k: unusable charset null');
  });
});
