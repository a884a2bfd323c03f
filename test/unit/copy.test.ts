import { describe, expect, it } from 'vitest';
import {
  buildCopyChunk,
  buildCopyKeys,
  buildEstimate,
  buildExactCount,
  buildKeyBoundary,
  buildNextBoundary,
  buildUnmatchedCount,
  buildDeleteGhostRow,
  buildLockGhostRows,
  keyEquals,
  rangeCondition,
} from '../../src/core/sql/copy.js';
import type { ChunkKey, Column, ColumnMapping } from '../../src/core/types.js';
import { col } from '../support/columns.js';

const id = col('id', 'bigint', 'bigint unsigned');
const a = col('a');
const b = col('b', 'varchar', 'varchar(10)');
const c = col('c', 'decimal', 'decimal(20,4)');

const pk: ChunkKey = {
  name: 'PRIMARY',
  ghostName: 'PRIMARY',
  columns: [id],
  ghostColumns: [id],
  ghostSources: [id],
  exactColumns: [],
};
const composite: ChunkKey = {
  name: 'uk`ab',
  ghostName: 'uk`ab',
  columns: [a, b],
  ghostColumns: [a, b],
  ghostSources: [a, b],
  exactColumns: [],
};
const mapping: ColumnMapping[] = [
  { source: id, target: id },
  { source: col('old name', 'varchar', 'varchar(5)'), target: col('new`name', 'varchar', 'varchar(5)') },
];

describe('rangeCondition', () => {
  it('single column', () => {
    expect(rangeCondition([id], '>', ['18446744073709551615'])).toEqual({
      sql: '(`id` > ?)',
      params: [18446744073709551615n],
    });
    expect(rangeCondition([id], '<=', [5])).toEqual({ sql: '(`id` <= ?)', params: [5n] });
  });
  it('two columns, each operator', () => {
    expect(rangeCondition([a, b], '>', [1, 'x'])).toEqual({
      sql: '((`a` > ?) OR (`a` = ? AND `b` > ?))',
      params: [1n, 1n, 'x'],
    });
    expect(rangeCondition([a, b], '>=', [1, 'x'])).toEqual({
      sql: '((`a` > ?) OR (`a` = ? AND `b` >= ?))',
      params: [1n, 1n, 'x'],
    });
    expect(rangeCondition([a, b], '<', [1, 'x'])).toEqual({
      sql: '((`a` < ?) OR (`a` = ? AND `b` < ?))',
      params: [1n, 1n, 'x'],
    });
    expect(rangeCondition([a, b], '<=', [1, 'x'])).toEqual({
      sql: '((`a` < ?) OR (`a` = ? AND `b` <= ?))',
      params: [1n, 1n, 'x'],
    });
  });
  it('three columns with a decimal cast', () => {
    expect(rangeCondition([a, b, c], '>=', [2, 'y', '1.5000'])).toEqual({
      sql: '((`a` > ?) OR (`a` = ? AND `b` > ?) OR (`a` = ? AND `b` = ? AND `c` >= CAST(? AS DECIMAL(20,4))))',
      params: [2n, 2n, 'y', 2n, 'y', '1.5000'],
    });
  });
  it('an ENUM in the key compares member numbers, a range as the numbers it covers; qualified references', () => {
    const kind = col('kind', 'enum', "enum('z','a','m')");
    expect(rangeCondition([a, kind], '>', [7, 2])).toEqual({
      sql: '((`a` > ?) OR (`a` = ? AND `kind` IN (?)))',
      params: [7n, 7n, 3n],
    });
    expect(rangeCondition([kind, a], '<=', ['3', 5], (x) => `\`o\`.\`${x.name}\``)).toEqual({
      sql: '((`o`.`kind` IN (?, ?, ?)) OR (`o`.`kind` = ? AND `o`.`a` <= ?))',
      params: [0n, 1n, 2n, 3n, 5n],
    });
  });
  it('refuses a bound of the wrong width', () => {
    expect(() => rangeCondition([a, b], '>', [1])).toThrow('a key bound has 1 values for 2 key columns');
  });
});

