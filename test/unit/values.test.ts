import { describe, expect, it } from 'vitest';
import { isText, keyConvertsCharset, keyParam, keyPlaceholder, valuePlaceholder } from '../../src/core/sql/values.js';
import type { Column } from '../../src/core/types.js';

const col = (dataType: string, columnType: string): Column => ({ name: 'k', dataType, columnType, nullable: false, generation: null, generationExpression: null, charset: null, collation: null });
const text = (dataType: string, charset: string, collation: string): Column => ({ ...col(dataType, dataType), charset, collation });
const latin1 = text('varchar', 'latin1', 'latin1_swedish_ci');
const latin1Bin = text('varchar', 'latin1', 'latin1_bin');
const utf8 = text('varchar', 'utf8mb4', 'utf8mb4_0900_ai_ci');
const ucs2Text = text('mediumtext', 'ucs2', 'ucs2_general_ci');

describe('isText', () => {
  it('is CHAR, VARCHAR and the TEXT types with a charset; not ENUM, SET, binaries or JSON', () => {
    for (const t of ['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']) expect(isText(text(t, 'latin1', 'latin1_bin'))).toBe(true);
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
    expect(() => valuePlaceholder(text('varchar', 'latin1) x', 'latin1_bin'), utf8)).toThrow('column k: unexpected character set or collation name');
  });
});

describe('keyPlaceholder', () => {
  it("compares a string in the key column's own collation", () => {
    expect(keyPlaceholder(latin1)).toBe('CONVERT(? USING latin1) COLLATE latin1_swedish_ci');
    expect(keyPlaceholder(latin1Bin, latin1)).toBe('CONVERT(? USING latin1) COLLATE latin1_bin');
  });
  it("converts a string of another charset to the key column's first", () => {
    expect(keyPlaceholder(utf8, latin1)).toBe('CONVERT(CONVERT(? USING latin1) USING utf8mb4) COLLATE utf8mb4_0900_ai_ci');
    expect(keyPlaceholder(text('char', 'ucs2', 'ucs2_bin'), latin1)).toBe('CONVERT(CONVERT(? USING latin1) USING ucs2) COLLATE ucs2_bin');
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
  it('leaves other types unchanged', () => {
    const b = Buffer.from([1, 2]);
    expect(keyParam(col('varbinary', 'varbinary(2)'), b)).toBe(b);
    expect(keyParam(col('datetime', 'datetime(6)'), '2024-01-02 03:04:05.000006')).toBe('2024-01-02 03:04:05.000006');
    expect(keyParam(col('varchar', 'varchar(5)'), '007')).toBe('007');
  });
});
