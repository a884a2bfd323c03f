import { describe, expect, it } from 'vitest';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import type { ChunkKey, Column, ColumnMapping } from '../../src/core/types.js';
import { col } from '../support/columns.js';

const id = col('id', 'int', 'int unsigned');
const idBig = col('id', 'bigint', 'bigint unsigned');
const region = col('region', 'decimal', 'decimal(6,2)');
const note = col('note', 'varchar', 'varchar(20)');
const memo = col('memo', 'varchar', 'varchar(20)');

const mapping: ColumnMapping[] = [
  { source: id, target: idBig },
  { source: region, target: region },
  { source: note, target: memo },
];
const key: ChunkKey = {
  name: 'PRIMARY',
  ghostName: 'PRIMARY',
  columns: [id, region],
  ghostColumns: [idBig, region],
  ghostSources: [id, region],
  exactColumns: [],
};
const dml = createDmlBuilder({ database: 'shop', ghost: '_orders_gho', mapping, key });

const before = { id: 7, region: '1.50', note: 'old', dropped: 'x' };
const after = { id: 7, region: '1.50', note: null, dropped: 'y' };

describe('dml builder', () => {
  it('insert', () => {
    expect(dml.insert(before)).toEqual({
      sql: 'INSERT INTO `shop`.`_orders_gho` (`id`, `region`, `memo`) VALUES (?, ?, ?)',
      params: [7, '1.50', 'old'],
    });
  });
  it('delete by key, with exact integer and decimal params', () => {
    expect(dml.deleteByKey({ ...before, id: '18446744073709551615' })).toEqual({
      sql: 'DELETE FROM `shop`.`_orders_gho` WHERE `id` = ? AND `region` = CAST(? AS DECIMAL(6,2))',
      params: [18446744073709551615n, '1.50'],
    });
  });
  it('update sets every mapped column from after, by the before key', () => {
    expect(dml.update(before, after)).toEqual({
      sql: 'UPDATE `shop`.`_orders_gho` SET `id` = ?, `region` = ?, `memo` = ? WHERE `id` = ? AND `region` = CAST(? AS DECIMAL(6,2))',
      params: [7, '1.50', null, 7n, '1.50'],
    });
  });
  it('delete by many keys: one row-constructor IN over the ghost key', () => {
    expect(dml.deleteByKeys([before, { ...after, id: '18446744073709551615' }])).toEqual({
      sql: 'DELETE FROM `shop`.`_orders_gho` WHERE (`id`, `region`) IN ((?, CAST(? AS DECIMAL(6,2))), (?, CAST(? AS DECIMAL(6,2))))',
      params: [7n, '1.50', 18446744073709551615n, '1.50'],
    });
  });
  it('delete by many keys of a one-column key: a plain IN list', () => {
    const one: ChunkKey = {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [id],
      ghostColumns: [idBig],
      ghostSources: [id],
      exactColumns: [],
    };
    const d = createDmlBuilder({ database: 'shop', ghost: '_orders_gho', mapping, key: one });
    expect(d.deleteByKeys([{ id: 1 }, { id: '2' }, { id: 3n }])).toEqual({
      sql: 'DELETE FROM `shop`.`_orders_gho` WHERE `id` IN (?, ?, ?)',
      params: [1n, 2n, 3n],
    });
    expect(d.deleteByKeys([{ id: 1 }])).toEqual({
      sql: 'DELETE FROM `shop`.`_orders_gho` WHERE `id` IN (?)',
      params: [1n],
    });
  });
  it('delete by many string keys: each tagged with its charset, compared in the ghost collation', () => {
    const latin: Column = {
      ...col('code', 'varchar', 'varchar(10)'),
      charset: 'latin1',
      collation: 'latin1_swedish_ci',
    };
    const utf: Column = { ...latin, charset: 'utf8mb4', collation: 'utf8mb4_0900_ai_ci' };
    const k: ChunkKey = {
      name: 'uk',
      ghostName: 'uk',
      columns: [latin],
      ghostColumns: [utf],
      ghostSources: [latin],
      exactColumns: [],
    };
    const d = createDmlBuilder({
      database: 'shop',
      ghost: '_t_gho',
      mapping: [{ source: latin, target: utf }],
      key: k,
    });
    const x = Buffer.from([0xe9]);
    expect(d.deleteByKeys([{ code: x }, { code: null }])).toEqual({
      sql: 'DELETE FROM `shop`.`_t_gho` WHERE `code` IN (CONVERT(CONVERT(? USING latin1) USING utf8mb4) COLLATE utf8mb4_0900_ai_ci, CONVERT(CONVERT(? USING latin1) USING utf8mb4) COLLATE utf8mb4_0900_ai_ci)',
      params: [x, null],
    });
    expect(d.insertMany([{ code: x }])).toEqual({
      sql: 'INSERT INTO `shop`.`_t_gho` (`code`) VALUES (CONVERT(? USING latin1))',
      params: [x],
    });
  });
  it('insert many rows: one multi-row VALUES list', () => {
    expect(dml.insertMany([before, after])).toEqual({
      sql: 'INSERT INTO `shop`.`_orders_gho` (`id`, `region`, `memo`) VALUES (?, ?, ?), (?, ?, ?)',
      params: [7, '1.50', 'old', 7, '1.50', null],
    });
  });
  it('batch statements need rows', () => {
    expect(() => dml.deleteByKeys([])).toThrow('no keys to delete');
    expect(() => dml.insertMany([])).toThrow('no rows to insert');
    expect(() => dml.insertMany([{ id: 1, region: '2.00' }])).toThrow(
      'a row event lacks column `note`; the binlog row image must be FULL',
    );
  });
  it('keyOf returns the decoded key values', () => {
    expect(dml.keyOf(before)).toEqual([7, '1.50']);
  });
  it('a row missing a mapped column fails without values', () => {
    expect(() => dml.insert({ id: 1, region: '2.00' })).toThrow(
      'a row event lacks column `note`; the binlog row image must be FULL',
    );
    expect(() => dml.deleteByKey({ id: 1 })).toThrow(expect.objectContaining({ code: 'REPLAY_FAILED' }));
  });
  it('validates its invariants once', () => {
    expect(() => createDmlBuilder({ database: 'd', ghost: 'g', mapping: [], key })).toThrow(
      'the column mapping is empty',
    );
    expect(() => createDmlBuilder({ database: 'd', ghost: 'g', mapping, key: { ...key, ghostSources: [id] } })).toThrow(
      'the ghost key PRIMARY has mismatched ghost and source columns',
    );
    expect(() =>
      createDmlBuilder({ database: 'd', ghost: 'g', mapping, key: { ...key, ghostSources: [note, region] } }),
    ).toThrow('key column `id` is not in the ghost key `PRIMARY`');
    expect(() =>
      createDmlBuilder({ database: 'd', ghost: 'g', mapping, key: { ...key, exactColumns: ['memo'] } }),
    ).toThrow('column `memo` is not in the ghost key `PRIMARY`');
  });

  it('with string columns: bytes as they are within a charset, tagged with the original charset across one', () => {
    const text = (name: string, dataType: string, charset: string, collation: string): Column => ({
      ...col(name, dataType, dataType),
      charset,
      collation,
    });
    const code = text('code', 'varchar', 'latin1', 'latin1_bin');
    const codeU = text('code', 'varchar', 'utf8mb4', 'utf8mb4_bin');
    const name = text('name', 'char', 'cp1251', 'cp1251_general_ci');
    const nameU = text('name', 'text', 'utf8mb4', 'utf8mb4_unicode_ci');
    const body = text('body', 'mediumtext', 'latin1', 'latin1_swedish_ci');
    const shape = col('shape', 'point', 'point');
    const bytes = Buffer.from([0x4a, 0xf6, 0x81]);
    const row = {
      code: bytes,
      name: Buffer.from([0xcf, 0xf0]),
      body: Buffer.from([0x90]),
      shape: Buffer.from([0, 0, 0, 0, 1, 1, 0, 0, 0]),
    };

    const same = createDmlBuilder({
      database: 'shop',
      ghost: '_t_gho',
      mapping: [
        { source: code, target: code },
        { source: name, target: name },
        { source: body, target: body },
        { source: shape, target: shape },
      ],
      key: {
        name: 'PRIMARY',
        ghostName: 'PRIMARY',
        columns: [code],
        ghostColumns: [code],
        ghostSources: [code],
        exactColumns: [],
      },
    });
    expect(same.insert(row)).toEqual({
      sql: 'INSERT INTO `shop`.`_t_gho` (`code`, `name`, `body`, `shape`) VALUES (?, ?, ?, ?)',
      params: [row.code, row.name, row.body, row.shape],
    });
    expect(same.deleteByKey(row)).toEqual({
      sql: 'DELETE FROM `shop`.`_t_gho` WHERE `code` = CONVERT(? USING latin1) COLLATE latin1_bin',
      params: [bytes],
    });
    expect(same.harmlessWarnings).toEqual(new Set([1287, 3719, 1300]));

    const converted = createDmlBuilder({
      database: 'shop',
      ghost: '_t_gho',
      mapping: [
        { source: code, target: codeU },
        { source: name, target: nameU },
        { source: body, target: body },
      ],
      key: {
        name: 'PRIMARY',
        ghostName: 'PRIMARY',
        columns: [code],
        ghostColumns: [codeU],
        ghostSources: [code],
        exactColumns: [],
      },
    });
    expect(converted.update(row, row)).toEqual({
      sql:
        'UPDATE `shop`.`_t_gho` SET `code` = CONVERT(? USING latin1), `name` = CONVERT(? USING cp1251), `body` = ?' +
        ' WHERE `code` = CONVERT(CONVERT(? USING latin1) USING utf8mb4) COLLATE utf8mb4_bin',
      params: [row.code, row.name, row.body, bytes],
    });
    // A key compare across charsets turns undefined bytes into '?': their 1300 is no longer harmless.
    expect(converted.harmlessWarnings).toEqual(new Set([1287, 3719]));
  });
});

