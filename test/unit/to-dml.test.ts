import { describe, expect, it } from 'vitest';
import { eventToStatements } from '../../src/core/binlog/to-dml.js';
import type { RowEvent } from '../../src/core/binlog/events.js';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import type { ChunkKey } from '../../src/core/types.js';
import { col } from '../support/columns.js';

const id = col('id', 'bigint', 'bigint unsigned');
const v = col('v', 'varchar', 'varchar(10)');
const key: ChunkKey = {
  name: 'PRIMARY',
  ghostName: 'PRIMARY',
  columns: [id],
  ghostColumns: [id],
  ghostSources: [id],
  exactColumns: [],
};
const dml = createDmlBuilder({
  database: 'd',
  ghost: '_t_gho',
  mapping: [
    { source: id, target: id },
    { source: v, target: v },
  ],
  key,
});

const pos = { file: 'binlog.000001', position: 4 };
const base = { database: 'd', table: 't', resume: pos, next: pos };

const INSERT = 'INSERT INTO `d`.`_t_gho` (`id`, `v`) VALUES (?, ?)';
const DELETE = 'DELETE FROM `d`.`_t_gho` WHERE `id` = ?';
const UPDATE = 'UPDATE `d`.`_t_gho` SET `id` = ?, `v` = ? WHERE `id` = ?';

describe('eventToStatements', () => {
  it('insert: delete by key, then plain insert', () => {
    const e: RowEvent = { ...base, kind: 'insert', row: { id: 1, v: 'a' } };
    expect(eventToStatements(e, dml)).toEqual([
      { sql: DELETE, params: [1n] },
      { sql: INSERT, params: [1, 'a'] },
    ]);
  });
  it('delete', () => {
    const e: RowEvent = { ...base, kind: 'delete', row: { id: '9007199254740993', v: 'a' } };
    expect(eventToStatements(e, dml)).toEqual([{ sql: DELETE, params: [9007199254740993n] }]);
  });
  it('update with an unchanged key', () => {
    const e: RowEvent = { ...base, kind: 'update', before: { id: 1, v: 'a' }, after: { id: 1, v: 'b' } };
    expect(eventToStatements(e, dml)).toEqual([{ sql: UPDATE, params: [1, 'b', 1n] }]);
  });
  it('update that changes the key: delete both keys, insert the after image', () => {
    const e: RowEvent = { ...base, kind: 'update', before: { id: 1, v: 'a' }, after: { id: 2, v: 'a' } };
    expect(eventToStatements(e, dml)).toEqual([
      { sql: DELETE, params: [1n] },
      { sql: DELETE, params: [2n] },
      { sql: INSERT, params: [2, 'a'] },
    ]);
  });
  it('big keys differing beyond 2^53 count as a key change', () => {
    const e: RowEvent = {
      ...base,
      kind: 'update',
      before: { id: '9007199254740993', v: 'a' },
      after: { id: '9007199254740992', v: 'a' },
    };
    expect(eventToStatements(e, dml).map((s) => s.sql)).toEqual([DELETE, DELETE, INSERT]);
  });
});

describe('eventToStatements with the ghost matched by a key extended by a column', () => {
  const i = col('i', 'int');
  const extended: ChunkKey = {
    name: 'PRIMARY',
    ghostName: 'PRIMARY',
    columns: [id],
    ghostColumns: [id, i],
    ghostSources: [id, i],
    exactColumns: [],
  };
  const ext = createDmlBuilder({
    database: 'd',
    ghost: '_t_gho',
    mapping: [
      { source: id, target: id },
      { source: i, target: i },
    ],
    key: extended,
  });
  const EXT_DELETE = 'DELETE FROM `d`.`_t_gho` WHERE `id` = ? AND `i` = ?';

  it('an update of the added column alone moves the ghost key: delete both, insert the after image', () => {
    const e: RowEvent = { ...base, kind: 'update', before: { id: 5, i: 0 }, after: { id: 5, i: 1 } };
    expect(eventToStatements(e, ext)).toEqual([
      { sql: EXT_DELETE, params: [5n, 0n] },
      { sql: EXT_DELETE, params: [5n, 1n] },
      { sql: 'INSERT INTO `d`.`_t_gho` (`id`, `i`) VALUES (?, ?)', params: [5, 1] },
    ]);
  });
});