describe('key boundaries', () => {
  it('min and max', () => {
    expect(buildKeyBoundary({ database: 'shop', table: 'orders', key: composite, which: 'min' })).toEqual({
      sql: 'SELECT `a`, `b` FROM `shop`.`orders` FORCE INDEX (`uk``ab`) ORDER BY `shop`.`orders`.`a` ASC, `shop`.`orders`.`b` ASC LIMIT 1',
      params: [],
    });
    expect(buildKeyBoundary({ database: 'shop', table: 'orders', key: pk, which: 'max' })).toEqual({
      sql: 'SELECT `id` FROM `shop`.`orders` FORCE INDEX (`PRIMARY`) ORDER BY `shop`.`orders`.`id` DESC LIMIT 1',
      params: [],
    });
  });
  it('next boundary after an exclusive lower bound', () => {
    expect(
      buildNextBoundary({
        database: 'shop',
        table: 'orders',
        key: composite,
        range: { lower: [1, 'a'], lowerInclusive: false, max: [9, 'z'] },
        chunkSize: 1000,
      }),
    ).toEqual({
      sql:
        'SELECT `a`, `b` FROM `shop`.`orders` FORCE INDEX (`uk``ab`) WHERE ((`a` > ?) OR (`a` = ? AND `b` > ?))' +
        ' AND ((`a` < ?) OR (`a` = ? AND `b` <= ?)) ORDER BY `shop`.`orders`.`a` ASC, `shop`.`orders`.`b` ASC LIMIT 1 OFFSET 999',
      params: [1n, 1n, 'a', 9n, 9n, 'z'],
    });
  });
  it('next boundary from min inclusive, chunk of one', () => {
    expect(
      buildNextBoundary({
        database: 'd',
        table: 't',
        key: pk,
        range: { lower: [1], lowerInclusive: true, max: [10] },
        chunkSize: 1,
      }),
    ).toEqual({
      sql: 'SELECT `id` FROM `d`.`t` FORCE INDEX (`PRIMARY`) WHERE (`id` >= ?) AND (`id` <= ?) ORDER BY `d`.`t`.`id` ASC LIMIT 1 OFFSET 0',
      params: [1n, 10n],
    });
  });
  it('reads ENUM, SET and FLOAT bounds exactly, under the column name, and orders by the column itself', () => {
    const kind = col('kind', 'enum', "enum('z','a')");
    const f = col('f', 'float');
    const key: ChunkKey = {
      name: 'k',
      ghostName: 'k',
      columns: [kind, f],
      ghostColumns: [kind, f],
      ghostSources: [kind, f],
      exactColumns: [],
    };
    expect(buildKeyBoundary({ database: 'd', table: 't', key, which: 'min' })).toEqual({
      sql: 'SELECT `kind` + 0 AS `kind`, `f` + 0e0 AS `f` FROM `d`.`t` FORCE INDEX (`k`) ORDER BY `d`.`t`.`kind` ASC, `d`.`t`.`f` ASC LIMIT 1',
      params: [],
    });
    expect(
      buildNextBoundary({
        database: 'd',
        table: 't',
        key,
        range: { lower: [1, 0.5], lowerInclusive: false, max: [2, 1.5] },
        chunkSize: 10,
      }),
    ).toEqual({
      sql:
        'SELECT `kind` + 0 AS `kind`, `f` + 0e0 AS `f` FROM `d`.`t` FORCE INDEX (`k`) WHERE ((`kind` IN (?)) OR (`kind` = ? AND `f` > ?))' +
        ' AND ((`kind` IN (?, ?)) OR (`kind` = ? AND `f` <= ?)) ORDER BY `d`.`t`.`kind` ASC, `d`.`t`.`f` ASC LIMIT 1 OFFSET 9',
      params: [2n, 1n, 0.5, 0n, 1n, 2n, 1.5],
    });
  });
  it('reads string bounds as their bytes, binds them back tagged with their charset', () => {
    const k = { ...col('k', 'varchar', 'varchar(20)'), charset: 'cp1251', collation: 'cp1251_general_ci' };
    const key: ChunkKey = {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [a, k],
      ghostColumns: [a, k],
      ghostSources: [a, k],
      exactColumns: [],
    };
    expect(buildKeyBoundary({ database: 'd', table: 't', key, which: 'max' })).toEqual({
      sql: 'SELECT `a`, CAST(`k` AS BINARY) AS `k` FROM `d`.`t` FORCE INDEX (`PRIMARY`) ORDER BY `d`.`t`.`a` DESC, `d`.`t`.`k` DESC LIMIT 1',
      params: [],
    });
    const lower = Buffer.from([0x61, 0x98]);
    const max = Buffer.from([0x98]);
    expect(
      buildNextBoundary({
        database: 'd',
        table: 't',
        key,
        range: { lower: [1, lower], lowerInclusive: true, max: [2, max] },
        chunkSize: 5,
      }),
    ).toEqual({
      sql:
        'SELECT `a`, CAST(`k` AS BINARY) AS `k` FROM `d`.`t` FORCE INDEX (`PRIMARY`)' +
        ' WHERE ((`a` > ?) OR (`a` = ? AND `k` >= CONVERT(? USING cp1251) COLLATE cp1251_general_ci))' +
        ' AND ((`a` < ?) OR (`a` = ? AND `k` <= CONVERT(? USING cp1251) COLLATE cp1251_general_ci))' +
        ' ORDER BY `d`.`t`.`a` ASC, `d`.`t`.`k` ASC LIMIT 1 OFFSET 4',
      params: [1n, 1n, lower, 2n, 2n, max],
    });
  });
  it('refuses a chunk size that is not a positive safe integer', () => {
    const range = { lower: [1], lowerInclusive: true, max: [10] };
    for (const chunkSize of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => buildNextBoundary({ database: 'd', table: 't', key: pk, range, chunkSize })).toThrow(
        'chunk size must be a positive integer',
      );
    }
  });
});

