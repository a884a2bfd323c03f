import { describe, expect, it } from 'vitest';
import { keyColumnChange } from '../../src/core/key-change.js';
import type { Column } from '../../src/core/types.js';

const col = (columnType: string, charset: string | null = null, collation: string | null = null): Column => ({
  name: 'k',
  dataType: /^\w+/.exec(columnType)?.[0] ?? columnType,
  columnType,
  nullable: false,
  generation: null,
  generationExpression: null,
  charset,
  collation,
});
const utf8 = (type: string, collation = 'utf8mb4_general_ci') => col(type, 'utf8mb4', collation);

describe('keyColumnChange', () => {
  it('same definition', () => {
    expect(keyColumnChange(col('int'), col('int'))).toBe('same');
    expect(keyColumnChange(utf8('varchar(10)'), utf8('varchar(10)'))).toBe('same');
  });

  it('preserved: values convert to equal values, or the copy fails on them', () => {
    const cases: Array<[Column, Column]> = [
      [col('int'), col('bigint unsigned')],
      [col('bigint'), col('smallint')],
      [col('decimal(10,2)'), col('decimal(20,4)')],
      [col('int'), col('decimal(12,2)')],
      [col('float'), col('double')],
      [col('bit(8)'), col('bit(24)')],
      [col('datetime'), col('datetime(6)')],
      [col('time(2)'), col('time(3)')],
      [col('date'), col('datetime(3)')],
      [col("enum('a','b')", 'utf8mb4', 'utf8mb4_bin'), col("enum('b','a','c')", 'latin1', 'latin1_swedish_ci')],
      [utf8('varchar(10)'), utf8('varchar(40)')],
      [utf8('char(10)'), utf8('varchar(10)')],
      [utf8('varchar(10)'), utf8('char(10)')],
      [col('binary(4)'), col('varbinary(8)')],
      [col('varbinary(4)'), col('varbinary(2)')],
    ];
    for (const [s, t] of cases) expect(keyColumnChange(s, t), `${s.columnType} -> ${t.columnType}`).toBe('preserved');
  });

  it('recollated: a string column changes charset or collation', () => {
    expect(keyColumnChange(utf8('varchar(10)', 'utf8mb4_bin'), utf8('varchar(10)', 'utf8mb4_general_ci'))).toBe(
      'recollated',
    );
    expect(
      keyColumnChange(col('varchar(10)', 'latin1', 'latin1_swedish_ci'), utf8('varchar(10)', 'utf8mb4_0900_ai_ci')),
    ).toBe('recollated');
    expect(keyColumnChange(col('char(4)', 'latin1', 'latin1_bin'), utf8('varchar(4)'))).toBe('recollated');
  });

  it('changed: values can change, so they cannot find their rows', () => {
    const cases: Array<[Column, Column]> = [
      [col('datetime(6)'), col('datetime')],
      [col('decimal(10,2)'), col('decimal(10,1)')],
      [col('double'), col('float')],
      [col('timestamp'), col('datetime')],
      [col('int'), utf8('varchar(10)')],
      [col('bit(8)'), col('bit(4)')],
      [col('binary(4)'), col('binary(8)')],
      [col('varbinary(4)'), col('binary(4)')],
      // CHAR drops trailing spaces, which a NO PAD collation tells apart.
      [utf8('varchar(10)', 'utf8mb4_0900_ai_ci'), utf8('char(10)', 'utf8mb4_0900_ai_ci')],
      [utf8('varchar(10)', 'utf8mb4_nopad_bin'), utf8('char(10)', 'utf8mb4_nopad_bin')],
      [utf8('varchar(10)', 'utf8mb4_bin'), utf8('char(10)', 'utf8mb4_general_ci')],
    ];
    for (const [s, t] of cases)
      expect(
        keyColumnChange(s, t),
        `${s.columnType} ${s.collation ?? ''} -> ${t.columnType} ${t.collation ?? ''}`,
      ).toBe('changed');
  });
});
