import { describe, expect, it } from 'vitest';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import type { ChunkKey, Column, ColumnMapping } from '../../src/core/types.js';

const col = (name: string, dataType = 'int', columnType = dataType): Column => ({ name, dataType, columnType, nullable: false, generation: null, generationExpression: null, charset: null, collation: null });
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
const key: ChunkKey = { name: 'PRIMARY', ghostName: 'PRIMARY', columns: [id, region], ghostColumns: [idBig, region] };
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
  it('keyOf returns the decoded key values', () => {
    expect(dml.keyOf(before)).toEqual([7, '1.50']);
  });
  it('a row missing a mapped column fails without values', () => {
    expect(() => dml.insert({ id: 1, region: '2.00' })).toThrow('a row event lacks column `note`; the binlog row image must be FULL');
    expect(() => dml.deleteByKey({ id: 1 })).toThrow(expect.objectContaining({ code: 'REPLAY_FAILED' }));
  });
  it('validates its invariants once', () => {
    expect(() => createDmlBuilder({ database: 'd', ghost: 'g', mapping: [], key })).toThrow('the column mapping is empty');
    expect(() => createDmlBuilder({ database: 'd', ghost: 'g', mapping: [{ source: note, target: memo }], key })).toThrow(
      'key column `id` is not in the column mapping',
    );
    expect(() =>
      createDmlBuilder({ database: 'd', ghost: 'g', mapping, key: { ...key, ghostColumns: [memo, region] } }),
    ).toThrow('key column `id` maps to `id`, not to ghost key column `memo`');
    expect(() => createDmlBuilder({ database: 'd', ghost: 'g', mapping, key: { ...key, ghostColumns: [idBig] } })).toThrow(
      'chunking key PRIMARY has mismatched original and ghost columns',
    );
  });
});
