import { describe, expect, it } from 'vitest';
import { refilledColumns, type ColumnDefault } from '../../src/core/binlog/refill.js';

const col = (name: string, def: string | null, extra = ''): ColumnDefault => ({ name, default: def, extra });

describe('refilledColumns', () => {
  it('MySQL: EXTRA alone tells what the server fills on every write', () => {
    const ghost = [
      col('id', null, 'auto_increment'),
      col('a', 'pending'),
      col('b', 'CURRENT_TIMESTAMP', 'DEFAULT_GENERATED'),
      col('c', null, 'on update CURRENT_TIMESTAMP'),
      col('d', null, 'STORED GENERATED'),
      col('e', 'uuid()', 'DEFAULT_GENERATED INVISIBLE'),
      col('f', 'now()'),
    ];
    expect(refilledColumns(ghost, ['id'], 'mysql')).toEqual(['b', 'c', 'e']);
  });

  it('MariaDB: literals are quoted or numbers, anything else is an expression', () => {
    const ghost = [
      col('a', "'pending'"),
      col('b', 'current_timestamp()'),
      col('c', '0'),
      col('d', '-1.5e3'),
      col('e', 'NULL'),
      col('f', null),
      col('g', 'uuid()'),
      col('h', "b'1'"),
      col('i', null, 'VIRTUAL GENERATED'),
      col('j', "'2000-01-01 00:00:00'", 'on update current_timestamp()'),
      col('k', null, 'auto_increment'),
    ];
    expect(refilledColumns(ghost, [], 'mariadb')).toEqual(['b', 'g', 'j', 'k']);
  });

  it('columns the mapping fills are the copied values, whatever their default (names compare case-insensitively)', () => {
    expect(
      refilledColumns(
        [col('Created', 'current_timestamp()'), col('id', null, 'auto_increment')],
        ['created', 'ID'],
        'mariadb',
      ),
    ).toEqual([]);
  });
});
