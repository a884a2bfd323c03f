import { describe, expect, it } from 'vitest';
import { asColumnValue, exactTerm, keyParam, keyPlaceholder, keyRead, rangeProblem, rangeTerm } from '../../src/core/sql/values.js';
import type { Column } from '../../src/core/types.js';

const col = (dataType: string, columnType: string): Column => ({ name: 'k', dataType, columnType, nullable: false, generation: null, generationExpression: null, charset: null, collation: null });

describe('keyPlaceholder', () => {
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

describe('keyParam', () => {
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
  });
});

describe('rangeTerm', () => {
  it('compares other types with the operator and the key placeholder', () => {
    expect(rangeTerm(col('decimal', 'decimal(6,2)'), '`k`', '>=', '1.50')).toEqual({ sql: '`k` >= CAST(? AS DECIMAL(6,2))', params: ['1.50'] });
    expect(rangeTerm(col('bigint', 'bigint'), '`k`', '=', '9007199254740993')).toEqual({ sql: '`k` = ?', params: [9007199254740993n] });
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