describe('copy statements', () => {
  it('copies one range with renamed columns', () => {
    expect(
      buildCopyChunk({
        database: 'shop',
        table: 'orders',
        ghost: '_orders_gho',
        mapping,
        key: pk,
        lower: ['1'],
        lowerInclusive: true,
        upper: ['1000'],
        lock: 'FOR SHARE',
      }),
    ).toEqual({
      sql:
        'INSERT IGNORE INTO `shop`.`_orders_gho` (`id`, `new``name`) SELECT `id`, `old name` FROM `shop`.`orders` FORCE INDEX (`PRIMARY`)' +
        ' WHERE (`id` >= ?) AND (`id` <= ?) FOR SHARE',
      params: [1n, 1000n],
    });
  });
  it('copies a composite range under LOCK IN SHARE MODE', () => {
    const m: ColumnMapping[] = [
      { source: a, target: a },
      { source: b, target: b },
    ];
    expect(
      buildCopyChunk({
        database: 'd',
        table: 't',
        ghost: '_t_gho',
        mapping: m,
        key: composite,
        lower: [1, 'k'],
        lowerInclusive: false,
        upper: [2, 'b'],
        lock: 'LOCK IN SHARE MODE',
      }),
    ).toEqual({
      sql:
        'INSERT IGNORE INTO `d`.`_t_gho` (`a`, `b`) SELECT `a`, `b` FROM `d`.`t` FORCE INDEX (`uk``ab`)' +
        ' WHERE ((`a` > ?) OR (`a` = ? AND `b` > ?)) AND ((`a` < ?) OR (`a` = ? AND `b` <= ?)) LOCK IN SHARE MODE',
      params: [1n, 1n, 'k', 2n, 2n, 'b'],
    });
  });
  it('copies exact keys', () => {
    const m: ColumnMapping[] = [
      { source: a, target: a },
      { source: b, target: b },
    ];
    expect(
      buildCopyKeys({
        database: 'd',
        table: 't',
        ghost: '_t_gho',
        mapping: m,
        key: composite,
        keys: [
          [1, 'x'],
          ['2', 'y'],
        ],
        lock: 'FOR SHARE',
      }),
    ).toEqual({
      sql: 'INSERT IGNORE INTO `d`.`_t_gho` (`a`, `b`) SELECT `a`, `b` FROM `d`.`t` FORCE INDEX (`uk``ab`) WHERE (`a` = ? AND `b` = ?) OR (`a` = ? AND `b` = ?) FOR SHARE',
      params: [1n, 'x', 2n, 'y'],
    });
    expect(() =>
      buildCopyKeys({
        database: 'd',
        table: 't',
        ghost: '_t_gho',
        mapping: m,
        key: composite,
        keys: [],
        lock: 'FOR SHARE',
      }),
    ).toThrow('no keys to copy');
  });
  it('refuses an empty mapping', () => {
    expect(() =>
      buildCopyChunk({
        database: 'd',
        table: 't',
        ghost: 'g',
        mapping: [],
        key: pk,
        lower: [1],
        lowerInclusive: true,
        upper: [2],
        lock: 'FOR SHARE',
      }),
    ).toThrow('the column mapping is empty');
  });
});

