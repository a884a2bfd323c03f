import { describe, expect, it } from 'vitest';
import { keyParam, keyPlaceholder } from '../../src/core/sql/values.js';
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
  it('leaves other types unchanged', () => {
    const b = Buffer.from([1, 2]);
    expect(keyParam(col('varbinary', 'varbinary(2)'), b)).toBe(b);
    expect(keyParam(col('datetime', 'datetime(6)'), '2024-01-02 03:04:05.000006')).toBe('2024-01-02 03:04:05.000006');
    expect(keyParam(col('varchar', 'varchar(5)'), '007')).toBe('007');
  });
});