describe('dml builder: ghost rows matched by another key than the original', () => {
  it('by the ghost key extended by a column, in its order, with values from the row image', () => {
    const extended: ChunkKey = {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [id],
      ghostColumns: [memo, idBig],
      ghostSources: [note, id],
      exactColumns: [],
    };
    const d = createDmlBuilder({ database: 'shop', ghost: '_orders_gho', mapping, key: extended });
    expect(d.deleteByKey(before)).toEqual({
      sql: 'DELETE FROM `shop`.`_orders_gho` WHERE `memo` = ? AND `id` = ?',
      params: ['old', 7n],
    });
    expect(d.update(before, after)).toEqual({
      sql: 'UPDATE `shop`.`_orders_gho` SET `id` = ?, `region` = ?, `memo` = ? WHERE `memo` = ? AND `id` = ?',
      params: [7, '1.50', null, 'old', 7n],
    });
    // An update of the added column alone changes the ghost key: replay deletes both keys and inserts.
    expect(d.keyOf(before)).toEqual(['old', 7]);
    expect(d.keyOf({ ...before, note: 'new' })).toEqual(['new', 7]);
  });

  it('by a STORED generated column the ghost computes alike (not in the mapping)', () => {
    const code: Column = {
      ...col('code', 'varchar', 'varchar(24)'),
      generation: 'stored',
      generationExpression: "concat('o-',`id`)",
    };
    const generated: ChunkKey = {
      name: 'uk_code',
      ghostName: 'uk_code',
      columns: [code],
      ghostColumns: [code],
      ghostSources: [code],
      exactColumns: [],
    };
    const d = createDmlBuilder({ database: 'shop', ghost: '_orders_gho', mapping, key: generated });
    expect(d.deleteByKey({ ...before, code: 'o-7' })).toEqual({
      sql: 'DELETE FROM `shop`.`_orders_gho` WHERE `code` = ?',
      params: ['o-7'],
    });
    expect(d.insert({ ...before, code: 'o-7' })).toEqual({
      sql: 'INSERT INTO `shop`.`_orders_gho` (`id`, `region`, `memo`) VALUES (?, ?, ?)',
      params: [7, '1.50', 'old'],
    });
  });

  it('byte for byte where the ALTER changes the collation of the key', () => {
    const bin: Column = { ...col('code', 'varchar', 'varchar(10)'), charset: 'utf8mb4', collation: 'utf8mb4_bin' };
    const ci: Column = { ...bin, collation: 'utf8mb4_general_ci' };
    const recollated: ChunkKey = {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [id, bin],
      ghostColumns: [idBig, ci],
      ghostSources: [id, bin],
      exactColumns: ['code'],
    };
    const d = createDmlBuilder({
      database: 'shop',
      ghost: '_t_gho',
      mapping: [
        { source: id, target: idBig },
        { source: bin, target: ci },
      ],
      key: recollated,
    });
    const where =
      '`id` = ? AND `code` = CONVERT(? USING utf8mb4) COLLATE utf8mb4_general_ci AND CAST(`code` AS BINARY) = CAST(CONVERT(? USING utf8mb4) AS BINARY)';
    expect(d.deleteByKey({ id: 1, code: 'A' })).toEqual({
      sql: `DELETE FROM \`shop\`.\`_t_gho\` WHERE ${where}`,
      params: [1n, 'A', 'A'],
    });
    expect(d.update({ id: 1, code: 'A' }, { id: 1, code: 'A' })).toEqual({
      sql: `UPDATE \`shop\`.\`_t_gho\` SET \`id\` = ?, \`code\` = ? WHERE ${where}`,
      params: [1, 'A', 1n, 'A', 'A'],
    });
  });
  it('many keys byte for byte: the per-key conditions joined by OR', () => {
    const bin: Column = { ...col('code', 'varchar', 'varchar(10)'), charset: 'utf8mb4', collation: 'utf8mb4_bin' };
    const ci: Column = { ...bin, collation: 'utf8mb4_general_ci' };
    const recollated: ChunkKey = {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [id, bin],
      ghostColumns: [idBig, ci],
      ghostSources: [id, bin],
      exactColumns: ['code'],
    };
    const d = createDmlBuilder({
      database: 'shop',
      ghost: '_t_gho',
      mapping: [
        { source: id, target: idBig },
        { source: bin, target: ci },
      ],
      key: recollated,
    });
    const where =
      '`id` = ? AND `code` = CONVERT(? USING utf8mb4) COLLATE utf8mb4_general_ci AND CAST(`code` AS BINARY) = CAST(CONVERT(? USING utf8mb4) AS BINARY)';
    const a = Buffer.from('a');
    const A = Buffer.from('A');
    expect(
      d.deleteByKeys([
        { id: 1, code: a },
        { id: 1, code: A },
      ]),
    ).toEqual({
      sql: `DELETE FROM \`shop\`.\`_t_gho\` WHERE (${where}) OR (${where})`,
      params: [1n, a, a, 1n, A, A],
    });
  });
});