describe('keyEquals', () => {
  it('compares names, bound exactly, optionally qualified', () => {
    const kind = col('kind', 'enum', "enum('z','a')");
    expect(keyEquals([id, kind, c], ['18446744073709551615', 'a', '1.5'], (x) => `\`g\`.\`${x.name}\``)).toEqual({
      sql: '`g`.`id` = ? AND `g`.`kind` = ? AND `g`.`c` = CAST(? AS DECIMAL(20,4))',
      params: [18446744073709551615n, 'a', '1.5'],
    });
  });
});

describe('buildUnmatchedCount', () => {
  const text = (name: string, charset: string, collation: string): Column => ({
    ...col(name, 'varchar', 'varchar(20)'),
    charset,
    collation,
  });
  const bin = text('code', 'utf8mb4', 'utf8mb4_bin');
  const ci = text('code', 'utf8mb4', 'utf8mb4_general_ci');
  const latin = text('name', 'latin1', 'latin1_swedish_ci');
  const utf = text('name', 'utf8mb4', 'utf8mb4_0900_ai_ci');
  const n = col('n');
  const nBig = col('n', 'bigint');
  // Original key (code); the ghost key (code, n, name): code made case-insensitive, n widened, name converted.
  const key: ChunkKey = {
    name: 'PRIMARY',
    ghostName: 'uk`x',
    columns: [bin],
    ghostColumns: [ci, nBig, utf],
    ghostSources: [bin, n, latin],
    exactColumns: ['code'],
  };

  it('over a chunk: rows of the original without a ghost row of their own, byte for byte in the exact columns', () => {
    expect(
      buildUnmatchedCount({
        database: 'd',
        table: 't',
        ghost: '_t_gho',
        key,
        rows: { lower: ['a'], lowerInclusive: false, upper: ['q'] },
      }),
    ).toEqual({
      sql:
        'SELECT COUNT(*) AS n FROM `d`.`t` AS `o` FORCE INDEX (`PRIMARY`) WHERE (`o`.`code` > CONVERT(? USING utf8mb4) COLLATE utf8mb4_bin)' +
        ' AND (`o`.`code` <= CONVERT(? USING utf8mb4) COLLATE utf8mb4_bin)' +
        ' AND NOT EXISTS (SELECT 1 FROM `d`.`_t_gho` AS `g` WHERE `g`.`code` = CONVERT(`o`.`code` USING utf8mb4) COLLATE utf8mb4_general_ci' +
        ' AND CAST(`g`.`code` AS BINARY) = CAST(CONVERT(`o`.`code` USING utf8mb4) AS BINARY)' +
        ' AND `g`.`n` = `o`.`n` AND `g`.`name` = CONVERT(`o`.`name` USING utf8mb4) COLLATE utf8mb4_0900_ai_ci)',
      params: ['a', 'q'],
    });
  });

  it('over exact keys', () => {
    const plain: ChunkKey = {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [bin],
      ghostColumns: [ci],
      ghostSources: [bin],
      exactColumns: ['code'],
    };
    expect(
      buildUnmatchedCount({ database: 'd', table: 't', ghost: '_t_gho', key: plain, rows: { keys: [['A'], ['b']] } }),
    ).toEqual({
      sql:
        'SELECT COUNT(*) AS n FROM `d`.`t` AS `o` FORCE INDEX (`PRIMARY`) WHERE ((`o`.`code` = CONVERT(? USING utf8mb4) COLLATE utf8mb4_bin)' +
        ' OR (`o`.`code` = CONVERT(? USING utf8mb4) COLLATE utf8mb4_bin))' +
        ' AND NOT EXISTS (SELECT 1 FROM `d`.`_t_gho` AS `g` WHERE `g`.`code` = CONVERT(`o`.`code` USING utf8mb4) COLLATE utf8mb4_general_ci' +
        ' AND CAST(`g`.`code` AS BINARY) = CAST(CONVERT(`o`.`code` USING utf8mb4) AS BINARY))',
      params: ['A', 'b'],
    });
    expect(() =>
      buildUnmatchedCount({ database: 'd', table: 't', ghost: 'g', key: plain, rows: { keys: [] } }),
    ).toThrow('no keys to check');
  });
});

describe('row counts', () => {
  it('exact and estimated', () => {
    expect(buildExactCount({ database: 'shop', table: 'orders' })).toEqual({
      sql: 'SELECT COUNT(*) AS n FROM `shop`.`orders`',
      params: [],
    });
    expect(buildEstimate({ database: 'shop', table: 'orders' })).toEqual({
      sql: 'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      params: ['shop', 'orders'],
    });
  });
});

describe('string keys', () => {
  const text = (name: string, charset: string, collation: string): Column => ({
    ...col(name, 'varchar', 'varchar(20)'),
    charset,
    collation,
  });
  const k = text('k', 'latin1', 'latin1_swedish_ci');
  it("compare in the column's collation, a bound read through mysql2 converted from utf8mb4 by the server", () => {
    expect(rangeCondition([a, k], '>', [1, 'Jörg'])).toEqual({
      sql: '((`a` > ?) OR (`a` = ? AND `k` > CONVERT(? USING latin1) COLLATE latin1_swedish_ci))',
      params: [1n, 1n, 'Jörg'],
    });
    expect(keyEquals([k], ['Jörg'])).toEqual({
      sql: '`k` = CONVERT(? USING latin1) COLLATE latin1_swedish_ci',
      params: ['Jörg'],
    });
  });
  it("compare values of the original's columns with ghost columns of another charset", () => {
    const g = text('k', 'utf8mb4', 'utf8mb4_bin');
    const bytes = Buffer.from([0x4a, 0xf6]);
    expect(keyEquals([a, g], [3, bytes], undefined, [a, k])).toEqual({
      sql: '`a` = ? AND `k` = CONVERT(CONVERT(? USING latin1) USING utf8mb4) COLLATE utf8mb4_bin',
      params: [3n, bytes],
    });
    expect(() => keyEquals([g], [bytes], undefined, [a, k])).toThrow('a key has 2 source columns for 1 key columns');
  });
});

describe('replay conflict statements', () => {
  const code = { ...b, charset: 'utf8mb4', collation: 'utf8mb4_0900_ai_ci' };
  const codeSrc = { ...b, charset: 'latin1', collation: 'latin1_swedish_ci' };
  it('locks the ghost rows holding an image value, compared in the ghost collation, reading their key', () => {
    expect(
      buildLockGhostRows({
        database: 'd',
        ghost: '_t_gho',
        key: [id],
        columns: [code],
        values: [Buffer.from('ab')],
        from: [codeSrc],
      }),
    ).toEqual({
      sql: 'SELECT `id` FROM `d`.`_t_gho` WHERE `b` = CONVERT(CONVERT(? USING latin1) USING utf8mb4) COLLATE utf8mb4_0900_ai_ci FOR UPDATE',
      params: [Buffer.from('ab')],
    });
  });
  it('deletes one ghost row by its key', () => {
    expect(buildDeleteGhostRow({ database: 'd', ghost: '_t_gho', key: [id], values: ['7'] })).toEqual({
      sql: 'DELETE FROM `d`.`_t_gho` WHERE `id` = ?',
      params: [7n],
    });
  });
});
